/* cluster_priv.h - the decision core's insides, shared by cluster.c (nodes,
 * views, picks) and pool.c (instances and keep-alive). Not for other modules. */
#ifndef FB_CLUSTER_PRIV_H
#define FB_CLUSTER_PRIV_H

#include <math.h>

#include "core/heap.h"
#include "decide/cluster.h"

/* What a node holds of one function. */
struct nfn {
    int warm_pos;            /* in the function's warm set, -1: not in it */
    int image_pos;           /* in its image set, -1: not in it */
    int idle_n;              /* idle instances of the function here */
    struct fb_inst *idle;    /* them, the most recently used first */
    bool has_image;
    bool has_warm;           /* a prepared warm container (warming cells) */
    bool cold_busy;          /* a cold start of it is under way here (warming cells) */
};

struct cnode {
    const char *name;
    double capacity;         /* MB for instances; INFINITY: unbounded */
    double used_mb;          /* reserved by its instances */
    double idle_mb;          /* of which idle */
    bool down;
    int slots_used;          /* invocations and set-up steps */
    int inflight;            /* invocations */
    struct fb_inst *inst;    /* its instances, any function, any state */
    int n_inst;
    struct nfn *fn;          /* by function, cap_fns of them */
};

struct cfn {
    const char *name;
    double memory_mb;
    int *warm, n_warm;       /* nodes holding a warm instance or container */
    int *image, n_image;     /* nodes holding the image */
    double warm_ms;          /* keep-alive cells: mean warm run time so far, NAN: none */
    long warm_n;
    int prewarms;            /* pre-warms of it pending */
    int cancelled;           /* of them, the earliest ones, moot: an arrival came first */
};

/* A pre-warm a keep-alive policy asked for. */
struct prewarm {
    int f, node;
    double keep_until;
};

struct fb_cluster {
    struct fb_cluster_opts o;
    struct cnode *nodes;
    struct fb_node_view *views; /* by node, kept current; per-function flags off */
    int n_nodes, cap_nodes;
    struct cfn *fns;
    int n_fns, cap_fns;
    int max_inflight;
    /* scratch of a pick: n_nodes-sized */
    int *tier_idx;              /* 2 x cap_nodes */
    int *tier_map;
    struct fb_node_view *tier_view;
    int *patched;               /* nodes whose view a pick changed */
    bool *patched_down;
    /* the cell */
    const struct fb_keepalive *k; /* NULL: not a keep-alive cell */
    void *kstate;
    int next_id;
    struct fb_ka_outcome out;
    struct fb_inst **expiry;    /* a heap of idle instances by expire_at */
    size_t n_expiry, cap_expiry;
    uint64_t expiry_seq;
    struct fb_heap prewarms;    /* of struct prewarm, by start time */
    struct fb_ka_instance *vbuf; /* victim() input */
    struct fb_inst **vmap;
    int vcap;
};

/* The view of node i after its state changed. */
static inline void cl_view_update(struct fb_cluster *c, int i)
{
    struct cnode *nd = &c->nodes[i];
    struct fb_node_view *v = &c->views[i];

    v->down = nd->down;
    v->inflight = nd->inflight;
}

/* Memory node nd could give a new instance, evicting every idle one. */
static inline double cl_room(const struct cnode *nd)
{
    return nd->capacity - nd->used_mb + nd->idle_mb;
}

/* Adds node i to set (idx, n) of function f, at *pos; removes it. */
void cl_set_add(int *set, int *n, int *pos, int i);
void cl_set_del(struct fb_cluster *c, int f, int *set, int *n, int *pos, bool warm);

/* The warm set of function f after node i's idle count or prepared warm
 * container changed. */
void cl_warm_update(struct fb_cluster *c, int i, int f);

/* ---- pool.c ---- */

void cl_emit(struct fb_cluster *c, const struct fb_inst *in, enum fb_inst_event ev, double now);
/* A new instance of f on node i, starting. NULL when out of memory. */
struct fb_inst *cl_inst_new(struct fb_cluster *c, int i, int f, double now);
/* in leaves the pool at now for ev (one of the evict events): counted, the
 * policy told, the event written; the caller hands it to the executor. */
void cl_evict(struct fb_cluster *c, struct fb_inst *in, enum fb_inst_event ev, double now);
/* in goes idle at now until until (an expiry timer when finite). */
void cl_inst_idle(struct fb_cluster *c, struct fb_inst *in, double now, double until);
/* An idle instance of f on node i takes a call at now (the most recently
 * used); NULL when there is none. */
struct fb_inst *cl_take_idle(struct fb_cluster *c, int i, int f, double now);
/* Evicts idle instances of node i, as the keep-alive policy names them,
 * until need MB fit; the victims are prepended to *victims. false when the
 * policy names none while room is still short. */
bool cl_make_room(struct fb_cluster *c, int i, double need, double now, struct fb_inst **victims);
/* Counts t's end in keepalive.csv's calls (and failed): once per call. */
void cl_count_end(struct fb_cluster *c, struct fb_ticket *t, bool failed);
/* The end of a keep-alive call: see fb_cluster_finish. */
void cl_release(struct fb_cluster *c, struct fb_ticket *t, double now,
                const struct fb_attempt_end *r);
void cl_pool_free(struct fb_cluster *c);
/* Function f arrived: its earliest pending pre-warm is moot (the call's own
 * end asks for the next one). */
void cl_prewarm_moot(struct fb_cluster *c, int f);

#endif
