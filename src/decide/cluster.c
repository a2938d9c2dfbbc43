/* cluster.c - the decision core's nodes, their views, and the picks made on
 * them: invocations through the chain, nodes to prepare, slots. */
#include "decide/cluster.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "decide/cluster_priv.h"

int fb_cluster_new(const struct fb_cluster_opts *o, struct fb_cluster **out)
{
    struct fb_cluster *c = calloc(1, sizeof(*c));

    *out = NULL;
    if (c == NULL)
        return FB_ENOMEM;
    c->o = *o;
    if (c->o.slots < 1)
        c->o.slots = 1;
    *out = c;
    return 0;
}

void fb_cluster_free(struct fb_cluster *c)
{
    if (c == NULL)
        return;
    cl_pool_free(c);
    for (int i = 0; i < c->n_nodes; i++)
        free(c->nodes[i].fn);
    for (int f = 0; f < c->n_fns; f++) {
        free(c->fns[f].warm);
        free(c->fns[f].image);
    }
    free(c->nodes);
    free(c->views);
    free(c->fns);
    free(c->tier_idx);
    free(c->tier_map);
    free(c->tier_view);
    free(c->patched);
    free(c->patched_down);
    free(c);
}

static void nfn_init(struct nfn *x)
{
    memset(x, 0, sizeof(*x));
    x->warm_pos = x->image_pos = -1;
}

/* Room for one more node in every node-sized array. */
static int grow_nodes(struct fb_cluster *c)
{
    int cap = c->cap_nodes ? c->cap_nodes * 2 : 8;
    void *p;

    if ((p = realloc(c->nodes, sizeof(*c->nodes) * (size_t)cap)) == NULL)
        return FB_ENOMEM;
    c->nodes = p;
    if ((p = realloc(c->views, sizeof(*c->views) * (size_t)cap)) == NULL)
        return FB_ENOMEM;
    c->views = p;
    if ((p = realloc(c->tier_idx, sizeof(int) * 2 * (size_t)cap)) == NULL)
        return FB_ENOMEM;
    c->tier_idx = p;
    if ((p = realloc(c->tier_map, sizeof(int) * (size_t)cap)) == NULL)
        return FB_ENOMEM;
    c->tier_map = p;
    if ((p = realloc(c->tier_view, sizeof(*c->tier_view) * (size_t)cap)) == NULL)
        return FB_ENOMEM;
    c->tier_view = p;
    if ((p = realloc(c->patched, sizeof(int) * (size_t)cap)) == NULL)
        return FB_ENOMEM;
    c->patched = p;
    if ((p = realloc(c->patched_down, sizeof(bool) * (size_t)cap)) == NULL)
        return FB_ENOMEM;
    c->patched_down = p;
    for (int f = 0; f < c->n_fns; f++) {
        if ((p = realloc(c->fns[f].warm, sizeof(int) * (size_t)cap)) == NULL)
            return FB_ENOMEM;
        c->fns[f].warm = p;
        if ((p = realloc(c->fns[f].image, sizeof(int) * (size_t)cap)) == NULL)
            return FB_ENOMEM;
        c->fns[f].image = p;
    }
    c->cap_nodes = cap;
    return 0;
}

int fb_cluster_add_node(struct fb_cluster *c, const char *name, double capacity_mb, bool down)
{
    if (c->n_nodes == c->cap_nodes && grow_nodes(c) < 0)
        return FB_ENOMEM;
    int i = c->n_nodes;
    struct cnode *nd = &c->nodes[i];
    memset(nd, 0, sizeof(*nd));
    nd->name = name;
    nd->capacity = capacity_mb > 0 ? capacity_mb : INFINITY;
    nd->down = down;
    nd->fn = malloc(sizeof(*nd->fn) * (size_t)(c->cap_fns > 0 ? c->cap_fns : 1));
    if (nd->fn == NULL)
        return FB_ENOMEM;
    for (int f = 0; f < c->n_fns; f++)
        nfn_init(&nd->fn[f]);
    c->views[i] = (struct fb_node_view){.name = name, .down = down};
    c->n_nodes++;
    return i;
}

int fb_cluster_add_function(struct fb_cluster *c, const char *name, double memory_mb)
{
    if (c->n_fns == c->cap_fns) {
        int cap = c->cap_fns ? c->cap_fns * 2 : 8;
        struct cfn *p = realloc(c->fns, sizeof(*p) * (size_t)cap);
        if (p == NULL)
            return FB_ENOMEM;
        c->fns = p;
        for (int i = 0; i < c->n_nodes; i++) {
            struct nfn *x = realloc(c->nodes[i].fn, sizeof(*x) * (size_t)cap);
            if (x == NULL)
                return FB_ENOMEM;
            c->nodes[i].fn = x;
        }
        c->cap_fns = cap;
    }
    int f = c->n_fns;
    struct cfn *fn = &c->fns[f];
    memset(fn, 0, sizeof(*fn));
    fn->name = name;
    fn->memory_mb = memory_mb > 0 ? memory_mb : 128;
    fn->warm_ms = NAN;
    size_t cap = (size_t)(c->cap_nodes > 0 ? c->cap_nodes : 1);
    fn->warm = malloc(sizeof(int) * cap);
    fn->image = malloc(sizeof(int) * cap);
    if (fn->warm == NULL || fn->image == NULL) {
        free(fn->warm);
        free(fn->image);
        return FB_ENOMEM;
    }
    for (int i = 0; i < c->n_nodes; i++)
        nfn_init(&c->nodes[i].fn[f]);
    c->n_fns++;
    return f;
}

int fb_cluster_n_nodes(const struct fb_cluster *c)
{
    return c->n_nodes;
}

const char *fb_cluster_node_name(const struct fb_cluster *c, int i)
{
    return c->nodes[i].name;
}

void fb_cluster_set_capacity(struct fb_cluster *c, int i, double capacity_mb)
{
    c->nodes[i].capacity = capacity_mb > 0 ? capacity_mb : INFINITY;
}

double fb_cluster_capacity(const struct fb_cluster *c, int i)
{
    return c->nodes[i].capacity;
}

void fb_cluster_set_load(struct fb_cluster *c, int i, double cpu_pct, double ram_pct)
{
    c->views[i].cpu_pct = cpu_pct;
    c->views[i].ram_pct = ram_pct;
}

void fb_cluster_set_down(struct fb_cluster *c, int i, bool down)
{
    c->nodes[i].down = down;
    cl_view_update(c, i);
}

bool fb_cluster_down(const struct fb_cluster *c, int i)
{
    return c->nodes[i].down;
}

bool fb_cluster_over_ram(const struct fb_cluster *c, int i)
{
    return c->views[i].ram_pct >= c->o.ram_threshold;
}

void fb_cluster_load(const struct fb_cluster *c, int i, double *cpu_pct, double *ram_pct)
{
    *cpu_pct = c->views[i].cpu_pct;
    *ram_pct = c->views[i].ram_pct;
}

void fb_cluster_set_image(struct fb_cluster *c, int i, int f, bool on)
{
    struct nfn *x = &c->nodes[i].fn[f];
    struct cfn *fn = &c->fns[f];

    x->has_image = on;
    if (on)
        cl_set_add(fn->image, &fn->n_image, &x->image_pos, i);
    else
        cl_set_del(c, f, fn->image, &fn->n_image, &x->image_pos, false);
}

void fb_cluster_set_warm(struct fb_cluster *c, int i, int f, bool on)
{
    c->nodes[i].fn[f].has_warm = on;
    cl_warm_update(c, i, f);
}

bool fb_cluster_has_image(const struct fb_cluster *c, int i, int f)
{
    return c->nodes[i].fn[f].has_image;
}

bool fb_cluster_has_warm(const struct fb_cluster *c, int i, int f)
{
    return c->nodes[i].fn[f].has_warm;
}

void fb_cluster_node_clear(struct fb_cluster *c, int i)
{
    for (int f = 0; f < c->n_fns; f++) {
        fb_cluster_set_image(c, i, f, false);
        fb_cluster_set_warm(c, i, f, false);
        c->nodes[i].fn[f].cold_busy = false;
    }
}

int fb_cluster_inflight(const struct fb_cluster *c, int i)
{
    return c->nodes[i].inflight;
}

int fb_cluster_max_inflight(const struct fb_cluster *c)
{
    return c->max_inflight;
}

double fb_cluster_used_mb(const struct fb_cluster *c, int i)
{
    return c->nodes[i].used_mb;
}

int fb_cluster_instances(const struct fb_cluster *c, int i, int *idle, double *idle_mb)
{
    const struct cnode *nd = &c->nodes[i];
    int n_idle = 0;

    for (int f = 0; f < c->n_fns; f++)
        n_idle += nd->fn[f].idle_n;
    if (idle != NULL)
        *idle = n_idle;
    if (idle_mb != NULL)
        *idle_mb = nd->idle_mb;
    return nd->n_inst;
}

/* ---- slots ---- */

bool fb_cluster_slot_free(const struct fb_cluster *c, int i)
{
    return c->nodes[i].slots_used < c->o.slots;
}

bool fb_cluster_slot_take(struct fb_cluster *c, int i)
{
    if (!fb_cluster_slot_free(c, i))
        return false;
    c->nodes[i].slots_used++;
    return true;
}

void fb_cluster_slot_give(struct fb_cluster *c, int i)
{
    if (c->nodes[i].slots_used > 0)
        c->nodes[i].slots_used--;
}

/* ---- picks ---- */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The nodes of set[0..k) in ascending order, into out: sorted when small,
 * read off the views' flag (want_warm or has_image, patched) when large. */
static int tier_sorted(const struct fb_cluster *c, const int *set, int k, bool warm, int *out)
{
    if (k * 8 <= c->n_nodes) {
        memcpy(out, set, sizeof(int) * (size_t)k);
        if (k > 1)
            qsort(out, (size_t)k, sizeof(int), cmp_int);
        return k;
    }
    int m = 0;
    for (int i = 0; i < c->n_nodes; i++)
        if (warm ? c->views[i].has_warm : c->views[i].has_image)
            out[m++] = i;
    return m;
}

/* Marks node i down in the views for this pick (restored by unpatch). */
static void patch_down(struct fb_cluster *c, int i, int *np)
{
    if (c->views[i].down)
        return;
    c->patched[*np] = i;
    c->patched_down[(*np)++] = true;
    c->views[i].down = true;
}

/* What a pick's chain works on between its tiers. */
struct pickctx {
    struct fb_cluster *c;
    const struct fb_ticket *t;
    int np;                     /* views patched down */
    bool images;                /* the image set's views patched */
};

/* After an empty warm tier (keep-alive cells): a node holding no idle
 * instance of f and no room for one, even by evicting every idle
 * instance, is not a choice now; and the image tier's nodes. */
static void before_image(void *ctx, struct fb_chain_tiers *tiers)
{
    struct pickctx *pc = ctx;
    struct fb_cluster *c = pc->c;
    struct cfn *fn = &c->fns[pc->t->f];

    /* Only now: a warm pick (the usual one) touches no image node. */
    for (int k = 0; k < fn->n_image; k++)
        c->views[fn->image[k]].has_image = true;
    pc->images = true;
    if (c->k != NULL)
        for (int j = 0; j < c->n_nodes; j++)
            if (!c->views[j].has_warm && cl_room(&c->nodes[j]) < fn->memory_mb - 1e-9)
                patch_down(c, j, &pc->np);
    tiers->image = c->tier_idx + c->n_nodes;
    tiers->n_image = tier_sorted(c, fn->image, fn->n_image, false, c->tier_idx + c->n_nodes);
}

/* The chain over the cluster's views for function f, the nodes failed[] of
 * t and (keep-alive cells) the nodes without room for f left out. */
static int chain(struct fb_cluster *c, const struct fb_policy *p, void *pstate,
                 const struct fb_ticket *t, struct fb_select_ctx *ctx, enum fb_warming *mode)
{
    struct cfn *fn = &c->fns[t->f];
    struct pickctx pc = {.c = c, .t = t};
    struct fb_chain_tiers tiers = {.view = c->tier_view,
                                   .map = c->tier_map,
                                   .before_image = before_image,
                                   .ctx = &pc};
    int i;

    for (int k = 0; k < fn->n_warm; k++)
        c->views[fn->warm[k]].has_warm = true;
    for (int k = 0; k < t->n_failed; k++)
        patch_down(c, t->failed[k], &pc.np);
    tiers.warm = c->tier_idx;
    tiers.n_warm = tier_sorted(c, fn->warm, fn->n_warm, true, c->tier_idx);
    i = fb_chain_select_tiers(p, pstate, c->views, c->n_nodes, &tiers, ctx, mode);
    while (pc.np > 0) {
        pc.np--;
        c->views[c->patched[pc.np]].down = false;
    }
    for (int k = 0; k < fn->n_warm; k++)
        c->views[fn->warm[k]].has_warm = false;
    for (int k = 0; pc.images && k < fn->n_image; k++)
        c->views[fn->image[k]].has_image = false;
    return i;
}

static bool failed_for(const struct fb_ticket *t, int i)
{
    for (int k = 0; k < t->n_failed; k++)
        if (t->failed[k] == i)
            return true;
    return false;
}

bool fb_cluster_room_will_come(const struct fb_cluster *c, const struct fb_ticket *t)
{
    for (int i = 0; i < c->n_nodes; i++) {
        const struct cnode *nd = &c->nodes[i];
        if (!nd->down && !failed_for(t, i) && (nd->n_inst > 0 || nd->inflight > 0))
            return true;
    }
    return false;
}

/* Whether f's memory exceeds the capacity of every node up (and not failed
 * for t). */
static bool too_big(const struct fb_cluster *c, const struct fb_ticket *t)
{
    bool any = false;
    for (int i = 0; i < c->n_nodes; i++) {
        if (c->nodes[i].down || failed_for(t, i))
            continue;
        any = true;
        if (c->nodes[i].capacity >= c->fns[t->f].memory_mb - 1e-9)
            return false;
    }
    return any;
}

int fb_cluster_pick(struct fb_cluster *c, const struct fb_policy *p, void *pstate,
                    struct fb_ticket *t, double now)
{
    struct fb_select_ctx ctx = {.function = t->f,
                                .function_name = c->fns[t->f].name,
                                .ram_threshold = c->o.ram_threshold,
                                .now_s = now,
                                .arrival = !t->arrived};
    enum fb_warming mode = FB_WARM_COLD;
    int i;

    if (!t->arrived && c->k != NULL) {
        if (c->k->ops.arrival != NULL)
            c->k->ops.arrival(c->kstate, t->f, t->t_arrival);
        cl_prewarm_moot(c, t->f);
    }
    i = chain(c, p, pstate, t, &ctx, &mode);
    t->arrived = true;
    if (i == FB_ENOMEM)
        return FB_ENOMEM;
    if (i < 0) {
        int rc = FB_PICK_NONE;
        if (c->k != NULL) {
            if (too_big(c, t))
                rc = FB_PICK_TOO_BIG;
            else if (fb_cluster_room_will_come(c, t))
                rc = FB_PICK_WAIT;
        }
        if (rc == FB_PICK_WAIT) {
            t->waited = true;
        } else if (c->k != NULL) {
            cl_count_end(c, t, true);
        }
        return rc;
    }
    struct cnode *nd = &c->nodes[i];
    struct nfn *x = &nd->fn[t->f];
    if (nd->slots_used >= c->o.slots || (c->k == NULL && mode == FB_WARM_COLD && x->cold_busy)) {
        t->waited = true;
        return FB_PICK_WAIT;
    }
    if (c->k != NULL) {
        if (mode == FB_WARM_WARMED) {
            if ((t->inst = cl_take_idle(c, i, t->f, now)) == NULL)
                return FB_PICK_WAIT; /* not reached: the warm tier had one */
            t->fresh = false;
        } else {
            if (!cl_make_room(c, i, c->fns[t->f].memory_mb, now, &t->victims)) {
                t->waited = true;
                return FB_PICK_WAIT;
            }
            if ((t->inst = cl_inst_new(c, i, t->f, now)) == NULL)
                return FB_ENOMEM;
            t->fresh = true;
            cl_emit(c, t->inst, FB_EV_START, now);
        }
        if (t->waited)
            c->out.room_waits++;
        t->waited = false;
    } else if (mode == FB_WARM_COLD) {
        x->cold_busy = true;
    }
    nd->slots_used++;
    nd->inflight++;
    if (nd->inflight > c->max_inflight)
        c->max_inflight = nd->inflight;
    cl_view_update(c, i);
    t->node = i;
    t->mode = mode;
    return FB_PICK_OK;
}

void fb_cluster_finish(struct fb_cluster *c, const struct fb_policy *p, void *pstate,
                       struct fb_ticket *t, double now, const struct fb_attempt_end *r)
{
    struct cnode *nd = &c->nodes[t->node];

    if (nd->slots_used > 0)
        nd->slots_used--;
    nd->inflight--;
    if (c->k == NULL && t->mode == FB_WARM_COLD)
        nd->fn[t->f].cold_busy = false;
    if (r->node_failed)
        nd->down = true;
    else if (p != NULL && p->ops.done != NULL)
        p->ops.done(pstate, nd->name, t->f, now);
    cl_view_update(c, t->node);
}

void fb_cluster_release(struct fb_cluster *c, struct fb_ticket *t, double now,
                        const struct fb_attempt_end *r)
{
    if (c->k == NULL || t->inst == NULL)
        return;
    if (r->image_pulled)
        fb_cluster_set_image(c, t->node, t->f, true);
    cl_release(c, t, now, r);
}

bool fb_cluster_retry(struct fb_ticket *t)
{
    if (t->n_failed >= FB_TICKET_FAILED_MAX)
        return false;
    t->failed[t->n_failed++] = t->node;
    t->inst = NULL;
    t->fresh = false;
    return true;
}

int fb_cluster_prepare_pick(struct fb_cluster *c, const struct fb_policy *p, void *pstate, int f,
                            const bool *taken)
{
    struct fb_select_ctx ctx = {.function = f,
                                .function_name = c->fns[f].name,
                                .ram_threshold = c->o.ram_threshold};
    struct cfn *fn = &c->fns[f];
    int np = 0, i;

    for (int k = 0; k < fn->n_warm; k++)
        c->views[fn->warm[k]].has_warm = true;
    for (int k = 0; k < fn->n_image; k++)
        c->views[fn->image[k]].has_image = true;
    for (int j = 0; taken != NULL && j < c->n_nodes; j++)
        if (taken[j])
            patch_down(c, j, &np);
    i = p->ops.select(pstate, c->views, c->n_nodes, &ctx);
    while (np > 0) {
        np--;
        c->views[c->patched[np]].down = false;
    }
    for (int k = 0; k < fn->n_warm; k++)
        c->views[fn->warm[k]].has_warm = false;
    for (int k = 0; k < fn->n_image; k++)
        c->views[fn->image[k]].has_image = false;
    return i;
}
