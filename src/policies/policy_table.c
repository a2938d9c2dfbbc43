/* policy_table.c - the table of policies, looked up by name. */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "policies/policy.h"

/* Adding a policy: one file in policies/, one line here, one unit test. */
static const struct fb_policy *const policies[] = {
    &fb_policy_round_robin,
    &fb_policy_least_used,
    &fb_policy_most_used,
    &fb_policy_random,
    &fb_policy_power_of_two,
    &fb_policy_hash_affinity,
    &fb_policy_warm_aware,
    &fb_policy_least_connections,
    &fb_policy_ch_bl,
    &fb_policy_ch_rlu,
    &fb_policy_pull_based,
};

#define N_POLICIES ((int)(sizeof(policies) / sizeof(policies[0])))

const struct fb_policy *fb_policy_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (int i = 0; i < N_POLICIES; i++)
        if (strcmp(policies[i]->name, name) == 0)
            return policies[i];
    return NULL;
}

const struct fb_policy *fb_policy_find_spec(const char *spec, struct fb_plugspec *out,
                                            struct fb_errbuf *eb)
{
    char name[64];
    const struct fb_policy *p;

    if (spec == NULL || fb_plugspec_name(spec, name, sizeof(name)) < 0 ||
        (p = fb_policy_find(name)) == NULL) {
        fb_errf(eb, FB_EINVAL, "unknown policy '%s'", spec != NULL ? spec : "");
        return NULL;
    }
    return fb_plugspec_parse(spec, p->options, out, eb) == 0 ? p : NULL;
}

const struct fb_policy *fb_policy_at(int i)
{
    return i >= 0 && i < N_POLICIES ? policies[i] : NULL;
}

int fb_policy_table_check(struct fb_errbuf *eb)
{
    for (int i = 0; i < N_POLICIES; i++) {
        const struct fb_policy *p = policies[i];
        if (p->name == NULL || p->name[0] == '\0')
            return fb_errf(eb, FB_EINVAL, "policy %d has no name", i);
        if (p->ops.select == NULL)
            return fb_errf(eb, FB_EINVAL, "policy '%s' has no select hook", p->name);
        if ((p->ops.init == NULL) != (p->ops.free == NULL))
            return fb_errf(eb, FB_EINVAL, "policy '%s' needs both init and free, or neither",
                           p->name);
        if (p->ops.done != NULL && p->ops.init == NULL)
            return fb_errf(eb, FB_EINVAL, "policy '%s' has a done hook but no state (init)",
                           p->name);
        int rc = fb_plugopt_table_check("policy", p->name, p->options, eb);
        if (rc < 0)
            return rc;
        for (int j = 0; j < i; j++)
            if (strcmp(policies[j]->name, p->name) == 0)
                return fb_errf(eb, FB_EINVAL, "policy '%s' is listed twice", p->name);
    }
    return 0;
}

void fb_policy_list(FILE *f)
{
    for (int i = 0; i < N_POLICIES; i++)
        fb_plugopt_list(f, policies[i]->name, policies[i]->summary, policies[i]->options);
}
