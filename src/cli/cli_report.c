/* cli_report.c - `faasbench report`: rebuild a run folder's summaries and plots. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "report/report.h"

static void report_usage(FILE *f)
{
    fprintf(f,
            "usage: faasbench report RUN_DIR [--no-plots] [--reference POLICY/WARMING] [-q]\n"
            "\n"
            "Rebuilds a run folder's summary.csv/.txt, comparison.csv/.txt,\n"
            "metrics_table.txt, plots/ and report.html from its invocations.csv,\n"
            "without running anything.\n"
            "\n"
            "      --no-plots         tables only\n"
            "      --reference P/W    compare every cell against cell P/W (default: each\n"
            "                         function's first cell in the file)\n"
            "  -q, --quiet            do not print the summary table\n"
            "  -h, --help             this text\n"
            "\n"
            "Exit status: 0 written, 1 failed, 2 bad usage or reference.\n");
}

int fb_cli_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"no-plots", no_argument, NULL, 'P'}, {"reference", required_argument, NULL, 'R'},
        {"quiet", no_argument, NULL, 'q'},    {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct fb_report_opts o = {.echo = stdout};
    struct fb_errbuf eb = {{0}};
    int c, rc;

    argv[0] = (char *)"faasbench report"; /* getopt's messages name the command */
    optind = 0;                   /* glibc: a full rescan, also when called again */
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'P':
            o.no_plots = true;
            break;
        case 'R':
            o.reference = optarg;
            break;
        case 'q':
            o.echo = NULL;
            break;
        case 'h':
            report_usage(stdout);
            return 0;
        default:
            report_usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        report_usage(stderr);
        return 2;
    }
    rc = fb_report_write(argv[optind], &o, &eb);
    if (rc < 0) {
        fprintf(stderr, "faasbench report: %s\n", eb.msg[0] ? eb.msg : fb_strerror(rc));
        return rc == FB_EINVAL ? 2 : 1;
    }
    return 0;
}
