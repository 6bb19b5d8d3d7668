/* sensekit online saccade detector (exported): the same arithmetic as the Python stage
 * sensekit.eyetrack.online.OnlineSaccades, sample by sample. */
#include "@HEADER@"
#include <math.h>
#include <string.h>

@TABLES@

#define SK_NOISE_N_MAX 1000000000000ULL /* past 1 / SK_ALPHA samples the count no longer matters */

static double pymax(double a, double b) { return b > a ? b : a; } /* Python's max(a, b) */
static double pymin(double a, double b) { return b < a ? b : a; }

void sk_saccades_reset(sk_saccades_state *s) {
    int i;
    memset(s, 0, sizeof(*s));
    for (i = 0; i < SK_MAX_LAG; ++i) s->hist_x[i] = s->hist_y[i] = NAN;
    s->lag = SK_LAG0;
    s->noise = s->burst = NAN;
    s->t_offset = -INFINITY;
}

void sk_saccades_init(sk_saccades_state *s) { sk_saccades_reset(s); }

static double amplitude_of(double peak_speed) { /* the main sequence, read backwards (bounded) */
    double ratio = peak_speed / SK_VMAX;
    ratio = ratio < 0.0 ? 0.0 : (ratio > 0.95 ? 0.95 : ratio);
    return -SK_C * log1p(-ratio);
}

static void landing(const sk_saccades_state *s, double x, double y, double speed, double *lx, double *ly) {
    double scale = exp(s->log_scale), peak = s->peak / scale, now = speed / scale;
    double dx = x - s->onset_x, dy = y - s->onset_y, covered = hypot(dx, dy), amplitude;
    if (covered == 0.0 || covered != covered) { *lx = x; *ly = y; return; }
    if (now < peak) { /* decelerating: a raised-cosine profile tells how far it has left to go */
        double at_peak = hypot(s->peak_x - s->onset_x, s->peak_y - s->onset_y);
        double ratio = pymax(now / peak, 0.0), u = acos(2 * ratio - 1);
        double done = (u + sin(u)) / SK_PI;
        amplitude = covered + (1 - done) * (at_peak * (1 - done) + pymax(covered - at_peak, 0.0));
        if (ratio >= SK_DECELERATION_HOLD) amplitude = pymax(amplitude, 2 * at_peak);
    }
    else amplitude = pymax(amplitude_of(peak), 2 * covered);
    amplitude = pymax(amplitude, covered);
    *lx = s->onset_x + dx / covered * amplitude;
    *ly = s->onset_y + dy / covered * amplitude;
}

static void learn(sk_saccades_state *s, double amplitude) {
    double expected = (-SK_VMAX) * expm1((-amplitude) / SK_C), ratio, weight;
    if (amplitude < 1.0 || !(s->peak > 0) || !(expected > 0)) return;
    ratio = pymin(pymax(log(s->peak / expected), -SK_MAX_LOG_SCALE), SK_MAX_LOG_SCALE);
    s->learned += 1;
    weight = pymax(1.0 / (double)(s->learned + 1), 1.0 / SK_LEARN);
    s->log_scale += weight * (ratio - s->log_scale);
}

static void widen(sk_saccades_state *s) { /* a noisy tracker: average the speed over more samples */
    double level = SK_BETA != 0.0 ? pymax(s->noise, s->burst) : s->noise;
    int lag = s->lag;
    while (lag < SK_MAX_LAG && SK_K * level * s->lag / lag > SK_TARGET) lag += 1;
    if (lag != s->lag) {
        s->noise *= (double)s->lag / lag;
        s->burst *= (double)s->lag / lag;
        s->lag = lag;
    }
}

static void emit(sk_saccade_event *e, int code, double t, double delay, double x, double y, double lx, double ly) {
    e->code = code; e->t = t; e->delay = delay; e->x = x; e->y = y; e->landing_x = lx; e->landing_y = ly;
}

int sk_saccades_process_block(sk_saccades_state *s, const double *gaze, int n, double t0, sk_saccade_event *out,
                              int max_out) {
    int i, k = 0;
    if (n <= 0) return 0;
    if (max_out < SK_MAX_EVENTS(n)) return -SK_MAX_EVENTS(n);
    if (!s->started) { s->started = 1; s->t_first = t0; }
    for (i = 0; i < n; ++i) {
        double x = gaze[2 * i], y = gaze[2 * i + 1], t = s->t_first + (double)s->n / SK_RATE_HZ;
        double px, py, qx, qy, speed, step_size, last, noise, burst, threshold, lx, ly;
        s->n += 1;
        if (x != x || y != y) { /* lost: a blink */
            int j;
            if (!s->blink) {
                s->blink = 1; s->in_saccade = 0; s->run = 0;
                emit(&out[k++], 3, t, 0.0, x, y, NAN, NAN);
            }
            for (j = 0; j < SK_MAX_LAG; ++j) s->hist_x[j] = s->hist_y[j] = NAN;
            continue;
        }
        if (s->blink) { s->blink = 0; emit(&out[k++], 4, t, 0.0, x, y, NAN, NAN); }
        px = s->hist_x[(s->hist_pos + SK_MAX_LAG - s->lag) % SK_MAX_LAG];
        py = s->hist_y[(s->hist_pos + SK_MAX_LAG - s->lag) % SK_MAX_LAG];
        qx = s->hist_x[(s->hist_pos + SK_MAX_LAG - 1) % SK_MAX_LAG]; qy = s->hist_y[(s->hist_pos + SK_MAX_LAG - 1) % SK_MAX_LAG];
        s->hist_x[s->hist_pos] = x; s->hist_y[s->hist_pos] = y;
        s->hist_pos = (s->hist_pos + 1) % SK_MAX_LAG;
        if (px != px) continue;
        speed = hypot(x - px, y - py) * SK_RATE_HZ / s->lag;
        step_size = hypot(x - qx, y - qy);
        last = s->last_step; s->last_step = step_size;
        noise = s->noise;
        if (noise != noise) s->noise = s->burst = noise = pymax(speed, 1.0);
        burst = s->burst;
        threshold = pymax(SK_FLOOR, SK_K * (SK_BETA != 0.0 ? pymax(noise, burst) : noise));
        if (!s->in_saccade) {
            double sx = x - px, sy = y - py;
            if (s->noise_n < SK_NOISE_N_MAX) s->noise_n += 1;
            s->noise = noise + pymax(SK_ALPHA, 1.0 / (double)s->noise_n) * (pymin(speed, 2 * noise) - noise);
            if (SK_BETA != 0.0) s->burst = burst + SK_BETA * (pymin(speed, 2 * burst) - burst);
            if (s->noise_n == SK_SPAN && SK_MAX_LAG > s->lag) widen(s);
            if (speed > threshold && s->run && SK_COHERENT && sx * s->step_x + sy * s->step_y <= 0) s->run = 0;
            if (speed > threshold && t - s->t_offset < SK_REFRACTORY) s->run = 0;
            else if (speed > threshold) {
                int slowing;
                if (s->run == 0) { s->run_t = t - (double)s->lag / SK_RATE_HZ; s->run_x = px; s->run_y = py; }
                s->step_x = sx; s->step_y = sy;
                s->run += 1;
                slowing = SK_RISING && s->run == SK_CONFIRM && SK_CONFIRM == 2 && step_size < last;
                if (s->run >= SK_CONFIRM && !slowing) {
                    s->in_saccade = 1; s->run = 0; s->peak = speed; s->peak_x = x; s->peak_y = y;
                    s->onset_t = s->run_t; s->onset_x = s->run_x; s->onset_y = s->run_y;
                    landing(s, x, y, speed, &lx, &ly);
                    emit(&out[k++], 1, s->onset_t, t - s->onset_t, s->onset_x, s->onset_y, lx, ly);
                }
            } else s->run = 0;
        } else {
            if (speed > s->peak) { s->peak = speed; s->peak_x = x; s->peak_y = y; }
            if (speed < threshold / 2) {
                if (s->run == 0) { s->run_t = t; s->run_x = x; s->run_y = y; }
                s->run += 1;
                if (s->run >= SK_CONFIRM) {
                    s->in_saccade = 0; s->run = 0;
                    emit(&out[k++], 2, s->run_t, t - s->run_t, s->run_x, s->run_y, s->run_x, s->run_y);
                    s->t_offset = s->run_t;
                    if (SK_LEARN > 0) learn(s, hypot(s->run_x - s->onset_x, s->run_y - s->onset_y));
                }
            } else {
                s->run = 0;
                landing(s, x, y, speed, &lx, &ly);
                emit(&out[k++], 5, t, 0.0, x, y, lx, ly);
            }
        }
    }
    return k;
}

/* A headset's gaze direction -> azimuth and elevation (deg): sensekit.eyetrack.directions. */
void sk_direction_reset(sk_direction_state *d) { d->forward = 0.0; d->last = NAN; d->turns = 0.0; }

static int unit(const double *v, double *u) { /* 1 and v / |v|, or 0 where v is zero or not a number */
    double norm = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    if (!(norm > 0.0) || norm == INFINITY) return 0;
    u[0] = v[0] / norm; u[1] = v[1] / norm; u[2] = v[2] / norm;
    return 1;
}

void sk_direction_degrees(sk_direction_state *d, const double *dirs, int n, int eyes, double *gaze) {
    int i, k = eyes == 2 ? 6 : 3;
    for (i = 0; i < n; ++i) {
        const double *v = dirs + (long)k * i;
        double u[3], w[3], x, y, z, az;
        int seen = unit(v, u);
        if (k == 6) { /* the eyes' mean direction, or the eye seen */
            double sum[3] = {0.0, 0.0, 0.0};
            int j;
            if (seen) for (j = 0; j < 3; ++j) sum[j] += u[j];
            if (unit(v + 3, w)) for (j = 0; j < 3; ++j) sum[j] += w[j];
            seen = unit(sum, u);
        }
        if (!seen) { gaze[2 * i] = gaze[2 * i + 1] = NAN; continue; }
        if (d->forward == 0.0) d->forward = u[2] < 0 ? -1.0 : 1.0;
        x = u[0]; y = u[1]; z = u[2] * d->forward;
        az = atan2(x, z) * (180.0 / SK_PI);
        if (d->last == d->last) d->turns -= nearbyint((az - d->last) / 360.0); /* (half to even, as numpy) */
        d->last = az;
        gaze[2 * i] = az + 360.0 * d->turns;
        gaze[2 * i + 1] = atan2(y, hypot(x, z)) * (180.0 / SK_PI);
    }
}
