/* Golden-vector checker and timer for the exported saccade detector.
 *   cc -std=c99 -O2 sensekit_saccades.c sensekit_saccades_check.c -lm -o check
 *   ./check golden.bin [value_tolerance] [timing_repeats]
 * Every event's code must match; its numbers within the tolerance (NaN where NaN). Prints the
 * largest difference and the time per sample; exit 1 on a mismatch. Golden gaze of 3 (6) values
 * a sample is a headset's gaze direction (the two eyes'), turned into degrees first. */
#include "@HEADER@"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned rd32(FILE *f) { unsigned char b[4]; if (fread(b, 1, 4, f) != 4) exit(3); return b[0] | b[1] << 8 | b[2] << 16 | (unsigned)b[3] << 24; }
static double rdf(FILE *f) { double v; if (fread(&v, 8, 1, f) != 1) exit(3); return v; }

static double diff(double a, double b) {
    if (a != a || b != b) return (a != a && b != b) ? 0.0 : INFINITY;
    return fabs(a - b);
}

int main(int argc, char **argv) {
    FILE *f = fopen(argc > 1 ? argv[1] : "golden.bin", "rb");
    double tol = argc > 2 ? atof(argv[2]) : 1e-9, worst = 0.0;
    int repeats = argc > 3 ? atoi(argv[3]) : 0, rc = 0;
    char magic[4];
    unsigned ch, outs, nb, b, i, total_in = 0, total_events = 0, bad_codes = 0;
    static sk_saccades_state st;
    static sk_direction_state dst;
    static double degrees[2 * 65536];
    double **blocks;
    unsigned *ns;
    sk_saccade_event *ev = malloc(sizeof(sk_saccade_event) * SK_MAX_EVENTS(65536));
    if (!f || fread(magic, 1, 4, f) != 4 || memcmp(magic, "SKGV", 4)) { fprintf(stderr, "not a golden file\n"); return 2; }
    rd32(f); ch = rd32(f); outs = rd32(f); nb = rd32(f);
    if ((ch != 2 && ch != 3 && ch != 6) || outs != 7) {
        fprintf(stderr, "golden file of %u channels and %u outputs, expected 2, 3 or 6 and 7\n", ch, outs);
        return 2;
    }
    if (nb > 1000000) { fprintf(stderr, "golden file claims %u blocks\n", nb); return 2; }
    blocks = calloc(nb ? nb : 1, sizeof(double *)); ns = calloc(nb ? nb : 1, sizeof(unsigned));
    if (!ev || !blocks || !ns) { fprintf(stderr, "out of memory\n"); return 2; }
    sk_saccades_init(&st);
    sk_direction_reset(&dst);
    for (b = 0; b < nb && rc == 0; ++b) {
        unsigned n = rd32(f), m;
        const double *gaze;
        int got;
        if (n > 65536) { fprintf(stderr, "block %u has %u samples (at most 65536)\n", b, n); rc = 2; break; }
        ns[b] = n; blocks[b] = malloc(sizeof(double) * (ch * n + 1));
        for (i = 0; i < ch * n; ++i) blocks[b][i] = rdf(f);
        total_in += n;
        gaze = blocks[b];
        if (ch != 2) { sk_direction_degrees(&dst, blocks[b], (int)n, ch == 6 ? 2 : 1, degrees); gaze = degrees; }
        /* first with no room: a block that gives events must be refused whole, state unchanged */
        got = sk_saccades_process_block(&st, gaze, (int)n, 0.0, ev, 0);
        if (got < 0) got = sk_saccades_process_block(&st, gaze, (int)n, 0.0, ev, SK_MAX_EVENTS(65536));
        m = rd32(f);
        if ((unsigned)got != m) { fprintf(stderr, "block %u: %d events, expected %u\n", b, got, m); rc = 1; break; }
        for (i = 0; i < m; ++i) {
            double want[7], have[7];
            int j;
            for (j = 0; j < 7; ++j) want[j] = rdf(f);
            have[0] = ev[i].code; have[1] = ev[i].t; have[2] = ev[i].delay; have[3] = ev[i].x; have[4] = ev[i].y;
            have[5] = ev[i].landing_x; have[6] = ev[i].landing_y;
            if (have[0] != want[0]) { bad_codes++; continue; }
            for (j = 1; j < 7; ++j) if (diff(have[j], want[j]) > worst) worst = diff(have[j], want[j]);
        }
        total_events += m;
    }
    if (rc == 0) {
        printf("events %u, code mismatches %u, max |value diff| %.3g\n", total_events, bad_codes, worst);
        if (bad_codes || worst > tol) { printf("MISMATCH beyond tolerance %.3g\n", tol); rc = 1; }
    }
    if (rc == 0 && repeats > 0) {
        clock_t t0 = clock();
        int r;
        for (r = 0; r < repeats; ++r) {
            sk_saccades_reset(&st);
            sk_direction_reset(&dst);
            for (b = 0; b < nb; ++b) {
                const double *gaze = blocks[b];
                if (ch != 2) { sk_direction_degrees(&dst, blocks[b], (int)ns[b], ch == 6 ? 2 : 1, degrees); gaze = degrees; }
                sk_saccades_process_block(&st, gaze, (int)ns[b], 0.0, ev, SK_MAX_EVENTS(65536));
            }
        }
        printf("time per sample %.4f us, samples %u, state %u bytes\n",
               1e6 * (double)(clock() - t0) / CLOCKS_PER_SEC / repeats / (total_in ? total_in : 1), total_in,
               (unsigned)(sizeof(st) + (ch != 2 ? sizeof(dst) : 0)));
    }
    for (b = 0; b < nb; ++b) free(blocks[b]);
    free(blocks); free(ns); free(ev); fclose(f);
    return rc;
}
