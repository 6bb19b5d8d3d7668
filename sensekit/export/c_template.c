/* sensekit EMG decoder, exported by `sensekit export emg` - C99, no allocation, libm only.
 * Generated from: @SOURCE@
 * Mirrors the Python chain: signal check (NaN -> 0), IIR filters (second-order sections,
 * transposed direct form II as scipy.signal.sosfilt), windows of SK_WIN samples every
 * SK_HOP, features, standardisation, decoder, rejection, majority vote, velocity. */
#include "@HEADER@"
#include <math.h>
#include <string.h>

@TABLES@

void sk_emg_reset(sk_emg_state *s) {
    memset(s, 0, sizeof(*s));
    s->countdown = SK_WIN;
}

void sk_emg_init(sk_emg_state *s) {
    sk_emg_reset(s);
}

static sk_real sk_filter(sk_emg_state *s, int ch, sk_real x) {
    int k;
    for (k = 0; k < SK_N_SOS; ++k) {
        const sk_real *c = SK_SOS[k];
        sk_real y = c[0] * x + s->zi[k][ch][0];
        s->zi[k][ch][0] = c[1] * x - c[4] * y + s->zi[k][ch][1];
        s->zi[k][ch][1] = c[2] * x - c[5] * y;
        x = y;
    }
    return x;
}

/* sample i (oldest first) of the window, channel c: the ring holds every sample twice (at
 * pos and pos + SK_WIN), so the last SK_WIN samples are always contiguous and are read in
 * place - the decision puts no copy of the window on the stack */
#define SK_AT(i, c) ((double)w[i][c])

/* one window (oldest first) -> feature vector, feature-major */
static void sk_features(const sk_real w[SK_WIN][SK_N_CH], sk_real *f, sk_real *mav_mean) {
    int c, i, col = 0;
    double mav_sum = 0.0;
    for (int fi = 0; fi < SK_N_FEATURES; ++fi) {
        const int kind = SK_FEATURES[fi];
        for (c = 0; c < SK_N_CH; ++c) {
            double acc = 0.0, acc2 = 0.0, v = 0.0;
            switch (kind) {
            case SK_F_MAV: case SK_F_IAV:
                for (i = 0; i < SK_WIN; ++i) acc += fabs(SK_AT(i, c));
                v = kind == SK_F_MAV ? acc / SK_WIN : acc;
                if (kind == SK_F_MAV) mav_sum += v;
                break;
            case SK_F_RMS: case SK_F_ACT:
                for (i = 0; i < SK_WIN; ++i) acc += SK_AT(i, c) * SK_AT(i, c);
                v = kind == SK_F_RMS ? sqrt(acc / SK_WIN) : acc / SK_WIN;
                break;
            case SK_F_VAR: case SK_F_LOGVAR:
                for (i = 0; i < SK_WIN; ++i) acc += SK_AT(i, c);
                acc /= SK_WIN;
                for (i = 0; i < SK_WIN; ++i) acc2 += (SK_AT(i, c) - acc) * (SK_AT(i, c) - acc);
                v = acc2 / SK_WIN;
                if (kind == SK_F_LOGVAR) v = log(v + 2.220446049250313e-16);
                break;
            case SK_F_WL: case SK_F_MFL:
                for (i = 1; i < SK_WIN; ++i) acc += fabs(SK_AT(i, c) - SK_AT(i - 1, c));
                v = kind == SK_F_WL ? acc : log10(acc);
                break;
            case SK_F_DASDV: case SK_F_MOB:
                for (i = 1; i < SK_WIN; ++i) { double d = SK_AT(i, c) - SK_AT(i - 1, c); acc += d * d; }
                if (kind == SK_F_DASDV) { v = sqrt(acc / (SK_WIN - 1)); break; }
                for (i = 0; i < SK_WIN; ++i) acc2 += SK_AT(i, c) * SK_AT(i, c);
                v = sqrt((acc / SK_WIN) / (acc2 / SK_WIN));
                break;
            case SK_F_ZC:
                for (i = 1; i < SK_WIN; ++i) {
                    double a = SK_AT(i - 1, c), b = SK_AT(i, c);
                    if (a * b < 0 && (SK_ZC_THRESHOLD <= 0 || fabs(a - b) >= SK_ZC_THRESHOLD)) v += 1;
                }
                break;
            case SK_F_SSC:
                for (i = 1; i < SK_WIN - 1; ++i) {
                    double p = (SK_AT(i, c) - SK_AT(i - 1, c)) * -(SK_AT(i + 1, c) - SK_AT(i, c));
                    if (SK_LIBEMG_SSC ? p >= SK_SSC_THRESHOLD : p > SK_SSC_THRESHOLD) v += 1;
                }
                break;
            case SK_F_WAMP:
                for (i = 1; i < SK_WIN; ++i) if (fabs(SK_AT(i, c) - SK_AT(i - 1, c)) > SK_WAMP_THRESHOLD) v += 1;
                break;
            case SK_F_LD:
                for (i = 0; i < SK_WIN; ++i) acc += log(fabs(SK_AT(i, c)) + 1.0);
                v = exp(acc / SK_WIN);
                break;
            }
            f[col++] = (sk_real)v;
        }
    }
    if (SK_MAV_FEATURE >= 0) {
        *mav_mean = (sk_real)(mav_sum / SK_N_CH);
    } else {
        double a = 0.0;
        for (i = 0; i < SK_WIN; ++i) for (c = 0; c < SK_N_CH; ++c) a += fabs(SK_AT(i, c));
        *mav_mean = (sk_real)(a / (SK_WIN * SK_N_CH));
    }
}

static void sk_softmax(sk_real *z, int n) {
    sk_real m = z[0], sum = 0;
    int k;
    for (k = 1; k < n; ++k) if (z[k] > m) m = z[k];
    for (k = 0; k < n; ++k) { z[k] = (sk_real)exp(z[k] - m); sum += z[k]; }
    for (k = 0; k < n; ++k) z[k] /= sum;
}

/* standardised features -> class scores (probabilities) */
static void sk_decode(const sk_real *x, sk_real *p) {
@DECODE@
}

static int sk_vote(sk_emg_state *s, int label) {
    int i, j, best = label, best_count = -1;
    if (SK_VOTE <= 1) return label;
    s->vote_hist[s->vote_pos] = label;
    s->vote_pos = (s->vote_pos + 1) % SK_VOTE;
    if (s->vote_len < SK_VOTE) s->vote_len++;
    /* most frequent of the last SK_VOTE labels; ties go to the most recent */
    for (i = 0; i < s->vote_len; ++i) {
        int idx = (s->vote_pos - 1 - i + 2 * SK_VOTE) % SK_VOTE, lab = s->vote_hist[idx], count = 0;
        for (j = 0; j < s->vote_len; ++j) if (s->vote_hist[j] == lab) count++;
        if (count > best_count) { best_count = count; best = lab; }
    }
    return best;
}

static void sk_decide(sk_emg_state *s, sk_emg_decision *out) {
    sk_real f[SK_N_COLUMNS], p[SK_N_CLASSES], mav;
    int i, best = 0, label;
    sk_features((const sk_real (*)[SK_N_CH])s->ring[s->ring_pos], f, &mav);
    for (i = 0; i < SK_N_COLUMNS; ++i) f[i] = (f[i] - SK_MEAN[i]) / SK_SCALE[i];
    sk_decode(f, p);
    for (i = 1; i < SK_N_CLASSES; ++i) if (p[i] > p[best]) best = i;
    label = SK_CLASSES[best];
    if (SK_REJECT_BELOW > 0 && p[best] < SK_REJECT_BELOW) label = -1;
    label = sk_vote(s, label);
    out->label = label;
    out->confidence = p[best];
    {
        int idx = label < 0 ? 0 : (label >= SK_N_LEVELS ? SK_N_LEVELS - 1 : label);
        sk_real span = SK_LEVELS[idx] - SK_REST_LEVEL;
        sk_real v = (mav - SK_REST_LEVEL) / (span > (sk_real)1e-12 ? span : (sk_real)1e-12);
        v = v < 0 ? 0 : (v > 1 ? 1 : v);
        out->velocity = (label <= 0) ? 0 : v;
    }
    out->sample_index = s->n_seen - 1;
}

int sk_emg_process_block(sk_emg_state *s, const sk_real *x, int n, sk_emg_decision *out, int max_out) {
    int i, c, made = 0, needed;
    if (n <= 0) return 0;
    needed = n < s->countdown ? 0 : 1 + (n - s->countdown) / SK_HOP;
    if (needed > max_out) return -needed; /* refused whole: the state is unchanged */
    for (i = 0; i < n; ++i) {
        sk_real *slot = s->ring[s->ring_pos], *twin = s->ring[s->ring_pos + SK_WIN];
        for (c = 0; c < SK_N_CH; ++c) {
            sk_real v = x[(long)i * SK_N_CH + c];
            if (!isfinite(v)) v = 0;
            slot[c] = twin[c] = sk_filter(s, c, v);
        }
        s->ring_pos = s->ring_pos + 1 == SK_WIN ? 0 : s->ring_pos + 1;
        s->n_seen++;
        if (--s->countdown == 0) {
            sk_decide(s, &out[made++]);
            s->countdown = SK_HOP;
        }
    }
    return made;
}
