/* sensekit online saccade detector (exported) - C99, no dynamic allocation, libm only.
 *
 *   sk_saccades_state st;        // all the state there is (sizeof: a few hundred bytes)
 *   sk_saccades_init(&st);
 *   n = sk_saccades_process_block(&st, gaze, n_samples, t0, events, max_events);
 *   sk_saccades_reset(&st);      // forget the stream (the parameters are compiled in)
 *
 * gaze: n_samples x 2 interleaved values (x, y) in degrees at @RATE@ Hz; NaN for a lost sample
 * (a blink). t0: the time (s) of the block's first sample; only the first sample after a reset
 * uses it, later times are counted in samples, so the output does not depend on the block
 * size (zero included). A block gives at most SK_MAX_EVENTS(n_samples) events; if max_events
 * is smaller, the block is refused whole (the state is unchanged) and the return value is minus
 * the number it may need.
 *
 * Each event: code (1 onset, 2 offset, 3 blink start, 4 blink end, 5 landing update), the time
 * of the event (s; an onset is stamped where the movement began), the detection delay (s), the
 * gaze there (deg) and the predicted landing point (deg; NaN for blinks). The sample counter
 * is 64-bit: no overflow in any uptime.
 * Parameters: @PARAMS@
 */
#ifndef @GUARD@
#define @GUARD@

#include <stdint.h>

#define SK_RATE_HZ @RATE@
#define SK_LAG0 @LAG0@            /* samples the speed spans at first */
#define SK_MAX_LAG @MAX_LAG@         /* the most it may span: widened once for a noisy tracker */
#define SK_SPAN @SPAN@            /* samples of the noise level's start-up, after which the span is chosen */
#define SK_CONFIRM @CONFIRM@         /* samples over (under) the threshold that make an onset (offset) */
#define SK_MAX_EVENTS(n) (2 * (n))

typedef struct {
    double hist_x[SK_MAX_LAG], hist_y[SK_MAX_LAG]; /* the last SK_MAX_LAG samples, oldest at hist_pos */
    int hist_pos, lag;            /* lag: the samples the speed spans now */
    double noise, burst;          /* the noise levels (deg/s) */
    uint64_t noise_n;             /* samples the noise level has averaged (saturates) */
    int in_saccade, blink, run;
    double run_t, run_x, run_y;   /* first sample of the current run */
    double step_x, step_y;        /* the last movement over the threshold */
    double onset_t, onset_x, onset_y;
    double peak, peak_x, peak_y;  /* the saccade's peak speed so far, and where */
    uint64_t n;                   /* samples since reset */
    int started;
    double t_first, t_offset, last_step;
    double log_scale;             /* the session's saccade speed over the main sequence's (log) */
    uint64_t learned;
} sk_saccades_state;

typedef struct {
    int code;
    double t, delay, x, y, landing_x, landing_y;
} sk_saccade_event;

/* A headset's gaze as a direction (x, y, z in its frame: Varjo's gaze_forward, Tobii XR's GazeRay
 * direction...) -> azimuth and elevation in degrees, what sk_saccades_process_block takes, as
 * sensekit.eyetrack.directions does it: atan2(x, +-z) (z ahead, or -z: the first sample seen
 * tells), atan2(y, hypot(x, z)), the azimuth kept continuous past straight behind, NaN for a zero
 * or non-number vector. dirs: n x 3 (eyes 1) or n x 6 (eyes 2: left, right; their mean); gaze: n x 2. */
typedef struct {
    double forward, last, turns;
} sk_direction_state;

void sk_direction_reset(sk_direction_state *d);
void sk_direction_degrees(sk_direction_state *d, const double *dirs, int n, int eyes, double *gaze);

void sk_saccades_init(sk_saccades_state *s);
void sk_saccades_reset(sk_saccades_state *s);
int sk_saccades_process_block(sk_saccades_state *s, const double *gaze, int n, double t0, sk_saccade_event *out,
                              int max_out);

#endif
