/* test_keepalive.c - the keep-alive policies on a simulated clock: the
 * registry and its checks, each policy's hooks, and each policy driven
 * through designed arrivals on one node of the decision core. */
#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide/cluster.h"
#include "keepalive/keepalive.h"
#include "policies/policy.h"

#define EPS 1e-9

/* ---- a driver of the decision core ----
 *
 * One node with a memory capacity; functions of a fixed memory; the pool,
 * its policy calls and its accounting are the decision core's
 * (decide/cluster.h), the one the engine and the simulator use. This
 * driver only moves the clock: before an arrival at t it runs every event
 * due at or before t in time order, a call's end before an expiry before a
 * pre-warm at the same time (a pre-warm is ready at once). A call ends
 * duration after its arrival; a cold call reports its cost (the function's
 * cold_cost_s) through the run time the core weighs it by. The designed
 * arrivals never need a call to wait, and the driver fails the test if one
 * would. */

enum { NF = 4, MAX_CALLS = 256, MAX_ARRIVALS = 128 };

struct sim_call {
    struct fb_ticket t;
    double end;
    bool busy;
};

struct sim {
    const struct fb_keepalive *k;
    const struct fb_policy *p;
    void *pstate;
    struct fb_cluster *c;
    double cold_cost_s[NF];
    struct sim_call call[MAX_CALLS];
    int n_calls;
    int prewarm_ids[MAX_CALLS]; /* instances started by pre-warms */
    int n_prewarm_ids;
    /* Outcomes. modes[i]: the i-th arrival was 'c' cold, 'w' warm on an
     * instance kept after a call, 'p' warm on a pre-warmed instance. */
    char modes[MAX_ARRIVALS + 1];
    int n_arrivals, started, prewarmed, evicted_pressure, evicted_other;
    double idle_mb_s, cold_cost_total;
};

static void sim_init(struct sim *m, const char *spec, double capacity_mb, double memory_mb)
{
    struct fb_plugspec ps;
    struct fb_errbuf eb = {{0}};
    struct fb_cluster_opts o = {.ram_threshold = 100, .slots = MAX_CALLS};
    static const char *const names[NF] = {"f0", "f1", "f2", "f3"};

    memset(m, 0, sizeof(*m));
    m->k = fb_keepalive_find_spec(spec, &ps, &eb);
    ck_assert_msg(m->k != NULL, "%s: %s", spec, eb.msg);
    m->p = fb_policy_find("round-robin");
    ck_assert_int_eq(m->p->ops.init(&m->pstate, 1, NULL), 0);
    ck_assert_int_eq(fb_cluster_new(&o, &m->c), 0);
    ck_assert_int_eq(fb_cluster_add_node(m->c, "n1", capacity_mb, false), 0);
    for (int f = 0; f < NF; f++) {
        ck_assert_int_eq(fb_cluster_add_function(m->c, names[f], memory_mb), f);
        m->cold_cost_s[f] = 1;
    }
    ck_assert_int_eq(fb_cluster_cell_begin(m->c, m->k, ps.n_values > 0 ? ps.values : NULL, 1), 0);
}

/* The call i ends at t: the core's release and finish; what left the pool
 * is freed (the driver has no node to remove it from). */
static void sim_call_end(struct sim *m, int i, double t)
{
    struct sim_call *x = &m->call[i];
    bool cold = x->t.fresh;
    struct fb_attempt_end end = {.run_ms = cold ? 1000.0 * m->cold_cost_s[x->t.f] : 0};

    x->busy = false;
    fb_cluster_release(m->c, &x->t, t, &end);
    fb_cluster_inst_free_list(x->t.gone);
    x->t.gone = NULL;
    fb_cluster_finish(m->c, m->p, m->pstate, &x->t, t, &end);
}

/* The next event at or before limit: the earliest call end, else the
 * core's due expiry or pre-warm. Runs it and returns true. */
static bool sim_step(struct sim *m, double limit)
{
    double best = INFINITY;
    int idx = -1;

    for (int i = 0; i < m->n_calls; i++)
        if (m->call[i].busy && m->call[i].end < best) {
            best = m->call[i].end;
            idx = i;
        }
    double due = fb_cluster_next_due(m->c);
    if (idx >= 0 && best <= due && best <= limit) {
        sim_call_end(m, idx, best);
        return true;
    }
    if (due > limit)
        return false;
    struct fb_inst *in;
    enum fb_due d = fb_cluster_due(m->c, due, &in);
    if (d == FB_DUE_REMOVE) {
        fb_cluster_inst_free(in);
    } else if (d == FB_DUE_PREWARM) {
        ck_assert_int_lt(m->n_prewarm_ids, MAX_CALLS);
        m->prewarm_ids[m->n_prewarm_ids++] = in->ka.id;
        fb_cluster_inst_free(fb_cluster_prewarm_done(m->c, in, due, true));
    }
    return true;
}

static bool prewarmed_instance(const struct sim *m, int id)
{
    for (int i = 0; i < m->n_prewarm_ids; i++)
        if (m->prewarm_ids[i] == id)
            return true;
    return false;
}

static void sim_arrival(struct sim *m, int f, double t, double duration)
{
    while (sim_step(m, t))
        ;
    ck_assert_int_lt(m->n_arrivals, MAX_ARRIVALS);
    ck_assert_int_lt(m->n_calls, MAX_CALLS);
    struct sim_call *x = &m->call[m->n_calls++];
    *x = (struct sim_call){.t = {.f = f, .t_arrival = t}, .end = t + duration, .busy = true};
    int rc = fb_cluster_pick(m->c, m->p, m->pstate, &x->t, t);
    ck_assert_msg(rc == FB_PICK_OK, "%s: f%d at %g had to wait or failed (%d)", m->k->name, f,
                  t, rc);
    fb_cluster_inst_free_list(x->t.victims);
    x->t.victims = NULL;
    if (x->t.fresh) {
        m->modes[m->n_arrivals++] = 'c';
        m->cold_cost_total += m->cold_cost_s[f];
    } else {
        bool pre = x->t.inst->ka.uses == 0 && prewarmed_instance(m, x->t.inst->ka.id);
        m->modes[m->n_arrivals++] = pre ? 'p' : 'w';
    }
}

/* Runs the events up to end, ends the cell then (what is left is evicted),
 * checks the accounting (every instance started is gone) and frees it. */
static void sim_finish(struct sim *m, double end)
{
    struct fb_ka_outcome o;

    while (sim_step(m, end))
        ;
    fb_cluster_inst_free_list(fb_cluster_cell_end(m->c, end, &o));
    m->started = (int)o.started;
    m->prewarmed = (int)o.prewarms;
    m->evicted_pressure = (int)o.evicted_pressure;
    m->evicted_other = (int)(o.evicted_expired + o.evicted_unload + o.evicted_failed +
                             o.evicted_end);
    m->idle_mb_s = o.idle_mb_s;
    ck_assert_int_eq(m->started, m->evicted_pressure + m->evicted_other);
    ck_assert_double_eq_tol(fb_cluster_used_mb(m->c, 0), 0, EPS);
    fb_cluster_free(m->c);
    m->p->ops.free(m->pstate);
}

/* f at t0, t0 + period, ... (count arrivals), each lasting duration. */
static void sim_periodic(struct sim *m, int f, double t0, double period, int count,
                         double duration)
{
    for (int k = 0; k < count; k++)
        sim_arrival(m, f, t0 + k * period, duration);
}

START_TEST(registry_lists_every_policy)
{
    static const char *const names[] = {"none", "ttl", "lru", "greedy-dual", "hybrid-histogram"};
    int n = 0;

    for (; fb_keepalive_at(n) != NULL; n++) {
        ck_assert_str_eq(fb_keepalive_at(n)->name, names[n]);
        ck_assert_ptr_eq(fb_keepalive_find(names[n]), fb_keepalive_at(n));
    }
    ck_assert_int_eq(n, 5);
    ck_assert_ptr_null(fb_keepalive_at(-1));
    ck_assert_ptr_eq(fb_keepalive_find("greedy-dual"), &fb_keepalive_greedy_dual);
    ck_assert_ptr_null(fb_keepalive_find("LRU"));
    ck_assert_ptr_null(fb_keepalive_find("ttl:ttl_s=5"));
    ck_assert_ptr_null(fb_keepalive_find(NULL));
    ck_assert_int_eq(fb_keepalive_table_check(NULL), 0);
}
END_TEST

static const struct fb_plugopt out_of_range[] = {
    {"ttl_s", FB_PLUGOPT_NUMBER, 5, 10, 20, "seconds"},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct fb_plugopt twice[] = {
    {"a", FB_PLUGOPT_NUMBER, 1, 0, 2, "first"},
    {"a", FB_PLUGOPT_NUMBER, 1, 0, 2, "second"},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct fb_plugopt fractional[] = {
    {"n", FB_PLUGOPT_INT, 1.5, 0, 2, "a count"},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct fb_plugopt no_help[] = {
    {"n", FB_PLUGOPT_INT, 1, 0, 2, ""},
    {NULL, 0, 0, 0, 0, NULL},
};

START_TEST(table_check_reports_a_broken_entry)
{
    struct fb_plugopt many[FB_PLUGOPT_MAX + 2];
    char names[FB_PLUGOPT_MAX + 1][8], want[128];
    struct fb_keepalive k;
    struct fb_errbuf eb = {{0}};

    for (int i = 0; fb_keepalive_at(i) != NULL; i++)
        ck_assert_int_eq(fb_keepalive_check(fb_keepalive_at(i), &eb), 0);
    /* idle is the policy: without it, an error naming the policy. */
    k = fb_keepalive_ttl;
    k.ops.idle = NULL;
    ck_assert_int_eq(fb_keepalive_check(&k, &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, "keep-alive policy 'ttl' has no idle hook");
    /* State made by init is freed. */
    k = fb_keepalive_ttl;
    k.ops.free = NULL;
    ck_assert_int_eq(fb_keepalive_check(&k, &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, "keep-alive policy 'ttl' has an init hook but no free hook");
    /* Every other hook may be missing: no state, no arrivals, the least
     * recently used victim, no notes of evictions or costs. */
    k = fb_keepalive_greedy_dual;
    k.ops.init = NULL;
    k.ops.free = NULL;
    k.ops.arrival = NULL;
    k.ops.victim = NULL;
    k.ops.evicted = NULL;
    k.ops.cost = NULL;
    ck_assert_int_eq(fb_keepalive_check(&k, &eb), 0);

    k = fb_keepalive_ttl;
    k.name = "";
    ck_assert_int_eq(fb_keepalive_check(&k, &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, "a keep-alive policy has no name");
    k = fb_keepalive_ttl;
    k.source = NULL;
    ck_assert_int_eq(fb_keepalive_check(&k, &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, "keep-alive policy 'ttl' has no source");
    k = fb_keepalive_ttl;
    k.summary = "";
    ck_assert_int_eq(fb_keepalive_check(&k, &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, "keep-alive policy 'ttl' has no summary");

    k = fb_keepalive_ttl;
    k.options = out_of_range;
    ck_assert_int_eq(fb_keepalive_check(&k, &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, "keep-alive policy 'ttl': ttl_s: default 5 outside [10, 20]");
    k.options = twice;
    ck_assert_int_eq(fb_keepalive_check(&k, &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, "keep-alive policy 'ttl': a is listed twice");
    k.options = fractional;
    ck_assert_int_eq(fb_keepalive_check(&k, &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, "keep-alive policy 'ttl': n is an integer with a fractional bound");
    k.options = no_help;
    ck_assert_int_eq(fb_keepalive_check(&k, &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, "keep-alive policy 'ttl': parameter 0 needs a name and help");

    for (int i = 0; i <= FB_PLUGOPT_MAX; i++) {
        snprintf(names[i], sizeof(names[i]), "p%d", i);
        many[i] = (struct fb_plugopt){names[i], FB_PLUGOPT_NUMBER, 0, 0, 1, "one of many"};
    }
    many[FB_PLUGOPT_MAX + 1] = (struct fb_plugopt){NULL, 0, 0, 0, 0, NULL};
    k.options = many;
    ck_assert_int_eq(fb_keepalive_check(&k, &eb), FB_EINVAL);
    snprintf(want, sizeof(want), "keep-alive policy 'ttl': more than %d parameters",
             FB_PLUGOPT_MAX);
    ck_assert_str_eq(eb.msg, want);
    many[FB_PLUGOPT_MAX] = many[FB_PLUGOPT_MAX + 1];
    ck_assert_int_eq(fb_keepalive_check(&k, &eb), 0);
}
END_TEST

START_TEST(options_are_parsed_from_the_spec)
{
    struct fb_plugspec s;
    struct fb_errbuf eb = {{0}};
    void *st = NULL;
    double prewarm_at = NAN;
    struct fb_ka_instance inst = {.id = 1, .memory_mb = 128};

    ck_assert_int_eq(fb_plugspec_parse("ttl:ttl_s=10", fb_keepalive_ttl.options, &s, &eb), 0);
    ck_assert_str_eq(s.name, "ttl");
    ck_assert_int_eq(s.n_values, 1);
    ck_assert_double_eq(s.values[0], 10);
    ck_assert_int_eq(fb_keepalive_ttl.ops.init(&st, 1, 1, s.values), 0);
    ck_assert_double_eq(fb_keepalive_ttl.ops.idle(st, &inst, 100, &prewarm_at), 110);
    ck_assert(isnan(prewarm_at));
    fb_keepalive_ttl.ops.free(st);

    ck_assert_ptr_eq(fb_keepalive_find_spec("ttl", &s, &eb), &fb_keepalive_ttl);
    ck_assert_double_eq(s.values[0], 600);
    ck_assert_ptr_eq(fb_keepalive_find_spec("hybrid-histogram:bin_s=10,min_samples=5", &s, &eb),
                     &fb_keepalive_hybrid_histogram);
    ck_assert_int_eq(s.n_values, 10);
    ck_assert_double_eq(s.values[0], 10);   /* bin_s */
    ck_assert_double_eq(s.values[1], 14400); /* range_s: the default */
    ck_assert_double_eq(s.values[7], 5);    /* min_samples */

    static const struct {
        const char *spec, *msg;
    } bad[] = {
        {"ttl:ttl=5", "ttl: unknown parameter 'ttl' (known: ttl_s)"},
        {"ttl:ttl_s=-1", "ttl: ttl_s: -1 is outside [0, 1e+09]"},
        {"lru:x=1", "lru: unknown parameter 'x' (it takes none)"},
        {"fifo", "unknown keep-alive policy 'fifo'"},
        {"hybrid-histogram:tail_pct=40", "hybrid-histogram: tail_pct: 40 is outside [50, 100]"},
        {"hybrid-histogram:min_samples=2.5",
         "hybrid-histogram: min_samples: 2.5 is not a whole number"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_ptr_null(fb_keepalive_find_spec(bad[i].spec, &s, &eb));
        ck_assert_str_eq(eb.msg, bad[i].msg);
    }
}
END_TEST

START_TEST(least_recent_breaks_ties_by_id)
{
    struct fb_ka_instance v[4] = {{.id = 4, .last_used_s = 5},
                                  {.id = 9, .last_used_s = 3},
                                  {.id = 2, .last_used_s = 3},
                                  {.id = 1, .last_used_s = 7}};

    ck_assert_int_eq(fb_ka_least_recent(v, 4), 2);
    v[2].id = 10; /* now 9 is the lower id of the two used at 3 */
    ck_assert_int_eq(fb_ka_least_recent(v, 4), 1);
    v[3].last_used_s = 2.5;
    ck_assert_int_eq(fb_ka_least_recent(v, 4), 3);
    ck_assert_int_eq(fb_ka_least_recent(v, 1), 0);
    ck_assert_int_eq(fb_ka_least_recent(v, 0), -1);
    ck_assert_int_eq(fb_ka_least_recent(NULL, 3), -1);
}
END_TEST

START_TEST(every_policy_starts_with_its_defaults)
{
    for (int i = 0; fb_keepalive_at(i) != NULL; i++) {
        const struct fb_keepalive *k = fb_keepalive_at(i);
        struct fb_plugspec s;
        struct fb_errbuf eb = {{0}};
        void *a = NULL, *b = NULL;
        double pa = NAN, pb = NAN;
        struct fb_ka_instance x = {.id = 1, .memory_mb = 128, .last_used_s = 50, .uses = 1};
        struct fb_ka_instance y = x;

        ck_assert_ptr_eq(fb_keepalive_find_spec(k->name, &s, &eb), k);
        /* NULL params and the parsed defaults give the same policy (a
         * policy without state or arrivals has nothing to differ in). */
        if (k->ops.init != NULL) {
            ck_assert_int_eq(k->ops.init(&a, 3, 7, NULL), 0);
            ck_assert_int_eq(k->ops.init(&b, 3, 7, s.n_values > 0 ? s.values : NULL), 0);
        }
        if (k->ops.arrival != NULL) {
            k->ops.arrival(a, 0, 49);
            k->ops.arrival(b, 0, 49);
        }
        double ua = k->ops.idle(a, &x, 50, &pa), ub = k->ops.idle(b, &y, 50, &pb);
        ck_assert_msg(ua == ub, "%s: %g against %g", k->name, ua, ub);
        ck_assert(isnan(pa) && isnan(pb)); /* nothing learned: no pre-warm */
        if (k->ops.victim != NULL) {
            ck_assert_int_eq(k->ops.victim(a, &x, 1, 60), 0);
            ck_assert_int_eq(k->ops.victim(a, &x, 0, 60), -1);
        }
        if (k->ops.free != NULL) {
            k->ops.free(a);
            k->ops.free(b);
        }
    }
}
END_TEST

/* ---- none, ttl, lru ---- */

START_TEST(none_starts_an_instance_for_every_call)
{
    struct sim m;

    sim_init(&m, "none", 1024, 128);
    sim_arrival(&m, 0, 0, 1);
    sim_arrival(&m, 0, 1, 1); /* right at the previous call's end */
    sim_arrival(&m, 0, 5, 1);
    sim_arrival(&m, 1, 20, 1);
    sim_finish(&m, 40);
    ck_assert_str_eq(m.modes, "cccc");
    ck_assert_int_eq(m.started, 4);
    ck_assert_int_eq(m.evicted_other, 4);
    ck_assert_int_eq(m.evicted_pressure, 0);
    ck_assert_double_eq_tol(m.idle_mb_s, 0, EPS);
}
END_TEST

START_TEST(ttl_10_s_cold_warm_cold)
{
    struct sim m;

    sim_init(&m, "ttl:ttl_s=10", 1024, 128);
    sim_arrival(&m, 0, 0, 1);
    sim_arrival(&m, 0, 5, 1);
    sim_arrival(&m, 0, 20, 1);
    sim_finish(&m, 40);
    ck_assert_str_eq(m.modes, "cwc");
    ck_assert_int_eq(m.started, 2);
    ck_assert_int_eq(m.evicted_pressure, 0);
    /* Idle 1-5, 6-16 (expired), 21-31 (expired): 24 s of 128 MB. */
    ck_assert_double_eq_tol(m.idle_mb_s, 128 * 24.0, EPS);

    /* The default 10 minutes keeps it: idle 1-5, 6-20, 21-40 (the end). */
    sim_init(&m, "ttl", 1024, 128);
    sim_arrival(&m, 0, 0, 1);
    sim_arrival(&m, 0, 5, 1);
    sim_arrival(&m, 0, 20, 1);
    sim_finish(&m, 40);
    ck_assert_str_eq(m.modes, "cww");
    ck_assert_double_eq_tol(m.idle_mb_s, 128 * 37.0, EPS);

    /* An arrival exactly at the expiry finds the instance gone. */
    sim_init(&m, "ttl:ttl_s=10", 1024, 128);
    sim_arrival(&m, 0, 0, 1);
    sim_arrival(&m, 0, 11, 1);
    sim_arrival(&m, 0, 21.5, 1);
    sim_finish(&m, 40);
    ck_assert_str_eq(m.modes, "ccw");
}
END_TEST

START_TEST(ttl_under_pressure_evicts_the_least_recent)
{
    struct sim m;

    /* Room for 2. At 20, f0 (used until 1) goes, not f1 (until 11); at 30
     * f1 goes, so f2 at 40 is warm. */
    sim_init(&m, "ttl", 256, 128);
    sim_arrival(&m, 0, 0, 1);
    sim_arrival(&m, 1, 10, 1);
    sim_arrival(&m, 2, 20, 1);
    sim_arrival(&m, 0, 30, 1);
    sim_arrival(&m, 2, 40, 1);
    sim_finish(&m, 50);
    ck_assert_str_eq(m.modes, "ccccw");
    ck_assert_int_eq(m.evicted_pressure, 2);
}
END_TEST

/* Three functions invoked in turn, every 10 s, three rounds. */
static void three_in_turn(struct sim *m)
{
    for (int k = 0; k < 9; k++)
        sim_arrival(m, k % 3, 10.0 * k, 1);
    sim_finish(m, 100);
}

START_TEST(lru_with_room_for_two_of_three_is_always_cold)
{
    struct sim m;

    sim_init(&m, "lru", 256, 128);
    three_in_turn(&m);
    ck_assert_str_eq(m.modes, "ccccccccc");
    ck_assert_int_eq(m.started, 9);
    ck_assert_int_eq(m.evicted_pressure, 7);
    ck_assert_int_eq(m.evicted_other, 2); /* alive at the end */
}
END_TEST

START_TEST(lru_with_room_for_three_is_cold_three_times)
{
    struct sim m;

    sim_init(&m, "lru", 384, 128);
    three_in_turn(&m);
    ck_assert_str_eq(m.modes, "cccwwwwww");
    ck_assert_int_eq(m.started, 3);
    ck_assert_int_eq(m.evicted_pressure, 0);
    /* lru never expires: the three stay until memory is needed (the end). */
    ck_assert_int_eq(m.evicted_other, 3);
}
END_TEST

/* ---- greedy-dual ---- */

/* Room for 2 of 3 functions; f0's cold start costs 10 s, the others' 1 s.
 * Arrivals f0 f1 f2 f1 f2 f0 f1 f2 f0, every 10 s. */
static void expensive_and_cheap(struct sim *m, const char *spec)
{
    static const int order[9] = {0, 1, 2, 1, 2, 0, 1, 2, 0};

    sim_init(m, spec, 256, 128);
    m->cold_cost_s[0] = 10;
    for (int k = 0; k < 9; k++)
        sim_arrival(m, order[k], 10.0 * k, 1);
    sim_finish(m, 100);
}

START_TEST(greedy_dual_keeps_the_costly_function)
{
    struct sim gd, lru;

    expensive_and_cheap(&gd, "greedy-dual");
    expensive_and_cheap(&lru, "lru");
    /* greedy-dual evicts the cheap ones and f0 stays warm; lru evicts f0
     * as soon as it is the least recent, and f0 is cold every time. */
    ck_assert_str_eq(gd.modes, "cccccwccw");
    ck_assert_str_eq(lru.modes, "cccwwcccc");
    ck_assert_double_eq_tol(gd.cold_cost_total, 10 + 6 * 1, EPS);
    ck_assert_double_eq_tol(lru.cold_cost_total, 3 * 10 + 4 * 1, EPS);

    /* With equal costs greedy-dual has no reason to prefer f0: the tie
     * goes to the least recent, and f0 goes at 20 as under lru. */
    struct sim flat;
    sim_init(&flat, "greedy-dual", 256, 128);
    static const int order[9] = {0, 1, 2, 1, 2, 0, 1, 2, 0};
    for (int k = 0; k < 9; k++)
        sim_arrival(&flat, order[k], 10.0 * k, 1);
    sim_finish(&flat, 100);
    ck_assert_int_eq(flat.modes[5], 'c');
}
END_TEST

START_TEST(greedy_dual_priority_clock_and_frequency)
{
    const struct fb_keepalive *k = &fb_keepalive_greedy_dual;
    struct fb_plugspec s;
    struct fb_errbuf eb = {{0}};
    void *st = NULL;
    double pw = NAN;
    struct fb_ka_instance a = {.id = 1, .function = 0, .node = 0, .memory_mb = 64};
    struct fb_ka_instance b = {.id = 2, .function = 1, .node = 1, .memory_mb = 64};
    struct fb_ka_instance c = {.id = 3, .function = 1, .node = 1, .memory_mb = 64};
    struct fb_ka_instance d = {.id = 4, .function = 0, .node = 0, .memory_mb = 64};
    struct fb_ka_instance e = {.id = 5, .function = 0, .node = 0, .memory_mb = 64};

    ck_assert_ptr_eq(fb_keepalive_find_spec("greedy-dual:default_cost_s=2", &s, &eb), k);
    ck_assert_int_eq(k->ops.init(&st, 2, 1, s.values), 0);
    /* Before any measurement: 0 + 1 x 2 / 64. */
    ck_assert(isinf(k->ops.idle(st, &a, 10, &pw)));
    ck_assert(isnan(pw));
    ck_assert_double_eq_tol(a.score, 2.0 / 64, EPS);
    /* Measured 4 s; a's second call: 2 x 4 / 64. */
    k->ops.cost(st, 0, 4);
    k->ops.idle(st, &a, 20, &pw);
    ck_assert_double_eq_tol(a.score, 2 * 4.0 / 64, EPS);
    /* The mean of the measurements, a negative one counting as 0. */
    k->ops.cost(st, 0, -1);
    k->ops.idle(st, &a, 30, &pw);
    ck_assert_double_eq_tol(a.score, 3 * 2.0 / 64, EPS);

    /* Node 1's eviction raises node 1's clock only. */
    k->ops.idle(st, &b, 31, &pw);
    ck_assert_double_eq_tol(b.score, 2.0 / 64, EPS);
    k->ops.evicted(st, &b, 32, true);
    k->ops.idle(st, &a, 40, &pw);
    ck_assert_double_eq_tol(a.score, 4 * 2.0 / 64, EPS);
    /* f1 has no instance left on node 1: its frequency starts again. */
    k->ops.idle(st, &c, 41, &pw);
    ck_assert_double_eq_tol(c.score, 2.0 / 64 + 1 * 2.0 / 64, EPS);
    /* A lower priority evicted out of order does not lower the clock. */
    struct fb_ka_instance low = b;
    low.score = 0;
    k->ops.evicted(st, &low, 42, true);
    k->ops.idle(st, &c, 43, &pw);
    ck_assert_double_eq_tol(c.score, 2.0 / 64 + 2 * 2.0 / 64, EPS);

    /* a goes at the end of a keep-alive (not pressure): node 0's clock
     * stays 0 and f0's frequency resets. */
    k->ops.evicted(st, &a, 50, false);
    k->ops.idle(st, &d, 51, &pw);
    ck_assert_double_eq_tol(d.score, 1 * 2.0 / 64, EPS);
    /* Frequency is the calls of all of f0's instances on the node. */
    k->ops.idle(st, &e, 52, &pw);
    ck_assert_double_eq_tol(e.score, 2 * 2.0 / 64, EPS);

    /* Victim: the lowest priority; ties to the least recent, then the id. */
    d.last_used_s = 51;
    e.last_used_s = 52;
    struct fb_ka_instance v[3] = {e, d, c};
    ck_assert_int_eq(k->ops.victim(st, v, 3, 60), 1);
    v[0].score = v[1].score;
    ck_assert_int_eq(k->ops.victim(st, v, 3, 60), 1);
    v[0].last_used_s = v[1].last_used_s;
    v[0].id = 0;
    ck_assert_int_eq(k->ops.victim(st, v, 3, 60), 0);
    ck_assert_int_eq(k->ops.victim(st, v, 0, 60), -1);
    k->ops.free(st);
}
END_TEST

/* ---- hybrid-histogram ---- */

struct windows {
    double prewarm, keep; /* after the end of the last call; prewarm 0: none */
};

/* Feeds function 0 the idle times its[0..n) (calls of no duration: an
 * arrival, its end, the next arrival its[i] later) and returns the windows
 * idle() chose at the last call's end. */
static struct windows learn(const char *spec, const double *its, int n)
{
    const struct fb_keepalive *k;
    struct fb_plugspec s;
    struct fb_errbuf eb = {{0}};
    struct fb_ka_instance x = {.id = 1, .function = 0, .memory_mb = 128};
    void *st = NULL;
    double t = 1000, pw = NAN, until;

    k = fb_keepalive_find_spec(spec, &s, &eb);
    ck_assert_msg(k == &fb_keepalive_hybrid_histogram, "%s: %s", spec, eb.msg);
    ck_assert_int_eq(k->ops.init(&st, 2, 1, s.values), 0);
    k->ops.arrival(st, 0, t);
    until = k->ops.idle(st, &x, t, &pw);
    for (int i = 0; i < n; i++) {
        t += its[i];
        k->ops.arrival(st, 0, t);
        pw = NAN;
        until = k->ops.idle(st, &x, t, &pw);
    }
    k->ops.free(st);
    return (struct windows){isnan(pw) ? 0 : pw - t, until - t};
}

static void fill(double *its, int from, int to, double v)
{
    for (int i = from; i < to; i++)
        its[i] = v;
}

/* Every instance that goes is told to its policy, a failed one too: a
 * greedy-dual that was not told kept counting the failed instance's calls
 * as its function's frequency. Greedy-dual's own hooks, with its evicted
 * hook counted on the way. */
static const struct fb_keepalive *counted_real;
static int counted_evictions;

static void counted_evicted(void *state, const struct fb_ka_instance *inst, double now,
                            bool pressure)
{
    counted_evictions++;
    counted_real->ops.evicted(state, inst, now, pressure);
}

START_TEST(a_failed_instance_is_told_to_its_policy)
{
    struct fb_plugspec ps;
    struct fb_errbuf eb = {{0}};
    struct fb_cluster_opts o = {.ram_threshold = 100, .slots = 4};
    struct fb_cluster *c;
    struct fb_ka_outcome out;
    const struct fb_policy *p = fb_policy_find("round-robin");
    void *pstate;

    counted_real = fb_keepalive_find_spec("greedy-dual", &ps, &eb);
    ck_assert_ptr_nonnull(counted_real);
    ck_assert_ptr_nonnull(counted_real->ops.evicted);
    struct fb_keepalive k = *counted_real;
    k.ops.evicted = counted_evicted;
    counted_evictions = 0;
    ck_assert_int_eq(p->ops.init(&pstate, 1, NULL), 0);
    ck_assert_int_eq(fb_cluster_new(&o, &c), 0);
    ck_assert_int_eq(fb_cluster_add_node(c, "n1", 512, false), 0);
    ck_assert_int_eq(fb_cluster_add_function(c, "f0", 128), 0);
    ck_assert_int_eq(fb_cluster_cell_begin(c, &k, ps.n_values > 0 ? ps.values : NULL, 1), 0);
    /* A call whose instance fails, then one that ends well and stays idle. */
    for (int i = 0; i < 2; i++) {
        struct fb_ticket t = {.f = 0, .t_arrival = 10.0 * i};
        struct fb_attempt_end end = {.failed = i == 0, .run_ms = 500};
        ck_assert_int_eq(fb_cluster_pick(c, p, pstate, &t, 10.0 * i), FB_PICK_OK);
        ck_assert(t.fresh); /* the failed instance is not used again */
        fb_cluster_inst_free_list(t.victims);
        fb_cluster_release(c, &t, 10.0 * i + 1, &end);
        fb_cluster_inst_free_list(t.gone);
        fb_cluster_finish(c, p, pstate, &t, 10.0 * i + 1, &end);
        ck_assert_int_eq(counted_evictions, 1); /* the failed one, at once */
    }
    fb_cluster_inst_free_list(fb_cluster_cell_end(c, 30, &out));
    ck_assert_int_eq(out.evicted_failed, 1);
    ck_assert_int_eq(out.started, 2);
    ck_assert_int_eq(counted_evictions, 2); /* and the idle one at the end */
    fb_cluster_free(c);
    p->ops.free(pstate);
}
END_TEST

/* keepalive.csv counts a call once: an attempt that failed and a retry that
 * ran are one call, not failed; a call whose every attempt failed is one
 * failed call. */
START_TEST(a_retried_call_counts_once)
{
    struct fb_plugspec ps;
    struct fb_errbuf eb = {{0}};
    struct fb_cluster_opts o = {.ram_threshold = 100, .slots = 4};
    struct fb_cluster *c;
    struct fb_ka_outcome out;
    const struct fb_policy *p = fb_policy_find("round-robin");
    const struct fb_keepalive *k = fb_keepalive_find_spec("lru", &ps, &eb);
    void *pstate;

    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(p->ops.init(&pstate, 1, NULL), 0);
    ck_assert_int_eq(fb_cluster_new(&o, &c), 0);
    ck_assert_int_eq(fb_cluster_add_node(c, "n1", 512, false), 0);
    ck_assert_int_eq(fb_cluster_add_node(c, "n2", 512, false), 1);
    ck_assert_int_eq(fb_cluster_add_function(c, "f0", 128), 0);
    ck_assert_int_eq(fb_cluster_cell_begin(c, k, NULL, 1), 0);
    /* Call 1: fails on its first node, runs on the other. Call 2: fails on
     * both. */
    for (int call = 0; call < 2; call++) {
        struct fb_ticket t = {.f = 0, .t_arrival = call};
        for (int attempt = 0; attempt < 2; attempt++) {
            struct fb_attempt_end end = {.failed = call == 1 || attempt == 0, .run_ms = 100};
            ck_assert_int_eq(fb_cluster_pick(c, p, pstate, &t, call + 0.1 * attempt), FB_PICK_OK);
            fb_cluster_inst_free_list(t.victims);
            t.victims = NULL;
            fb_cluster_release(c, &t, call + 0.1 * attempt + 0.05, &end);
            fb_cluster_inst_free_list(t.gone);
            t.gone = NULL;
            fb_cluster_finish(c, p, pstate, &t, call + 0.1 * attempt + 0.05, &end);
            if (attempt == 0)
                ck_assert(fb_cluster_retry(&t));
        }
    }
    fb_cluster_inst_free_list(fb_cluster_cell_end(c, 10, &out));
    ck_assert_int_eq(out.invocations, 2);
    ck_assert_int_eq(out.failed, 1);
    /* Call 2 first ran on call 1's instance (warm), then started its own. */
    ck_assert_int_eq(out.started, 3);
    ck_assert_int_eq(out.evicted_failed, 3);
    fb_cluster_free(c);
    p->ops.free(pstate);
}
END_TEST

START_TEST(hybrid_histogram_windows_from_percentiles)
{
    double its[240];
    struct windows w;

    /* Two clusters, 2.5 min and 10.5 min: the head is bin 2 (pre-warm at
     * 120 s - 10 % = 108 s), the tail bin 10 (keep to 660 s + 10 % = 726 s). */
    for (int i = 0; i < 20; i++)
        its[i] = i % 2 == 0 ? 150 : 630;
    w = learn("hybrid-histogram", its, 20);
    ck_assert_double_eq_tol(w.prewarm, 108, EPS);
    ck_assert_double_eq_tol(w.keep, 726, EPS);

    /* The 5th percentile is the first bin reaching 5 % of the samples:
     * 4 of 100 in bin 0 do not reach it (pre-warm from bin 3: 162 s) ... */
    fill(its, 0, 4, 30);
    fill(its, 4, 100, 200);
    w = learn("hybrid-histogram", its, 100);
    ck_assert_double_eq_tol(w.prewarm, 162, EPS);
    ck_assert_double_eq_tol(w.keep, 264, EPS);
    /* ... 5 of 100 do: a head in bin 0 rounds down to no pre-warm. */
    fill(its, 0, 5, 30);
    fill(its, 5, 100, 200);
    w = learn("hybrid-histogram", its, 100);
    ck_assert_double_eq_tol(w.prewarm, 0, EPS);
    ck_assert_double_eq_tol(w.keep, 264, EPS);

    /* Margins, bins and percentiles are parameters. */
    for (int i = 0; i < 20; i++)
        its[i] = i % 2 == 0 ? 150 : 630;
    w = learn("hybrid-histogram:bin_s=30,prewarm_margin=0,keepalive_margin=0.5", its, 20);
    ck_assert_double_eq_tol(w.prewarm, 150, EPS);       /* bin 5's lower edge */
    ck_assert_double_eq_tol(w.keep, 660 * 1.5, EPS);    /* bin 21's upper edge */
    w = learn("hybrid-histogram:head_pct=50,tail_pct=50", its, 20);
    ck_assert_double_eq_tol(w.prewarm, 108, EPS);       /* 10 of 20 in bin 2 */
    ck_assert_double_eq_tol(w.keep, 180 * 1.1, EPS);
}
END_TEST

START_TEST(hybrid_histogram_falls_back_to_the_fixed_keep_alive)
{
    double its[240];
    struct windows w;

    /* Too few samples: 9 of 10 needed. */
    fill(its, 0, 10, 150);
    w = learn("hybrid-histogram", its, 9);
    ck_assert_double_eq_tol(w.prewarm, 0, EPS);
    ck_assert_double_eq_tol(w.keep, 14400, EPS);
    w = learn("hybrid-histogram", its, 10);
    ck_assert_double_eq_tol(w.prewarm, 108, EPS);
    ck_assert_double_eq_tol(w.keep, 198, EPS);
    w = learn("hybrid-histogram:min_samples=3,fixed_s=77", its, 2);
    ck_assert_double_eq_tol(w.keep, 77, EPS);

    /* Not representative: one sample in each of the 240 bins, CV 0. */
    for (int i = 0; i < 240; i++)
        its[i] = 30 + 60.0 * i;
    w = learn("hybrid-histogram", its, 240);
    ck_assert_double_eq_tol(w.prewarm, 0, EPS);
    ck_assert_double_eq_tol(w.keep, 14400, EPS);
    /* With no CV threshold the same histogram is used: the 12th sample
     * (bin 11) is the 5th percentile, the 238th (bin 237) the 99th. */
    w = learn("hybrid-histogram:cv_min=0", its, 240);
    ck_assert_double_eq_tol(w.prewarm, 660 * 0.9, EPS);
    ck_assert_double_eq_tol(w.keep, 238 * 60 * 1.1, EPS);

    /* Out of bounds (over 4 hours): 6 of 10 is too many, 5 of 10 is not;
     * the histogram then holds the 5 in range. */
    fill(its, 0, 6, 18000);
    fill(its, 6, 10, 150);
    w = learn("hybrid-histogram", its, 10);
    ck_assert_double_eq_tol(w.keep, 14400, EPS);
    fill(its, 0, 5, 18000);
    fill(its, 5, 10, 150);
    w = learn("hybrid-histogram", its, 10);
    ck_assert_double_eq_tol(w.prewarm, 108, EPS);
    ck_assert_double_eq_tol(w.keep, 198, EPS);
    /* Exactly the range is out of bounds. */
    fill(its, 0, 6, 14400);
    w = learn("hybrid-histogram", its, 10);
    ck_assert_double_eq_tol(w.keep, 14400, EPS);
}
END_TEST

START_TEST(hybrid_histogram_idle_time_is_from_the_latest_end)
{
    const struct fb_keepalive *k = &fb_keepalive_hybrid_histogram;
    struct fb_plugspec s;
    struct fb_errbuf eb = {{0}};
    struct fb_ka_instance x = {.id = 1, .function = 1}, y = {.id = 2, .function = 1};
    void *st = NULL;
    double pw = NAN;

    ck_assert_ptr_eq(fb_keepalive_find_spec("hybrid-histogram:min_samples=3", &s, &eb), k);
    ck_assert_int_eq(k->ops.init(&st, 2, 1, s.values), 0);
    k->ops.arrival(st, 1, 0);
    k->ops.idle(st, &x, 1, &pw);
    k->ops.arrival(st, 1, 100);   /* 99 s */
    k->ops.arrival(st, 1, 101);   /* no call ended since 100: no sample */
    k->ops.idle(st, &x, 102, &pw);
    k->ops.idle(st, &y, 103, &pw);
    k->ops.arrival(st, 1, 203);   /* 100 s, from the latest end */
    k->ops.arrival(st, 0, 204);   /* another function's */
    ck_assert_double_eq_tol(k->ops.idle(st, &x, 204, &pw), 204 + 14400, EPS);
    ck_assert(isnan(pw)); /* 2 samples of 3 */
    k->ops.arrival(st, 1, 303); /* 99 s from 204: the third, all in bin 1 */
    ck_assert_double_eq_tol(k->ops.idle(st, &x, 304, &pw), 304 + 120 * 1.1, EPS);
    ck_assert_double_eq_tol(pw, 304 + 60 * 0.9, EPS);
    k->ops.free(st);
}
END_TEST

START_TEST(hybrid_histogram_learns_then_prewarms)
{
    struct sim m;

    /* Every 60 s for 1 s: idle times of 59 s, bin 5 of 10 s bins. Before 5
     * samples the fixed 30 s lets the instance go before the next call:
     * cold. From the 5th, the instance goes at the end, is pre-warmed 45 s
     * later (50 s - 10 %) and kept to 66 s (60 s + 10 %): every call after
     * is warm on a pre-warmed instance, idle 14 s instead of 59 s. */
    sim_init(&m, "hybrid-histogram:bin_s=10,fixed_s=30,min_samples=5", 1024, 1);
    sim_periodic(&m, 0, 0, 60, 20, 1);
    sim_finish(&m, 60 * 19 + 1);
    ck_assert_str_eq(m.modes, "ccccccpppppppppppppp");
    ck_assert_int_eq(m.prewarmed, 14);
    ck_assert_int_eq(m.started, 20);
    ck_assert_double_eq_tol(m.idle_mb_s, 5 * 30 + 14 * 14, EPS);
}
END_TEST

START_TEST(hybrid_histogram_holds_less_idle_memory_than_ttl)
{
    struct sim hh, ttl, hh60;

    /* Every 60 s, 40 calls: both are cold once. ttl keeps the instance
     * through every 59 s gap; hybrid-histogram (10 s bins, the paper's
     * other defaults) does too for its first 10 gaps (fixed 4 hours while
     * learning), then pre-warms: 14 s idle per gap. */
    sim_init(&ttl, "ttl", 1024, 1);
    sim_periodic(&ttl, 0, 0, 60, 40, 1);
    sim_finish(&ttl, 60 * 39 + 1);
    sim_init(&hh, "hybrid-histogram:bin_s=10", 1024, 1);
    sim_periodic(&hh, 0, 0, 60, 40, 1);
    sim_finish(&hh, 60 * 39 + 1);

    ck_assert_int_eq(ttl.modes[0], 'c');
    ck_assert_ptr_null(strchr(ttl.modes + 1, 'c'));
    ck_assert_ptr_null(strchr(hh.modes + 1, 'c'));
    ck_assert_int_eq(hh.modes[0], 'c');
    ck_assert_int_eq(hh.modes[11], 'p');
    ck_assert_int_eq(hh.modes[10], 'w');
    ck_assert_double_eq_tol(ttl.idle_mb_s, 39 * 59, EPS);
    ck_assert_double_eq_tol(hh.idle_mb_s, 10 * 59 + 29 * 14, EPS);
    ck_assert(hh.idle_mb_s < ttl.idle_mb_s);

    /* With the paper's 1-minute bins a 59 s idle time is in bin 0: no
     * pre-warm, kept 66 s; as much idle memory as ttl, all warm. */
    sim_init(&hh60, "hybrid-histogram", 1024, 1);
    sim_periodic(&hh60, 0, 0, 60, 40, 1);
    sim_finish(&hh60, 60 * 39 + 1);
    ck_assert_ptr_null(strchr(hh60.modes + 1, 'c'));
    ck_assert_int_eq(hh60.prewarmed, 0);
    ck_assert_double_eq_tol(hh60.idle_mb_s, 39 * 59, EPS);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("keepalive");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, registry_lists_every_policy);
    tcase_add_test(tc, table_check_reports_a_broken_entry);
    tcase_add_test(tc, options_are_parsed_from_the_spec);
    tcase_add_test(tc, least_recent_breaks_ties_by_id);
    tcase_add_test(tc, every_policy_starts_with_its_defaults);
    tcase_add_test(tc, none_starts_an_instance_for_every_call);
    tcase_add_test(tc, ttl_10_s_cold_warm_cold);
    tcase_add_test(tc, ttl_under_pressure_evicts_the_least_recent);
    tcase_add_test(tc, lru_with_room_for_two_of_three_is_always_cold);
    tcase_add_test(tc, lru_with_room_for_three_is_cold_three_times);
    tcase_add_test(tc, greedy_dual_keeps_the_costly_function);
    tcase_add_test(tc, greedy_dual_priority_clock_and_frequency);
    tcase_add_test(tc, a_failed_instance_is_told_to_its_policy);
    tcase_add_test(tc, a_retried_call_counts_once);
    tcase_add_test(tc, hybrid_histogram_windows_from_percentiles);
    tcase_add_test(tc, hybrid_histogram_falls_back_to_the_fixed_keep_alive);
    tcase_add_test(tc, hybrid_histogram_idle_time_is_from_the_latest_end);
    tcase_add_test(tc, hybrid_histogram_learns_then_prewarms);
    tcase_add_test(tc, hybrid_histogram_holds_less_idle_memory_than_ttl);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
