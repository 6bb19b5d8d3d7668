/* Golden-vector checker for the exported gesture classifier:
 *   ./check golden.bin [label_mismatch_fraction] [confidence_tolerance] [timing_repeats]
 * Each golden row: label, confidence, relative open-set distance (compared relative to its
 * size; infinite where infinite, NaN where NaN). */
#include "@HEADER@"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned rd32(FILE *f) {
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4) exit(3);
    return b[0] | b[1] << 8 | b[2] << 16 | (unsigned)b[3] << 24;
}
static double rdf(FILE *f) { double v; if (fread(&v, 8, 1, f) != 1) exit(3); return v; }

int main(int argc, char **argv) {
    FILE *f = fopen(argc > 1 ? argv[1] : "golden.bin", "rb");
    double max_bad = argc > 2 ? atof(argv[2]) : 0.0, tol = argc > 3 ? atof(argv[3]) : 1e-4, max_conf = 0, max_dist = 0;
    int repeats = argc > 4 ? atoi(argv[4]) : 0, r;
    char magic[4];
    unsigned ch, outs, nb, b, i, j, rows = 0, bad = 0;
    static sk_real xy[42 * 4096], all[42 * 65536];
    static int labels[4096];
    static sk_real conf[4096], dist[4096];
    unsigned n_all = 0;
    if (!f || fread(magic, 1, 4, f) != 4 || memcmp(magic, "SKGV", 4)) { fprintf(stderr, "not a golden file\n"); return 2; }
    rd32(f); ch = rd32(f); outs = rd32(f); nb = rd32(f);
    if (ch != 42 || outs != 3) { fprintf(stderr, "golden file is not for the gesture classifier\n"); return 2; }
    for (b = 0; b < nb; ++b) {
        unsigned n = rd32(f), m;
        for (i = 0; i < n * 42; ++i) { xy[i] = (sk_real)rdf(f); if (n_all * 42 + i < 42 * 65536) all[n_all * 42 + i] = xy[i]; }
        if (n > 4096) { fprintf(stderr, "block %u has %u frames (at most 4096)\n", b, n); return 2; }
        sk_gesture_process_block(xy, NULL, (int)n, labels, conf, dist);
        m = rd32(f);
        for (j = 0; j < m; ++j) {
            double lab = rdf(f), c = rdf(f), d = rdf(f), dd;
            if ((double)labels[j] != lab) { bad++; continue; }
            if (fabs(conf[j] - c) > max_conf) max_conf = fabs(conf[j] - c);
            if (d != d || dist[j] != dist[j]) dd = (d != d && dist[j] != dist[j]) ? 0 : INFINITY;
            else if (isinf(d) || isinf(dist[j])) dd = (d == dist[j]) ? 0 : INFINITY;
            else dd = fabs(dist[j] - d) / (fabs(d) > 1 ? fabs(d) : 1);
            if (dd > max_dist) max_dist = dd;
        }
        rows += m;
        n_all += n;
    }
    printf("frames %u, label mismatches %u, max |confidence diff| %.3g, max relative distance diff %.3g\n", rows, bad,
           max_conf, max_dist);
    if (repeats > 0) {
        clock_t t0 = clock();
        unsigned n = n_all < 65536 ? n_all : 65536;
        for (r = 0; r < repeats; ++r)
            for (i = 0; i < n; ++i) labels[i % 4096] = sk_gesture_classify(all + 42 * i, 0, conf + i % 4096);
        printf("time per frame %.3f us\n", 1e6 * (double)(clock() - t0) / CLOCKS_PER_SEC / repeats / n);
    }
    return (bad > max_bad * rows || max_conf > tol || max_dist > tol) ? 1 : 0;
}
