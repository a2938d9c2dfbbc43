/* results.c - the run folder: invocations.csv and metrics.csv streamed row by row. */
#include "results/results.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define INVOCATIONS_NAME "invocations.csv"
#define METRICS_NAME "metrics.csv"

struct fb_results {
    char *dir;
    FILE *inv;
    FILE *met;
    int failed; /* a write or flush failed; reported again by close */
    char why[FB_ERRMSG_LEN]; /* what the first failure said */
};

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

    fb_invocation_write_header(r->inv);
    fb_col_write_header(r->met, fb_metrics_columns, FB_MC_N);
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

/* Column c of metrics.csv for the invocation row. */
static struct fb_value metrics_value(const void *row, int c)
{
    const struct fb_invocation *inv = row;

    switch ((enum fb_metrics_column)c) {
    case FB_MC_function:
        return FB_VSTR(inv->function);
    case FB_MC_node:
        return FB_VSTR(inv->node);
    case FB_MC_cpu:
        return FB_VREAL(inv->cpu_pct);
    case FB_MC_ram:
        return FB_VREAL(inv->ram_pct);
    case FB_MC_mode:
        return FB_VSTR(inv->mode);
    case FB_MC_time:
        return FB_VREAL(inv->latency_ms / 1000.0);
    case FB_MC_N:
        break;
    }
    return FB_VSTR(NULL);
}

int fb_results_write(struct fb_results *r, const struct fb_invocation *inv)
{
    int rc = 0;

    if (r == NULL || inv == NULL) {
        rc = FB_EINVAL;
        goto out;
    }
    fb_invocation_write(r->inv, inv);
    /* The older testbed's file only has rows for invocations that ran. */
    if (inv->node != NULL && inv->node[0] != '\0')
        fb_col_write_row(r->met, fb_metrics_columns, FB_MC_N, metrics_value, inv);
    if (!r->failed) {
        errno = 0;
        const char *bad = fflush(r->inv) != 0 || ferror(r->inv)   ? INVOCATIONS_NAME
                          : fflush(r->met) != 0 || ferror(r->met) ? METRICS_NAME
                                                                  : NULL;
        if (bad != NULL) {
            r->failed = 1;
            snprintf(r->why, sizeof(r->why), "%s/%s: %s", r->dir, bad,
                     errno != 0 ? strerror(errno) : "write error");
        }
    }
    if (r->failed)
        rc = FB_EIO;
out:
    return rc;
}

const char *fb_results_error(const struct fb_results *r)
{
    return r != NULL && r->failed ? r->why : "";
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
