/* compare.c - `faasbench compare`: two run folders cell by cell, with a verdict. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "scan.h"
#include "tabulate.h"

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
    struct fb_cmp cmp;
};

struct cmp_run {
    enum fb_stat stat;
    struct entry *base;
    size_t n_base, base_cap;
    struct entry *rows; /* the output, in the new run's order, then base leftovers */
    size_t n_rows, rows_cap;
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

static int load_base(void *ctx, struct fb_cellfn *c, struct fb_errbuf *eb)
{
    struct cmp_run *cr = ctx;
    struct entry *e;
    int rc;

    (void)eb;
    if ((rc = push(&cr->base, &cr->n_base, &cr->base_cap, c)) < 0)
        return rc;
    e = &cr->base[cr->n_base - 1];
    e->lat = c->lat;
    c->lat = (struct fb_sample){0};
    return 0;
}

static bool same_key(const struct entry *e, const struct fb_cellfn *c)
{
    return e->repetition == c->repetition && strcmp(e->policy, c->policy) == 0 &&
           strcmp(e->warming, c->warming) == 0 && strcmp(e->function, c->function) == 0;
}

static int match_new(void *ctx, struct fb_cellfn *c, struct fb_errbuf *eb)
{
    struct cmp_run *cr = ctx;
    struct entry *base = NULL, *row;
    int rc;

    (void)eb;
    for (size_t i = 0; i < cr->n_base && base == NULL; i++)
        if (!cr->base[i].matched && same_key(&cr->base[i], c))
            base = &cr->base[i];
    if ((rc = push(&cr->rows, &cr->n_rows, &cr->rows_cap, c)) < 0)
        return rc;
    row = &cr->rows[cr->n_rows - 1];
    row->in_new = true;
    if (base != NULL) {
        base->matched = true;
        row->in_base = true;
    }
    return fb_compare_sorted(base != NULL ? base->lat.v : NULL, base != NULL ? base->lat.n : 0,
                             c->lat.v, c->lat.n, cr->stat, &row->cmp);
}

static const char *verdict(const struct entry *e, double tolerance)
{
    if (!e->in_new)
        return "only in base";
    if (!e->in_base)
        return "only in new";
    if (e->cmp.n_base == 0 || e->cmp.n_new == 0)
        return "no data";
    if (fb_cmp_is_regression(&e->cmp, tolerance))
        return "SLOWER";
    if (fb_cmp_is_improvement(&e->cmp, tolerance))
        return "faster";
    return "ok";
}

static int print_table(FILE *f, const struct cmp_run *cr, double tolerance)
{
    /* The repetition column only shows when there is more than one. */
    const char *titles[] = {"rep", "policy", "warming", "function", "n base", "n new",
                            "base", "new", "ratio", "ratio 95% CI", "p", "verdict"};
    static const int right[] = {1, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1, 0};
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
        fb_table_add_cmp(&t, &e->cmp);
        fb_table_addf(&t, "%s", verdict(e, tolerance));
    }
    rc = fb_table_write(f, &t, 12 - !reps, titles + !reps, right + !reps);
    fb_table_free(&t);
    return rc;
}

static void compare_usage(FILE *f)
{
    fprintf(f,
            "usage: faasbench compare BASE_RUN NEW_RUN [--metric p50|p95|mean]\n"
            "                         [--tolerance PERCENT]\n"
            "\n"
            "Matches every cell x function (repetition, policy, warming, function) of two\n"
            "run folders' invocations.csv and prints the metric of each (latency, ms),\n"
            "the ratio new/base with its 95%% bootstrap CI and the Mann-Whitney p-value.\n"
            "\n"
            "A cell is SLOWER when all three hold: the ratio is above 1 + tolerance, its\n"
            "95%% CI (percentile bootstrap, %d resamples, seed %u) lies above 1, and the\n"
            "Mann-Whitney U test (two-sided, normal approximation with tie and continuity\n"
            "corrections) gives p < %.2f.\n"
            "\n"
            "  -m, --metric M        p50 (default), p95 or mean\n"
            "  -t, --tolerance T     percent, \"10%%\" or \"10\" (default 10%%)\n"
            "  -h, --help            this text\n"
            "\n"
            "Exit status: 0 no cell slower, 1 a cell slower (named on stdout), 2 bad usage\n"
            "or an unreadable run folder.\n",
            FB_BOOT_RESAMPLES, FB_BOOT_SEED, P_SIGNIFICANT);
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
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cmp_run cr = {.stat = FB_STAT_P50};
    struct fb_errbuf eb = {{0}};
    double tolerance = 0.10;
    size_t slower = 0;
    int c, rc, status = 0;

    argv[0] = (char *)"faasbench compare"; /* getopt's messages name the command */
    optind = 0;                   /* glibc: a full rescan, also when called again */
    while ((c = getopt_long(argc, argv, "m:t:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (fb_stat_parse(optarg, &cr.stat) < 0) {
                fprintf(stderr, "faasbench compare: --metric %s: expected p50, p95 or mean\n",
                        optarg);
                return 2;
            }
            break;
        case 't':
            if (parse_tolerance(optarg, &tolerance) < 0) {
                fprintf(stderr, "faasbench compare: --tolerance %s: expected a percentage "
                        "such as 10%%\n", optarg);
                return 2;
            }
            break;
        case 'h':
            compare_usage(stdout);
            return 0;
        default:
            compare_usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 2) {
        compare_usage(stderr);
        return 2;
    }
    /* The baseline's latencies are held (one double per successful row);
     * the new run streams past them cell by cell. */
    rc = fb_invocations_scan(argv[optind], load_base, &cr, &eb);
    if (rc == 0)
        rc = fb_invocations_scan(argv[optind + 1], match_new, &cr, &eb);
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
        fb_compare_sorted(b->lat.v, b->lat.n, NULL, 0, cr.stat, &e->cmp);
    }

    printf("base %s\nnew  %s\nmetric: %s latency (ms) of successful invocations; "
           "tolerance %g%%\n",
           argv[optind], argv[optind + 1], fb_stat_name(cr.stat), tolerance * 100.0);
    printf("SLOWER: ratio > %g, its 95%% bootstrap CI above 1 and Mann-Whitney p < %.2f\n",
           1.0 + tolerance, P_SIGNIFICANT);
    if (print_table(stdout, &cr, tolerance) < 0) {
        fprintf(stderr, "faasbench compare: out of memory\n");
        status = 2;
        goto out;
    }
    for (size_t i = 0; i < cr.n_rows; i++) {
        const struct entry *e = &cr.rows[i];
        char ratio[64], ci[64], p[64];

        if (strcmp(verdict(e, tolerance), "SLOWER") != 0)
            continue;
        fb_cmp_format(&e->cmp, ratio, ci, p, sizeof(ratio));
        printf("SLOWER: repetition %d %s/%s %s: %s %.1f -> %.1f ms, x%s %s, p %s\n",
               e->repetition, e->policy, e->warming, e->function, fb_stat_name(cr.stat),
               e->cmp.base, e->cmp.new_, ratio, ci, p);
        slower++;
    }
    if (slower > 0) {
        printf("%zu cell(s) slower beyond %g%%\n", slower, tolerance * 100.0);
        status = 1;
    } else {
        printf("no cell slower beyond %g%%\n", tolerance * 100.0);
    }
out:
    for (size_t i = 0; i < cr.n_base; i++)
        entry_free(&cr.base[i]);
    for (size_t i = 0; i < cr.n_rows; i++)
        entry_free(&cr.rows[i]);
    free(cr.base);
    free(cr.rows);
    return status;
}
