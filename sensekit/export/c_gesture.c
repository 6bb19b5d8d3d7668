/* sensekit static-gesture classifier, exported by `sensekit export gesture` - C99, libm only.
 * Mirrors sensekit.gesture: keypoint normalisation (wrist-relative, max-abs), hand features
 * (palm-scaled, rotation-normalised coordinates; sin and cos of 19 joint angles; 9
 * distances), standardisation, decoder, rejection (-1 = none). */
#include "@HEADER@"
#include <math.h>

@TABLES@

static const int SK_FINGERS[5][5] = {{0, 1, 2, 3, 4}, {0, 5, 6, 7, 8}, {0, 9, 10, 11, 12}, {0, 13, 14, 15, 16},
                                     {0, 17, 18, 19, 20}};
static const int SK_TIPS[5] = {4, 8, 12, 16, 20};

static double sk_angle(double ux, double uy, double wx, double wy) {
    return atan2(ux * wy - uy * wx, ux * wx + uy * wy);
}

void sk_gesture_features(const sk_real in[42], int is_left, sk_real f[SK_N_COLUMNS]) {
    double p[21][2], m = 0, scale, ang, c, s, a[19];
    int i, k, fi, col = 0;
    for (i = 0; i < 21; ++i) {
        p[i][0] = (double)in[2 * i] - in[0];
        p[i][1] = (double)in[2 * i + 1] - in[1];
    }
    if (SK_INPUT_RAW) { /* the keypoint-CSV normalisation first */
        for (i = 0; i < 21; ++i) { if (fabs(p[i][0]) > m) m = fabs(p[i][0]); if (fabs(p[i][1]) > m) m = fabs(p[i][1]); }
        if (m > 0) for (i = 0; i < 21; ++i) { p[i][0] /= m; p[i][1] /= m; }
    }
    if (is_left) for (i = 0; i < 21; ++i) p[i][0] = -p[i][0];
    scale = sqrt(p[9][0] * p[9][0] + p[9][1] * p[9][1]);
    if (scale <= 0) scale = 1;
    for (i = 0; i < 21; ++i) { p[i][0] /= scale; p[i][1] /= scale; }
    ang = atan2(p[9][0], -p[9][1]);
    c = cos(ang); s = sin(ang);
    for (i = 0; i < 21; ++i) {
        double x = p[i][0], y = p[i][1];
        p[i][0] = c * x + s * y;
        p[i][1] = -s * x + c * y;
    }
    for (i = 0; i < 21; ++i) { f[col++] = (sk_real)p[i][0]; f[col++] = (sk_real)p[i][1]; }
    k = 0;
    for (fi = 0; fi < 5; ++fi) {
        const int *g = SK_FINGERS[fi];
        for (i = 0; i < 3; ++i) {
            a[k++] = sk_angle(p[g[i + 1]][0] - p[g[i]][0], p[g[i + 1]][1] - p[g[i]][1],
                              p[g[i + 2]][0] - p[g[i + 1]][0], p[g[i + 2]][1] - p[g[i + 1]][1]);
        }
    }
    for (fi = 0; fi < 4; ++fi) {
        const int *g = SK_FINGERS[fi], *h = SK_FINGERS[fi + 1];
        a[k++] = sk_angle(p[g[4]][0] - p[g[1]][0], p[g[4]][1] - p[g[1]][1], p[h[4]][0] - p[h[1]][0], p[h[4]][1] - p[h[1]][1]);
    }
    for (i = 0; i < 19; ++i) f[col++] = (sk_real)sin(a[i]);
    for (i = 0; i < 19; ++i) f[col++] = (sk_real)cos(a[i]);
    for (i = 0; i < 5; ++i) f[col++] = (sk_real)sqrt(p[SK_TIPS[i]][0] * p[SK_TIPS[i]][0] + p[SK_TIPS[i]][1] * p[SK_TIPS[i]][1]);
    for (i = 1; i < 5; ++i) {
        double dx = p[4][0] - p[SK_TIPS[i]][0], dy = p[4][1] - p[SK_TIPS[i]][1];
        f[col++] = (sk_real)sqrt(dx * dx + dy * dy);
    }
}

static void sk_softmax(sk_real *z, int n) {
    sk_real mx = z[0], sum = 0;
    int k;
    for (k = 1; k < n; ++k) if (z[k] > mx) mx = z[k];
    for (k = 0; k < n; ++k) { z[k] = (sk_real)exp(z[k] - mx); sum += z[k]; }
    for (k = 0; k < n; ++k) z[k] /= sum;
}

static void sk_decode(const sk_real *x, sk_real *p) {
@DECODE@
}

int sk_gesture_classify(const sk_real xy[42], int is_left, sk_real *confidence) {
    sk_real f[SK_N_COLUMNS], p[SK_N_CLASSES];
    int i, best = 0;
    sk_gesture_features(xy, is_left, f);
    for (i = 0; i < SK_N_COLUMNS; ++i) f[i] = (f[i] - SK_MEAN[i]) / SK_SCALE[i];
    sk_decode(f, p);
    for (i = 1; i < SK_N_CLASSES; ++i) if (p[i] > p[best]) best = i;
    if (confidence) *confidence = p[best];
    if (SK_REJECT_BELOW > 0 && p[best] < SK_REJECT_BELOW) return -1;
    return SK_CLASSES[best];
}

int sk_gesture_process_block(const sk_real *xy, const int *is_left, int n, int *labels, sk_real *confidence) {
    int i;
    for (i = 0; i < n; ++i) labels[i] = sk_gesture_classify(xy + 42 * i, is_left ? is_left[i] : 0, confidence + i);
    return n;
}
