/* results.c - the run folder: invocations.csv and metrics.csv streamed row by row. */
#include "results.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

const char *const fb_invocation_columns[] = {
    "run_id", "repetition", "policy", "warming", "function", "seq", "node", "mode",
    "intended_start_ms", "start_ms",
    "select_ms", "pull_ms", "run_ms", "cleanup_ms", "latency_ms", "total_ms",
    "node_exec_ms", "cpu_pct", "ram_pct", "exit_status", "attempts", "error",
    "failed_nodes", "retry_error",
};
const int fb_invocation_ncolumns =
    (int)(sizeof(fb_invocation_columns) / sizeof(fb_invocation_columns[0]));

/* The older testbed's metrics.csv columns, kept byte for byte. */
static const char *const metrics_columns[] = {
    "Function", "Node", "CPU Usage %", "RAM Usage %", "Execution Mode",
    "Execution Time (s)",
};
#define METRICS_NCOLUMNS ((int)(sizeof(metrics_columns) / sizeof(metrics_columns[0])))

#define INVOCATIONS_NAME "invocations.csv"
#define METRICS_NAME "metrics.csv"

struct fb_results {
    char *dir;
    FILE *inv;
    FILE *met;
    int failed; /* a write or flush failed; reported again by close */
};

/* libcsv's reader trims unquoted leading and trailing blanks (space, tab), so
 * a field starting or ending with one is quoted to survive a round trip. */
static int is_csv_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int needs_quotes(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    if (is_csv_blank(s[0]) || is_csv_blank(s[len - 1]))
        return 1;
    return strpbrk(s, ",\"\r\n") != NULL;
}

void fb_csv_field(FILE *f, const char *s, int first)
{
    size_t len;

    if (!first)
        fputc(',', f);
    if (s == NULL)
        return;
    len = strlen(s);
    if (needs_quotes(s, len))
        csv_fwrite(f, s, len);
    else
        fwrite(s, 1, len, f);
}

/* A number with a fixed count of decimals; not-a-number (and infinities,
 * which no measurement produces) become an empty cell. */
static void put_real(FILE *f, double x, int decimals)
{
    fputc(',', f);
    if (isfinite(x))
        fprintf(f, "%.*f", decimals, x);
}

static void put_int(FILE *f, long long x)
{
    fprintf(f, ",%lld", x);
}

static void write_header(FILE *f, const char *const *cols, int n)
{
    for (int i = 0; i < n; i++)
        fb_csv_field(f, cols[i], i == 0);
    fputc('\n', f);
}

/* Creates name inside the directory dirfd, never following a symlink and
 * never reusing an existing file. */
static int create_file(int dirfd, const char *dir, const char *name, FILE **out,
                       struct fb_errbuf *eb)
{
    int fd, rc = 0;
    FILE *f = NULL;

    fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                0666);
    if (fd < 0) {
        rc = fb_errf(eb, FB_EIO, "%s/%s: %s", dir, name, strerror(errno));
        goto out;
    }
    f = fdopen(fd, "w");
    if (f == NULL) {
        rc = fb_errf(eb, FB_EIO, "%s/%s: %s", dir, name, strerror(errno));
        close(fd);
        goto out;
    }
    *out = f;
out:
    return rc;
}

int fb_results_open(const char *dir, struct fb_results **out, struct fb_errbuf *eb)
{
    struct fb_results *r = NULL;
    int dirfd = -1, made_dir = 0, rc = 0;

    if (dir == NULL || *dir == '\0' || out == NULL) {
        rc = fb_errf(eb, FB_EINVAL, "results folder: no path given");
        goto out;
    }
    *out = NULL;
    if (mkdir(dir, 0777) != 0) {
        if (errno == EEXIST)
            rc = fb_errf(eb, FB_EIO, "%s: results folder already exists", dir);
        else
            rc = fb_errf(eb, FB_EIO, "%s: cannot create results folder: %s", dir,
                         strerror(errno));
        goto out;
    }
    made_dir = 1;
    /* Work relative to the folder just made, so a rename or symlink swap of
     * the path afterwards cannot redirect the files. */
    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dirfd < 0) {
        rc = fb_errf(eb, FB_EIO, "%s: %s", dir, strerror(errno));
        goto out;
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL || (r->dir = strdup(dir)) == NULL) {
        rc = fb_errf(eb, FB_ENOMEM, "%s: out of memory", dir);
        goto out;
    }
    rc = create_file(dirfd, dir, INVOCATIONS_NAME, &r->inv, eb);
    if (rc < 0)
        goto out;
    rc = create_file(dirfd, dir, METRICS_NAME, &r->met, eb);
    if (rc < 0)
        goto out;

    write_header(r->inv, fb_invocation_columns, fb_invocation_ncolumns);
    write_header(r->met, metrics_columns, METRICS_NCOLUMNS);
    if (fflush(r->inv) != 0 || fflush(r->met) != 0) {
        rc = fb_errf(eb, FB_EIO, "%s: cannot write headers: %s", dir, strerror(errno));
        goto out;
    }
    *out = r;
    r = NULL;
out:
    if (r != NULL) {
        /* Undo a partly made folder so that the same path can be retried. */
        if (r->inv != NULL) {
            fclose(r->inv);
            unlinkat(dirfd, INVOCATIONS_NAME, 0);
        }
        if (r->met != NULL) {
            fclose(r->met);
            unlinkat(dirfd, METRICS_NAME, 0);
        }
        free(r->dir);
        free(r);
    }
    if (dirfd >= 0)
        close(dirfd);
    if (rc < 0 && made_dir)
        rmdir(dir); /* fails harmlessly if anything else is inside */
    return rc;
}

/* Opens name in dirfd for appending after cutting it to size bytes. */
static int reopen_file(int dirfd, const char *dir, const char *name, long size, FILE **out,
                       struct fb_errbuf *eb)
{
    int fd = openat(dirfd, name, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return fb_errf(eb, FB_EIO, "%s/%s: %s", dir, name, strerror(errno));
    if (ftruncate(fd, (off_t)size) != 0) {
        int rc = fb_errf(eb, FB_EIO, "%s/%s: cannot cut to %ld bytes: %s", dir, name, size,
                         strerror(errno));
        close(fd);
        return rc;
    }
    *out = fdopen(fd, "a");
    if (*out == NULL || fseek(*out, 0, SEEK_END) != 0) {
        int rc = fb_errf(eb, FB_EIO, "%s/%s: %s", dir, name, strerror(errno));
        if (*out != NULL)
            fclose(*out);
        else
            close(fd);
        *out = NULL;
        return rc;
    }
    return 0;
}

int fb_results_reopen(const char *dir, long inv_size, long met_size, struct fb_results **out,
                      struct fb_errbuf *eb)
{
    struct fb_results *r = calloc(1, sizeof(*r));
    int rc = 0, dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    *out = NULL;
    if (dirfd < 0) {
        rc = fb_errf(eb, FB_EIO, "%s: %s", dir, strerror(errno));
        goto out;
    }
    if (r == NULL || (r->dir = strdup(dir)) == NULL) {
        rc = fb_errf(eb, FB_ENOMEM, "%s: out of memory", dir);
        goto out;
    }
    if ((rc = reopen_file(dirfd, dir, INVOCATIONS_NAME, inv_size, &r->inv, eb)) < 0 ||
        (rc = reopen_file(dirfd, dir, METRICS_NAME, met_size, &r->met, eb)) < 0)
        goto out;
    *out = r;
    r = NULL;
out:
    if (r != NULL) {
        if (r->inv != NULL)
            fclose(r->inv);
        free(r->dir);
        free(r);
    }
    if (dirfd >= 0)
        close(dirfd);
    return rc;
}

int fb_results_tell(struct fb_results *r, long *inv_size, long *met_size)
{
    if (fflush(r->inv) != 0 || fflush(r->met) != 0)
        return FB_EIO;
    *inv_size = ftell(r->inv);
    *met_size = ftell(r->met);
    return *inv_size < 0 || *met_size < 0 ? FB_EIO : 0;
}

static void write_invocation(FILE *f, const struct fb_invocation *inv)
{
    fb_csv_field(f, inv->run_id, 1);
    put_int(f, inv->repetition);
    fb_csv_field(f, inv->policy, 0);
    fb_csv_field(f, inv->warming, 0);
    fb_csv_field(f, inv->function, 0);
    put_int(f, inv->seq);
    fb_csv_field(f, inv->node, 0);
    fb_csv_field(f, inv->mode, 0);
    put_int(f, inv->intended_start_ms);
    put_int(f, inv->start_ms);
    put_real(f, inv->select_ms, 3);
    put_real(f, inv->pull_ms, 3);
    put_real(f, inv->run_ms, 3);
    put_real(f, inv->cleanup_ms, 3);
    put_real(f, inv->latency_ms, 3);
    put_real(f, inv->total_ms, 3);
    put_real(f, inv->node_exec_ms, 3);
    put_real(f, inv->cpu_pct, 2);
    put_real(f, inv->ram_pct, 2);
    put_int(f, inv->exit_status);
    put_int(f, inv->attempts);
    fb_csv_field(f, inv->error, 0);
    fb_csv_field(f, inv->failed_nodes, 0);
    fb_csv_field(f, inv->retry_error, 0);
    fputc('\n', f);
}

static void write_metrics(FILE *f, const struct fb_invocation *inv)
{
    fb_csv_field(f, inv->function, 1);
    fb_csv_field(f, inv->node, 0);
    put_real(f, inv->cpu_pct, 2);
    put_real(f, inv->ram_pct, 2);
    fb_csv_field(f, inv->mode, 0);
    put_real(f, inv->latency_ms / 1000.0, 4);
    fputc('\n', f);
}

int fb_results_write(struct fb_results *r, const struct fb_invocation *inv)
{
    int rc = 0;

    if (r == NULL || inv == NULL) {
        rc = FB_EINVAL;
        goto out;
    }
    write_invocation(r->inv, inv);
    /* The older testbed's file only has rows for invocations that ran. */
    if (inv->node != NULL && inv->node[0] != '\0')
        write_metrics(r->met, inv);
    if (fflush(r->inv) != 0 || fflush(r->met) != 0 || ferror(r->inv) || ferror(r->met))
        r->failed = 1;
    if (r->failed)
        rc = FB_EIO;
out:
    return rc;
}

const char *fb_results_dir(const struct fb_results *r)
{
    return r != NULL ? r->dir : NULL;
}

int fb_results_close(struct fb_results *r)
{
    int rc = 0;

    if (r == NULL)
        goto out;
    if (r->failed)
        rc = FB_EIO;
    if (fclose(r->inv) != 0)
        rc = FB_EIO;
    if (fclose(r->met) != 0)
        rc = FB_EIO;
    free(r->dir);
    free(r);
out:
    return rc;
}
