/* outcome.c - an invocation's outcome before anything is known of it. */
#include "results/outcome.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"

void fb_outcome_none(struct fb_outcome *o, const char *why)
{
    memset(o, 0, sizeof(*o));
    o->node = -1;
    o->exit_status = -1;
    o->attempts = 1;
    o->start_ms = fb_unix_ms();
    o->node_exec_ms = o->cpu_pct = o->ram_pct = NAN;
    o->create_ms = o->ready_ms = o->init_ms = o->invoke_ms = o->handler_ms = NAN;
    o->room_ms = NAN;
    o->asked_duration_ms = o->asked_memory_mb = NAN;
    snprintf(o->error, sizeof(o->error), "%s", why);
}
