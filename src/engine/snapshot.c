/* snapshot.c - the nodes as the engine holds them now, for a live view of a
 * run (the metrics endpoint reads it at each scrape): one pass under the
 * engine's lock over what the decision core keeps, copying numbers only. */
#include "engine/engine_priv.h"

int fb_engine_snapshot(struct fb_engine *e, struct fb_node_snapshot *out, int n)
{
    pthread_mutex_lock(&e->lock);
    int total = e->n_nodes;
    for (int i = 0; i < total && i < n; i++) {
        const struct enode *nd = e->nodes[i];
        struct fb_node_snapshot *s = &out[i];
        *s = (struct fb_node_snapshot){
            .name = nd->cfg->name,
            .up = !fb_cluster_down(e->cl, nd->idx),
            .inflight = fb_cluster_inflight(e->cl, nd->idx),
        };
        fb_cluster_load(e->cl, nd->idx, &s->cpu_pct, &s->ram_pct);
        s->instances = fb_cluster_instances(e->cl, nd->idx, &s->idle, &s->idle_mb);
    }
    pthread_mutex_unlock(&e->lock);
    return total;
}
