/* server.c - the metrics endpoint on libmicrohttpd: one polling thread,
 * GET and HEAD of /metrics, the format negotiated per request. */
#include "observe/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "core/clock.h"

struct fb_obs_server {
    struct fb_obs *ob;
    struct MHD_Daemon *d;
    struct sockaddr_storage addr; /* bound, port included */
    int port;
    char host[INET6_ADDRSTRLEN + 2];
    char start_error[256]; /* what MHD said while starting */
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t answered; /* CLOCK_MONOTONIC */
    unsigned long begun;     /* scrapes begun: each takes the next number */
    unsigned long last_done; /* the highest number answered in full */
    unsigned long n_done;
};

/* ---- the address ---- */

static int parse_address(const char *address, struct sockaddr_storage *ss, struct fb_errbuf *eb)
{
    const char *colon = strrchr(address, ':');
    char host[256], *end;
    struct addrinfo hints = {0}, *res = NULL;

    if (colon == NULL || colon[1] == '\0')
        return fb_errf(eb, FB_EINVAL, "%s: HOST:PORT, [IPV6]:PORT or :PORT expected", address);
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535 || colon[1] == '-' || colon[1] == '+')
        return fb_errf(eb, FB_EINVAL, "%s: the port must be 0..65535", address);
    size_t n = (size_t)(colon - address);
    if (n >= sizeof(host))
        return fb_errf(eb, FB_EINVAL, "%s: the host is too long", address);
    memcpy(host, address, n);
    host[n] = '\0';
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        memmove(host, host + 1, n - 2);
        host[n - 2] = '\0';
        hints.ai_family = AF_INET6;
        hints.ai_flags = AI_NUMERICHOST;
    } else if (strchr(host, ':') != NULL) {
        return fb_errf(eb, FB_EINVAL, "%s: an IPv6 address goes in brackets: [::1]:PORT", address);
    } else {
        hints.ai_family = AF_UNSPEC;
    }
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags |= AI_PASSIVE;
    char portstr[8];
    snprintf(portstr, sizeof(portstr), "%ld", port);
    int rc = getaddrinfo(host[0] != '\0' ? host : "0.0.0.0", portstr, &hints, &res);
    if (rc != 0)
        return fb_errf(eb, FB_EINVAL, "%s: %s", address, gai_strerror(rc));
    memset(ss, 0, sizeof(*ss));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

bool fb_obs_server_loopback(const struct fb_obs_server *s)
{
    if (s->addr.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&s->addr;
        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&s->addr;
    if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
        return true;
    return IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) && a->sin6_addr.s6_addr[12] == 127;
}

/* ---- requests ---- */

/* *con_cls of a request that is not a scrape (yet): its first call, or an
 * error answer. A scrape's holds its number. */
static int not_a_scrape;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *type,
                             char *body, size_t len, bool must_free)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        if (must_free)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result plain(struct MHD_Connection *c, unsigned int status, const char *text)
{
    return reply(c, status, "text/plain; charset=utf-8", (char *)text, strlen(text), false);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    struct fb_obs_server *s = cls;
    (void)version;
    (void)upload_data;

    /* The first call has the headers only; the answer comes with the next. */
    if (*con_cls == NULL) {
        *con_cls = &not_a_scrape;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0; /* a body is not wanted: dropped */
        return MHD_YES;
    }
    if (strcmp(url, "/metrics") != 0)
        return plain(c, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n");
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return plain(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or HEAD\n");

    pthread_mutex_lock(&s->lock);
    unsigned long seq = ++s->begun;
    pthread_mutex_unlock(&s->lock);
    enum fb_expo_format fmt =
        fb_expo_negotiate(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept"));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return plain(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    int rc = fb_obs_render(s->ob, fmt, f);
    if (fclose(f) != 0 && rc == 0)
        rc = FB_ENOMEM;
    if (rc < 0) {
        free(text);
        return plain(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render the metrics\n");
    }
    /* The number, kept until the answer has gone out in full. */
    *con_cls = (void *)(uintptr_t)seq;
    return reply(c, MHD_HTTP_OK, fb_expo_content_type(fmt), text, len, true);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct fb_obs_server *s = cls;
    (void)c;
    if (con_cls == NULL || *con_cls == NULL || *con_cls == &not_a_scrape)
        return;
    uintptr_t seq = (uintptr_t)*con_cls;
    *con_cls = NULL;
    pthread_mutex_lock(&s->lock);
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        s->n_done++;
        if (seq > s->last_done)
            s->last_done = seq;
        pthread_cond_broadcast(&s->answered);
    }
    pthread_mutex_unlock(&s->lock);
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
    struct fb_obs_server *s = cls;
    char line[256];
    size_t n;

    vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    while (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    if (!s->started)
        snprintf(s->start_error, sizeof(s->start_error), "%s", line);
    else
        fprintf(stderr, "faasbench: metrics endpoint: %s\n", line);
}

/* ---- start and stop ---- */

int fb_obs_server_start(struct fb_obs *ob, const char *address, struct fb_obs_server **out,
                        struct fb_errbuf *eb)
{
    struct fb_obs_server *s = calloc(1, sizeof(*s));
    pthread_condattr_t ca;
    int rc;

    *out = NULL;
    if (s == NULL)
        return FB_ENOMEM;
    s->ob = ob;
    if ((rc = parse_address(address, &s->addr, eb)) < 0) {
        free(s);
        return rc;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->answered, &ca);
    pthread_condattr_destroy(&ca);

    unsigned int flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (s->addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    errno = 0;
    /* The logger goes first so that MHD reports option errors through it. A
     * scraper needs few connections; an idle one goes after 10 s. */
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_access, s, MHD_OPTION_EXTERNAL_LOGGER, on_log,
                            s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&s->addr,
                            MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    if (s->d == NULL) {
        int err = errno;
        rc = fb_errf(eb, FB_EIO, "%s: cannot listen: %s", address,
                     s->start_error[0] != '\0' ? s->start_error
                     : err != 0                ? strerror(err)
                                               : "failed");
        pthread_cond_destroy(&s->answered);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return rc;
    }
    s->started = true;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info != NULL ? info->port : 0;
    if (s->addr.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&s->addr;
        char h[INET6_ADDRSTRLEN];
        a->sin6_port = htons((uint16_t)s->port);
        inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof(h));
        snprintf(s->host, sizeof(s->host), "[%s]", h);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&s->addr;
        a->sin_port = htons((uint16_t)s->port);
        inet_ntop(AF_INET, &a->sin_addr, s->host, sizeof(s->host));
    }
    *out = s;
    return 0;
}

int fb_obs_server_port(const struct fb_obs_server *s)
{
    return s->port;
}

void fb_obs_server_url(const struct fb_obs_server *s, char *buf, size_t n)
{
    snprintf(buf, n, "http://%s:%d/metrics", s->host, s->port);
}

unsigned long fb_obs_server_scrapes(struct fb_obs_server *s)
{
    pthread_mutex_lock(&s->lock);
    unsigned long n = s->n_done;
    pthread_mutex_unlock(&s->lock);
    return n;
}

bool fb_obs_server_wait_scrape(struct fb_obs_server *s, double timeout_s,
                               const volatile sig_atomic_t *stop)
{
    double deadline = fb_mono_ms() + timeout_s * 1000.0;
    bool done;

    pthread_mutex_lock(&s->lock);
    unsigned long want = s->begun + 1;
    while (!(done = s->last_done >= want) && (stop == NULL || !*stop) && fb_mono_ms() < deadline) {
        /* Short waits: a signal's flag is noticed within 100 ms. */
        double next = fb_mono_ms() + 100;
        struct timespec ts = fb_mono_timespec(next < deadline ? next : deadline);
        pthread_cond_timedwait(&s->answered, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
    return done;
}

void fb_obs_server_stop(struct fb_obs_server *s)
{
    if (s == NULL)
        return;
    MHD_stop_daemon(s->d);
    pthread_cond_destroy(&s->answered);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
