/* probe.h - what a node offers, asked once as it registers: the node helper, the older
 * testbed's metrics script, or neither. */
#ifndef FB_GW_PROBE_H
#define FB_GW_PROBE_H

#include <stdbool.h>

#include "experiment/config.h"
#include "core/error.h"

/* Where the older testbed put its metrics script; a node set up by hand
 * may have it in the login user's home instead. */
#define FB_GW_TESTBED_SCRIPT "/usr/local/bin/get_node_metrics.sh"

struct fb_gw_offer {
    bool helper;                  /* faasbench-node is on the node's PATH and answers */
    enum fb_metrics_format format; /* how the node reports its load */
    char command[256];            /* its metrics command, "" with FB_METRICS_NONE */
    char warning[FB_ERRMSG_LEN];  /* "" unless the node reports no load */
};

/* Opens one session to node (agent or not, as cfg says nothing: no helper
 * server is started), asks what it has, and tries each candidate once:
 * `faasbench-node metrics` (fbm1), else an executable get_node_metrics.sh
 * in FB_GW_TESTBED_SCRIPT or the user's home (the testbed's JSON), else
 * none, with a warning saying what was missing or failed. Returns 0 with
 * *out set, or the transport's FB_E* (the node cannot be reached or
 * refuses the login) with the details in eb. */
int fb_gw_probe_node(const struct fb_node_cfg *node, int connect_timeout_ms,
                     int command_timeout_ms, struct fb_gw_offer *out, struct fb_errbuf *eb);

#endif
