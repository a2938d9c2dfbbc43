/* cli_compare.c - `faasbench compare`: two run folders cell by cell, with a verdict. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "report/faultsum.h"
#include "report/report.h"
#include "report/scan.h"
#include "report/tabulate.h"

#define P_SIGNIFICANT 0.05

bool fb_cmp_is_regression(const struct fb_cmp *c, double tolerance)
{
    return isfinite(c->ratio) && c->ratio > 1.0 + tolerance && isfinite(c->ci_lo) &&
           c->ci_lo > 1.0 && isfinite(c->p) && c->p < P_SIGNIFICANT;
}

bool fb_cmp_is_improvement(const struct fb_cmp *c, double tolerance)
{
    return isfinite(c->ratio) && c->ratio < 1.0 / (1.0 + tolerance) && isfinite(c->ci_hi) &&
           c->ci_hi < 1.0 && isfinite(c->p) && c->p < P_SIGNIFICANT;
}

/* One cell x function of either run. */
struct entry {
    int repetition;
    char *policy, *warming, *function;
    struct fb_sample lat;  /* base: held until the end; new: not kept */
    bool matched;          /* base: a new entry took it */
    bool in_base, in_new;
    size_t rows_base, errors_base, rows_new, errors_new;
    struct fb_cmp cmp;
};

struct cmp_run {
    enum fb_stat stat;
    int phase;           /* enum fb_phase compared, or -1: latency */
    double err_tol;      /* percentage points an error rate may rise; < 0: none where
                            the base had none */
    struct entry *base;
    size_t n_base, base_cap;
    struct entry *rows; /* the output, in the new run's order, then base leftovers */
    size_t n_rows, rows_cap;
    /* --policies BASE,NEW: the base run's cells of one policy against the
     * new run's of another (NULL: every cell against its own policy's) */
    const char *base_policy, *new_policy;
};

static int push(struct entry **v, size_t *n, size_t *cap, const struct fb_cellfn *c)
{
    struct entry *e;

    if (*n == *cap) {
        size_t ncap = *cap != 0 ? *cap * 2 : 32;
        struct entry *p = realloc(*v, ncap * sizeof(*p));

        if (p == NULL)
            return FB_ENOMEM;
        *v = p;
        *cap = ncap;
    }
    e = &(*v)[*n];
    memset(e, 0, sizeof(*e));
    e->repetition = c->repetition;
    e->policy = strdup(c->policy);
    e->warming = strdup(c->warming);
    e->function = strdup(c->function);
    (*n)++;
    if (e->policy == NULL || e->warming == NULL || e->function == NULL)
        return FB_ENOMEM;
    return 0;
}

static void entry_free(struct entry *e)
{
    free(e->policy);
    free(e->warming);
    free(e->function);
    fb_sample_free(&e->lat);
}

/* The sample compared: latency, or one phase. */
static struct fb_sample *sample_of(const struct cmp_run *cr, struct fb_cellfn *c)
{
    return cr->phase < 0 ? &c->lat : &c->phase[cr->phase];
}

static int load_base(void *ctx, struct fb_cellfn *c, struct fb_errbuf *eb)
{
    struct cmp_run *cr = ctx;
    struct fb_sample *s = sample_of(cr, c);
    struct entry *e;
    int rc;

    (void)eb;
    if (cr->base_policy != NULL && strcmp(c->policy, cr->base_policy) != 0)
        return 0;
    if ((rc = push(&cr->base, &cr->n_base, &cr->base_cap, c)) < 0)
        return rc;
    e = &cr->base[cr->n_base - 1];
    e->rows_base = c->rows;
    e->errors_base = c->errors;
    e->lat = *s;
    *s = (struct fb_sample){0};
    return 0;
}

static bool same_key(const struct cmp_run *cr, const struct entry *e, const struct fb_cellfn *c)
{
    return e->repetition == c->repetition &&
           (cr->base_policy != NULL || strcmp(e->policy, c->policy) == 0) &&
           strcmp(e->warming, c->warming) == 0 && strcmp(e->function, c->function) == 0;
}

static int match_new(void *ctx, struct fb_cellfn *c, struct fb_errbuf *eb)
{
    struct cmp_run *cr = ctx;
    struct entry *base = NULL, *row;
    int rc;

    (void)eb;
    if (cr->new_policy != NULL && strcmp(c->policy, cr->new_policy) != 0)
        return 0;
    for (size_t i = 0; i < cr->n_base && base == NULL; i++)
        if (!cr->base[i].matched && same_key(cr, &cr->base[i], c))
            base = &cr->base[i];
    if ((rc = push(&cr->rows, &cr->n_rows, &cr->rows_cap, c)) < 0)
        return rc;
    row = &cr->rows[cr->n_rows - 1];
    row->in_new = true;
    row->rows_new = c->rows;
    row->errors_new = c->errors;
    if (base != NULL) {
        base->matched = true;
        row->in_base = true;
        row->rows_base = base->rows_base;
        row->errors_base = base->errors_base;
    }
    struct fb_sample *s = sample_of(cr, c);
    return fb_compare_sorted(base != NULL ? base->lat.v : NULL, base != NULL ? base->lat.n : 0,
                             s->v, s->n, cr->stat, &row->cmp);
}

/* The smallest p-value Mann-Whitney can give for samples of na and nb:
 * that of two samples apart, every value of one above the other. */
static double best_p(size_t na, size_t nb)
{
    double u, p = NAN, *v = malloc((na + nb) * sizeof(*v));

    if (v == NULL)
        return NAN;
    for (size_t i = 0; i < na + nb; i++)
        v[i] = (double)i;
    fb_mann_whitney_sorted(v, na, v + na, nb, &u, &p);
    free(v);
    return p;
}

/* Whether Mann-Whitney could call a difference of these samples significant
 * at all: with 3 against 3 it never can, however far apart they are. */
static bool testable(const struct fb_cmp *c)
{
    return c->n_base >= 50 || c->n_new >= 50 || best_p(c->n_base, c->n_new) < P_SIGNIFICANT;
}

/* The fewest invocations per side (the same on both) that can be tested. */
static size_t least_testable_n(void)
{
    size_t n = 2;
    while (n < 50 && !(best_p(n, n) < P_SIGNIFICANT))
        n++;
    return n;
}

static double error_rate(size_t errors, size_t rows)
{
    return rows > 0 ? 100.0 * (double)errors / (double)rows : 0.0;
}

/* The new run fails where it has failures the base did not have: any at
 * all where the base had none, or (with a tolerance) a rise of the error
 * rate beyond it, in percentage points. */
static bool more_errors(const struct cmp_run *cr, const struct entry *e)
{
    if (!e->in_base || !e->in_new || e->errors_new == 0)
        return false;
    if (cr->err_tol < 0)
        return e->errors_base == 0;
    return error_rate(e->errors_new, e->rows_new) - error_rate(e->errors_base, e->rows_base) >
           cr->err_tol;
}

/* A base of 0 (no pull in a cell, say) has no ratio: the new value is then
 * slower when above 0 with significance. */
static bool slower_from_zero(const struct fb_cmp *c)
{
    return c->n_base > 0 && c->base == 0 && c->new_ > 0 && isfinite(c->p) &&
           c->p < P_SIGNIFICANT;
}

static const char *verdict(const struct entry *e, double tolerance)
{
    if (!e->in_new)
        return "only in base";
    if (!e->in_base)
        return "only in new";
    if (e->cmp.n_base == 0 || e->cmp.n_new == 0)
        return "no data";
    if (fb_cmp_is_regression(&e->cmp, tolerance) || slower_from_zero(&e->cmp))
        return "SLOWER";
    if (fb_cmp_is_improvement(&e->cmp, tolerance))
        return "faster";
    if (!testable(&e->cmp))
        return "untestable";
    return "ok";
}

static int print_table(FILE *f, const struct cmp_run *cr, double tolerance)
{
    /* The repetition column only shows when there is more than one. */
    const char *titles[] = {"rep", "policy", "warming", "function", "n base", "n new",
                            "base", "new", "ratio", "ratio 95% CI", "p", "verdict",
                            "errors base", "errors new"};
    static const int right[] = {1, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1, 1};
    char base[32], new_[32];
    struct fb_table t = {0};
    int reps = 0, rc;

    for (size_t i = 0; i < cr->n_rows; i++)
        if (cr->rows[i].repetition > 1)
            reps = 1;
    snprintf(base, sizeof(base), "base %s", fb_stat_name(cr->stat));
    snprintf(new_, sizeof(new_), "new %s", fb_stat_name(cr->stat));
    titles[6] = base;
    titles[7] = new_;
    for (size_t i = 0; i < cr->n_rows; i++) {
        const struct entry *e = &cr->rows[i];

        if (reps)
            fb_table_addf(&t, "%d", e->repetition);
        fb_table_addf(&t, "%s", e->policy);
        fb_table_addf(&t, "%s", e->warming);
        fb_table_addf(&t, "%s", e->function);
        fb_table_addf(&t, "%zu", e->cmp.n_base);
        fb_table_addf(&t, "%zu", e->cmp.n_new);
        fb_table_add_ms(&t, e->cmp.base);
        fb_table_add_ms(&t, e->cmp.new_);
        if (slower_from_zero(&e->cmp)) {
            char ratio[64], ci[64], p[64];
            fb_cmp_format(&e->cmp, ratio, ci, p, sizeof(ratio));
            fb_table_addf(&t, "from 0");
            fb_table_addf(&t, "-");
            fb_table_addf(&t, "%s", p);
        } else {
            fb_table_add_cmp(&t, &e->cmp);
        }
        fb_table_addf(&t, "%s", verdict(e, tolerance));
        fb_table_addf(&t, "%zu/%zu", e->errors_base, e->rows_base);
        fb_table_addf(&t, "%zu/%zu%s", e->errors_new, e->rows_new, more_errors(cr, e) ? " MORE" : "");
    }
    rc = fb_table_write(f, &t, 14 - !reps, titles + !reps, right + !reps);
    fb_table_free(&t);
    return rc;
}

static void compare_usage(FILE *f)
{
    fprintf(f,
            "usage: faasbench compare BASE_RUN NEW_RUN [--metric [PHASE:]STAT]\n"
            "                         [--tolerance PERCENT] [--error-tolerance POINTS]\n"
            "                         [--require-testable] [--phase P[:FAULT]]\n"
            "                         [--policies BASE,NEW]\n"
            "\n"
            "Matches every cell x function (repetition, policy, warming, function) of two\n"
            "run folders' invocations.csv and prints the metric of each (ms), the ratio\n"
            "new/base with its 95%% CI, the Mann-Whitney p-value and the errors.\n"
            "\n"
            "A cell is SLOWER when all three hold: the ratio is above 1 + tolerance, its\n"
            "95%% CI (percentile bootstrap, %d resamples, seed %u; order statistics past\n"
            "%d values a side) lies above 1, and the\n"
            "Mann-Whitney U test (two-sided, normal approximation with tie and continuity\n"
            "corrections) gives p < %.2f; from a base of 0, when the new value is above 0\n"
            "with p < %.2f. A cell is untestable when its sizes cannot reach p < %.2f at\n"
            "all (3 against 3 never can): no verdict of speed there. A cell has MORE\n"
            "errors when the new run failed where the base never did, or, with\n"
            "--error-tolerance, when its error rate rose by more than that.\n"
            "\n"
            "  -m, --metric M        STAT p50 (default), p95 or mean, of the latency or,\n"
            "                        as PHASE:STAT, of one phase (select, pull, run,\n"
            "                        cleanup, overhead, create, ready, init, invoke, handler;\n"
            "                        open loop: queue, the wait before a worker took it up,\n"
            "                        and client, the latency from its intended start)\n"
            "  -t, --tolerance T     percent, \"10%%\" or \"10\" (default 10%%)\n"
            "  -e, --error-tolerance P\n"
            "                        percentage points the error rate may rise (default:\n"
            "                        none, and no failure where the base had none)\n"
            "  -r, --require-testable  an untestable cell fails the comparison too\n"
            "  -p, --phase P[:FAULT] only the calls that started before, during or after\n"
            "                        the faults of their cell (faults.csv): during any\n"
            "                        fault's window, before or after every one; with\n"
            "                        FAULT (f2:down:node2), that fault's alone\n"
            "  -P, --policies A,B    the base run's cells of policy A against the new\n"
            "                        run's of policy B (BASE_RUN and NEW_RUN may be one\n"
            "                        folder): two policies under the same faults\n"
            "  -h, --help            this text\n"
            "\n"
            "Exit status: 0 no cell slower and none with more errors, 1 a cell slower or\n"
            "with more errors (or untestable, with --require-testable), named on stdout,\n"
            "2 bad usage or an unreadable run folder.\n",
            FB_BOOT_RESAMPLES, FB_BOOT_SEED, FB_BOOT_MAX_N, P_SIGNIFICANT, P_SIGNIFICANT,
            P_SIGNIFICANT);
}

/* [PHASE:]STAT into cr. */
static int parse_metric(const char *s, struct cmp_run *cr)
{
    const char *colon = strchr(s, ':');
    char phase[32];
    enum fb_phase p;

    cr->phase = -1;
    if (colon == NULL)
        return fb_stat_parse(s, &cr->stat);
    if ((size_t)(colon - s) >= sizeof(phase))
        return FB_EINVAL;
    memcpy(phase, s, (size_t)(colon - s));
    phase[colon - s] = '\0';
    if (strcmp(phase, "latency") != 0) {
        if (fb_phase_parse(phase, &p) < 0)
            return FB_EINVAL;
        cr->phase = (int)p;
    }
    return fb_stat_parse(colon + 1, &cr->stat);
}

/* "10%" or "10" -> 0.10; a negative or absurd value is refused. */
static int parse_tolerance(const char *s, double *out)
{
    char *end;
    double x;

    errno = 0;
    x = strtod(s, &end);
    if (end == s || errno != 0 || (*end != '\0' && strcmp(end, "%") != 0) || !(x >= 0.0) ||
        x > 1000.0)
        return FB_EINVAL;
    *out = x / 100.0;
    return 0;
}

int fb_cli_compare(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"metric", required_argument, NULL, 'm'},
        {"tolerance", required_argument, NULL, 't'},
        {"error-tolerance", required_argument, NULL, 'e'},
        {"require-testable", no_argument, NULL, 'r'},
        {"phase", required_argument, NULL, 'p'},
        {"policies", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cmp_run cr = {.stat = FB_STAT_P50, .phase = -1, .err_tol = -1};
    struct fb_errbuf eb = {{0}};
    struct fb_fwins wbase = {0}, wnew = {0};
    struct fb_phase_filter fbase = {.w = &wbase}, fnew = {.w = &wnew};
    bool by_phase = false;
    char *phase_arg = NULL, *policies_arg = NULL;
    double tolerance = 0.10;
    size_t slower = 0, erring = 0, untested = 0, compared = 0;
    bool require_testable = false;
    int c, rc, status = 0;

    argv[0] = (char *)"faasbench compare"; /* getopt's messages name the command */
    optind = 0;                   /* glibc: a full rescan, also when called again */
    while ((c = getopt_long(argc, argv, "m:t:e:rp:P:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': {
            free(phase_arg);
            if ((phase_arg = strdup(optarg)) == NULL) {
                fprintf(stderr, "faasbench compare: out of memory\n");
                status = 2;
                goto out;
            }
            char *colon = strchr(phase_arg, ':');
            if (colon != NULL)
                *colon = '\0';
            if (fb_fphase_parse(phase_arg, &fbase.phase) < 0 ||
                (colon != NULL && colon[1] == '\0')) {
                fprintf(stderr, "faasbench compare: --phase %s: expected before, during or "
                                "after, or PHASE:FAULT\n", optarg);
                status = 2;
                goto out;
            }
            fbase.fault = colon != NULL ? colon + 1 : NULL;
            fnew.phase = fbase.phase;
            fnew.fault = fbase.fault;
            by_phase = true;
            break;
        }
        case 'P': {
            free(policies_arg);
            if ((policies_arg = strdup(optarg)) == NULL) {
                fprintf(stderr, "faasbench compare: out of memory\n");
                status = 2;
                goto out;
            }
            char *comma = strchr(policies_arg, ',');
            if (comma == NULL || comma == policies_arg || comma[1] == '\0' ||
                strchr(comma + 1, ',') != NULL) {
                fprintf(stderr, "faasbench compare: --policies %s: expected BASE,NEW (two "
                                "policies as the rows name them)\n", optarg);
                status = 2;
                goto out;
            }
            *comma = '\0';
            cr.base_policy = policies_arg;
            cr.new_policy = comma + 1;
            break;
        }
        case 'm':
            if (parse_metric(optarg, &cr) < 0) {
                fprintf(stderr, "faasbench compare: --metric %s: expected p50, p95 or mean, "
                        "or PHASE:STAT\n", optarg);
                status = 2;
                goto out;
            }
            break;
        case 'e':
            if (parse_tolerance(optarg, &cr.err_tol) < 0) {
                fprintf(stderr, "faasbench compare: --error-tolerance %s: expected percentage "
                        "points such as 5\n", optarg);
                status = 2;
                goto out;
            }
            cr.err_tol *= 100.0; /* parse_tolerance gives a fraction */
            break;
        case 'r':
            require_testable = true;
            break;
        case 't':
            if (parse_tolerance(optarg, &tolerance) < 0) {
                fprintf(stderr, "faasbench compare: --tolerance %s: expected a percentage "
                        "such as 10%%\n", optarg);
                status = 2;
                goto out;
            }
            break;
        case 'h':
            compare_usage(stdout);
            goto out;
        default:
            compare_usage(stderr);
            status = 2;
            goto out;
        }
    }
    if (optind != argc - 2) {
        compare_usage(stderr);
        status = 2;
        goto out;
    }
    /* The baseline's latencies are held (one double per successful row);
     * the new run streams past them cell by cell. */
    rc = 0;
    if (by_phase && (rc = fb_fwins_load(argv[optind], &wbase, &eb)) == 0)
        rc = fb_fwins_load(argv[optind + 1], &wnew, &eb);
    if (rc == 0)
        rc = fb_invocations_scan_rows(argv[optind], by_phase ? fb_phase_filter_row : NULL,
                                      &fbase, load_base, &cr, &eb);
    if (rc == 0)
        rc = fb_invocations_scan_rows(argv[optind + 1], by_phase ? fb_phase_filter_row : NULL,
                                      &fnew, match_new, &cr, &eb);
    if (rc < 0) {
        fprintf(stderr, "faasbench compare: %s\n", eb.msg[0] ? eb.msg : fb_strerror(rc));
        status = 2;
        goto out;
    }
    for (size_t i = 0; i < cr.n_base; i++) {
        struct entry *b = &cr.base[i], *e;
        struct fb_cellfn key = {.repetition = b->repetition, .policy = b->policy,
                                .warming = b->warming, .function = b->function};

        if (b->matched)
            continue;
        if (push(&cr.rows, &cr.n_rows, &cr.rows_cap, &key) < 0) {
            fprintf(stderr, "faasbench compare: out of memory\n");
            status = 2;
            goto out;
        }
        e = &cr.rows[cr.n_rows - 1];
        e->in_base = true;
        e->rows_base = b->rows_base;
        e->errors_base = b->errors_base;
        fb_compare_sorted(b->lat.v, b->lat.n, NULL, 0, cr.stat, &e->cmp);
    }

    printf("base %s\nnew  %s\nmetric: %s %s (ms) of successful invocations; "
           "tolerance %g%%\n",
           argv[optind], argv[optind + 1], fb_stat_name(cr.stat),
           cr.phase < 0 ? "latency" : fb_phase_name((enum fb_phase)cr.phase), tolerance * 100.0);
    if (cr.base_policy != NULL)
        printf("policies: base %s, new %s (cells matched by repetition, warming and "
               "function)\n", cr.base_policy, cr.new_policy);
    if (by_phase)
        printf("calls that started %s %s (faults.csv)\n", fb_fphase_name(fbase.phase),
               fbase.fault != NULL ? fbase.fault : "the faults of their cell");
    printf("SLOWER: ratio > %g, its 95%% CI above 1 and Mann-Whitney p < %.2f\n",
           1.0 + tolerance, P_SIGNIFICANT);
    if (print_table(stdout, &cr, tolerance) < 0) {
        fprintf(stderr, "faasbench compare: out of memory\n");
        status = 2;
        goto out;
    }
    for (size_t i = 0; i < cr.n_rows; i++) {
        const struct entry *e = &cr.rows[i];
        const char *v = verdict(e, tolerance);
        char ratio[64], ci[64], p[64];

        if (more_errors(&cr, e)) {
            printf("MORE ERRORS: repetition %d %s/%s %s: %zu of %zu failed (base: %zu of %zu)\n",
                   e->repetition, e->policy, e->warming, e->function, e->errors_new,
                   e->rows_new, e->errors_base, e->rows_base);
            erring++;
        }
        if (e->in_base && e->in_new && e->cmp.n_base > 0 && e->cmp.n_new > 0)
            compared++;
        if (strcmp(v, "untestable") == 0)
            untested++;
        if (strcmp(v, "SLOWER") != 0)
            continue;
        fb_cmp_format(&e->cmp, ratio, ci, p, sizeof(ratio));
        printf("SLOWER: repetition %d %s/%s %s: %s %.1f -> %.1f ms, x%s %s, p %s\n",
               e->repetition, e->policy, e->warming, e->function, fb_stat_name(cr.stat),
               e->cmp.base, e->cmp.new_, ratio, ci, p);
        slower++;
    }
    if (slower > 0) {
        printf("%zu cell(s) slower beyond %g%%", slower, tolerance * 100.0);
        status = 1;
    } else {
        printf("no cell slower beyond %g%%", tolerance * 100.0);
    }
    if (untested > 0)
        printf("; %zu of %zu compared cell(s) could not be tested (too few invocations: "
               "at least %zu per side are needed)",
               untested, compared, least_testable_n());
    printf("\n");
    if (erring > 0) {
        printf("%zu cell(s) with more errors\n", erring);
        status = 1;
    }
    if (untested > 0 && require_testable) {
        printf("--require-testable: %zu cell(s) untestable\n", untested);
        status = 1;
    }
out:
    fb_fwins_free(&wbase);
    fb_fwins_free(&wnew);
    free(phase_arg);
    free(policies_arg);
    for (size_t i = 0; i < cr.n_base; i++)
        entry_free(&cr.base[i]);
    for (size_t i = 0; i < cr.n_rows; i++)
        entry_free(&cr.rows[i]);
    free(cr.base);
    free(cr.rows);
    return status;
}
