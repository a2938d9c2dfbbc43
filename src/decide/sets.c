/* sets.c - per function, the nodes of the chain's warm and image tiers, kept
 * as the cluster's state changes so that a pick never scans for them. */
#include "decide/cluster_priv.h"

void cl_set_add(int *set, int *n, int *pos, int i)
{
    if (*pos >= 0)
        return;
    *pos = *n;
    set[(*n)++] = i;
}

void cl_set_del(struct fb_cluster *c, int f, int *set, int *n, int *pos, bool warm)
{
    if (*pos < 0)
        return;
    int last = set[--(*n)];
    set[*pos] = last;
    struct nfn *x = &c->nodes[last].fn[f];
    if (warm)
        x->warm_pos = *pos;
    else
        x->image_pos = *pos;
    *pos = -1;
}

void cl_warm_update(struct fb_cluster *c, int i, int f)
{
    struct nfn *x = &c->nodes[i].fn[f];
    struct cfn *fn = &c->fns[f];

    if (x->idle_n > 0 || x->has_warm)
        cl_set_add(fn->warm, &fn->n_warm, &x->warm_pos, i);
    else
        cl_set_del(c, f, fn->warm, &fn->n_warm, &x->warm_pos, true);
}

