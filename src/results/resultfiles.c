/* resultfiles.c - every CSV file of a run folder with its table: the list
 * `faasbench --list-columns` prints (apart from columns.c, which
 * invocation.c's writer uses, so that neither object needs the other). */
#include <string.h>

#include "results/columns.h"
#include "results/faults.h"
#include "results/invocation.h"

static const struct fb_result_file files[] = {
    {"invocations.csv", "one row per invocation, written as it completes",
     fb_invocation_columns, FB_IC_N},
    {"metrics.csv", "the older testbed's file: one row per invocation that ran on a node",
     fb_metrics_columns, FB_MC_N},
    {"summary.csv", "one row per cell and function: latency statistics, phases, open loop",
     fb_summary_columns, FB_SC_N},
    {"comparison.csv", "each cell against its function's reference cell",
     fb_comparison_columns, FB_CC_N},
    {"findings.csv", "per function and warming mode, each pair of node policies compared",
     fb_findings_columns, FB_FC_N},
    {"keepalive.csv", "one row per keep-alive cell: outcomes, instances, idle memory",
     fb_keepalive_columns, FB_KC_N},
    {"instances.csv", "the keep-alive cells' instance timeline, one row per event",
     fb_instances_columns, FB_EC_N},
    {"faults.csv", "one row per fault of each cell: planned and actual window, what it did",
     fb_fault_columns, FB_FAULT_NCOLUMNS},
    {"nodes.csv", "one row per metrics poll of a node", fb_node_columns, FB_NODE_NCOLUMNS},
    {"faults_summary.csv", "per cell and fault, before, during and after its window",
     fb_faultsum_columns, FB_FAULTSUM_NCOLUMNS},
};

const struct fb_result_file *fb_result_file_at(int i)
{
    return i >= 0 && i < (int)(sizeof(files) / sizeof(files[0])) ? &files[i] : NULL;
}

void fb_result_files_list(FILE *f)
{
    const struct fb_result_file *rf;

    for (int i = 0; (rf = fb_result_file_at(i)) != NULL; i++) {
        size_t width = 0;

        fprintf(f, "%s%s: %s\n", i > 0 ? "\n" : "", rf->name, rf->what);
        for (int c = 0; c < rf->n; c++)
            if (strlen(rf->columns[c].name) > width)
                width = strlen(rf->columns[c].name);
        for (int c = 0; c < rf->n; c++)
            fprintf(f, "  %-*s  %-7s  %s\n", (int)width, rf->columns[c].name,
                    fb_col_kind_name(rf->columns[c].kind), rf->columns[c].doc);
    }
}
