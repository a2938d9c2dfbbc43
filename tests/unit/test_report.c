/* test_report.c - Check suite for run-folder reports and the report / compare commands. */
#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "report/faultsum.h"
#include "report/report.h"
#include "report/scan.h"

#define RUNS FB_TEST_DATA "/runs"

/* Expected numbers come from tests/data/runs/reference-values (Python standard
 * library: statistics module, exact binomial tails, pooled ranks with
 * math.erfc, a direct bootstrap over a splitmix64 replica), formatted with
 * Python's "%.3f" / "%.4f" / "%.6g". */

static char *xstrf(const char *a, const char *b)
{
    size_t len = strlen(a) + strlen(b) + 2;
    char *s = malloc(len);

    ck_assert_ptr_nonnull(s);
    snprintf(s, len, "%s/%s", a, b);
    return s;
}

/* Whole file as a string (caller frees), or NULL when it cannot be read. */
static char *slurp(const char *dir, const char *name)
{
    char *path = xstrf(dir, name), *buf = NULL;
    FILE *f = fopen(path, "r");
    long len;

    free(path);
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = calloc(1, (size_t)len + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    return buf;
}

static void put(const char *dir, const char *name, const char *text)
{
    char *path = xstrf(dir, name);
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    free(path);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

/* A scratch copy of fixture run `name` (caller frees the path; the folder is
 * left for the forked test's end, under /tmp). */
static char *copy_run(const char *name)
{
    static const char *const files[] = {"invocations.csv", "metrics.csv", "experiment.cfg",
                                        "environment.txt"};
    char tmpl[] = "/tmp/faasbench-report-test.XXXXXX";
    char *src = xstrf(RUNS, name), *dir;

    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    dir = strdup(tmpl);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *text = slurp(src, files[i]);

        ck_assert_msg(text != NULL, "fixture %s/%s missing", src, files[i]);
        put(dir, files[i], text);
        free(text);
    }
    free(src);
    return dir;
}

static void remove_run(char *dir)
{
    char cmd[512];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(dir);
}

static void expect_text(const char *got, const char *want)
{
    if (strcmp(got, want) != 0)
        fprintf(stderr, "--- want\n%s--- got\n%s---\n", want, got);
    ck_assert_msg(strcmp(got, want) == 0, "text differs (both printed on stderr)");
}

#define HAS(text, needle) ck_assert_msg(strstr((text), (needle)) != NULL, "no '%s'", (needle))

static const struct fb_report_opts no_plots = {.no_plots = true};

#define HEAVY_COLD_ROW                                                                 \
    "fixture-basic-20250101T120000Z,1,round-robin,cold,fib-heavy,11,1,22484.769,"     \
    "1591.837,20238.734,22730.304,23765.061,24534.178,25149.471,25303.294,21415.359," \
    "23554.180,12,0,0,node1=4 node2=4 node3=4 node4=0,20626.279,23765.061,2.367,"     \
    "21875.238,911.322,339.211,2.831,,,,,,0,,,,,,,,,,,,,\n"

/* ---- faults ---- */

/* Two cells (policies a and b), one fault each on node2, its actual window
 * [3000, 5000) ms of a cell begun at 1000 ms (b's never ended: faasbench
 * was killed), and calls before, during and after it. */
static char *fault_run(void)
{
    char tmpl[] = "/tmp/faasbench-report-test.XXXXXX";
    char *dir;

    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    dir = strdup(tmpl);
    put(dir, "invocations.csv",
        "run_id,repetition,policy,warming,function,node,mode,start_ms,latency_ms,attempts,"
        "error,warmup,faults\n"
        "r,1,a,keep-alive,f,node1,cold,1100,900.000,1,,1,\n"        /* warm-up: left out */
        "r,1,a,keep-alive,f,node2,cold,1500,100.000,1,,0,\n"
        "r,1,a,keep-alive,f,node1,warmed,2999,10.000,1,,0,\n"
        "r,1,a,keep-alive,f,node1,pre-warmed,3000,300.000,2,,0,f1:down:node2\n"
        "r,1,a,keep-alive,f,node2,warmed,3500,5000.000,1,timed out,0,f1:down:node2\n"
        "r,1,a,keep-alive,f,,,4000,1.000,1,no eligible node,0,f1:down:node2\n"
        "r,1,a,keep-alive,f,node1,warmed,4999,20.000,1,,0,f1:down:node2\n"
        "r,1,a,keep-alive,f,node2,warmed,5000,30.000,1,,0,\n"
        "r,1,a,keep-alive,f,node2,warmed,6000,40.000,1,,0,\n"
        "r,1,b,keep-alive,f,node1,warmed,1500,7.000,1,,0,\n"
        "r,1,b,keep-alive,f,node1,warmed,3500,8.000,1,,0,f1:down:node2\n"
        "r,1,b,keep-alive,f,node1,warmed,9000,9.000,1,,0,f1:down:node2\n");
    put(dir, "faults.csv",
        "run_id,cell,repetition,policy,warming,fault,node,action,fraction,at_s,for_s,begin_s,"
        "end_s,begin_ms,end_ms,cell_start_ms,ended_by,killed,lost,error,time_scale\n"
        "r,0,1,a,keep-alive,f1:down:node2,node2,down,,2.000,2.000,2.000,4.000,3000,5000,1000,"
        "faasbench,,,,1\n"
        "r,1,1,b,keep-alive,f1:down:node2,node2,down,,2.000,2.000,2.000,,3000,,1000,,,,,1\n");
    return dir;
}

START_TEST(test_report_faults)
{
    struct fb_errbuf eb = {{0}};
    char *dir = fault_run(), *text;

    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), 0);
    text = slurp(dir, "faults_summary.csv");
    ck_assert_ptr_nonnull(text);
    expect_text(text,
                "run_id,repetition,policy,warming,fault,node,action,phase,from_s,to_s,calls,"
                "failures,retries,cold_start_ratio,p50_ms,p99_ms\n"
                "r,1,a,keep-alive,f1:down:node2,node2,down,before,0.000,2.000,2,0,0,0.5,55.000,"
                "99.100\n"
                "r,1,a,keep-alive,f1:down:node2,node2,down,during,2.000,4.000,4,2,1,0.333333,"
                "160.000,297.200\n"
                "r,1,a,keep-alive,f1:down:node2,node2,down,after,4.000,5.000,2,0,0,0,35.000,"
                "39.900\n"
                "r,1,b,keep-alive,f1:down:node2,node2,down,before,0.000,2.000,1,0,0,0,7.000,"
                "7.000\n"
                "r,1,b,keep-alive,f1:down:node2,node2,down,during,2.000,,2,0,0,0,8.500,8.990\n"
                "r,1,b,keep-alive,f1:down:node2,node2,down,after,,,0,0,0,,,\n");
    free(text);
    text = slurp(dir, "summary.txt");
    HAS(text, "Faults (faults.csv): each cell's calls before, during and after");
    HAS(text, "| a      | keep-alive | f1:down:node2 | during |   2.0-4.0 |     4 |      2 |       1 "
              "|   33.3 | 160.0 | 297.2 |");
    free(text);
    remove_run(dir);
}
END_TEST

static int count_fn(void *ctx, struct fb_cellfn *c, struct fb_errbuf *eb)
{
    size_t *n = ctx;
    (void)eb;
    n[strcmp(c->policy, "a") == 0 ? 0 : 1] += c->rows;
    return 0;
}

/* compare --phase: the calls of each phase, of one fault or of all. */
START_TEST(test_phase_filter)
{
    struct fb_errbuf eb = {{0}};
    struct fb_fwins w;
    char *dir = fault_run();
    static const size_t want[FB_FPHASE_N][2] = {{2, 1}, {4, 2}, {2, 0}};

    ck_assert_int_eq(fb_fwins_load(dir, &w, &eb), 0);
    ck_assert_uint_eq(w.n, 2);
    for (int p = 0; p < FB_FPHASE_N; p++) {
        for (int named = 0; named < 2; named++) {
            struct fb_phase_filter pf = {.w = &w, .phase = (enum fb_fphase)p,
                                         .fault = named ? "f1:down:node2" : NULL};
            size_t n[2] = {0, 0};
            ck_assert_int_eq(fb_invocations_scan_rows(dir, fb_phase_filter_row, &pf, count_fn,
                                                      n, &eb),
                             0);
            ck_assert_uint_eq(n[0], want[p][0]);
            ck_assert_uint_eq(n[1], want[p][1]);
        }
    }
    struct fb_phase_filter none = {.w = &w, .phase = FB_FPHASE_DURING, .fault = "f9:slow:x"};
    size_t n[2] = {0, 0};
    ck_assert_int_eq(fb_invocations_scan_rows(dir, fb_phase_filter_row, &none, count_fn, n, &eb),
                     0);
    ck_assert_uint_eq(n[0] + n[1], 0);
    fb_fwins_free(&w);
    /* A faults.csv faasbench did not write is refused, naming its row. */
    put(dir, "faults.csv",
        "run_id,cell,repetition,policy,warming,fault,node,action,begin_ms,end_ms,"
        "cell_start_ms\n"
        "r,0,1,a,keep-alive,f1:down:node2,node2,down,3e3,5000,1000\n");
    ck_assert_int_eq(fb_fwins_load(dir, &w, &eb), FB_EINVAL);
    HAS(eb.msg, "faults.csv: row 2: begin_ms, end_ms or cell_start_ms: not a unix time in ms");
    remove_run(dir);
}
END_TEST

START_TEST(test_report_basic)
{
    struct fb_errbuf eb = {{0}};
    char *dir = copy_run("basic"), *text;

    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), 0);

    text = slurp(dir, "summary.csv");
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(count_lines(text), 13); /* header + 2 x 3 cells x 2 functions */
    HAS(text, "\n" HEAVY_COLD_ROW);
    /* The failed "no node" row: 11 successes, 1 error, 11 rows placed. */
    HAS(text, ",least-used,pre-warmed,fib-light,11,1,");
    HAS(text, ",0,11,0,node1=0 node2=0 node3=11 node4=0,");
    free(text);

    text = slurp(dir, "summary.txt");
    ck_assert_ptr_nonnull(text);
    HAS(text, "| policy      | warming    | function  |  n | err |    mean |     sd |");
    HAS(text, "| round-robin | cold       | fib-heavy | 11 |   1 | 22484.8 | 1591.8 |");
    HAS(text, "[21415.4, 23554.2] | [20626.3, 23765.1] |");
    HAS(text, "| round-robin | cold       | fib-heavy | 12/0/0      |    2.4 | 21875.2 |"
              " 911.3 |   339.2 |      2.8 | node1=4 node2=4 node3=4 node4=0  |");
    free(text);

    text = slurp(dir, "comparison.csv");
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(count_lines(text), 13);
    HAS(text, "repetition,policy,warming,function,ref_repetition,ref_policy,ref_warming,n,"
              "ref_n,p50_ms,ref_p50_ms,ratio,ratio_ci95_lo,ratio_ci95_hi,mw_u,mw_p\n");
    HAS(text, "\n1,round-robin,cold,fib-light,1,round-robin,cold,12,12,3616.840,3616.840,"
              "1.0000,");
    HAS(text, "\n1,least-used,warmed,fib-light,1,round-robin,cold,12,12,215.167,3616.840,"
              "0.0595,0.0564,0.0643,0.0,3.65846e-05\n");
    free(text);

    text = slurp(dir, "comparison.txt");
    ck_assert_ptr_nonnull(text);
    HAS(text, "percentile bootstrap (2000 resamples, seed 1)");
    HAS(text, "or from order statistics when\nboth cells have over 100 values");
    HAS(text, "Mann-Whitney U test, two-sided, normal\napproximation with tie correction");
    HAS(text, "| least-used  | warmed     | fib-light | round-robin/cold | 12 |   215.2 |"
              "  3616.8 | 0.059 | [0.056, 0.064] | <0.0001 |");
    HAS(text, "| round-robin | cold       | fib-light | (this cell)      |");
    free(text);

    /* The older testbed's table: byte for byte what Python's tabulate 0.8.9
     * prints for metrics.csv with tablefmt="grid" (checked with
     * python3-tabulate); a rule after each of the 143 rows. */
    text = slurp(dir, "metrics_table.txt");
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strncmp(text,
        "+------------+--------+---------------+---------------+------------------+"
        "----------------------+\n"
        "| Function   | Node   |   CPU Usage % |   RAM Usage % | Execution Mode   |"
        "   Execution Time (s) |\n"
        "+============+========+===============+===============+==================+"
        "======================+\n"
        "| fib-light  | node1  |         25.11 |         22.9  | cold             |"
        "               3.8016 |\n", 380) == 0, "%.400s", text);
    ck_assert_uint_eq(count_lines(text), 3 + 2 * 143);
    free(text);
    remove_run(dir);
}
END_TEST

/* Field k (0-based) of the line of text that starts with prefix, as a
 * number; fails when there is no such line. */
static double field_of(const char *text, const char *prefix, int k)
{
    const char *line = strstr(text, prefix);

    ck_assert_msg(line != NULL && (line == text || line[-1] == '\n'), "no line '%s'", prefix);
    for (int i = 0; i < k; i++) {
        line = strchr(line, ',');
        ck_assert_ptr_nonnull(line);
        line++;
    }
    return strtod(line, NULL);
}

/* findings.csv: policies compared within one function and warming mode,
 * repetitions pooled, the faster first; p adjusted by Holm over the mode's
 * pairs; never a pair across modes. */
START_TEST(test_report_findings)
{
    struct fb_errbuf eb = {{0}};
    char *dir = copy_run("basic"), *text, body[8192];
    size_t off = 0;

    off += (size_t)snprintf(body + off, sizeof(body) - off,
                            "repetition,policy,warming,function,latency_ms,error\n");
    /* warm: a (twice, two repetitions) 10..19 ms, b 10.5..19.5 ms, c 100..109 ms. */
    for (int i = 0; i < 10; i++)
        off += (size_t)snprintf(body + off, sizeof(body) - off, "1,a,warm,f,%d,\n", 10 + i);
    for (int i = 0; i < 10; i++)
        off += (size_t)snprintf(body + off, sizeof(body) - off, "1,b,warm,f,%d.5,\n", 10 + i);
    for (int i = 0; i < 10; i++)
        off += (size_t)snprintf(body + off, sizeof(body) - off, "1,c,warm,f,%d,\n", 100 + i);
    /* cold: a and c alike. */
    for (int i = 0; i < 10; i++)
        off += (size_t)snprintf(body + off, sizeof(body) - off, "1,a,cold,f,%d,\n", 50 + i);
    for (int i = 0; i < 10; i++)
        off += (size_t)snprintf(body + off, sizeof(body) - off, "1,c,cold,f,%d,\n", 50 + i);
    for (int i = 0; i < 10; i++)
        off += (size_t)snprintf(body + off, sizeof(body) - off, "2,a,warm,f,%d,\n", 10 + i);
    put(dir, "invocations.csv", body);
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), 0);

    text = slurp(dir, "findings.csv");
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strncmp(text,
                          "function,warming,faster,slower,n_faster,n_slower,p50_faster_ms,"
                          "p50_slower_ms,ratio,ratio_ci95_lo,ratio_ci95_hi,mw_p,p_holm,"
                          "significant\n"
                          "f,warm,a,b,20,10,14.500,15.000,1.0345,", 120) == 0,
                  "%s", text);
    ck_assert_uint_eq(count_lines(text), 5); /* 3 pairs in warm, 1 in cold */
    HAS(text, "\nf,warm,a,c,20,10,14.500,104.500,7.2069,");
    HAS(text, "\nf,warm,b,c,10,10,15.000,104.500,6.9667,");
    HAS(text, "\nf,cold,a,c,10,10,54.500,54.500,1.0000,");
    /* Holm: the smallest p times 3, the next times 2 (not below the first),
     * the largest times 1. */
    double p_ac = field_of(text, "f,warm,a,c,", 11), h_ac = field_of(text, "f,warm,a,c,", 12);
    double p_bc = field_of(text, "f,warm,b,c,", 11), h_bc = field_of(text, "f,warm,b,c,", 12);
    double p_ab = field_of(text, "f,warm,a,b,", 11), h_ab = field_of(text, "f,warm,a,b,", 12);
    ck_assert(p_ac < p_bc && p_bc < p_ab);
    ck_assert_double_eq_tol(h_ac, 3 * p_ac, 1e-5 * h_ac);
    ck_assert_double_eq_tol(h_bc, fmax(h_ac, 2 * p_bc), 1e-5 * h_bc);
    ck_assert_double_eq_tol(h_ab, fmin(1.0, fmax(h_bc, p_ab)), 1e-5 * h_ab);
    /* Significant: c against both; not a against b, nor anything in cold. */
    ck_assert_double_eq(field_of(text, "f,warm,a,c,", 13), 1);
    ck_assert_double_eq(field_of(text, "f,warm,b,c,", 13), 1);
    ck_assert_double_eq(field_of(text, "f,warm,a,b,", 13), 0);
    ck_assert_double_eq(field_of(text, "f,cold,a,c,", 13), 0);
    ck_assert(field_of(text, "f,warm,a,c,", 9) > 1.0); /* its CI above 1 */
    free(text);
    remove_run(dir);
}
END_TEST

START_TEST(test_report_replaces)
{
    struct fb_errbuf eb = {{0}};
    char *dir = copy_run("basic"), *first, *again, *cmd;

    put(dir, "summary.csv", "stale\n");
    put(dir, "comparison.txt", "stale\n");
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), 0);
    first = slurp(dir, "summary.csv");
    HAS(first, HEAVY_COLD_ROW);
    again = slurp(dir, "comparison.txt");
    ck_assert(strstr(again, "stale") == NULL);
    free(again);

    /* Rebuilding gives the same bytes (the bootstrap is seeded). */
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), 0);
    again = slurp(dir, "summary.csv");
    ck_assert_str_eq(first, again);
    free(again);
    free(first);

    /* No scratch files left beside them. */
    cmd = xstrf(dir, ".*.tmp");
    {
        char line[600];

        snprintf(line, sizeof(line), "ls %s 2>/dev/null | grep -q .", cmd);
        ck_assert_int_ne(system(line), 0);
    }
    free(cmd);
    remove_run(dir);
}
END_TEST

START_TEST(test_report_reference)
{
    struct fb_report_opts o = {.no_plots = true, .reference = "least-used/warmed"};
    struct fb_errbuf eb = {{0}};
    char *dir = copy_run("basic"), *text;

    ck_assert_int_eq(fb_report_write(dir, &o, &eb), 0);
    text = slurp(dir, "comparison.csv");
    HAS(text, "\n1,round-robin,cold,fib-light,1,least-used,warmed,12,12,3616.840,215.167,");
    HAS(text, "\n1,least-used,warmed,fib-light,1,least-used,warmed,12,12,215.167,215.167,"
              "1.0000,");
    free(text);
    text = slurp(dir, "comparison.txt");
    HAS(text, "reference cell (the one given)");
    HAS(text, "| round-robin | cold       | fib-light | least-used/warmed |");
    HAS(text, "| least-used  | warmed     | fib-light | (this cell)       |");
    free(text);

    o.reference = "nope/cold";
    ck_assert_int_eq(fb_report_write(dir, &o, &eb), FB_EINVAL);
    HAS(eb.msg, "nope/cold");
    o.reference = "least-used";
    ck_assert_int_eq(fb_report_write(dir, &o, &eb), FB_EINVAL);
    HAS(eb.msg, "policy/warming");
    o.reference = "a/b/c";
    ck_assert_int_eq(fb_report_write(dir, &o, &eb), FB_EINVAL);
    remove_run(dir);
}
END_TEST

/* Appends ",<extra>" to every line of dir/invocations.csv ("note" on the header). */
static void add_column(const char *dir)
{
    char *text = slurp(dir, "invocations.csv"), *out, *p, *o;
    int first = 1;

    out = malloc(strlen(text) * 2 + 64);
    ck_assert_ptr_nonnull(out);
    for (p = text, o = out; *p != '\0'; p++) {
        if (*p == '\n') {
            const char *add = first ? ",note" : ",\"retried, once\"";

            strcpy(o, add);
            o += strlen(add);
            first = 0;
        }
        *o++ = *p;
    }
    *o = '\0';
    put(dir, "invocations.csv", out);
    free(out);
    free(text);
}

START_TEST(test_report_extra_column)
{
    struct fb_errbuf eb = {{0}};
    char *dir = copy_run("basic"), *want, *got;

    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), 0);
    want = slurp(dir, "summary.csv");
    add_column(dir);
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), 0);
    got = slurp(dir, "summary.csv");
    ck_assert_str_eq(got, want);
    free(got);
    free(want);
    remove_run(dir);
}
END_TEST

START_TEST(test_report_bad_input)
{
    struct fb_errbuf eb = {{0}};
    char *dir = copy_run("basic"), *text;

    ck_assert_int_eq(fb_report_write("/nonexistent/run", &no_plots, &eb), FB_EIO);
    HAS(eb.msg, "/nonexistent/run/invocations.csv");

    put(dir, "invocations.csv", "run_id,repetition,policy,warming,function,error\n");
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), FB_EINVAL);
    HAS(eb.msg, "latency_ms");

    put(dir, "invocations.csv",
        "repetition,policy,warming,function,latency_ms,error\n"
        "1,rr,cold,f,12.5,\n"
        "1,rr,cold,f,abc,\n");
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), FB_EINVAL);
    HAS(eb.msg, "row 3: latency_ms: 'abc' is not a number");

    put(dir, "invocations.csv", "");
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), FB_EINVAL);
    HAS(eb.msg, "no header");

    /* The minimal columns are enough; a row cut short at the end is skipped. */
    put(dir, "invocations.csv",
        "repetition,policy,warming,function,latency_ms,error\n"
        "1,rr,cold,f,12.5,\n"
        "1,rr,cold,f,13.5,\n"
        "1,rr,cold,f,14.5,\n"
        "1,rr,co");
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), 0);
    text = slurp(dir, "summary.csv");
    HAS(text, "\n,1,rr,cold,f,3,0,13.500,1.000,12.500,13.500,");
    free(text);

    /* Header only: empty tables. */
    put(dir, "invocations.csv", "repetition,policy,warming,function,latency_ms,error\n");
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), 0);
    text = slurp(dir, "summary.csv");
    ck_assert_uint_eq(count_lines(text), 1);
    free(text);
    remove_run(dir);
}
END_TEST

/* len bytes of text as dir/name (text may hold NUL bytes). */
static void put_bytes(const char *dir, const char *name, const char *text, size_t len)
{
    char *path = xstrf(dir, name);
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    fclose(f);
    free(path);
}

#define MINIMAL_HEADER "repetition,policy,warming,function,select_ms,latency_ms,error\n"

/* What no faasbench run writes is refused, naming the file, the row and the
 * column: C's number readers would take 0x1p8 as 256, 1e3 as 1000; a
 * duration is never negative; a NUL byte would cut a field short. */
START_TEST(test_report_refuses_foreign_text)
{
    static const char nul_row[] = MINIMAL_HEADER "1,rr,cold,f,1.000,12.500,\n"
                                                 "1,rr,cold,f,1.000,13.500,\0boom\n";
    struct fb_errbuf eb = {{0}};
    char *dir = copy_run("basic"), *path = xstrf(dir, "invocations.csv");

    put(dir, "invocations.csv", MINIMAL_HEADER "1,rr,cold,f,1.000,12.500,\n"
                                               "1,rr,cold,f,1.000,0x1p8,\n");
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), FB_EINVAL);
    HAS(eb.msg, path);
    HAS(eb.msg, ": row 3: latency_ms: '0x1p8' is not a number");

    put(dir, "invocations.csv", MINIMAL_HEADER "1,rr,cold,f,1.000,1e3,\n");
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), FB_EINVAL);
    HAS(eb.msg, ": row 2: latency_ms: '1e3' is not a number");

    put(dir, "invocations.csv", MINIMAL_HEADER "1,rr,cold,f,1.000,inf,\n");
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), FB_EINVAL);
    HAS(eb.msg, ": row 2: latency_ms: 'inf' is not a number");

    put(dir, "invocations.csv", MINIMAL_HEADER "1,rr,cold,f,1.000,12.500,\n"
                                               "1,rr,cold,f,1.000,12.500,\n"
                                               "1,rr,cold,f,-0.250,12.500,\n");
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), FB_EINVAL);
    HAS(eb.msg, ": row 4: select_ms: '-0.250' is negative");

    put(dir, "invocations.csv", "repetition,policy,warming,function,latency_ms,error,"
                                "asked_memory_mb\n1,rr,cold,f,12.500,,64\n1,rr,cold,f,12.500,,-8\n");
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), FB_EINVAL);
    HAS(eb.msg, ": row 3: asked_memory_mb: '-8' is negative (an amount of memory never is)");

    put_bytes(dir, "invocations.csv", nul_row, sizeof(nul_row) - 1);
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), FB_EINVAL);
    HAS(eb.msg, ": row 3: error: ");
    HAS(eb.msg, "NUL byte");
    /* The problem first: the text itself only shows escaped. */
    HAS(eb.msg, ": row 3: error: holds a NUL byte (no run writes one): '\\x00boom'");
    free(path);
    remove_run(dir);
}
END_TEST

/* A run writes each cell's rows together (cells run one after another, a
 * resumed cell's rows are rewritten whole): a cell that comes back after
 * another began is refused with both named, never split into cells of one. */
START_TEST(test_report_interleaved_cells)
{
    struct fb_errbuf eb = {{0}};
    char *dir = copy_run("basic"), *text;

    put(dir, "invocations.csv", MINIMAL_HEADER "1,rr,cold,f,1.000,12.500,\n"
                                               "1,rr,cold,g,1.000,12.500,\n"
                                               "1,lu,cold,f,1.000,13.500,\n"
                                               "2,rr,cold,f,1.000,13.500,\n"
                                               "1,rr,cold,f,1.000,14.500,\n"
                                               "1,lu,cold,f,1.000,15.500,\n");
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), FB_EINVAL);
    HAS(eb.msg, "/invocations.csv: row 6: cell 1 rr/cold (rows 2-3) comes back after "
                "cell 2 rr/cold began (row 5)");

    /* The same key in another repetition is another cell; functions of a cell
     * may alternate. */
    put(dir, "invocations.csv", MINIMAL_HEADER "1,rr,cold,f,1.000,12.500,\n"
                                               "1,rr,cold,g,1.000,12.500,\n"
                                               "1,rr,cold,f,1.000,13.500,\n"
                                               "1,lu,cold,f,1.000,13.500,\n"
                                               "2,rr,cold,f,1.000,14.500,\n");
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), 0);
    text = slurp(dir, "summary.csv");
    ck_assert_uint_eq(count_lines(text), 5);
    HAS(text, "\n,1,rr,cold,f,2,0,13.000,");
    free(text);

    /* Every fixture reads: none interleaves. */
    remove_run(dir);
    dir = copy_run("two-reps");
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), 0);
    remove_run(dir);
}
END_TEST

/* The line of text that starts with prefix (caller frees), or NULL. */
static char *line_starting(const char *text, const char *prefix)
{
    for (const char *p = text; p != NULL && *p != '\0';) {
        const char *end = strchr(p, '\n');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

        if (strncmp(p, prefix, strlen(prefix)) == 0)
            return strndup(p, len);
        p = end != NULL ? end + 1 : NULL;
    }
    return NULL;
}

static void ends_with(const char *line, const char *suffix)
{
    size_t n = strlen(line), m = strlen(suffix);

    ck_assert_msg(n >= m && strcmp(line + n - m, suffix) == 0, "'%s' does not end with '%s'",
                  line, suffix);
}

/* Text with every run of blanks made one blank: table cells without their padding. */
static char *squeeze(const char *text)
{
    char *out = malloc(strlen(text) + 1), *o = out;

    ck_assert_ptr_nonnull(out);
    for (const char *p = text; *p != '\0'; p++)
        if (*p != ' ' || o == out || o[-1] != ' ')
            *o++ = *p;
    *o = '\0';
    return out;
}

#define OPEN_ROW(cell) "fixture-open-loop-20250101T120000Z,1," cell ",fib-light,"

struct open_seen {
    int cells, open;
    size_t queue_n, client_n;
};

static int open_cb(void *ctx, struct fb_cellfn *c, struct fb_errbuf *eb)
{
    struct open_seen *s = ctx;

    (void)eb;
    s->cells++;
    s->open += c->open_loop;
    s->queue_n += c->phase[FB_PHASE_QUEUE].n;
    s->client_n += c->phase[FB_PHASE_CLIENT].n;
    ck_assert_uint_eq(c->phase[FB_PHASE_QUEUE].n, c->phase[FB_PHASE_CLIENT].n);
    for (size_t i = 1; i < c->phase[FB_PHASE_CLIENT].n; i++)
        ck_assert(c->phase[FB_PHASE_CLIENT].v[i - 1] <= c->phase[FB_PHASE_CLIENT].v[i]);
    return 0;
}

/* Open loop: the queue in front of the workers (start_ms - intended_start_ms)
 * and the latency from the intended start (queue + latency_ms) per cell, for
 * cells with a row whose two starts differ; closed-loop cells leave them
 * empty. Numbers: tests/data/runs/reference-values. */
START_TEST(test_report_open_loop)
{
    struct fb_errbuf eb = {{0}};
    struct open_seen seen = {0};
    char *dir = copy_run("open-loop"), *text, *line, *flat;

    ck_assert_int_eq(fb_invocations_scan(RUNS "/open-loop", open_cb, &seen, &eb), 0);
    ck_assert_int_eq(seen.cells, 6);
    ck_assert_int_eq(seen.open, 6); /* the light cells too: rounding alone differs */
    ck_assert_uint_eq(seen.queue_n, 6 * 30 - 1);
    memset(&seen, 0, sizeof(seen));
    ck_assert_int_eq(fb_invocations_scan(RUNS "/basic", open_cb, &seen, &eb), 0);
    ck_assert_int_eq(seen.cells, 12);
    ck_assert_int_eq(seen.open, 0);
    ck_assert_uint_eq(seen.queue_n, 0);
    ck_assert_uint_eq(seen.client_n, 0);

    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), 0);
    text = slurp(dir, "summary.csv");
    HAS(text, ",invoke_p50_ms,handler_p50_ms,open_loop,queue_mean_ms,queue_p50_ms,"
              "queue_p95_ms,queue_p99_ms,queue_max_ms,client_mean_ms,client_p50_ms,"
              "client_p95_ms,client_p99_ms,client_max_ms,asked_duration_p50_ms,"
              "measured_duration_p50_ms,slip_p50_pct\n");
    line = line_starting(text, OPEN_ROW("round-robin,cold") "30,0,");
    ck_assert_ptr_nonnull(line);
    ends_with(line, ",1,23127.500,23451.000,44601.400,47197.350,48179.000,"
                    "26731.071,26896.609,48420.669,50657.055,51432.375,,,");
    free(line);
    line = line_starting(text, OPEN_ROW("least-used,warmed") "29,1,");
    ck_assert_ptr_nonnull(line);
    ends_with(line, ",1,0.483,0.000,0.000,14.400,20.000,213.811,212.707,238.241,257.654,"
                    "264.285,,,");
    free(line);
    line = line_starting(text, OPEN_ROW("least-used,pre-warmed") "30,0,");
    ck_assert_ptr_nonnull(line);
    ends_with(line, ",1,161.800,1.500,669.850,737.610,764.000,494.932,367.112,1018.314,"
                    "1089.309,1107.092,,,");
    free(line);
    free(text);

    text = slurp(dir, "summary.txt");
    HAS(text, "Open-loop cells");
    flat = squeeze(text);
    HAS(flat, "| policy | warming | function | n | queue mean | queue p50 | queue p95 |"
              " queue p99 | queue max | latency p50 | client p50 | client p95 | client p99 |"
              " client max |\n");
    HAS(flat, "| least-used | pre-warmed | fib-light | 30 | 161.8 | 1.5 | 669.9 | 737.6 |"
              " 764.0 | 327.1 | 367.1 | 1018.3 | 1089.3 | 1107.1 |\n");
    HAS(flat, "| least-used | warmed | fib-light | 29 | 0.5 | 0.0 | 0.0 | 14.4 | 20.0 |"
              " 213.6 | 212.7 | 238.2 | 257.7 | 264.3 |\n");
    free(flat);
    free(text);
    remove_run(dir);

    /* A closed loop has no queue to show: no such table, empty columns. */
    dir = copy_run("basic");
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), 0);
    text = slurp(dir, "summary.txt");
    ck_assert_ptr_null(strstr(text, "Open-loop"));
    ck_assert_ptr_null(strstr(text, "queue"));
    free(text);
    remove_run(dir);
}
END_TEST

/* Asked against measured: per cell and function, the median asked duration
 * of the successful steady rows asked for one, the median of their
 * handler_ms (node_exec_ms where a row has none: a function that is not
 * resident) and the median of each row's slip; rows without asked work,
 * failed and warm-up rows left out. */
START_TEST(test_report_asked_work)
{
    struct fb_errbuf eb = {{0}};
    char *dir = copy_run("basic"), *text, *line, *flat;

    put(dir, "invocations.csv",
        "repetition,policy,warming,function,latency_ms,node_exec_ms,handler_ms,error,warmup,"
        "asked_duration_ms,asked_memory_mb\n"
        /* resident: the handler's time */
        "1,rr,warmed,f,60.000,55.000,50.500,,0,50.000,16\n"
        "1,rr,warmed,f,110.000,105.000,101.000,,0,100.000,16\n"
        "1,rr,warmed,f,160.000,155.000,152.000,,0,150.000,16\n"
        "1,rr,warmed,f,900.000,855.000,850.000,,1,50.000,16\n"      /* warm-up */
        "1,rr,warmed,f,1.000,,,boom,0,300.000,16\n"                  /* failed */
        /* not resident: the command's time on the node */
        "1,rr,warmed,g,330.000,320.000,,,0,300.000,\n"
        "1,rr,warmed,g,340.000,324.000,,,0,300.000,\n"
        /* asked for nothing */
        "1,rr,warmed,h,12.000,10.000,9.000,,0,,\n"
        /* asked, with no time measured on the node */
        "1,rr,warmed,k,12.000,,,,0,75.500,\n"
        /* durations that differ: the two medians are of other rows, the
         * slip is each row's own (0.909, 28.182, 0.714, 1.429 %) */
        "1,rr,warmed,m,120.000,,111.000,,0,110.000,\n"
        "1,rr,warmed,m,150.000,,141.000,,0,110.000,\n"
        "1,rr,warmed,m,150.000,,141.000,,0,140.000,\n"
        "1,rr,warmed,m,150.000,,142.000,,0,140.000,\n");
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), 0);
    text = slurp(dir, "summary.csv");
    line = line_starting(text, ",1,rr,warmed,f,3,1,");
    ck_assert_ptr_nonnull(line);
    ends_with(line, ",100.000,101.000,1.00");
    free(line);
    line = line_starting(text, ",1,rr,warmed,g,2,0,");
    ck_assert_ptr_nonnull(line);
    ends_with(line, ",300.000,322.000,7.33");
    free(line);
    line = line_starting(text, ",1,rr,warmed,k,1,0,");
    ck_assert_ptr_nonnull(line);
    ends_with(line, ",0,,,,,,,,,,,75.500,,");
    free(line);
    line = line_starting(text, ",1,rr,warmed,m,4,0,");
    ck_assert_ptr_nonnull(line);
    ends_with(line, ",125.000,141.000,1.17");
    free(line);
    line = line_starting(text, ",1,rr,warmed,h,1,0,");
    ck_assert_ptr_nonnull(line);
    ends_with(line, ",0,,,,,,,,,,,,,");
    free(line);
    free(text);

    text = slurp(dir, "summary.txt");
    flat = squeeze(text);
    HAS(flat, "| policy | warming | function | asked p50 | measured p50 | slip p50 |\n");
    HAS(flat, "| rr | warmed | f | 100.0 | 101.0 | +1.0 % |\n");
    HAS(flat, "| rr | warmed | g | 300.0 | 322.0 | +7.3 % |\n");
    HAS(flat, "| rr | warmed | k | 75.5 | - | - |\n");
    HAS(flat, "| rr | warmed | m | 125.0 | 141.0 | +1.2 % |\n");
    ck_assert_ptr_nonnull(strstr(flat, "Asked work"));
    ck_assert_ptr_null(strstr(strstr(flat, "Asked work"), "| h |"));
    free(flat);
    free(text);
    remove_run(dir);

    /* Rows that asked for no work: no such table. */
    dir = copy_run("basic");
    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), 0);
    text = slurp(dir, "summary.txt");
    ck_assert_ptr_null(strstr(text, "Asked work"));
    free(text);
    remove_run(dir);
}
END_TEST

START_TEST(test_report_two_reps)
{
    struct fb_errbuf eb = {{0}};
    char *dir = copy_run("two-reps"), *text;

    ck_assert_int_eq(fb_report_write(dir, &no_plots, &eb), 0);
    text = slurp(dir, "summary.csv");
    ck_assert_uint_eq(count_lines(text), 9);
    /* File order: the cells ran shuffled. */
    HAS(text, "\nfixture-two-reps-20250101T120000Z,1,most-used,warmed,fib-light,6,0,");
    ck_assert_ptr_eq(strstr(text, ",1,most-used,warmed,") + 2, strstr(text, ",most-used,"));
    free(text);
    text = slurp(dir, "summary.txt");
    HAS(text, "| rep | policy      | warming | function  |");
    HAS(text, "|   2 | round-robin | cold    | fib-light |");
    free(text);
    text = slurp(dir, "comparison.txt");
    HAS(text, "|   2 | round-robin | cold    | fib-light | 1 most-used/warmed |");
    free(text);
    remove_run(dir);
}
END_TEST

struct seen {
    int cells;
    char order[16][64];
    size_t nodes;
    size_t node4;
    size_t lat_total;
};

static int count_cb(void *ctx, struct fb_cellfn *c, struct fb_errbuf *eb)
{
    struct seen *s = ctx;

    (void)eb;
    if (s->cells < 16)
        snprintf(s->order[s->cells], 64, "%s/%s/%s", c->policy, c->warming, c->function);
    s->cells++;
    s->nodes = c->n_nodes;
    ck_assert_str_eq(c->nodes[3], "node4"); /* from environment.txt, never used */
    s->node4 += c->per_node[3];
    s->lat_total += c->lat.n;
    for (size_t i = 1; i < c->lat.n; i++)
        ck_assert(c->lat.v[i - 1] <= c->lat.v[i]);
    ck_assert_uint_eq(c->rows, c->lat.n + c->errors);
    return 0;
}

static int stop_cb(void *ctx, struct fb_cellfn *c, struct fb_errbuf *eb)
{
    int *n = ctx;

    (void)c;
    return ++*n == 3 ? fb_errf(eb, FB_EINTR, "stop here") : 0;
}

START_TEST(test_scan_cells)
{
    struct seen s = {0};
    struct fb_errbuf eb = {{0}};
    int n = 0;

    ck_assert_int_eq(fb_invocations_scan(RUNS "/basic", count_cb, &s, &eb), 0);
    ck_assert_int_eq(s.cells, 12);
    ck_assert_str_eq(s.order[0], "round-robin/cold/fib-light");
    ck_assert_str_eq(s.order[1], "round-robin/cold/fib-heavy");
    ck_assert_str_eq(s.order[11], "least-used/warmed/fib-heavy");
    ck_assert_uint_eq(s.nodes, 4);
    ck_assert_uint_eq(s.node4, 0);
    ck_assert_uint_eq(s.lat_total, 144 - 2);

    /* A callback's error stops the scan and comes back. */
    ck_assert_int_eq(fb_invocations_scan(RUNS "/basic", stop_cb, &n, &eb), FB_EINTR);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(fb_invocations_scan(NULL, stop_cb, &n, &eb), FB_EINVAL);
}
END_TEST

START_TEST(test_report_plot_hook)
{
    struct fb_report_opts o = {0};
    struct fb_errbuf eb = {{0}};
    char *dir = copy_run("basic"), *script = xstrf(dir, "fake-plot"), *text;

    /* The hook gets the folder as its one argument. */
    put(dir, "fake-plot", "#!/bin/sh\necho \"$1\" > \"$1/plotted\"\n");
    ck_assert_int_eq(chmod(script, 0755), 0);
    setenv("FAASBENCH_PLOT", script, 1);
    ck_assert_int_eq(fb_report_write(dir, &o, &eb), 0);
    text = slurp(dir, "plotted");
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq(strncmp(text, dir, strlen(dir)), 0);
    ck_assert_str_eq(text + strlen(dir), "\n");
    free(text);

    /* A failing or missing script is a warning, not an error. */
    put(dir, "fake-plot", "#!/bin/sh\nexit 3\n");
    ck_assert_int_eq(fb_report_write(dir, &o, &eb), 0);
    setenv("FAASBENCH_PLOT", "/nonexistent/plot", 1);
    ck_assert_int_eq(fb_report_write(dir, &o, &eb), 0);

    /* Empty: no plots at all. */
    put(dir, "fake-plot", "#!/bin/sh\ntouch \"$1/plotted-again\"\n");
    setenv("FAASBENCH_PLOT", "", 1);
    ck_assert_int_eq(fb_report_write(dir, &o, &eb), 0);
    text = slurp(dir, "plotted-again");
    ck_assert_ptr_null(text);
    unsetenv("FAASBENCH_PLOT");
    free(script);
    remove_run(dir);
}
END_TEST

/* Runs fn(argc, argv) with stdout captured; returns its status, *out the text. */
static int capture(int (*fn)(int, char **), int argc, char **argv, char **out)
{
    char tmpl[] = "/tmp/faasbench-report-out.XXXXXX";
    int fd = mkstemp(tmpl), saved, status;
    char *dir, *name;

    ck_assert_int_ge(fd, 0);
    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    status = fn(argc, argv);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(fd);
    name = strrchr(tmpl, '/');
    *name = '\0';
    dir = tmpl;
    *out = slurp(dir, name + 1);
    *name = '/';
    unlink(tmpl);
    return status;
}

START_TEST(test_cli_report)
{
    char *dir = copy_run("basic"), *out;
    char *ok[] = {"report", dir, "--no-plots", NULL};
    char *quiet[] = {"report", "--no-plots", "-q", dir, NULL};
    char *bad_ref[] = {"report", dir, "--no-plots", "--reference", "x/y", NULL};
    char *no_dir[] = {"report", "--no-plots", NULL};
    char *two[] = {"report", dir, dir, NULL};
    char *unknown[] = {"report", "--frobnicate", dir, NULL};

    ck_assert_int_eq(capture(fb_cli_report, 3, ok, &out), 0);
    HAS(out, "| round-robin | cold       | fib-heavy | 11 |   1 |");
    free(out);
    ck_assert_int_eq(capture(fb_cli_report, 4, quiet, &out), 0);
    ck_assert_str_eq(out, "");
    free(out);
    ck_assert_int_eq(capture(fb_cli_report, 5, bad_ref, &out), 2);
    free(out);
    ck_assert_int_eq(capture(fb_cli_report, 2, no_dir, &out), 2);
    free(out);
    ck_assert_int_eq(capture(fb_cli_report, 3, two, &out), 2);
    free(out);
    ck_assert_int_eq(capture(fb_cli_report, 3, unknown, &out), 2);
    free(out);
    remove_run(dir);
}
END_TEST

START_TEST(test_cli_compare)
{
    char *out;
    char *same[] = {"compare", RUNS "/basic", RUNS "/basic", NULL};
    char *slower[] = {"compare", RUNS "/basic", RUNS "/basic-slower", NULL};
    char *tolerant[] = {"compare", "--tolerance", "25%", RUNS "/basic", RUNS "/basic-slower",
                        NULL};
    char *mean[] = {"compare", RUNS "/basic", RUNS "/basic-slower", "--metric", "mean",
                    "--tolerance", "10", NULL};
    char *faster[] = {"compare", RUNS "/basic-slower", RUNS "/basic", NULL};
    char *bad_metric[] = {"compare", "--metric", "p42", RUNS "/basic", RUNS "/basic", NULL};
    char *bad_tol[] = {"compare", "--tolerance", "-5%", RUNS "/basic", RUNS "/basic", NULL};
    char *missing[] = {"compare", RUNS "/basic", "/nonexistent/run", NULL};
    char *one[] = {"compare", RUNS "/basic", NULL};
    char *other[] = {"compare", RUNS "/basic", RUNS "/two-reps", NULL};

    ck_assert_int_eq(capture(fb_cli_compare, 3, same, &out), 0);
    HAS(out, "| round-robin | cold       | fib-light |     12 |    12 |   3616.8 |  3616.8 |"
             " 1.000 |");
    HAS(out, "no cell slower beyond 10%");
    ck_assert(strstr(out, "SLOWER:") == strstr(out, "SLOWER: ratio")); /* rule line only */
    free(out);

    /* One cell 20 % slower: named, exit 1. */
    ck_assert_int_eq(capture(fb_cli_compare, 3, slower, &out), 1);
    HAS(out, "| least-used  | warmed     | fib-light |     12 |    12 |    215.2 |   258.2 |"
             " 1.200 | [1.139, 1.257] | <0.0001 | SLOWER  |");
    HAS(out, "SLOWER: repetition 1 least-used/warmed fib-light: p50 215.2 -> 258.2 ms, "
             "x1.200 [1.139, 1.257], p <0.0001\n");
    HAS(out, "1 cell(s) slower beyond 10%");
    free(out);

    ck_assert_int_eq(capture(fb_cli_compare, 5, tolerant, &out), 0);
    HAS(out, "no cell slower beyond 25%");
    free(out);
    ck_assert_int_eq(capture(fb_cli_compare, 7, mean, &out), 1);
    HAS(out, "metric: mean latency");
    free(out);
    /* The other way round it is faster, which is no failure. */
    ck_assert_int_eq(capture(fb_cli_compare, 3, faster, &out), 0);
    HAS(out, "| faster  |");
    free(out);

    ck_assert_int_eq(capture(fb_cli_compare, 5, bad_metric, &out), 2);
    free(out);
    ck_assert_int_eq(capture(fb_cli_compare, 5, bad_tol, &out), 2);
    free(out);
    ck_assert_int_eq(capture(fb_cli_compare, 3, missing, &out), 2);
    free(out);
    ck_assert_int_eq(capture(fb_cli_compare, 2, one, &out), 2);
    free(out);
    /* Different matrices: unmatched cells are listed, not failed. */
    ck_assert_int_eq(capture(fb_cli_compare, 3, other, &out), 0);
    HAS(out, "only in base");
    HAS(out, "only in new");
    free(out);
}
END_TEST

/* 3 against 3 can never reach p < 0.05: such cells are untestable, never a
 * silent pass; with 12 per cell the same 50 % is found. */
START_TEST(test_compare_small_cells)
{
    char *out;
    char *small[] = {"compare", RUNS "/small", RUNS "/small-slower", NULL};
    char *strict[] = {"compare", "--require-testable", RUNS "/small", RUNS "/small-slower",
                      NULL};
    char *big[] = {"compare", RUNS "/basic", RUNS "/basic-slower50", NULL};

    ck_assert_int_eq(capture(fb_cli_compare, 3, small, &out), 0);
    HAS(out, "| least-used  | warmed     | fib-light |      3 |     3 |");
    HAS(out, "| untestable |");
    HAS(out, "no cell slower beyond 10%; 12 of 12 compared cell(s) could not be tested "
             "(too few invocations: at least 4 per side are needed)\n");
    ck_assert_ptr_null(strstr(out, "| ok "));
    free(out);
    ck_assert_int_eq(capture(fb_cli_compare, 4, strict, &out), 1);
    HAS(out, "--require-testable: 12 cell(s) untestable");
    free(out);
    ck_assert_int_eq(capture(fb_cli_compare, 3, big, &out), 1);
    HAS(out, "SLOWER: repetition 1 least-used/warmed fib-light: p50 ");
    HAS(out, "1 cell(s) slower beyond 10%\n");
    free(out);
}
END_TEST

/* compare --metric takes the open-loop phases: queue (the wait before a
 * worker) and client (the latency from the intended start). */
START_TEST(test_compare_open_loop)
{
    char *out, *flat;
    char *client[] = {"compare", "--metric", "client:p50", RUNS "/open-loop",
                      RUNS "/open-loop-slower", NULL};
    char *queue[] = {"compare", "--metric", "queue:p95", RUNS "/open-loop",
                     RUNS "/open-loop-slower", NULL};
    char *closed[] = {"compare", "--metric", "queue:p50", RUNS "/basic", RUNS "/basic", NULL};
    char *back[] = {"compare", "-m", "client:p50", RUNS "/open-loop-slower", RUNS "/open-loop",
                    NULL};

    ck_assert_int_eq(capture(fb_cli_compare, 5, client, &out), 1);
    HAS(out, "metric: p50 client (ms)");
    HAS(out, "SLOWER: repetition 1 least-used/warmed fib-light: p50 212.7 -> 319.3 ms, "
             "x1.501 [1.454, 1.558], p <0.0001\n");
    HAS(out, "1 cell(s) slower beyond 10%");
    free(out);
    /* From a queue p95 of 0 (the light cell), not significant (p 0.45). */
    ck_assert_int_eq(capture(fb_cli_compare, 5, queue, &out), 0);
    flat = squeeze(out);
    HAS(flat, "| least-used | warmed | fib-light | 29 | 29 | 0.0 | 53.6 | - | - | 0.4522 | ok |");
    free(flat);
    free(out);
    /* A closed loop has no queue: no data, which is no failure. */
    ck_assert_int_eq(capture(fb_cli_compare, 5, closed, &out), 0);
    HAS(out, "| no data |");
    ck_assert_ptr_null(strstr(out, "| ok "));
    free(out);
    ck_assert_int_eq(capture(fb_cli_compare, 5, back, &out), 0);
    HAS(out, "| faster ");
    free(out);
}
END_TEST

/* compare --metric PHASE:STAT: the baseline keeps each cell's phase sample
 * past the scan's callback (the scan freed it under the baseline: a
 * use-after-free with any phase). */
START_TEST(test_compare_phase_metric)
{
    char *out;
    char *run[] = {"compare", "-m", "run:p50", RUNS "/basic", RUNS "/basic-slower", NULL};
    char *same[] = {"compare", "-m", "select:p95", RUNS "/basic", RUNS "/basic", NULL};

    ck_assert_int_eq(capture(fb_cli_compare, 5, run, &out), 1);
    HAS(out, "metric: p50 run (ms)");
    HAS(out, "SLOWER: repetition 1 least-used/warmed fib-light: p50 ");
    HAS(out, "1 cell(s) slower beyond 10%\n");
    free(out);
    ck_assert_int_eq(capture(fb_cli_compare, 5, same, &out), 0);
    HAS(out, "metric: p95 select (ms)");
    HAS(out, "no cell slower beyond 10%");
    free(out);
}
END_TEST

/* A new run whose invocations all failed has no latency to compare: its
 * errors fail it. */
START_TEST(test_compare_errors)
{
    char *out;
    char *failed[] = {"compare", RUNS "/basic", RUNS "/all-failed", NULL};
    char *tolerant[] = {"compare", "--error-tolerance", "100", RUNS "/basic",
                        RUNS "/all-failed", NULL};
    char *back[] = {"compare", RUNS "/all-failed", RUNS "/basic", NULL};

    ck_assert_int_eq(capture(fb_cli_compare, 3, failed, &out), 1);
    HAS(out, "MORE ERRORS: repetition 1 round-robin/warmed fib-light: 12 of 12 failed "
             "(base: 0 of 12)\n");
    HAS(out, "| no data |");
    HAS(out, "10 cell(s) with more errors\n"); /* 2 cells had a failure already */
    free(out);
    /* A cell that had failures already only fails past the tolerance. */
    ck_assert_int_eq(capture(fb_cli_compare, 5, tolerant, &out), 0);
    free(out);
    ck_assert_int_eq(capture(fb_cli_compare, 3, back, &out), 0);
    free(out);
}
END_TEST

START_TEST(test_cmp_rule)
{
    struct fb_cmp c = {.n_base = 10, .n_new = 10, .base = 100, .new_ = 120, .ratio = 1.2,
                       .ci_lo = 1.05, .ci_hi = 1.3, .u = 90, .p = 0.01};

    ck_assert(fb_cmp_is_regression(&c, 0.10));
    ck_assert(!fb_cmp_is_regression(&c, 0.25)); /* within tolerance */
    c.p = 0.2;
    ck_assert(!fb_cmp_is_regression(&c, 0.10)); /* not significant */
    c.p = 0.01;
    c.ci_lo = 0.98;
    ck_assert(!fb_cmp_is_regression(&c, 0.10)); /* CI reaches 1 */
    c.ratio = NAN;
    ck_assert(!fb_cmp_is_regression(&c, 0.10));
    c = (struct fb_cmp){.ratio = 0.8, .ci_lo = 0.7, .ci_hi = 0.9, .p = 0.001};
    ck_assert(fb_cmp_is_improvement(&c, 0.10));
    ck_assert(!fb_cmp_is_regression(&c, 0.10));
}
END_TEST

/* Renders text as metrics.csv through fb_metrics_table_write. */
static char *metrics_table(const char *csv_text)
{
    char *dir = copy_run("basic"), *path = xstrf(dir, "metrics.csv");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct fb_errbuf eb = {{0}};

    put(dir, "metrics.csv", csv_text);
    ck_assert_int_eq(fb_metrics_table_write(path, f, &eb), 0);
    fclose(f);
    free(path);
    remove_run(dir);
    return buf;
}

START_TEST(test_metrics_table_types)
{
    char *text;

    /* Expected texts: what Python's tabulate 0.8.9 prints for the same rows
     * read with the csv module (strings), tablefmt="grid". */
    text = metrics_table("Function,Node,CPU Usage %\n");
    expect_text(text,
        "+------------+--------+---------------+\n"
        "| Function   | Node   | CPU Usage %   |\n"
        "+============+========+===============+\n"
        "+------------+--------+---------------+\n");
    free(text);

    /* An empty cell makes a column text; ints stay ints; floats align on the
     * point. */
    text = metrics_table("Function,Node,CPU Usage %,Count,Time\n"
                         "a,,1.5,7,0.25\n"
                         "b,,,12,10\n");
    expect_text(text,
        "+------------+--------+---------------+---------+--------+\n"
        "| Function   | Node   | CPU Usage %   |   Count |   Time |\n"
        "+============+========+===============+=========+========+\n"
        "| a          |        | 1.5           |       7 |   0.25 |\n"
        "+------------+--------+---------------+---------+--------+\n"
        "| b          |        |               |      12 |  10    |\n"
        "+------------+--------+---------------+---------+--------+\n");
    free(text);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_report_basic);
    tcase_add_test(tc, test_report_faults);
    tcase_add_test(tc, test_phase_filter);
    tcase_add_test(tc, test_report_replaces);
    tcase_add_test(tc, test_report_findings);
    tcase_add_test(tc, test_report_reference);
    tcase_add_test(tc, test_report_extra_column);
    tcase_add_test(tc, test_report_bad_input);
    tcase_add_test(tc, test_report_two_reps);
    tcase_add_test(tc, test_report_refuses_foreign_text);
    tcase_add_test(tc, test_report_interleaved_cells);
    tcase_add_test(tc, test_report_open_loop);
    tcase_add_test(tc, test_report_asked_work);
    tcase_add_test(tc, test_compare_open_loop);
    tcase_add_test(tc, test_scan_cells);
    tcase_add_test(tc, test_report_plot_hook);
    tcase_add_test(tc, test_cli_report);
    tcase_add_test(tc, test_cli_compare);
    tcase_add_test(tc, test_compare_small_cells);
    tcase_add_test(tc, test_compare_errors);
    tcase_add_test(tc, test_compare_phase_metric);
    tcase_add_test(tc, test_cmp_rule);
    tcase_add_test(tc, test_metrics_table_types);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(report_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
