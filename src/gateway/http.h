/* http.h - the gateway's HTTP server (libmicrohttpd): bounded bodies, JSON replies, clean stop. */
#ifndef FB_GW_HTTP_H
#define FB_GW_HTTP_H

#include <sys/socket.h>

#include "core/error.h"
#include "gateway/gateway.h"

struct fb_gw_http;

/* How much of the server one client can hold, and for how long. */
struct fb_gw_http_opts {
    unsigned connection_limit; /* connections at once, from everyone */
    unsigned per_ip_limit;     /* connections at once from one address */
    unsigned idle_timeout_s;   /* a connection with nothing sent or received */
    double header_deadline_s;  /* from the connection (or its previous answer) to the
                                  end of a request's headers */
    double request_deadline_s; /* the same to the end of its body; the answer
                                  itself is not bounded */
};

/* The defaults: 128 connections, 16 per address, 60 s idle, headers within
 * 10 s, the whole request within 30 s. */
void fb_gw_http_opts_init(struct fb_gw_http_opts *o);

/* Starts serving g on addr (IPv4 or IPv6; port 0 picks a free one), a
 * thread per connection, with limits o (NULL: the defaults). A connection
 * beyond a limit is closed at once; one past a deadline is cut, and the
 * log says so. g must outlive the server. Returns 0, FB_EIO (cannot
 * listen, with eb) or FB_ENOMEM. */
int fb_gw_http_start(struct fb_gw *g, const struct sockaddr *addr,
                     const struct fb_gw_http_opts *o, struct fb_gw_http **out,
                     struct fb_errbuf *eb);

/* The port actually listened on. */
int fb_gw_http_port(const struct fb_gw_http *h);

/* Stops accepting connections; requests already received go on. */
void fb_gw_http_quiesce(struct fb_gw_http *h);

/* Waits until every request being handled has been answered (requests
 * still sending their bodies are not waited for). */
void fb_gw_http_drain(struct fb_gw_http *h);

/* Closes every connection, stops the server and frees h. NULL-safe. */
void fb_gw_http_stop(struct fb_gw_http *h);

#endif
