/* runfolder.c - a run folder's life, shared by the run loop and the REST shim. */
#include "run/runfolder.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <csv.h>
#include <libconfig.h>
#include <libssh2.h>

#include "results/columns.h"
#include "results/results.h"

struct fb_runfolder {
    char *dir;
    char run_id[256];
    int dirfd;
    bool resumed;
    struct fb_results *res;
    FILE *cells_log; /* "start INV MET", then "done CELL INV MET" per complete cell */
    long rows, errors;
    FILE *nodes_csv; /* nodes.csv, open once it has a row */
};

/* ---- files relative to the folder ---- */

/* Opens name in the folder with flags (O_NOFOLLOW and O_CLOEXEC added) as a
 * stream in mode. */
static FILE *open_in(struct fb_runfolder *rf, const char *name, int flags, const char *mode,
                     struct fb_errbuf *eb)
{
    int fd = openat(rf->dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, 0666);
    FILE *f;

    if (fd < 0) {
        fb_errf(eb, FB_EIO, "%s/%s: %s", rf->dir, name, strerror(errno));
        return NULL;
    }
    if ((f = fdopen(fd, mode)) == NULL) {
        fb_errf(eb, FB_EIO, "%s/%s: %s", rf->dir, name, strerror(errno));
        close(fd);
    }
    return f;
}

/* Closes f, which held name: 0 or FB_EIO naming it. */
static int close_file(struct fb_runfolder *rf, FILE *f, const char *name, struct fb_errbuf *eb)
{
    int bad = ferror(f);

    errno = 0;
    if (fclose(f) != 0 || bad)
        return fb_errf(eb, FB_EIO, "%s/%s: %s", rf->dir, name,
                       errno != 0 ? strerror(errno) : "write error");
    return 0;
}

static int log_sizes(struct fb_runfolder *rf, const char *what, int cell, struct fb_errbuf *eb)
{
    long inv, met;

    if (fb_results_tell(rf->res, &inv, &met) < 0)
        return fb_errf(eb, FB_EIO, "%s: %s", rf->dir,
                       fb_results_error(rf->res)[0] ? fb_results_error(rf->res)
                                                     : "cannot read the file sizes");
    if (cell >= 0)
        fprintf(rf->cells_log, "%s %d %ld %ld\n", what, cell, inv, met);
    else
        fprintf(rf->cells_log, "%s %ld %ld\n", what, inv, met);
    if (fflush(rf->cells_log) != 0)
        return fb_errf(eb, FB_EIO, "%s/cells.log: %s", rf->dir, strerror(errno));
    return 0;
}

static struct fb_runfolder *rf_new(void)
{
    struct fb_runfolder *rf = calloc(1, sizeof(*rf));

    if (rf != NULL)
        rf->dirfd = -1;
    return rf;
}

static void rf_free(struct fb_runfolder *rf)
{
    if (rf == NULL)
        return;
    if (rf->cells_log != NULL)
        fclose(rf->cells_log);
    if (rf->nodes_csv != NULL)
        fclose(rf->nodes_csv);
    if (rf->dirfd >= 0)
        close(rf->dirfd);
    fb_results_close(rf->res);
    free(rf->dir);
    free(rf);
}

static int open_dirfd(struct fb_runfolder *rf, struct fb_errbuf *eb)
{
    rf->dirfd = open(rf->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (rf->dirfd < 0)
        return fb_errf(eb, FB_EIO, "%s: %s", rf->dir, strerror(errno));
    return 0;
}

/* ---- opening ---- */

int fb_runfolder_create(const char *root, const char *name, time_t started,
                        struct fb_runfolder **out, struct fb_errbuf *eb)
{
    struct fb_runfolder *rf = rf_new();
    char stamp[32];
    struct tm tm;
    int rc = 0;

    *out = NULL;
    if (rf == NULL)
        return fb_errf(eb, FB_ENOMEM, "out of memory");
    gmtime_r(&started, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    if (mkdir(root, 0777) < 0 && errno != EEXIST) {
        rc = fb_errf(eb, FB_EIO, "cannot create %s: %s", root, strerror(errno));
        goto out;
    }
    for (int k = 1; k < 100 && rf->res == NULL; k++) {
        struct stat st;

        if (k == 1)
            snprintf(rf->run_id, sizeof(rf->run_id), "%s-%s", name, stamp);
        else
            snprintf(rf->run_id, sizeof(rf->run_id), "%s-%s-%d", name, stamp, k);
        free(rf->dir);
        if ((rf->dir = fb_strf("%s/%s", root, rf->run_id)) == NULL) {
            rc = fb_errf(eb, FB_ENOMEM, "out of memory");
            goto out;
        }
        if (lstat(rf->dir, &st) == 0)
            continue;
        if ((rc = fb_results_open(rf->dir, &rf->res, eb)) < 0)
            goto out;
    }
    if (rf->res == NULL) {
        rc = fb_errf(eb, FB_EIO, "too many runs named %s-%s in %s", name, stamp, root);
        goto out;
    }
    if ((rc = open_dirfd(rf, eb)) < 0)
        goto out;
    rf->cells_log = open_in(rf, "cells.log", O_WRONLY | O_CREAT | O_EXCL | O_APPEND, "a", eb);
    if (rf->cells_log == NULL) {
        rc = FB_EIO;
        goto out;
    }
    if ((rc = log_sizes(rf, "start", -1, eb)) < 0)
        goto out;
    *out = rf;
    rf = NULL;
out:
    rf_free(rf);
    return rc;
}

int fb_runfolder_resume(const char *dir, int n_cells, bool *cell_done, int *n_done,
                        struct fb_runfolder **out, struct fb_errbuf *eb)
{
    struct fb_runfolder *rf = rf_new();
    long inv = -1, met = -1, a, b;
    char what[16];
    int cell, rc = 0;
    FILE *f = NULL;

    *out = NULL;
    *n_done = 0;
    if (rf == NULL || (rf->dir = strdup(dir)) == NULL) {
        rc = fb_errf(eb, FB_ENOMEM, "out of memory");
        goto out;
    }
    size_t len = strlen(rf->dir);
    while (len > 1 && rf->dir[len - 1] == '/') /* "run/" names the same folder */
        rf->dir[--len] = '\0';
    const char *base = strrchr(rf->dir, '/');
    snprintf(rf->run_id, sizeof(rf->run_id), "%s", base != NULL ? base + 1 : rf->dir);
    rf->resumed = true;
    if ((rf->dirfd = open(rf->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        rc = fb_errf(eb, FB_EIO, "%s/cells.log: %s (not a faasbench run folder?)", rf->dir,
                     strerror(errno));
        goto out;
    }
    if ((f = open_in(rf, "cells.log", O_RDONLY, "r", eb)) == NULL) {
        char why[FB_ERRMSG_LEN];
        snprintf(why, sizeof(why), "%s", eb != NULL ? eb->msg : "cells.log");
        rc = fb_errf(eb, FB_EIO, "%s (not a faasbench run folder?)", why);
        goto out;
    }
    for (int c = 0; c < n_cells; c++)
        cell_done[c] = false;
    while (fscanf(f, "%15s", what) == 1) {
        if (strcmp(what, "start") == 0 && fscanf(f, "%ld %ld", &a, &b) == 2) {
            inv = a;
            met = b;
        } else if (strcmp(what, "done") == 0 && fscanf(f, "%d %ld %ld", &cell, &a, &b) == 3 &&
                   cell >= 0 && cell < n_cells) {
            if (!cell_done[cell])
                (*n_done)++;
            cell_done[cell] = true;
            inv = a;
            met = b;
        } else {
            break;
        }
    }
    fclose(f);
    if (inv < 0) {
        rc = fb_errf(eb, FB_EIO, "%s/cells.log: no start line", rf->dir);
        goto out;
    }
    if ((rc = fb_results_reopen(rf->dir, inv, met, &rf->res, eb)) < 0)
        goto out;
    rf->cells_log = open_in(rf, "cells.log", O_WRONLY | O_APPEND, "a", eb);
    if (rf->cells_log == NULL) {
        rc = FB_EIO;
        goto out;
    }
    *out = rf;
    rf = NULL;
out:
    rf_free(rf);
    return rc;
}

const char *fb_runfolder_dir(const struct fb_runfolder *rf)
{
    return rf->dir;
}

const char *fb_runfolder_id(const struct fb_runfolder *rf)
{
    return rf->run_id;
}

/* ---- what the folder holds besides the rows ---- */

int fb_runfolder_save_experiment(struct fb_runfolder *rf, const struct fb_experiment *exp,
                                 struct fb_errbuf *eb)
{
    FILE *f = open_in(rf, "experiment.cfg", O_WRONLY | O_CREAT | O_EXCL, "w", eb);
    int rc;

    if (f == NULL)
        return FB_EIO;
    rc = fb_config_fwrite(exp, f);
    if (close_file(rf, f, "experiment.cfg", eb) < 0 || rc < 0)
        return fb_errf(eb, FB_EIO, "cannot write %s/experiment.cfg", rf->dir);
    return 0;
}

int fb_runfolder_append_environment(struct fb_runfolder *rf, const char *line,
                                    struct fb_errbuf *eb)
{
    FILE *f = open_in(rf, "environment.txt", O_WRONLY | O_APPEND, "a", eb);

    if (f == NULL)
        return FB_EIO;
    fputs(line, f);
    return close_file(rf, f, "environment.txt", eb);
}

int fb_runfolder_write_environment(struct fb_runfolder *rf, const struct fb_experiment *exp,
                                   const struct fb_engine *e, time_t started, const char *extra,
                                   struct fb_errbuf *eb)
{
    char when[64];
    struct utsname u;
    struct tm tm;
    FILE *f;

    gmtime_r(&started, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (rf->resumed) {
        if ((f = open_in(rf, "environment.txt", O_WRONLY | O_APPEND, "a", eb)) == NULL)
            return FB_EIO;
        fprintf(f, "resumed %s\n", when);
        return close_file(rf, f, "environment.txt", eb);
    }
    if ((f = open_in(rf, "environment.txt", O_WRONLY | O_CREAT | O_EXCL, "w", eb)) == NULL)
        return FB_EIO;
    fprintf(f, "faasbench %s\n", FB_VERSION);
    fprintf(f, "run_id %s\nstarted %s\n", rf->run_id, when);
    if (extra != NULL)
        fputs(extra, f);
    if (uname(&u) == 0)
        fprintf(f, "host %s %s %s %s\n", u.nodename, u.sysname, u.release, u.machine);
    fprintf(f, "libssh2 %s\nlibconfig %d.%d.%d\n", libssh2_version(0), LIBCONFIG_VER_MAJOR,
            LIBCONFIG_VER_MINOR, LIBCONFIG_VER_REVISION);
    fprintf(f, "runtime %s\nmetrics %s\nnode_timing %s\n", exp->runtime.preset,
            exp->metrics_command != NULL ? exp->metrics_command : "none",
            exp->node_timing ? "yes" : "no");
    for (int i = 0; e != NULL && i < fb_engine_node_count(e); i++) {
        const struct fb_node_cfg *c = fb_engine_node(e, i);
        const char *why = NULL;
        bool down = fb_engine_node_down(e, i, &why);
        fprintf(f, "node %s %s %s@%s:%d%s%s\n", c->name,
                c->transport == FB_TRANSPORT_LOCAL ? "local" : "ssh", c->user ? c->user : "-",
                c->host ? c->host : "-", c->port, down ? " down: " : "", down ? why : "");
    }
    return close_file(rf, f, "environment.txt", eb);
}

/* ---- rows and cells ---- */

int fb_runfolder_record(struct fb_runfolder *rf, const struct fb_rowkey *k,
                        const struct fb_outcome *o, int64_t intended_ms, struct fb_errbuf *eb)
{
    bool ran = o->node_name != NULL;
    struct fb_invocation inv = {
        .run_id = rf->run_id,
        .repetition = k->repetition,
        .policy = k->policy,
        .warming = k->warming,
        .function = k->function,
        .seq = k->seq,
        .node = ran ? o->node_name : "",
        .mode = ran ? fb_warming_name(o->mode) : "",
        .intended_start_ms = intended_ms > 0 ? intended_ms : o->start_ms,
        .start_ms = o->start_ms,
        .select_ms = o->select_ms,
        .pull_ms = o->pull_ms,
        .run_ms = o->run_ms,
        .cleanup_ms = o->cleanup_ms,
        .latency_ms = o->latency_ms,
        .total_ms = o->total_ms,
        .node_exec_ms = o->node_exec_ms,
        .cpu_pct = o->cpu_pct,
        .ram_pct = o->ram_pct,
        .exit_status = o->exit_status,
        .attempts = o->attempts,
        .error = o->error,
        .failed_nodes = o->failed_nodes,
        .retry_error = o->retry_error,
        .instance = o->instance,
        .create_ms = o->create_ms,
        .ready_ms = o->ready_ms,
        .init_ms = o->init_ms,
        .invoke_ms = o->invoke_ms,
        .handler_ms = o->handler_ms,
        .runtime_pid = o->runtime_pid,
        .runtime_count = o->runtime_count,
        .room_ms = o->room_ms,
        .warmup = k->warmup,
        .asked_duration_ms = o->asked_duration_ms,
        .asked_memory_mb = o->asked_memory_mb,
        .faults = k->faults,
    };

    rf->rows++;
    if (o->error[0] != '\0')
        rf->errors++;
    if (fb_results_write(rf->res, &inv) < 0)
        return fb_errf(eb, FB_EIO, "cannot write a row: %s", fb_results_error(rf->res));
    return 0;
}

long fb_runfolder_rows(const struct fb_runfolder *rf)
{
    return rf->rows;
}

long fb_runfolder_errors(const struct fb_runfolder *rf)
{
    return rf->errors;
}

int fb_runfolder_cell_done(struct fb_runfolder *rf, int cell, struct fb_errbuf *eb)
{
    return log_sizes(rf, "done", cell, eb);
}

int fb_runfolder_write_node_list(struct fb_runfolder *rf, const char *const *names, int n,
                                 struct fb_errbuf *eb)
{
    FILE *f = open_in(rf, "nodes.txt", O_WRONLY | O_CREAT | O_TRUNC, "w", eb);

    if (f == NULL)
        return FB_EIO;
    for (int i = 0; i < n; i++)
        fprintf(f, "%s up\n", names[i]);
    return close_file(rf, f, "nodes.txt", eb);
}

int fb_runfolder_write_nodes(struct fb_runfolder *rf, const struct fb_engine *e,
                             struct fb_errbuf *eb)
{
    FILE *f = open_in(rf, "nodes.txt", O_WRONLY | O_CREAT | O_TRUNC, "w", eb);

    if (f == NULL)
        return FB_EIO;
    for (int i = 0; i < fb_engine_node_count(e); i++) {
        const char *why = NULL;
        bool down = fb_engine_node_down(e, i, &why);
        fprintf(f, "%s %s%s%s\n", fb_engine_node(e, i)->name, down ? "down" : "up",
                down ? ": " : "", down ? why : "");
    }
    return close_file(rf, f, "nodes.txt", eb);
}

/* ---- keep-alive cells ---- */

/* An instance event with its cell, as the instances.csv writer takes it. */
struct event_row {
    const char *run_id;
    const struct fb_ka_cellkey *k;
    const struct fb_ka_event *ev;
};

static struct fb_value event_value(const void *row, int c)
{
    const struct event_row *r = row;

    switch ((enum fb_instances_column)c) {
    case FB_EC_run_id:
        return FB_VSTR(r->run_id);
    case FB_EC_repetition:
        return FB_VINT(r->k->repetition);
    case FB_EC_policy:
        return FB_VSTR(r->k->policy);
    case FB_EC_keepalive:
        return FB_VSTR(r->k->keepalive);
    case FB_EC_t_s:
        return FB_VREAL(r->ev->t_s);
    case FB_EC_unix_ms:
        return FB_VINT(r->ev->unix_ms);
    case FB_EC_node:
        return FB_VSTR(r->ev->node);
    case FB_EC_function:
        return FB_VSTR(r->ev->function);
    case FB_EC_instance:
        return FB_VSTR(r->ev->instance);
    case FB_EC_event:
        return FB_VSTR(r->ev->event);
    case FB_EC_memory_mb:
        return FB_VREAL(r->ev->memory_mb);
    case FB_EC_N:
        break;
    }
    return FB_VSTR(NULL);
}

void fb_runfolder_format_event(const struct fb_runfolder *rf, FILE *buf,
                               const struct fb_ka_cellkey *k, const struct fb_ka_event *ev)
{
    struct event_row r = {rf->run_id, k, ev};

    fb_col_write_row(buf, fb_instances_columns, FB_EC_N, event_value, &r);
}

/* A keep-alive cell's outcome, as the keepalive.csv writer takes it. */
struct cell_row {
    const char *run_id;
    const struct fb_ka_cellkey *k;
    const struct fb_ka_outcome *o;
    const struct fb_ka_latency *lat;
};

static struct fb_value cell_value(const void *row, int c)
{
    const struct cell_row *r = row;
    const struct fb_ka_outcome *o = r->o;
    long ran = o->cold + o->prewarmed + o->warm;

    switch ((enum fb_keepalive_column)c) {
    case FB_KC_run_id:
        return FB_VSTR(r->run_id);
    case FB_KC_repetition:
        return FB_VINT(r->k->repetition);
    case FB_KC_policy:
        return FB_VSTR(r->k->policy);
    case FB_KC_keepalive:
        return FB_VSTR(r->k->keepalive);
    case FB_KC_invocations:
        return FB_VINT(o->invocations);
    case FB_KC_cold:
        return FB_VINT(o->cold);
    case FB_KC_prewarmed:
        return FB_VINT(o->prewarmed);
    case FB_KC_warm:
        return FB_VINT(o->warm);
    case FB_KC_failed:
        return FB_VINT(o->failed);
    case FB_KC_cold_start_ratio:
        /* Of the invocations that ran, those that started an instance. */
        return FB_VREAL(ran > 0 ? (double)(o->cold + o->prewarmed) / (double)ran : NAN);
    case FB_KC_started:
        return FB_VINT(o->started);
    case FB_KC_prewarms:
        return FB_VINT(o->prewarms);
    case FB_KC_evicted_pressure:
        return FB_VINT(o->evicted_pressure);
    case FB_KC_evicted_expired:
        return FB_VINT(o->evicted_expired);
    case FB_KC_evicted_unload:
        return FB_VINT(o->evicted_unload);
    case FB_KC_evicted_failed:
        return FB_VINT(o->evicted_failed);
    case FB_KC_alive_end: /* removed when the cell ended */
        return FB_VINT(o->evicted_end);
    case FB_KC_room_waits:
        return FB_VINT(o->room_waits);
    case FB_KC_idle_mb_s:
        return FB_VREAL(o->idle_mb_s);
    case FB_KC_peak_instances:
        return FB_VINT(o->peak_instances);
    case FB_KC_latency_p50_ms:
        return FB_VREAL(r->lat->p50_ms);
    case FB_KC_latency_p99_ms:
        return FB_VREAL(r->lat->p99_ms);
    case FB_KC_N:
        break;
    }
    return FB_VSTR(NULL);
}

/* name opened for appending, with the header of its table written when
 * it is new. */
static FILE *open_table(struct fb_runfolder *rf, const char *name,
                        const struct fb_column *cols, int ncols, struct fb_errbuf *eb)
{
    FILE *f = open_in(rf, name, O_WRONLY | O_CREAT | O_APPEND, "a", eb);
    struct stat st;

    if (f == NULL)
        return NULL;
    if (fstat(fileno(f), &st) == 0 && st.st_size == 0)
        fb_col_write_header(f, cols, ncols);
    return f;
}

FILE *fb_runfolder_scratch(struct fb_runfolder *rf, struct fb_errbuf *eb)
{
    char *path = fb_strf("%s/.events-XXXXXX", rf->dir);
    int fd = path != NULL ? mkstemp(path) : -1;
    FILE *f = NULL;

    if (fd >= 0) {
        unlink(path); /* unnamed from now on: it goes with the process */
        if ((f = fdopen(fd, "w+")) == NULL)
            close(fd);
    }
    free(path);
    if (f == NULL) /* the folder takes no more files: the system's temporary folder */
        f = tmpfile();
    if (f == NULL)
        fb_errf(eb, FB_EIO, "%s: no scratch file for a cell's events: %s", rf->dir,
                strerror(errno));
    return f;
}

int fb_runfolder_keepalive_cell(struct fb_runfolder *rf, const struct fb_ka_cellkey *k,
                                FILE *events, const struct fb_ka_outcome *o,
                                const struct fb_ka_latency *lat, struct fb_errbuf *eb)
{
    FILE *f = open_table(rf, "instances.csv", fb_instances_columns, FB_EC_N, eb);
    struct cell_row row = {rf->run_id, k, o, lat};
    char buf[65536];
    size_t n;
    int rc;

    if (f == NULL)
        return FB_EIO;
    if (events != NULL && fflush(events) == 0 && fseek(events, 0, SEEK_SET) == 0) {
        while ((n = fread(buf, 1, sizeof(buf), events)) > 0)
            fwrite(buf, 1, n, f);
        if (ferror(events))
            fb_errf(eb, FB_EIO, "%s: a cell's scratch events could not be read back", rf->dir);
    }
    if ((rc = close_file(rf, f, "instances.csv", eb)) < 0)
        return rc;
    if ((f = open_table(rf, "keepalive.csv", fb_keepalive_columns, FB_KC_N, eb)) == NULL)
        return FB_EIO;
    fb_col_write_row(f, fb_keepalive_columns, FB_KC_N, cell_value, &row);
    return close_file(rf, f, "keepalive.csv", eb);
}

/* ---- faults ---- */

int fb_runfolder_fault(struct fb_runfolder *rf, struct fb_fault_row *row, struct fb_errbuf *eb)
{
    FILE *f = open_in(rf, "faults.csv", O_WRONLY | O_CREAT | O_APPEND, "a", eb);
    struct stat st;

    if (f == NULL)
        return FB_EIO;
    if (fstat(fileno(f), &st) == 0 && st.st_size == 0)
        fb_fault_row_header(f);
    row->run_id = rf->run_id;
    fb_fault_row_write(f, row);
    return close_file(rf, f, "faults.csv", eb);
}

int fb_runfolder_node_poll(struct fb_runfolder *rf, struct fb_node_row *row, struct fb_errbuf *eb)
{
    if (rf->nodes_csv == NULL) {
        struct stat st;
        rf->nodes_csv = open_in(rf, "nodes.csv", O_WRONLY | O_CREAT | O_APPEND, "a", eb);
        if (rf->nodes_csv == NULL)
            return FB_EIO;
        if (fstat(fileno(rf->nodes_csv), &st) == 0 && st.st_size == 0)
            fb_node_row_header(rf->nodes_csv);
    }
    row->run_id = rf->run_id;
    fb_node_row_write(rf->nodes_csv, row);
    if (fflush(rf->nodes_csv) != 0 || ferror(rf->nodes_csv))
        return fb_errf(eb, FB_EIO, "%s/nodes.csv: %s", rf->dir, strerror(errno));
    return 0;
}

/* The records of a CSV file as libcsv gives them, for keep_rows. */
struct prune {
    FILE *out;
    int cell_field;    /* of the header; -1 until it is read */
    int field;         /* in the record being read */
    bool header_done, keep;
    const bool *cell_done;
    int n_cells;
    char **fields;
    size_t n_fields, cap;
    bool oom;
};

static void prune_field(void *s, size_t len, void *data)
{
    struct prune *p = data;
    char *copy;

    if (p->oom)
        return;
    if (p->n_fields == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 32;
        char **v = realloc(p->fields, cap * sizeof(*v));
        if (v == NULL) {
            p->oom = true;
            return;
        }
        p->fields = v;
        p->cap = cap;
    }
    if ((copy = strndup(s != NULL ? s : "", len)) == NULL) {
        p->oom = true;
        return;
    }
    p->fields[p->n_fields++] = copy;
}

static void prune_record(int c, void *data)
{
    struct prune *p = data;
    bool keep = true;

    (void)c;
    if (!p->header_done) {
        for (size_t i = 0; i < p->n_fields; i++)
            if (strcmp(p->fields[i], "cell") == 0)
                p->cell_field = (int)i;
        p->header_done = true;
    } else if (p->cell_field >= 0 && (size_t)p->cell_field < p->n_fields) {
        char *end;
        long cell = strtol(p->fields[p->cell_field], &end, 10);
        keep = *end == '\0' && cell >= 0 && cell < p->n_cells && p->cell_done[cell];
    }
    for (size_t i = 0; keep && i < p->n_fields; i++)
        fb_csv_field(p->out, p->fields[i], i == 0);
    if (keep)
        fputc('\n', p->out);
    for (size_t i = 0; i < p->n_fields; i++)
        free(p->fields[i]);
    p->n_fields = 0;
}

/* Rewrites name keeping its header and the rows of complete cells. */
static int keep_rows(struct fb_runfolder *rf, const char *name, const bool *cell_done,
                     int n_cells, struct fb_errbuf *eb)
{
    char tmp[300], buf[65536];
    struct prune p = {.cell_field = -1, .cell_done = cell_done, .n_cells = n_cells};
    struct csv_parser cp;
    FILE *in = open_in(rf, name, O_RDONLY, "r", NULL);
    size_t n;
    int rc = 0;

    if (in == NULL)
        return 0; /* no such file: nothing to keep */
    snprintf(tmp, sizeof(tmp), ".%s.resume", name);
    unlinkat(rf->dirfd, tmp, 0);
    if ((p.out = open_in(rf, tmp, O_WRONLY | O_CREAT | O_EXCL, "w", eb)) == NULL) {
        fclose(in);
        return FB_EIO;
    }
    if (csv_init(&cp, CSV_APPEND_NULL) != 0) {
        rc = FB_ENOMEM;
        goto out;
    }
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        csv_parse(&cp, buf, n, prune_field, prune_record, &p);
    csv_fini(&cp, prune_field, prune_record, &p);
    csv_free(&cp);
    if (p.oom)
        rc = fb_errf(eb, FB_ENOMEM, "%s/%s: out of memory", rf->dir, name);
out:
    for (size_t i = 0; i < p.n_fields; i++)
        free(p.fields[i]);
    free(p.fields);
    fclose(in);
    if (close_file(rf, p.out, tmp, eb) < 0 && rc == 0)
        rc = FB_EIO;
    if (rc == 0 && renameat(rf->dirfd, tmp, rf->dirfd, name) != 0)
        rc = fb_errf(eb, FB_EIO, "%s/%s: %s", rf->dir, name, strerror(errno));
    if (rc < 0)
        unlinkat(rf->dirfd, tmp, 0);
    return rc;
}

int fb_runfolder_keep_cells(struct fb_runfolder *rf, const bool *cell_done, int n_cells,
                            struct fb_errbuf *eb)
{
    int rc = keep_rows(rf, "faults.csv", cell_done, n_cells, eb);
    if (rc == 0)
        rc = keep_rows(rf, "nodes.csv", cell_done, n_cells, eb);
    return rc;
}

/* ---- the end ---- */

int fb_runfolder_close(struct fb_runfolder *rf, struct fb_engine *e,
                       const struct fb_report_opts *ro, struct fb_errbuf *eb)
{
    struct fb_errbuf reb = {{0}};
    int rc = 0;

    if (rf == NULL)
        return 0;
    /* Leave every node clean: warm containers, then pulled images. */
    if (e != NULL) {
        fb_engine_teardown(e);
        fb_engine_reset(e);
    }
    if (fb_results_close(rf->res) < 0)
        rc = fb_errf(eb, FB_EIO, "cannot write the results in %s", rf->dir);
    rf->res = NULL;
    if (fb_report_write(rf->dir, ro, &reb) < 0 && rc == 0)
        rc = fb_errf(eb, FB_EIO, "cannot write the summaries in %s: %s", rf->dir, reb.msg);
    rf_free(rf);
    return rc;
}
