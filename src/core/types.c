/* types.c - the shared enums' names, from their X-macro lists. */
#include "core/types.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"

#define FB_ENUM_NAME(id, name) [id] = name,
#define FB_ENUM_TABLE(var, map, count, what_)                                                   \
    static const char *const var##_names[count] = {map(FB_ENUM_NAME)};                        \
    const struct fb_enum var = {.what = what_, .names = var##_names, .n = count};

FB_ENUM_TABLE(fb_warming_enum, FB_WARMING_MAP, FB_WARM_N, "warming mode")
FB_ENUM_TABLE(fb_workload_enum, FB_WORKLOAD_MAP, FB_WORKLOAD_N, "workload type")
FB_ENUM_TABLE(fb_trace_format_enum, FB_TRACE_FORMAT_MAP, FB_TRACE_FORMAT_N, "trace format")
FB_ENUM_TABLE(fb_spread_enum, FB_SPREAD_MAP, FB_SPREAD_N, "spread")
FB_ENUM_TABLE(fb_order_enum, FB_ORDER_MAP, FB_ORDER_N, "order")
FB_ENUM_TABLE(fb_metrics_enum, FB_METRICS_MAP, FB_METRICS_N, "format")
FB_ENUM_TABLE(fb_step_enum, FB_STEP_MAP, FB_STEP_N, "step")
FB_ENUM_TABLE(fb_transport_enum, FB_TRANSPORT_MAP, FB_TRANSPORT_N, "transport")
FB_ENUM_TABLE(fb_sim_rows_enum, FB_SIM_ROWS_MAP, FB_SIM_ROWS_N, "rows")
FB_ENUM_TABLE(fb_fault_action_enum, FB_FAULT_ACTION_MAP, FB_FAULT_ACTION_N, "fault action")

const char *fb_enum_name(const struct fb_enum *e, int v)
{
    return v >= 0 && v < e->n ? e->names[v] : "unknown";
}

int fb_enum_parse(const struct fb_enum *e, const char *name, int *out)
{
    if (name == NULL)
        return FB_EINVAL;
    for (int v = 0; v < e->n; v++)
        if (strcmp(e->names[v], name) == 0) {
            if (out != NULL)
                *out = v;
            return 0;
        }
    return FB_EINVAL;
}

void fb_enum_choices(const struct fb_enum *e, char *buf, size_t n)
{
    size_t len = 0;

    if (n == 0)
        return;
    buf[0] = '\0';
    for (int v = 0; v < e->n && len < n; v++) {
        const char *sep = v == 0 ? "" : v == e->n - 1 ? " or " : ", ";
        int w = snprintf(buf + len, n - len, "%s\"%s\"", sep, e->names[v]);
        if (w < 0)
            return;
        len += (size_t)w;
    }
}

const char *fb_warming_name(enum fb_warming w)
{
    return fb_enum_name(&fb_warming_enum, (int)w);
}

int fb_warming_parse(const char *name, enum fb_warming *out)
{
    int v, rc = fb_enum_parse(&fb_warming_enum, name, &v);
    if (rc == 0 && out != NULL)
        *out = (enum fb_warming)v;
    return rc;
}

const char *fb_workload_name(enum fb_workload_kind k)
{
    return fb_enum_name(&fb_workload_enum, (int)k);
}

const char *fb_step_name(enum fb_step s)
{
    return fb_enum_name(&fb_step_enum, (int)s);
}

const char *fb_fault_action_name(enum fb_fault_action a)
{
    return fb_enum_name(&fb_fault_action_enum, (int)a);
}

const char *fb_metrics_format_name(enum fb_metrics_format f)
{
    return fb_enum_name(&fb_metrics_enum, (int)f);
}

int fb_metrics_format_parse(const char *name, enum fb_metrics_format *out)
{
    int v, rc = fb_enum_parse(&fb_metrics_enum, name, &v);
    if (rc == 0 && out != NULL)
        *out = (enum fb_metrics_format)v;
    return rc;
}

const char *fb_metrics_default_command(enum fb_metrics_format f)
{
    switch (f) {
    case FB_METRICS_FBNODE:
        return "faasbench-node metrics";
    case FB_METRICS_TESTBED:
        return "/usr/local/bin/get_node_metrics.sh";
    default:
        return NULL;
    }
}
