/* sensekit static-gesture classifier, exported by `sensekit export gesture` - C99, libm only.
 * Mirrors sensekit.gesture: keypoint normalisation (wrist-relative, max-abs), hand features
 * (palm-scaled, rotation-normalised coordinates; sin and cos of 19 joint angles; 9
 * distances), standardisation, decoder, the calibrated confidence, open-set rejection (the
 * distance to the nearest class mean and to the nearest calibration pose of the chosen class),
 * rejection (-1 = none). */
#include "@HEADER@"
#include <math.h>
#include <stddef.h>

@TABLES@

static const int SK_FINGERS[5][5] = {{0, 1, 2, 3, 4}, {0, 5, 6, 7, 8}, {0, 9, 10, 11, 12}, {0, 13, 14, 15, 16},
                                     {0, 17, 18, 19, 20}};
static const int SK_TIPS[5] = {4, 8, 12, 16, 20};

static double sk_angle(double ux, double uy, double wx, double wy) {
    double cross = ux * wy - uy * wx, dot = ux * wx + uy * wy;
    return hypot(cross, dot) > SK_ZERO_BONES ? atan2(cross, dot) : 0.0; /* a bone of no length: 0 */
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

/* the decoder's real-valued class scores (the softmax of which is its own probability) */
static void sk_logits(const sk_real *x, sk_real *p) {
@DECODE@
}

#if SK_OPENSET
/* relative Mahalanobis distance of standardised features to the nearest class mean */
static double sk_mean_distance(const sk_real *f) {
    double w[SK_N_COLUMNS], ww = 0, best = INFINITY;
    int i, j, k;
    for (j = 0; j < SK_N_COLUMNS; ++j) {
        double z = 0;
        for (i = 0; i < SK_N_COLUMNS; ++i) z += (double)SK_OPEN_WHITEN[j][i] * f[i];
        w[j] = z; ww += z * z;
    }
    for (k = 0; k < SK_N_CLASSES; ++k) {
        double d2 = ww + SK_OPEN_WM_SQ[k];
        for (j = 0; j < SK_N_COLUMNS; ++j) d2 -= 2 * w[j] * SK_OPEN_WM[k][j];
        if (d2 < best) best = d2;
    }
    return sqrt(best > 0 ? best : 0) / SK_OPEN_THRESHOLD;
}
#endif

#if SK_NEAR
static double sk_cosine(const sk_real xy[42], int a, int b, int c, int d) { /* of the vectors a->b and c->d */
    double ux = (double)xy[2 * b] - xy[2 * a], uy = (double)xy[2 * b + 1] - xy[2 * a + 1];
    double vx = (double)xy[2 * d] - xy[2 * c], vy = (double)xy[2 * d + 1] - xy[2 * c + 1];
    return (ux * vx + uy * vy) / sqrt((ux * ux + uy * uy) * (vx * vx + vy * vy));
}

/* relative distance of the hand's finger signature to the nearest calibration pose of class
 * `label` (infinite for a hand of zero size or a class without poses) */
static double sk_pose_distance(const sk_real xy[42], int label) {
    double n[SK_N_SIG_PAIRS], z[SK_N_SIGNATURE_FULL], zz = 0, best = INFINITY;
    int i, j, k, found = 0;
    for (i = 0; i < SK_N_SIG_PAIRS; ++i) {
        double dx = (double)xy[2 * SK_SIG_PAIRS[i][0]] - xy[2 * SK_SIG_PAIRS[i][1]];
        double dy = (double)xy[2 * SK_SIG_PAIRS[i][0] + 1] - xy[2 * SK_SIG_PAIRS[i][1] + 1];
        n[i] = sqrt(dx * dx + dy * dy);
    }
    for (i = 0; i < 5; ++i) z[i] = n[i] / n[5 + i];
    for (i = 10; i < SK_N_SIG_PAIRS; ++i) z[i - 5] = n[i] / n[7];
    z[SK_N_SIG_PAIRS - 5] = sk_cosine(xy, 2, 4, 0, 9);  /* where the thumb points: along the palm, */
    z[SK_N_SIG_PAIRS - 4] = fabs(sk_cosine(xy, 2, 4, 17, 5));  /* across it, */
    z[SK_N_SIG_PAIRS - 3] = sk_cosine(xy, 2, 3, 3, 4);  /* and its last joint's bend */
    for (k = 0; k < SK_N_NEAR_CLASSES && SK_NEAR_CLASSES[k] != label; ++k) {}
    if (k == SK_N_NEAR_CLASSES) return INFINITY;
    for (i = 0; i < SK_N_SIGNATURE; ++i) {  /* (a calibration of an earlier release: its first columns) */
        z[i] = (z[i] - SK_NEAR_MEAN[i]) * (1.0 / SK_NEAR_SCALE[i]) * SK_NEAR_INV[k][i];  /* in the class's spread */
        if (!isfinite(z[i])) return INFINITY;
        zz += z[i] * z[i];
    }
    for (j = 0; j < SK_N_NEAR; ++j) {
        double d2 = zz + SK_NEAR_SQ[j];
        if (SK_NEAR_LABELS[j] != label) continue;
        found = 1;
        for (i = 0; i < SK_N_SIGNATURE; ++i) d2 -= 2 * z[i] * SK_NEAR_ROWS[j][i];
        if (d2 < best) best = d2;
    }
    return found ? sqrt(best > 0 ? best : 0) / SK_NEAR_UNIT : INFINITY;
}
#endif

int sk_gesture_classify_open(const sk_real xy[42], int is_left, sk_real *confidence, sk_real *distance) {
    sk_real f[SK_N_COLUMNS], p[SK_N_CLASSES], own[SK_N_CLASSES];
    int i, best = 0, ok = 1, label;
    double dist = NAN, conf;
    sk_gesture_features(xy, is_left, f);
    for (i = 0; i < SK_N_COLUMNS; ++i) {
        f[i] = (f[i] - SK_MEAN[i]) / SK_SCALE[i];
        if (!isfinite(f[i])) ok = 0;
    }
    if (!ok) for (i = 0; i < SK_N_COLUMNS; ++i) f[i] = 0; /* a hand with missing landmarks: none */
    sk_logits(f, p);
    for (i = 0; i < SK_N_CLASSES; ++i) own[i] = p[i];
    sk_softmax(own, SK_N_CLASSES);
    for (i = 1; i < SK_N_CLASSES; ++i) if (own[i] > own[best]) best = i;
    conf = own[best];
    label = SK_CLASSES[best];
#if SK_OPENSET
    for (i = 0; i < SK_N_CLASSES; ++i) p[i] = (sk_real)(p[i] / SK_TEMPERATURE); /* the calibrated probability */
    sk_softmax(p, SK_N_CLASSES);
    conf = p[best];
    dist = sk_mean_distance(f);
#if SK_NEAR
    {
        double near = sk_pose_distance(xy, label);
        dist = near > dist ? near : dist;
    }
#endif
#endif
    if (!ok) { conf = 0; label = -1; }
    if (SK_REJECT_BELOW > 0 && conf < SK_REJECT_BELOW) label = -1;
    if (dist > 1.0) label = -1;
    for (i = 0; i < SK_N_OTHER; ++i) if (label == SK_OTHER[i]) label = -1; /* "other poses": do nothing */
    if (confidence) *confidence = (sk_real)conf;
    if (distance) *distance = (sk_real)dist;
    return label;
}

int sk_gesture_classify(const sk_real xy[42], int is_left, sk_real *confidence) {
    return sk_gesture_classify_open(xy, is_left, confidence, NULL);
}

int sk_gesture_process_block(const sk_real *xy, const int *is_left, int n, int *labels, sk_real *confidence,
                             sk_real *distance) {
    int i;
    for (i = 0; i < n; ++i)
        labels[i] = sk_gesture_classify_open(xy + 42 * i, is_left ? is_left[i] : 0, confidence ? confidence + i : NULL,
                                             distance ? distance + i : NULL);
    return n;
}

void sk_gesture_from_openxr(const sk_real joints[78], sk_real xy[42]) {
    int i;
    for (i = 0; i < 21; ++i) {
        xy[2 * i] = joints[3 * SK_MEDIAPIPE_FROM_OPENXR[i]];
        xy[2 * i + 1] = joints[3 * SK_MEDIAPIPE_FROM_OPENXR[i] + 1];
    }
}
