/* http.c - the gateway's HTTP server (libmicrohttpd): bounded bodies, JSON replies, clean stop. */
#include "core/clock.h"
#include "gateway/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "gateway/request.h"

/* How often the deadlines are checked. */
#define WATCH_MS 100

/* One connection, from its accept to its close: what its deadline is
 * counted from. Under h->lock. */
struct conn {
    MHD_socket fd;
    char peer[INET6_ADDRSTRLEN + 8];
    double since;      /* mono ms: accepted, or its previous request completed */
    bool headers_done; /* the current request's headers are in */
    bool answering;    /* the whole request is in: no deadline while it is answered */
    bool cut;
    struct conn *prev, *next;
};

struct fb_gw_http {
    struct fb_gw *g;
    struct MHD_Daemon *d;
    struct fb_gw_http_opts o;
    MHD_socket quiesced; /* listen socket handed back by MHD_quiesce_daemon */
    int port;
    pthread_mutex_t lock;
    pthread_cond_t idle;
    int inflight; /* requests being answered: handled or replied, not yet completed */
    struct conn *conns; /* open connections */
    pthread_t watcher;
    bool watching, watch_stop;
    pthread_cond_t watch_cv; /* CLOCK_MONOTONIC */
};

void fb_gw_http_opts_init(struct fb_gw_http_opts *o)
{
    o->connection_limit = 128;
    o->per_ip_limit = 16;
    o->idle_timeout_s = 60;
    o->header_deadline_s = 10;
    o->request_deadline_s = 30;
}

/* One request in progress. */
struct req {
    char *body;      /* FB_GW_BODY_MAX + 1 bytes once data arrives */
    size_t len;      /* bytes kept */
    size_t seen;     /* bytes received, kept or not */
    bool too_large;
    bool answered;   /* a reply is queued */
    bool counted;    /* in h->inflight */
};

/* From here until it completes, the request is waited for at shutdown. */
static void count_in(struct fb_gw_http *h, struct req *q)
{
    pthread_mutex_lock(&h->lock);
    h->inflight++;
    pthread_mutex_unlock(&h->lock);
    q->counted = true;
}

/* Method and path for the log: printable ASCII only, bounded. */
static void log_safe(char *out, size_t n, const char *s)
{
    size_t j = 0;
    for (; s != NULL && *s != '\0' && j + 4 < n; s++)
        out[j++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    if (s != NULL && *s != '\0' && j + 4 >= n)
        out[j++] = '.', out[j++] = '.', out[j++] = '.';
    out[j] = '\0';
}

static enum MHD_Result send_json(struct MHD_Connection *c, struct req *q, int status,
                                 char *body, const char *method, const char *url)
{
    static const char fallback[] = "{\"detail\":\"out of memory\"}";
    struct MHD_Response *resp;
    enum MHD_Result ret;
    char m[24], u[160];

    if (body != NULL)
        resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    else
        resp = MHD_create_response_from_buffer(sizeof(fallback) - 1, (void *)fallback,
                                               MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "POST");
    ret = MHD_queue_response(c, (unsigned int)status, resp);
    MHD_destroy_response(resp);
    q->answered = true;
    log_safe(m, sizeof(m), method);
    log_safe(u, sizeof(u), url);
    fprintf(stderr, "faasbench-gateway: %s %s %d\n", m, u, status);
    return ret;
}

static enum MHD_Result send_detail(struct MHD_Connection *c, struct req *q, int status,
                                   const char *detail, const char *method, const char *url)
{
    return send_json(c, q, status, fb_gw_json_detail(detail), method, url);
}

static struct conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci != NULL ? ci->socket_context : NULL;
}

/* Marks the state of c's current request (under h->lock). */
static void conn_mark(struct fb_gw_http *h, struct MHD_Connection *c, bool headers_done,
                      bool answering)
{
    struct conn *k = conn_of(c);
    if (k == NULL)
        return;
    pthread_mutex_lock(&h->lock);
    k->headers_done = headers_done;
    k->answering = answering;
    if (!headers_done && !answering)
        k->since = fb_mono_ms(); /* the next request's time starts now */
    pthread_mutex_unlock(&h->lock);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct fb_gw_http *h = cls;
    struct conn *k = *socket_context;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ad =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (fd == NULL || (k = calloc(1, sizeof(*k))) == NULL)
            return; /* untracked: only the idle timeout bounds it */
        k->fd = fd->connect_fd;
        snprintf(k->peer, sizeof(k->peer), "?");
        if (ad != NULL && ad->client_addr != NULL && ad->client_addr->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)ad->client_addr)->sin_addr,
                      k->peer, sizeof(k->peer));
        else if (ad != NULL && ad->client_addr != NULL &&
                 ad->client_addr->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ad->client_addr)->sin6_addr,
                      k->peer, sizeof(k->peer));
        k->since = fb_mono_ms();
        pthread_mutex_lock(&h->lock);
        k->next = h->conns;
        if (h->conns != NULL)
            h->conns->prev = k;
        h->conns = k;
        pthread_mutex_unlock(&h->lock);
        *socket_context = k;
        return;
    }
    if (k == NULL)
        return;
    /* Closed: MHD closes the socket after this, so the watcher never
     * touches a descriptor that could have been reused. */
    pthread_mutex_lock(&h->lock);
    if (k->prev != NULL)
        k->prev->next = k->next;
    else
        h->conns = k->next;
    if (k->next != NULL)
        k->next->prev = k->prev;
    pthread_mutex_unlock(&h->lock);
    free(k);
    *socket_context = NULL;
}

/* Cuts connections past their deadline: a client sending its headers a
 * line at a time (every idle timeout, at most) must not hold a thread and
 * a connection for ever. shutdown() ends the connection's thread's wait;
 * MHD then closes it as any other. */
static void *watch_main(void *arg)
{
    struct fb_gw_http *h = arg;
    struct timespec next;

    pthread_mutex_lock(&h->lock);
    while (!h->watch_stop) {
        double now = fb_mono_ms();
        for (struct conn *k = h->conns; k != NULL; k = k->next) {
            double limit = (k->headers_done ? h->o.request_deadline_s : h->o.header_deadline_s);
            if (k->answering || k->cut || now - k->since < limit * 1000.0)
                continue;
            shutdown(k->fd, SHUT_RDWR);
            k->cut = true;
            fprintf(stderr, "faasbench-gateway: http: connection from %s cut: its request "
                            "was not in after %g s\n", k->peer, limit);
        }
        next = fb_mono_timespec(fb_mono_ms() + WATCH_MS);
        pthread_cond_timedwait(&h->watch_cv, &h->lock, &next);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

static size_t on_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return fb_gw_unescape(s);
}

/* true when a Content-Length header announces more than the limit. */
static bool announced_too_large(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_CONTENT_LENGTH);
    size_t n = 0;
    if (v == NULL)
        return false;
    for (; *v >= '0' && *v <= '9'; v++) {
        if (n > FB_GW_BODY_MAX)
            return true;
        n = n * 10 + (size_t)(*v - '0');
    }
    return n > FB_GW_BODY_MAX;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size,
                                 void **con_cls)
{
    struct fb_gw_http *h = cls;
    struct req *q = *con_cls;
    struct fb_gw_reply r;
    char msg[96];

    (void)version;
    if (q == NULL) {
        if ((q = calloc(1, sizeof(*q))) == NULL)
            return MHD_NO;
        *con_cls = q;
        conn_mark(h, c, true, false);
        /* Refused before a byte of the body is read. */
        if (announced_too_large(c)) {
            q->too_large = true;
            count_in(h, q);
            snprintf(msg, sizeof(msg), "request body larger than %d bytes", FB_GW_BODY_MAX);
            return send_detail(c, q, MHD_HTTP_CONTENT_TOO_LARGE, msg, method, url);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        q->seen += n;
        if (q->answered)
            return MHD_YES;
        /* Counted as it arrives too: a chunked body has no Content-Length.
         * The rest is read and dropped, so the client gets its 413; the
         * request deadline bounds how long that may take. */
        if (!q->too_large && q->len + n > FB_GW_BODY_MAX) {
            q->too_large = true;
            free(q->body);
            q->body = NULL;
            q->len = 0;
        }
        if (!q->too_large) {
            if (q->body == NULL && (q->body = malloc(FB_GW_BODY_MAX + 1)) == NULL)
                return MHD_NO;
            memcpy(q->body + q->len, upload_data, n);
            q->len += n;
            q->body[q->len] = '\0';
        }
        return MHD_YES;
    }
    if (q->answered)
        return MHD_YES;
    conn_mark(h, c, true, true);
    count_in(h, q);
    if (q->too_large) {
        snprintf(msg, sizeof(msg), "request body larger than %d bytes", FB_GW_BODY_MAX);
        return send_detail(c, q, MHD_HTTP_CONTENT_TOO_LARGE, msg, method, url);
    }
    fb_gw_handle(h->g, method, url, q->body, q->len, &r);
    return send_json(c, q, r.status, r.body, method, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct fb_gw_http *h = cls;
    struct req *q = *con_cls;

    (void)toe;
    conn_mark(h, c, false, false);
    if (q == NULL)
        return;
    if (q->counted) {
        pthread_mutex_lock(&h->lock);
        if (--h->inflight == 0)
            pthread_cond_broadcast(&h->idle);
        pthread_mutex_unlock(&h->lock);
    }
    free(q->body);
    free(q);
    *con_cls = NULL;
}

static void on_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void on_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    size_t n;

    (void)cls;
    vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    while (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    fprintf(stderr, "faasbench-gateway: http: %s\n", line);
}

int fb_gw_http_start(struct fb_gw *g, const struct sockaddr *addr,
                     const struct fb_gw_http_opts *o, struct fb_gw_http **out,
                     struct fb_errbuf *eb)
{
    struct fb_gw_http *h = calloc(1, sizeof(*h));
    pthread_condattr_t ca;
    unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                         MHD_USE_ITC | MHD_USE_ERROR_LOG;
    const union MHD_DaemonInfo *info;

    *out = NULL;
    if (h == NULL)
        return FB_ENOMEM;
    h->g = g;
    if (o != NULL)
        h->o = *o;
    else
        fb_gw_http_opts_init(&h->o);
    h->quiesced = MHD_INVALID_SOCKET;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->idle, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->watch_cv, &ca);
    pthread_condattr_destroy(&ca);
    if (addr->sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    errno = 0;
    /* The logger goes first so that MHD reports option errors through it. */
    h->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, h, MHD_OPTION_EXTERNAL_LOGGER, on_log, h,
        MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
        MHD_OPTION_CONNECTION_LIMIT, h->o.connection_limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->o.per_ip_limit, MHD_OPTION_CONNECTION_TIMEOUT,
        h->o.idle_timeout_s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_UNESCAPE_CALLBACK,
        on_unescape, h, MHD_OPTION_END);
    if (h->d == NULL) {
        int err = errno;
        pthread_cond_destroy(&h->watch_cv);
        pthread_cond_destroy(&h->idle);
        pthread_mutex_destroy(&h->lock);
        free(h);
        return fb_errf(eb, FB_EIO, "cannot listen: %s", err != 0 ? strerror(err) : "failed");
    }
    info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info != NULL ? info->port : 0;
    h->watching = pthread_create(&h->watcher, NULL, watch_main, h) == 0;
    if (!h->watching)
        fprintf(stderr, "faasbench-gateway: warning: no thread for the request deadlines; "
                        "only the idle timeout bounds a connection\n");
    *out = h;
    return 0;
}

int fb_gw_http_port(const struct fb_gw_http *h)
{
    return h->port;
}

void fb_gw_http_quiesce(struct fb_gw_http *h)
{
    if (h == NULL || h->quiesced != MHD_INVALID_SOCKET)
        return;
    h->quiesced = MHD_quiesce_daemon(h->d);
    /* MHD no longer polls it, but closing must wait for MHD_stop_daemon;
     * shutting it down now makes new connections fail at once instead of
     * waiting in the backlog. */
    if (h->quiesced != MHD_INVALID_SOCKET)
        shutdown(h->quiesced, SHUT_RDWR);
}

void fb_gw_http_drain(struct fb_gw_http *h)
{
    if (h == NULL)
        return;
    pthread_mutex_lock(&h->lock);
    while (h->inflight > 0)
        pthread_cond_wait(&h->idle, &h->lock);
    pthread_mutex_unlock(&h->lock);
}

void fb_gw_http_stop(struct fb_gw_http *h)
{
    if (h == NULL)
        return;
    if (h->watching) {
        pthread_mutex_lock(&h->lock);
        h->watch_stop = true;
        pthread_cond_broadcast(&h->watch_cv);
        pthread_mutex_unlock(&h->lock);
        pthread_join(h->watcher, NULL);
    }
    MHD_stop_daemon(h->d);
    /* MHD leaves a quiesced listen socket to its caller. */
    if (h->quiesced != MHD_INVALID_SOCKET)
        close(h->quiesced);
    pthread_cond_destroy(&h->watch_cv);
    pthread_cond_destroy(&h->idle);
    pthread_mutex_destroy(&h->lock);
    free(h);
}
