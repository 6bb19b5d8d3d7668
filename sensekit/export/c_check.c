/* Golden-vector checker and timer for the exported chain.
 *   cc -std=c99 -O2 sensekit_emg.c sensekit_emg_check.c -lm -o check
 *   ./check golden.bin [label_mismatch_fraction] [value_tolerance] [timing_repeats] [start_sample]
 * Prints the largest differences and the time per block; exit 1 on a mismatch. start_sample
 * starts the state's sample counter there (e.g. 2147483000 for a check past 2^31 samples of
 * uptime): the decisions must not change, their sample_index is offset by it. */
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
    uint64_t start = argc > 5 ? (uint64_t)strtoull(argv[5], NULL, 10) : 0, expect_index = 0;
    int rc = 0;
    char magic[4];
    unsigned ch, outs, nb, b, i, total_rows = 0, bad_labels = 0, bad_index = 0, total_in = 0;
    double max_conf = 0, max_vel = 0;
    static sk_emg_state st;
    sk_real *x;
    double **blocks; unsigned *ns;
    sk_emg_decision dec[4096];
    if (!f || fread(magic, 1, 4, f) != 4 || memcmp(magic, "SKGV", 4)) { fprintf(stderr, "not a golden file\n"); return 2; }
    rd32(f); ch = rd32(f); outs = rd32(f); nb = rd32(f);
    if (ch != SK_N_CH || outs != 3) { fprintf(stderr, "golden file for %u channels, chain has %d\n", ch, SK_N_CH); return 2; }
    if (nb > 1000000) { fprintf(stderr, "golden file claims %u blocks\n", nb); return 2; }
    x = malloc(sizeof(sk_real) * 65536 * SK_N_CH);
    blocks = calloc(nb ? nb : 1, sizeof(double *)); ns = calloc(nb ? nb : 1, sizeof(unsigned));
    if (!x || !blocks || !ns) { fprintf(stderr, "out of memory\n"); return 2; }
    sk_emg_init(&st);
    st.n_seen = start;
    for (b = 0; b < nb && rc == 0; ++b) {
        unsigned n = rd32(f), m, used;
        int got;
        if (n > 65536) { fprintf(stderr, "block %u has %u samples (at most 65536)\n", b, n); rc = 2; break; }
        ns[b] = n; blocks[b] = malloc(sizeof(double) * (n * ch + 1));
        for (i = 0; i < n * ch; ++i) { blocks[b][i] = rdf(f); x[i] = (sk_real)blocks[b][i]; }
        total_in += n;
        /* first with no room: a block that needs decisions must be refused whole, state unchanged */
        got = sk_emg_process_block(&st, x, (int)n, dec, 0);
        if (got < 0) got = -got <= SK_MAX_DECISIONS((int)n) ? sk_emg_process_block(&st, x, (int)n, dec, 4096) : -1;
        m = rd32(f);
        if (got < 0 || (unsigned)got != m) { fprintf(stderr, "block %u: %d decisions, expected %u\n", b, got, m); rc = 1; break; }
        used = (unsigned)got;
        for (i = 0; i < used; ++i) {
            double lab = rdf(f), conf = rdf(f), vel = rdf(f);
            expect_index = dec[i].sample_index;
            if (expect_index < start || expect_index >= start + total_in) bad_index++;
            if ((double)dec[i].label != lab) bad_labels++;
            else {
                if (fabs(dec[i].confidence - conf) > max_conf) max_conf = fabs(dec[i].confidence - conf);
                if (fabs(dec[i].velocity - vel) > max_vel) max_vel = fabs(dec[i].velocity - vel);
            }
        }
        total_rows += m;
    }
    if (rc != 0) goto done;
    printf("decisions %u, label mismatches %u, max |confidence diff| %.3g, max |velocity diff| %.3g, bad sample indices %u\n",
           total_rows, bad_labels, max_conf, max_vel, bad_index);
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
    if (bad_labels > max_bad * total_rows || max_conf > tol || max_vel > tol || bad_index) rc = 1;
done:
    for (b = 0; b < nb; ++b) free(blocks[b]);
    free(blocks); free(ns); free(x);
    fclose(f);
    return rc;
}
