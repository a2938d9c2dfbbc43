/* http.h - the gateway's HTTP server (libmicrohttpd): bounded bodies, JSON replies, clean stop. */
#ifndef FB_GW_HTTP_H
#define FB_GW_HTTP_H

#include <sys/socket.h>

#include "error.h"
#include "gateway.h"

struct fb_gw_http;

/* Starts serving g on addr (IPv4 or IPv6; port 0 picks a free one), a
 * thread per connection. g must outlive the server. Returns 0, FB_EIO
 * (cannot listen, with eb) or FB_ENOMEM. */
int fb_gw_http_start(struct fb_gw *g, const struct sockaddr *addr, struct fb_gw_http **out,
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
