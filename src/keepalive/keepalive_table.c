/* keepalive_table.c - the table of keep-alive policies, looked up by name; the
 * checks of an entry and its options table; the least-recent order. */
#include <string.h>

#include "core/error.h"
#include "keepalive/keepalive.h"

/* Adding a policy: one file in keepalive/, one line here, one unit test. */
static const struct fb_keepalive *const policies[] = {
    &fb_keepalive_none,
    &fb_keepalive_ttl,
    &fb_keepalive_lru,
    &fb_keepalive_greedy_dual,
    &fb_keepalive_hybrid_histogram,
};

#define N_POLICIES ((int)(sizeof(policies) / sizeof(policies[0])))

const struct fb_keepalive *fb_keepalive_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (int i = 0; i < N_POLICIES; i++)
        if (strcmp(policies[i]->name, name) == 0)
            return policies[i];
    return NULL;
}

const struct fb_keepalive *fb_keepalive_find_spec(const char *spec, struct fb_plugspec *out,
                                                  struct fb_errbuf *eb)
{
    char name[64];
    const struct fb_keepalive *k;

    if (spec == NULL || fb_plugspec_name(spec, name, sizeof(name)) < 0 ||
        (k = fb_keepalive_find(name)) == NULL) {
        fb_errf(eb, FB_EINVAL, "unknown keep-alive policy '%s'", spec != NULL ? spec : "");
        return NULL;
    }
    return fb_plugspec_parse(spec, k->options, out, eb) == 0 ? k : NULL;
}

const struct fb_keepalive *fb_keepalive_at(int i)
{
    return i >= 0 && i < N_POLICIES ? policies[i] : NULL;
}

int fb_keepalive_check(const struct fb_keepalive *k, struct fb_errbuf *eb)
{
    if (k == NULL || k->name == NULL || k->name[0] == '\0')
        return fb_errf(eb, FB_EINVAL, "a keep-alive policy has no name");
    if (k->summary == NULL || k->summary[0] == '\0')
        return fb_errf(eb, FB_EINVAL, "keep-alive policy '%s' has no summary", k->name);
    if (k->source == NULL || k->source[0] == '\0')
        return fb_errf(eb, FB_EINVAL, "keep-alive policy '%s' has no source", k->name);
    /* idle is the policy; every other hook is optional, but state made by
     * init must be freed. */
    if (k->ops.idle == NULL)
        return fb_errf(eb, FB_EINVAL, "keep-alive policy '%s' has no idle hook", k->name);
    if (k->ops.init != NULL && k->ops.free == NULL)
        return fb_errf(eb, FB_EINVAL, "keep-alive policy '%s' has an init hook but no free hook",
                       k->name);
    return fb_plugopt_table_check("keep-alive policy", k->name, k->options, eb);
}

int fb_keepalive_table_check(struct fb_errbuf *eb)
{
    for (int i = 0; i < N_POLICIES; i++) {
        int rc = fb_keepalive_check(policies[i], eb);
        if (rc < 0)
            return rc;
        for (int j = 0; j < i; j++)
            if (strcmp(policies[j]->name, policies[i]->name) == 0)
                return fb_errf(eb, FB_EINVAL, "keep-alive policy '%s' is listed twice",
                               policies[i]->name);
    }
    return 0;
}
