/* cli.h - faasbench's subcommands on finished run folders (beside main.c,
 * not in the core library). argv[0] is the subcommand's name. */
#ifndef FB_CLI_H
#define FB_CLI_H

#include <stdbool.h>

#include "report/stats.h"

/* faasbench report RUN_DIR [--no-plots] [--reference policy/warming]
 * Exit status: 0 written, 1 failed, 2 bad usage. */
int fb_cli_report(int argc, char **argv);

/* faasbench calibrate RUN_DIR... -o MODEL.cfg [--node-mb MB] [--node-cpus C]
 * Writes the node model the simulator draws from. Exit status: 0 written,
 * 1 failed (no usable rows), 2 bad usage or an unreadable folder. */
int fb_cli_calibrate(int argc, char **argv);

/* faasbench compare BASE_RUN NEW_RUN [--metric p50|p95|mean] [--tolerance 10%]
 * Prints a table to stdout. Exit status: 0 no regression, 1 a cell is
 * slower beyond the tolerance with significance, 2 bad usage or an
 * unreadable folder. */
int fb_cli_compare(int argc, char **argv);

/* The regression rule of compare: the ratio new/base of the metric is
 * above 1 + tolerance, its 95 % bootstrap CI lies above 1 and the
 * Mann-Whitney p-value is below 0.05. */
bool fb_cmp_is_regression(const struct fb_cmp *c, double tolerance);
/* The mirror image (new faster), for information only. */
bool fb_cmp_is_improvement(const struct fb_cmp *c, double tolerance);

#endif
