/* pull_based.c - PullBased: nodes that just finished a function take its next
 * invocation (Akbari and Hauswirth, "Hiku: Pull-Based Scheduling for
 * Serverless Computing", CCGrid'25). */

/* Each function has a queue of nodes that have just finished an invocation of
 * it, one entry per finished invocation (the done hook, policy.h): each entry
 * stands for an instance of the function left idle and warm there. An
 * invocation of the function takes the entry of the least loaded node among
 * the queued ones that are in the view and eligible (load: invocations in
 * flight, as the view has it now; the oldest entry on a tie) and that entry
 * leaves the queue. When no entry can be taken, least connections: the
 * eligible node with the fewest in flight, ties drawn from the cell's seed
 * (placement.h).
 *
 * As in Hiku's scheduler, a node is queued once per invocation it finishes
 * (so twice for two idle instances) and an entry is used by taking it, not
 * checked against the node's state: a node that got other work since it was
 * queued simply ranks by its load now. Entries of nodes the view leaves out
 * (the chain passes a tier's nodes only) stay for a later call. Hiku drops an
 * entry when its sandbox is destroyed; there is no such hook here, so a queue
 * keeps at most 1024 entries and the oldest goes first when it is full (the
 * instance most likely evicted by then). Without done calls every selection
 * is least connections. No parameters. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "policies/placement.h"
#include "core/rng.h"

#define PB_QUEUE_MAX 1024 /* entries per function */

struct pb_entry {
    int id; /* the node's id in names */
};

/* Oldest first. */
struct pb_queue {
    struct pb_entry *e;
    int n, cap;
};

struct pb_state {
    struct fb_rng rng;
    struct fb_names names;
    struct pb_queue *q; /* by function index */
    int n_q;
};

static int pb_init(void **state, uint64_t seed, const double *params)
{
    struct pb_state *s = calloc(1, sizeof(*s));

    (void)params;
    if (s == NULL)
        return FB_ENOMEM;
    fb_rng_seed(&s->rng, seed);
    fb_names_init(&s->names);
    *state = s;
    return 0;
}

static void pb_free(void *state)
{
    struct pb_state *s = state;

    if (s == NULL)
        return;
    for (int f = 0; f < s->n_q; f++)
        free(s->q[f].e);
    free(s->q);
    fb_names_free(&s->names);
    free(s);
}

/* The queue of function f (>= 0), made when new; NULL when out of memory. */
static struct pb_queue *queue_of(struct pb_state *s, int f)
{
    if (f >= s->n_q) {
        int n = s->n_q > 0 ? s->n_q : 8;
        while (n <= f)
            n *= 2;
        struct pb_queue *q = realloc(s->q, (size_t)n * sizeof(*q));
        if (q == NULL)
            return NULL;
        memset(q + s->n_q, 0, (size_t)(n - s->n_q) * sizeof(*q));
        s->q = q;
        s->n_q = n;
    }
    return &s->q[f];
}

static void take(struct pb_queue *q, int k)
{
    memmove(&q->e[k], &q->e[k + 1], (size_t)(q->n - k - 1) * sizeof(*q->e));
    q->n--;
}

/* An entry lost when memory runs out costs a warm start, never a wrong
 * choice, so done has nothing to report. */
static void pb_done(void *state, const char *node, int function, double now_s)
{
    struct pb_state *s = state;
    struct pb_queue *q;
    int id;

    (void)now_s;
    if (function < 0 || (q = queue_of(s, function)) == NULL ||
        (id = fb_names_id(&s->names, node)) < 0)
        return;
    if (q->n == PB_QUEUE_MAX)
        take(q, 0);
    if (q->n == q->cap) {
        int cap = q->cap > 0 ? q->cap * 2 : 8;
        struct pb_entry *e = realloc(q->e, (size_t)cap * sizeof(*e));
        if (e == NULL)
            return;
        q->e = e;
        q->cap = cap;
    }
    q->e[q->n++] = (struct pb_entry){id};
}

static int pb_select(void *state, const struct fb_node_view *nodes, int n,
                     const struct fb_select_ctx *ctx)
{
    struct pb_state *s = state;
    struct pb_queue *q = ctx->function >= 0 && ctx->function < s->n_q ? &s->q[ctx->function]
                                                                       : NULL;
    int best = -1, at = -1, rc;

    if (q != NULL && q->n > 0) {
        if ((rc = fb_names_map(&s->names, nodes, n)) < 0)
            return rc;
        for (int k = 0; k < q->n; k++) {
            int i = s->names.at[q->e[k].id];
            if (i < 0 || !fb_node_eligible(&nodes[i], ctx->ram_threshold))
                continue;
            if (best < 0 || nodes[i].inflight < nodes[at].inflight) {
                best = k;
                at = i;
            }
        }
        if (best >= 0) {
            take(q, best);
            return at;
        }
    }
    return fb_least_connections(nodes, n, ctx->ram_threshold, &s->rng);
}

const struct fb_policy fb_policy_pull_based = {
    .name = "pull-based",
    .summary = "a node that just finished the function (the least loaded such), else the "
               "fewest in flight, ties at random (seeded)",
    .ops = {.init = pb_init, .select = pb_select, .free = pb_free, .done = pb_done},
};
