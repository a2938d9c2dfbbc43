/* http.c - the gateway's HTTP server (libmicrohttpd): bounded bodies, JSON replies, clean stop. */
#include "http.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "request.h"

/* A client that keeps sending past the limit is cut off after this much. */
#define DRAIN_MAX (4 * 1024 * 1024)

struct fb_gw_http {
    struct fb_gw *g;
    struct MHD_Daemon *d;
    MHD_socket quiesced; /* listen socket handed back by MHD_quiesce_daemon */
    int port;
    pthread_mutex_t lock;
    pthread_cond_t idle;
    int inflight; /* requests being answered: handled or replied, not yet completed */
};

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
        /* Counted as it arrives too: a chunked body has no Content-Length. */
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
        return q->seen > DRAIN_MAX ? MHD_NO : MHD_YES;
    }
    if (q->answered)
        return MHD_YES;
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

    (void)c;
    (void)toe;
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

int fb_gw_http_start(struct fb_gw *g, const struct sockaddr *addr, struct fb_gw_http **out,
                     struct fb_errbuf *eb)
{
    struct fb_gw_http *h = calloc(1, sizeof(*h));
    unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                         MHD_USE_ITC | MHD_USE_ERROR_LOG;
    const union MHD_DaemonInfo *info;

    *out = NULL;
    if (h == NULL)
        return FB_ENOMEM;
    h->g = g;
    h->quiesced = MHD_INVALID_SOCKET;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->idle, NULL);
    if (addr->sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    errno = 0;
    /* The logger goes first so that MHD reports option errors through it. */
    h->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, h, MHD_OPTION_EXTERNAL_LOGGER, on_log, h,
        MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)60, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
    if (h->d == NULL) {
        int err = errno;
        pthread_cond_destroy(&h->idle);
        pthread_mutex_destroy(&h->lock);
        free(h);
        return fb_errf(eb, FB_EIO, "cannot listen: %s", err != 0 ? strerror(err) : "failed");
    }
    info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info != NULL ? info->port : 0;
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
    MHD_stop_daemon(h->d);
    /* MHD leaves a quiesced listen socket to its caller. */
    if (h->quiesced != MHD_INVALID_SOCKET)
        close(h->quiesced);
    pthread_cond_destroy(&h->idle);
    pthread_mutex_destroy(&h->lock);
    free(h);
}
