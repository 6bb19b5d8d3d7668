"""Hand-gesture chain: camera -> hand landmarks -> static and dynamic gestures, XR output."""
