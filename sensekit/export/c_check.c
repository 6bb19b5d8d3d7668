/* Golden-vector checker and timer for the exported chain.
 *   cc -std=c99 -O2 sensekit_emg.c sensekit_emg_check.c -lm -o check
 *   ./check golden.bin [label_mismatch_fraction] [value_tolerance] [timing_repeats]
 * Prints the largest differences and the time per block; exit 1 on a mismatch. */
#include "@HEADER@"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned rd32(FILE *f) { unsigned char b[4]; if (fread(b, 1, 4, f) != 4) exit(3); return b[0] | b[1] << 8 | b[2] << 16 | (unsigned)b[3] << 24; }
static double rdf(FILE *f) { double v; if (fread(&v, 8, 1, f) != 1) exit(3); return v; }

int main(int argc, char **argv) {
    FILE *f = fopen(argc > 1 ? argv[1] : "golden.bin", "rb");
    double max_bad = argc > 2 ? atof(argv[2]) : 0.0, tol = argc > 3 ? atof(argv[3]) : 1e-4;
    int repeats = argc > 4 ? atoi(argv[4]) : 0;
    char magic[4];
    unsigned ch, outs, nb, b, i, total_rows = 0, bad_labels = 0, total_in = 0;
    double max_conf = 0, max_vel = 0;
    static sk_emg_state st;
    sk_real *x;
    double **blocks; unsigned *ns;
    sk_emg_decision dec[4096];
    if (!f || fread(magic, 1, 4, f) != 4 || memcmp(magic, "SKGV", 4)) { fprintf(stderr, "not a golden file\n"); return 2; }
    rd32(f); ch = rd32(f); outs = rd32(f); nb = rd32(f);
    if (ch != SK_N_CH || outs != 3) { fprintf(stderr, "golden file for %u channels, chain has %d\n", ch, SK_N_CH); return 2; }
    x = malloc(sizeof(sk_real) * 65536 * SK_N_CH);
    blocks = malloc(sizeof(double *) * nb); ns = malloc(sizeof(unsigned) * nb);
    sk_emg_init(&st);
    for (b = 0; b < nb; ++b) {
        unsigned n = rd32(f), m, got;
        ns[b] = n; blocks[b] = malloc(sizeof(double) * (n * ch + 1));
        for (i = 0; i < n * ch; ++i) { blocks[b][i] = rdf(f); x[i] = (sk_real)blocks[b][i]; }
        total_in += n;
        got = (unsigned)sk_emg_process_block(&st, x, (int)n, dec, 4096);
        m = rd32(f);
        if (got != m) { fprintf(stderr, "block %u: %u decisions, expected %u\n", b, got, m); return 1; }
        for (i = 0; i < m; ++i) {
            double lab = rdf(f), conf = rdf(f), vel = rdf(f);
            if ((double)dec[i].label != lab) bad_labels++;
            else {
                if (fabs(dec[i].confidence - conf) > max_conf) max_conf = fabs(dec[i].confidence - conf);
                if (fabs(dec[i].velocity - vel) > max_vel) max_vel = fabs(dec[i].velocity - vel);
            }
        }
        total_rows += m;
    }
    printf("decisions %u, label mismatches %u, max |confidence diff| %.3g, max |velocity diff| %.3g\n",
           total_rows, bad_labels, max_conf, max_vel);
    if (repeats > 0) {
        clock_t t0 = clock();
        int r;
        for (r = 0; r < repeats; ++r) {
            sk_emg_reset(&st);
            for (b = 0; b < nb; ++b) {
                for (i = 0; i < ns[b] * ch; ++i) x[i] = (sk_real)blocks[b][i];
                sk_emg_process_block(&st, x, (int)ns[b], dec, 4096);
            }
        }
        printf("time per block %.3f us, per sample %.3f us, blocks %u, samples %u, state %u bytes\n",
               1e6 * (double)(clock() - t0) / CLOCKS_PER_SEC / repeats / nb,
               1e6 * (double)(clock() - t0) / CLOCKS_PER_SEC / repeats / total_in, nb, total_in, (unsigned)sizeof(st));
    } else {
        printf("state %u bytes\n", (unsigned)sizeof(st));
    }
    if (bad_labels > max_bad * total_rows || max_conf > tol || max_vel > tol) return 1;
    return 0;
}
