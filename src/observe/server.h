/* server.h - the metrics endpoint: GET /metrics over HTTP (libmicrohttpd)
 * answers fb_obs_render's text, OpenMetrics or the Prometheus text format
 * as the scraper's Accept header asks. One thread of its own, which
 * fb_obs_server_stop ends; a scrape renders while the run records rows and
 * takes the engine's lock once (for the nodes), nothing else the run holds. */
#ifndef FB_OBS_SERVER_H
#define FB_OBS_SERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "observe/observe.h"

struct fb_obs_server;

/* Listens on address, "HOST:PORT" (an IPv4 address or a name such as
 * localhost), "[IPV6]:PORT", or ":PORT" for every IPv4 address; port 0
 * picks a free one. Serves ob, which must outlive the server. 0, or
 * FB_EINVAL (a bad address) / FB_EIO (cannot listen) with eb set. */
int fb_obs_server_start(struct fb_obs *ob, const char *address, struct fb_obs_server **out,
                        struct fb_errbuf *eb);

/* The port it listens on; whether that is on a loopback address only; the
 * endpoint's URL (http://ADDRESS:PORT/metrics) into buf. */
int fb_obs_server_port(const struct fb_obs_server *s);
bool fb_obs_server_loopback(const struct fb_obs_server *s);
void fb_obs_server_url(const struct fb_obs_server *s, char *buf, size_t n);

/* Scrapes of /metrics answered in full so far. */
unsigned long fb_obs_server_scrapes(struct fb_obs_server *s);

/* Waits until a scrape that began after this call has been answered in
 * full, at most timeout_s, and only while *stop (may be NULL) stays 0.
 * true when one was. */
bool fb_obs_server_wait_scrape(struct fb_obs_server *s, double timeout_s,
                               const volatile sig_atomic_t *stop);

/* Stops listening, ends the server's thread (a scrape under way is cut)
 * and frees it. NULL-safe. */
void fb_obs_server_stop(struct fb_obs_server *s);

#endif
