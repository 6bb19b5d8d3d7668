/* sensekit EMG decoder (exported) - C99, no dynamic allocation, libm only.
 *
 *   sk_emg_state st;            // SK_STATE_BYTES bytes, all the state there is
 *   sk_emg_init(&st);
 *   n = sk_emg_process_block(&st, samples, n_samples, decisions, max_decisions);
 *   sk_emg_reset(&st);          // forget the stream (not the calibration)
 *
 * A block yields at most SK_MAX_DECISIONS(n_samples) decisions. If max_decisions is smaller
 * than the block needs, the block is refused whole (nothing is consumed, the state is
 * unchanged) and the return value is minus the number of decisions it needs.
 * No counter can overflow: indices are modular and the sample count is 64-bit.
 *
 * samples: n_samples x SK_N_CH interleaved values in the calibration's unit (@UNIT@),
 * at @RATE@ Hz. Each decision: label (class index, -1 = no motion), confidence, velocity.
 * Any block size works, zero included; the output does not depend on it.
 * Classes: @CLASSES@
 */
#ifndef @GUARD@
#define @GUARD@

#include <stdint.h>

#ifdef SK_DOUBLE
typedef double sk_real;
#else
typedef float sk_real;
#endif

#define SK_N_CH @N_CH@
#define SK_RATE_HZ @RATE@
#define SK_WIN @WIN@
#define SK_HOP @HOP@
#define SK_N_SOS @N_SOS@
#define SK_N_CLASSES @N_CLASSES@
#define SK_N_COLUMNS @N_COLUMNS@
#define SK_VOTE @VOTE@
/* the most decisions a block of n samples can give */
#define SK_MAX_DECISIONS(n) ((n) / SK_HOP + 1)

typedef struct {
    sk_real zi[SK_N_SOS > 0 ? SK_N_SOS : 1][SK_N_CH][2];
    sk_real ring[2 * SK_WIN][SK_N_CH]; /* each sample twice: the window is always contiguous */
    uint64_t n_seen;   /* samples seen since reset (sample_index of decisions) */
    int ring_pos;      /* next slot to write (0..SK_WIN-1) = the window's oldest sample once full */
    int countdown;     /* samples until the next decision */
    int vote_hist[SK_VOTE];
    int vote_len;
    int vote_pos;
} sk_emg_state;

typedef struct {
    int label;
    sk_real confidence;
    sk_real velocity;
    uint64_t sample_index; /* input sample (from 0) that completed the window */
} sk_emg_decision;

void sk_emg_init(sk_emg_state *s);
void sk_emg_reset(sk_emg_state *s);
int sk_emg_process_block(sk_emg_state *s, const sk_real *x, int n, sk_emg_decision *out, int max_out);

#endif
