/* sensekit static-gesture classifier (exported) - C99, libm only, stateless per frame.
 *   label = sk_gesture_classify(xy, is_left, &confidence);   // -1: unknown pose ("none")
 * xy: the 21 (x, y) hand landmarks, interleaved, in @INPUT@.
 * @CONVENTION@
 * As the Python classifier decides: the confidence is the calibrated probability (the decoder's
 * own softmax for a calibration without the open-set model), and a pose unlike every taught
 * class (relative open-set distance > 1), a hand with missing landmarks and an "other" class
 * are -1.
 * Classes: @CLASSES@
 */
#ifndef @GUARD@
#define @GUARD@

#ifdef SK_DOUBLE
typedef double sk_real;
#else
typedef float sk_real;
#endif

#define SK_N_COLUMNS @N_COLUMNS@
#define SK_N_CLASSES @N_CLASSES@

void sk_gesture_features(const sk_real xy[42], int is_left, sk_real f[SK_N_COLUMNS]);
int sk_gesture_classify(const sk_real xy[42], int is_left, sk_real *confidence);
/* the same, with the relative open-set distance (> 1: rejected; NaN without the open-set model) */
int sk_gesture_classify_open(const sk_real xy[42], int is_left, sk_real *confidence, sk_real *distance);
int sk_gesture_process_block(const sk_real *xy, const int *is_left, int n, int *labels, sk_real *confidence,
                             sk_real *distance);
/* a headset's hand tracking: the 21 (x, y) landmarks of one hand's 26 OpenXR XR_EXT_hand_tracking
 * joints (x, y, z each, XrHandJointEXT order; x and y in the head's view space), to classify as
 * above, as sensekit.gesture.openxr.from_openxr takes them */
void sk_gesture_from_openxr(const sk_real joints[78], sk_real xy[42]);

#endif
