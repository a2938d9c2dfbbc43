/* placement.h - what the placement policies share: node names as small ids,
 * a consistent-hashing ring over them, the least-connections pick. */
#ifndef FB_PLACEMENT_H
#define FB_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "policies/policy.h"
#include "core/rng.h"

/* ---- node names as ids (ring.c) ----
 *
 * The chain hands a policy only the nodes of a tier, so the same node has a
 * different index from one call to the next; its name is what stays. A name
 * set gives each name it is shown an id (0, 1, ... in the order first seen)
 * that it keeps for the set's lifetime. */
struct fb_names {
    char **name;     /* by id, owned copies */
    uint64_t *hash;  /* by id: fb_name_hash(name[id]) */
    int *at;         /* by id: index in the view of the last fb_names_map, or -1 */
    int n, cap;
    int *slot;       /* open addressing over hash: an id, or -1 */
    size_t n_slots;  /* a power of two, at least twice n */
};

/* FNV-1a, 64 bits (offset basis 14695981039346656037, prime 1099511628211),
 * over the bytes of s without the NUL; NULL hashes as "". */
uint64_t fb_name_hash(const char *s);

/* An empty set (zeroed memory is one too). */
void fb_names_init(struct fb_names *s);
void fb_names_free(struct fb_names *s);
/* The id of name (NULL: ""), added when new: >= 0, or FB_ENOMEM. */
int fb_names_id(struct fb_names *s, const char *name);
/* Gives every node of nodes[0..n) an id (adding new names) and sets at[]:
 * at[id] = the node's index in nodes for the ids of this view, -1 for every
 * other id. Names are unique in a view (they are in an experiment); with a
 * repeated name, at[] holds the last index. 0 or FB_ENOMEM. */
int fb_names_map(struct fb_names *s, const struct fb_node_view *nodes, int n);

/* ---- a consistent-hashing ring (ring.c) ----
 *
 * Each node name has vnodes points on a ring of 2^64 positions: the first
 * vnodes outputs of splitmix64 (rng.h) seeded with fb_name_hash(name). A key
 * (a function's name) sits at the first output of splitmix64 seeded with
 * fb_name_hash(key). A walk from a key visits the points clockwise from the
 * first at or after the key's position (ties of position: the lower id
 * first), wrapping around, and yields each node of the current view once, in
 * the order its first point comes. A node's points depend on its name only,
 * so a subset of the nodes keeps the order of the whole: a walk over a view
 * is the walk over every node with the others left out. */
struct fb_ring_point {
    uint64_t pos;
    int id;
};

struct fb_ring {
    struct fb_names names;
    int vnodes;
    struct fb_ring_point *pt; /* sorted by (pos, id) */
    size_t n_pt, cap_pt;
    int placed;               /* ids 0..placed-1 have their points in pt */
    /* the current walk */
    int n;                    /* nodes in its view */
    size_t start, steps;      /* first point, points visited */
    int tail;                 /* after a full turn: next view index to offer */
    int yielded;              /* view nodes yielded so far */
    unsigned char *seen;      /* by view index */
    int cap_seen;
};

/* An empty ring with vnodes (>= 1) points per node. */
void fb_ring_init(struct fb_ring *r, int vnodes);
void fb_ring_free(struct fb_ring *r);
/* The position of key (NULL: "") on the ring. */
uint64_t fb_ring_key(const char *key);
/* Starts a walk from key over nodes[0..n), adding the points of names not
 * seen before. 0 or FB_ENOMEM. */
int fb_ring_walk(struct fb_ring *r, const struct fb_node_view *nodes, int n, const char *key);
/* The next node of the walk (an index in its nodes), or -1 once each has
 * been yielded. A node whose name repeats another's in the view (it has no
 * points of its own) comes after a full turn, in index order. */
int fb_ring_next(struct fb_ring *r);

/* ---- least connections (least_connections.c) ---- */

/* The eligible node (fb_node_eligible) with the fewest invocations in
 * flight; when several have that many, one of them drawn uniformly from rng
 * (one draw, made only when there is a tie). FB_ENONODE when no node is
 * eligible. */
int fb_least_connections(const struct fb_node_view *nodes, int n, double ram_threshold,
                         struct fb_rng *rng);

#endif
