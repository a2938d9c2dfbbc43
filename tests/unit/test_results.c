/* test_results.c - Check suite for the run folder: CSV text, quoting, flushing, refusals. */
#include <check.h>
#include <csv.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "results/results.h"

#define INV_HEADER                                                                 \
    "run_id,repetition,policy,warming,function,seq,node,mode,intended_start_ms,"  \
    "start_ms,select_ms,pull_ms,run_ms,cleanup_ms,latency_ms,total_ms,"           \
    "node_exec_ms,cpu_pct,ram_pct,exit_status,attempts,error,failed_nodes,retry_error,"    \
    "instance,create_ms,ready_ms,init_ms,invoke_ms,handler_ms,runtime_pid,runtime_count,room_ms,warmup,"    \
    "asked_duration_ms,asked_memory_mb,faults\n"
#define MET_HEADER                                                                 \
    "Function,Node,CPU Usage %,RAM Usage %,Execution Mode,Execution Time (s)\n"

#define NASTY_ERROR "exit 1, said \"boom\"\nsecond line"

static char base[256];

static void make_base(void)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(base, sizeof(base), "%s/fbresults.XXXXXX",
             tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(base));
}

/* Removes a directory with plain files, symlinks and empty directories in it. */
static void remove_flat(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (unlink(path) != 0)
            rmdir(path);
    }
    closedir(d);
    rmdir(dir);
}

static void cleanup_base(void)
{
    char run[1024];

    snprintf(run, sizeof(run), "%s/run", base);
    remove_flat(run);
    snprintf(run, sizeof(run), "%s/target", base);
    remove_flat(run);
    remove_flat(base);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf;
    size_t n;

    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    buf = calloc(1, 1 << 16);
    ck_assert_ptr_nonnull(buf);
    n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void run_path(char *out, size_t len, const char *file)
{
    if (file != NULL)
        snprintf(out, len, "%s/run/%s", base, file);
    else
        snprintf(out, len, "%s/run", base);
}

/* Parsed CSV file: records of fields, filled by libcsv's callbacks. */
#define MAX_RECS 8
#define MAX_FIELDS 48
struct parsed {
    char *field[MAX_RECS][MAX_FIELDS];
    int nfields[MAX_RECS];
    int nrecs;
};

static void on_field(void *s, size_t len, void *data)
{
    struct parsed *p = data;
    char *copy;

    ck_assert_int_lt(p->nrecs, MAX_RECS);
    ck_assert_int_lt(p->nfields[p->nrecs], MAX_FIELDS);
    copy = malloc(len + 1);
    ck_assert_ptr_nonnull(copy);
    if (len > 0)
        memcpy(copy, s, len);
    copy[len] = '\0';
    p->field[p->nrecs][p->nfields[p->nrecs]++] = copy;
}

static void on_record(int c, void *data)
{
    struct parsed *p = data;

    (void)c;
    p->nrecs++;
}

static void parse_file(const char *path, struct parsed *p)
{
    struct csv_parser cp;
    char *text = slurp(path);
    size_t len = strlen(text);

    memset(p, 0, sizeof(*p));
    ck_assert_int_eq(csv_init(&cp, CSV_STRICT | CSV_STRICT_FINI), 0);
    ck_assert_uint_eq(csv_parse(&cp, text, len, on_field, on_record, p), len);
    ck_assert_int_eq(csv_fini(&cp, on_field, on_record, p), 0);
    csv_free(&cp);
    free(text);
}

static void free_parsed(struct parsed *p)
{
    for (int r = 0; r < MAX_RECS; r++)
        for (int c = 0; c < MAX_FIELDS; c++)
            free(p->field[r][c]);
}

static struct fb_invocation base_row(void)
{
    struct fb_invocation inv = {
        .run_id = "20240101-120000",
        .repetition = 1,
        .policy = "RoundRobin",
        .warming = "cold",
        .function = "fib",
        .seq = 1,
        .node = "node1",
        .mode = "cold",
        .intended_start_ms = 1704110400000LL,
        .start_ms = 1704110400002LL,
        .select_ms = 1.25,
        .pull_ms = 1500.0,
        .run_ms = 312.3456,
        .cleanup_ms = 0.0,
        .latency_ms = 1813.5801,
        .total_ms = 1813.5801,
        .node_exec_ms = 310.0,
        .cpu_pct = 45.678,
        .ram_pct = 12.3,
        .exit_status = 0,
        .attempts = 1,
        .error = "",
        /* not resident: those columns are empty */
        .create_ms = NAN, .ready_ms = NAN, .init_ms = NAN, .invoke_ms = NAN, .handler_ms = NAN, .room_ms = NAN,
        /* the work asked of it: memory without decimals */
        .asked_duration_ms = 250.5, .asked_memory_mb = 64.0,
    };
    return inv;
}

#define ROW1_TEXT                                                                  \
    "20240101-120000,1,RoundRobin,cold,fib,1,node1,cold,1704110400000,1704110400002," \
    "1.250,1500.000,312.346,0.000,1813.580,1813.580,310.000,45.68,12.30,0,1,,,,,,,,,,0,0,,0,250.500,64,\n"

/* Writes the three rows every test below checks. */
static void write_rows(struct fb_results *r)
{
    struct fb_invocation inv = base_row();

    ck_assert_int_eq(fb_results_write(r, &inv), 0);

    inv.seq = 2;
    inv.node = "node2";
    inv.mode = "warmed";
    inv.pull_ms = 0.0;
    inv.run_ms = 210.0;
    inv.latency_ms = 210.0;
    inv.total_ms = 210.0;
    inv.node_exec_ms = NAN;
    inv.cpu_pct = NAN;
    inv.ram_pct = NAN;
    inv.exit_status = 1;
    inv.error = NASTY_ERROR;
    inv.asked_duration_ms = 0.0; /* asked for no time, and for no memory */
    inv.asked_memory_mb = NAN;
    ck_assert_int_eq(fb_results_write(r, &inv), 0);

    inv.seq = 3;
    inv.node = "";
    inv.mode = "";
    inv.select_ms = 0.5;
    inv.pull_ms = 0.0;
    inv.run_ms = 0.0;
    inv.latency_ms = 0.5;
    inv.total_ms = 0.5;
    inv.exit_status = -1;
    inv.attempts = 3;
    inv.error = "no eligible node";
    inv.failed_nodes = "node1 node2";
    inv.retry_error = "pull on node2: lost, retried";
    inv.asked_duration_ms = NAN;
    inv.faults = "f1:down:node2 f3:kill-instances:node1";
    ck_assert_int_eq(fb_results_write(r, &inv), 0);
}

START_TEST(test_columns)
{
    char header[1024] = "";

    ck_assert_int_eq(fb_invocation_ncolumns, 37);
    for (int i = 0; i < fb_invocation_ncolumns; i++) {
        if (i > 0)
            strcat(header, ",");
        strcat(header, fb_invocation_columns[i].name);
    }
    strcat(header, "\n");
    ck_assert_str_eq(header, INV_HEADER);
}
END_TEST

START_TEST(test_csv_field)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    ck_assert_ptr_nonnull(f);
    fb_csv_field(f, "plain", 1);
    fb_csv_field(f, "a,b", 0);
    fb_csv_field(f, "say \"hi\"", 0);
    fb_csv_field(f, " lead", 0);
    fb_csv_field(f, "trail\t", 0);
    fb_csv_field(f, "inner space", 0);
    fb_csv_field(f, "cr\rlf\n", 0);
    fb_csv_field(f, NULL, 0);
    fb_csv_field(f, "", 0);
    fclose(f);
    ck_assert_str_eq(buf, "plain,\"a,b\",\"say \"\"hi\"\"\",\" lead\",\"trail\t\","
                          "inner space,\"cr\rlf\n\",,");
    free(buf);
}
END_TEST

START_TEST(test_write_and_read_back)
{
    char dir[1024], path[1024];
    struct fb_results *r = NULL;
    struct fb_errbuf eb = {""};
    struct parsed p;
    char *text;

    make_base();
    run_path(dir, sizeof(dir), NULL);
    ck_assert_int_eq(fb_results_open(dir, &r, &eb), 0);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(fb_results_dir(r), dir);
    write_rows(r);
    ck_assert_int_eq(fb_results_close(r), 0);

    /* Exact text of invocations.csv. */
    run_path(path, sizeof(path), "invocations.csv");
    text = slurp(path);
    ck_assert_str_eq(text,
        INV_HEADER
        ROW1_TEXT
        "20240101-120000,1,RoundRobin,cold,fib,2,node2,warmed,1704110400000,1704110400002,"
        "1.250,0.000,210.000,0.000,210.000,210.000,,,,1,1,"
        "\"exit 1, said \"\"boom\"\"\nsecond line\",,,,,,,,,0,0,,0,0.000,,\n"
        "20240101-120000,1,RoundRobin,cold,fib,3,,,1704110400000,1704110400002,"
        "0.500,0.000,0.000,0.000,0.500,0.500,,,,-1,3,no eligible node,node1 node2,"
        "\"pull on node2: lost, retried\",,,,,,,0,0,,0,,,f1:down:node2 f3:kill-instances:node1\n");
    free(text);

    /* The same file through a strict CSV reader: 37 fields everywhere and
     * the error text back byte for byte. */
    parse_file(path, &p);
    ck_assert_int_eq(p.nrecs, 4);
    for (int i = 0; i < p.nrecs; i++)
        ck_assert_int_eq(p.nfields[i], 37);
    for (int c = 0; c < 37; c++)
        ck_assert_str_eq(p.field[0][c], fb_invocation_columns[c].name);
    ck_assert_str_eq(p.field[1][7], "cold");
    ck_assert_str_eq(p.field[1][12], "312.346");
    ck_assert_str_eq(p.field[2][21], NASTY_ERROR);
    ck_assert_str_eq(p.field[2][16], "");
    ck_assert_str_eq(p.field[2][17], "");
    ck_assert_str_eq(p.field[3][6], "");
    ck_assert_str_eq(p.field[3][19], "-1");
    ck_assert_str_eq(p.field[3][21], "no eligible node");
    ck_assert_str_eq(p.field[3][22], "node1 node2");
    ck_assert_str_eq(p.field[3][23], "pull on node2: lost, retried");
    ck_assert_str_eq(p.field[1][34], "250.500");
    ck_assert_str_eq(p.field[1][35], "64");
    ck_assert_str_eq(p.field[1][36], "");
    ck_assert_str_eq(p.field[2][34], "0.000");
    ck_assert_str_eq(p.field[2][35], "");
    ck_assert_str_eq(p.field[3][34], "");
    ck_assert_str_eq(p.field[3][36], "f1:down:node2 f3:kill-instances:node1");
    free_parsed(&p);

    /* metrics.csv: the older testbed's columns; the row without a node is
     * left out; latency in seconds with 4 decimals. */
    run_path(path, sizeof(path), "metrics.csv");
    text = slurp(path);
    ck_assert_str_eq(text, MET_HEADER
                           "fib,node1,45.68,12.30,cold,1.8136\n"
                           "fib,node2,,,warmed,0.2100\n");
    free(text);
    parse_file(path, &p);
    ck_assert_int_eq(p.nrecs, 3);
    for (int i = 0; i < p.nrecs; i++)
        ck_assert_int_eq(p.nfields[i], 6);
    ck_assert_str_eq(p.field[0][2], "CPU Usage %");
    ck_assert_str_eq(p.field[0][5], "Execution Time (s)");
    free_parsed(&p);

    cleanup_base();
}
END_TEST

static int count_lines(const char *path)
{
    char *text = slurp(path);
    int n = 0;

    for (const char *s = text; *s != '\0'; s++)
        n += *s == '\n';
    free(text);
    return n;
}

START_TEST(test_flushed_per_row)
{
    char dir[1024], inv_path[1024], met_path[1024];
    struct fb_results *r = NULL;
    struct fb_invocation inv = base_row();
    char *text;

    make_base();
    run_path(dir, sizeof(dir), NULL);
    run_path(inv_path, sizeof(inv_path), "invocations.csv");
    run_path(met_path, sizeof(met_path), "metrics.csv");
    ck_assert_int_eq(fb_results_open(dir, &r, NULL), 0);

    /* Headers are on disk before any row. */
    ck_assert_int_eq(count_lines(inv_path), 1);
    ck_assert_int_eq(count_lines(met_path), 1);

    ck_assert_int_eq(fb_results_write(r, &inv), 0);
    text = slurp(inv_path); /* a separate FILE*, while r is still open */
    ck_assert_str_eq(text, INV_HEADER ROW1_TEXT);
    free(text);
    ck_assert_int_eq(count_lines(met_path), 2);

    for (int i = 2; i <= 5; i++) {
        inv.seq = i;
        ck_assert_int_eq(fb_results_write(r, &inv), 0);
        ck_assert_int_eq(count_lines(inv_path), i + 1);
        ck_assert_int_eq(count_lines(met_path), i + 1);
    }
    ck_assert_int_eq(fb_results_close(r), 0);
    cleanup_base();
}
END_TEST

START_TEST(test_refuses_existing_dir)
{
    char dir[1024];
    struct fb_results *r = NULL, *r2 = (struct fb_results *)&r;
    struct fb_errbuf eb = {""};

    make_base();
    run_path(dir, sizeof(dir), NULL);
    ck_assert_int_eq(fb_results_open(dir, &r, NULL), 0);
    ck_assert_int_eq(fb_results_close(r), 0);

    ck_assert_int_eq(fb_results_open(dir, &r2, &eb), FB_EIO);
    ck_assert_ptr_null(r2);
    ck_assert_msg(strstr(eb.msg, dir) != NULL, "message names the folder: %s", eb.msg);
    ck_assert_msg(strstr(eb.msg, "exists") != NULL, "message: %s", eb.msg);
    cleanup_base();
}
END_TEST

START_TEST(test_refuses_symlinks)
{
    char link_path[1024], target[1024], dangling[1024], path[1024];
    struct fb_results *r = NULL;
    struct fb_errbuf eb = {""};
    struct stat st;

    make_base();
    /* A symlink to an existing folder in place of the run folder. */
    snprintf(target, sizeof(target), "%s/target", base);
    ck_assert_int_eq(mkdir(target, 0700), 0);
    run_path(link_path, sizeof(link_path), NULL);
    ck_assert_int_eq(symlink(target, link_path), 0);
    ck_assert_int_eq(fb_results_open(link_path, &r, &eb), FB_EIO);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(eb.msg, link_path) != NULL, "message: %s", eb.msg);
    snprintf(path, sizeof(path), "%s/target/invocations.csv", base);
    ck_assert_int_eq(lstat(path, &st), -1);
    ck_assert_int_eq(unlink(link_path), 0);

    /* A dangling symlink: mkdir must not create its target. */
    snprintf(dangling, sizeof(dangling), "%s/nowhere", base);
    ck_assert_int_eq(symlink(dangling, link_path), 0);
    ck_assert_int_eq(fb_results_open(link_path, &r, &eb), FB_EIO);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(lstat(dangling, &st), -1);
    ck_assert_int_eq(unlink(link_path), 0);

    cleanup_base();
}
END_TEST

START_TEST(test_refuses_missing_parent)
{
    char dir[1024];
    struct fb_results *r = NULL;
    struct fb_errbuf eb = {""};

    make_base();
    snprintf(dir, sizeof(dir), "%s/no/such/run", base);
    ck_assert_int_eq(fb_results_open(dir, &r, &eb), FB_EIO);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(eb.msg, dir) != NULL, "message: %s", eb.msg);
    ck_assert_int_eq(fb_results_open("", &r, &eb), FB_EINVAL);
    ck_assert_int_eq(fb_results_open(NULL, &r, NULL), FB_EINVAL);
    cleanup_base();
}
END_TEST

START_TEST(test_modes_follow_umask)
{
    char dir[1024], path[1024];
    struct fb_results *r = NULL;
    struct stat st;
    mode_t old = umask(022);

    make_base();
    run_path(dir, sizeof(dir), NULL);
    ck_assert_int_eq(fb_results_open(dir, &r, NULL), 0);
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0755);
    run_path(path, sizeof(path), "invocations.csv");
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 07777, 0644);
    run_path(path, sizeof(path), "metrics.csv");
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0644);
    ck_assert_int_eq(fb_results_close(r), 0);
    umask(old);
    cleanup_base();
}
END_TEST

/* ---- reading rows back: only what a faasbench run writes ---- */

/* Reads ROW1_TEXT through the column table's reader with column col's field
 * replaced by len bytes of text. Returns the reader's result; *bad is the
 * column it named. */
static int read_with(enum fb_inv_column col, const char *text, size_t len,
                     enum fb_inv_column *bad)
{
    char row[] = ROW1_TEXT;
    struct fb_csvrow header = {0}, data = {0};
    struct fb_invocation_map map;
    struct fb_invocation inv;
    char *field;
    int i = 0, rc;

    for (int c = 0; c < FB_IC_N; c++)
        ck_assert_int_eq(fb_csvrow_add(&header, fb_invocation_columns[c].name,
                                       strlen(fb_invocation_columns[c].name), SIZE_MAX), 0);
    ck_assert_int_eq(fb_invocation_map_header(&map, &header, NULL), 0);
    row[strlen(row) - 1] = '\0'; /* the newline */
    /* ROW1_TEXT quotes nothing and has empty fields: split by hand. */
    for (field = row; i < FB_IC_N; i++) {
        char *comma = strchr(field, ',');

        if (comma != NULL)
            *comma = '\0';
        if (i == (int)col)
            ck_assert_int_eq(fb_csvrow_add(&data, text, len, SIZE_MAX), 0);
        else
            ck_assert_int_eq(fb_csvrow_add(&data, field, strlen(field), SIZE_MAX), 0);
        field = comma != NULL ? comma + 1 : field + strlen(field);
    }
    *bad = FB_IC_N;
    rc = fb_invocation_read(&map, &data, &inv, bad);
    fb_csvrow_free(&header);
    fb_csvrow_free(&data);
    return rc;
}

#define ACCEPTS(col, text)                                                               \
    do {                                                                                 \
        enum fb_inv_column bad_;                                                         \
        ck_assert_msg(read_with(col, text, sizeof(text) - 1, &bad_) == 0,                \
                      "%s '%s' refused", fb_invocation_columns[col].name, text);         \
    } while (0)
#define REFUSES(col, text)                                                               \
    do {                                                                                 \
        enum fb_inv_column bad_;                                                         \
        ck_assert_msg(read_with(col, text, sizeof(text) - 1, &bad_) == FB_EINVAL,        \
                      "%s '%s' accepted", fb_invocation_columns[col].name, text);        \
        ck_assert_int_eq(bad_, col);                                                     \
    } while (0)

/* The reader takes what the writer prints (plain decimals, whole numbers, an
 * empty cell for "not measured") and nothing else: no other number syntax
 * that strtod or strtoll would take, no negative duration or time, no NUL
 * byte in any field (a C string would stop at it). */
START_TEST(test_read_syntax)
{
    enum fb_inv_column bad;

    ck_assert_int_eq(read_with(FB_IC_latency_ms, "1813.580", 8, &bad), 0);
    ACCEPTS(FB_IC_latency_ms, "0.000");
    ACCEPTS(FB_IC_latency_ms, "12.5");  /* fewer decimals: same number */
    ACCEPTS(FB_IC_latency_ms, "7");
    ACCEPTS(FB_IC_latency_ms, "");      /* not measured */
    ACCEPTS(FB_IC_cpu_pct, "45.68");
    ACCEPTS(FB_IC_exit_status, "-1");
    ACCEPTS(FB_IC_start_ms, "1704110400002");
    ACCEPTS(FB_IC_error, "exit 1, said \"boom\"");

    /* Other number syntax: C's readers take each of these. */
    REFUSES(FB_IC_latency_ms, "0x1p8");
    REFUSES(FB_IC_latency_ms, "0x100");
    REFUSES(FB_IC_latency_ms, "1e3");
    REFUSES(FB_IC_latency_ms, "1E-3");
    REFUSES(FB_IC_latency_ms, "inf");
    REFUSES(FB_IC_latency_ms, "nan");
    REFUSES(FB_IC_latency_ms, "+5.000");
    REFUSES(FB_IC_latency_ms, " 5.000");
    REFUSES(FB_IC_latency_ms, "5.");
    REFUSES(FB_IC_latency_ms, ".5");
    REFUSES(FB_IC_latency_ms, "1.2.3");
    REFUSES(FB_IC_cpu_pct, "1e1");
    REFUSES(FB_IC_start_ms, "+1704110400002");
    REFUSES(FB_IC_start_ms, " 1704110400002");
    REFUSES(FB_IC_start_ms, "1704110400002.0");
    REFUSES(FB_IC_seq, "0x10");
    REFUSES(FB_IC_attempts, "");

    /* Durations are differences of monotonic times; times are unix ms. */
    REFUSES(FB_IC_latency_ms, "-3.000");
    REFUSES(FB_IC_select_ms, "-0.000");
    REFUSES(FB_IC_handler_ms, "-1");
    REFUSES(FB_IC_intended_start_ms, "-5");

    /* Asked memory: MB as the writer prints them (whole, or with decimals
     * as any plain decimal), empty when not asked, never negative. */
    ACCEPTS(FB_IC_asked_memory_mb, "64");
    ACCEPTS(FB_IC_asked_memory_mb, "16.5");
    ACCEPTS(FB_IC_asked_memory_mb, "");
    ACCEPTS(FB_IC_asked_duration_ms, "");
    REFUSES(FB_IC_asked_memory_mb, "-1");
    REFUSES(FB_IC_asked_memory_mb, "1e3");
    REFUSES(FB_IC_asked_duration_ms, "-0.5");

    /* A NUL byte, in a number or a text column. */
    REFUSES(FB_IC_latency_ms, "12.5\0001");
    REFUSES(FB_IC_repetition, "1\000");
    REFUSES(FB_IC_error, "\000hidden");
    REFUSES(FB_IC_node, "node1\000x");
    REFUSES(FB_IC_run_id, "20240101-120000\000");
}
END_TEST

START_TEST(test_null_safety)
{
    struct fb_invocation inv = base_row();

    ck_assert_int_eq(fb_results_close(NULL), 0);
    ck_assert_int_eq(fb_results_write(NULL, &inv), FB_EINVAL);
    ck_assert_ptr_null(fb_results_dir(NULL));
}
END_TEST

/* docs/results.md's "Columns" is what --list-columns prints from the tables:
 * a column added, renamed or explained anew shows there too. */
START_TEST(test_columns_documented)
{
    FILE *doc = fopen(FB_TEST_DATA "/../../docs/results.md", "r");
    char *listed = NULL, *text = NULL, *begin, *end;
    size_t listed_len = 0, text_len = 0;
    FILE *mem;
    static const char open_mark[] = "<!-- columns: begin -->\n```text\n";

    ck_assert_ptr_nonnull(doc);
    mem = open_memstream(&text, &text_len);
    ck_assert_ptr_nonnull(mem);
    for (int c; (c = fgetc(doc)) != EOF;)
        fputc(c, mem);
    fclose(doc);
    fclose(mem);
    mem = open_memstream(&listed, &listed_len);
    ck_assert_ptr_nonnull(mem);
    fb_result_files_list(mem);
    fclose(mem);

    begin = strstr(text, open_mark);
    ck_assert_msg(begin != NULL, "docs/results.md: no columns block");
    begin += strlen(open_mark);
    end = strstr(begin, "```\n<!-- columns: end -->");
    ck_assert_msg(end != NULL, "docs/results.md: the columns block does not end");
    *end = '\0';
    if (strcmp(begin, listed) != 0)
        fprintf(stderr, "--- docs/results.md\n%s--- faasbench --list-columns\n%s---\n", begin,
                listed);
    ck_assert_msg(strcmp(begin, listed) == 0,
                  "docs/results.md's columns differ from the tables: paste the output of "
                  "`faasbench --list-columns` between its markers");
    /* Every file of the run folder is in the list, each column once. */
    for (int i = 0; fb_result_file_at(i) != NULL; i++) {
        const struct fb_result_file *f = fb_result_file_at(i);

        for (int a = 0; a < f->n; a++)
            for (int b = a + 1; b < f->n; b++)
                ck_assert_msg(strcmp(f->columns[a].name, f->columns[b].name) != 0,
                              "%s: %s twice", f->name, f->columns[a].name);
    }
    ck_assert_str_eq(fb_result_file_at(0)->name, "invocations.csv");
    free(text);
    free(listed);
}
END_TEST

static Suite *results_suite(void)
{
    Suite *s = suite_create("results");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_columns);
    tcase_add_test(tc, test_columns_documented);
    tcase_add_test(tc, test_csv_field);
    tcase_add_test(tc, test_write_and_read_back);
    tcase_add_test(tc, test_flushed_per_row);
    tcase_add_test(tc, test_refuses_existing_dir);
    tcase_add_test(tc, test_refuses_symlinks);
    tcase_add_test(tc, test_refuses_missing_parent);
    tcase_add_test(tc, test_modes_follow_umask);
    tcase_add_test(tc, test_null_safety);
    tcase_add_test(tc, test_read_syntax);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(results_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
