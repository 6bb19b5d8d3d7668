/* sensekit static-gesture classifier (exported) - C99, libm only, stateless per frame.
 *   label = sk_gesture_classify(xy, is_left, &confidence);   // -1: unknown pose ("none")
 * xy: the 21 (x, y) hand landmarks, interleaved, in @INPUT@.
 * The confidence is the decoder's own (the LDA/MLP softmax); the Python classifier's
 * calibrated confidence and open-set rejection are not exported yet.
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
int sk_gesture_process_block(const sk_real *xy, const int *is_left, int n, int *labels, sk_real *confidence);

#endif
