/* placement.h - what the placement policies share: the least-connections pick. */
#ifndef FB_PLACEMENT_H
#define FB_PLACEMENT_H

#include <stdint.h>

#include "policy.h"
#include "rng.h"

/* ---- least connections (least_connections.c) ---- */

/* The eligible node (fb_node_eligible) with the fewest invocations in
 * flight; when several have that many, one of them drawn uniformly from rng
 * (one draw, made only when there is a tie). FB_ENONODE when no node is
 * eligible. */
int fb_least_connections(const struct fb_node_view *nodes, int n, double ram_threshold,
                         struct fb_rng *rng);

#endif
