/* least_recent.c - the eviction order of keep-alive policies that have none of
 * their own: the idle instance used longest ago. */
#include "keepalive/keepalive.h"

int fb_ka_least_recent(const struct fb_ka_instance *idle, int n)
{
    int best = -1;

    if (idle == NULL)
        return -1;
    for (int i = 0; i < n; i++) {
        if (best < 0 || idle[i].last_used_s < idle[best].last_used_s ||
            (idle[i].last_used_s == idle[best].last_used_s && idle[i].id < idle[best].id))
            best = i;
    }
    return best;
}
