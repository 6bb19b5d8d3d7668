"""Spatial audio: microphone arrays, room simulation, localisation (DOA) and array calibration."""
