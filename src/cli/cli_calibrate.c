/* cli_calibrate.c - faasbench calibrate: a node model for the simulator from
 * real run folders. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "sim/calibrate.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: faasbench calibrate RUN_DIR... -o MODEL.cfg [--node-mb MB] "
               "[--node-cpus C] [--min-samples N] [--pool PATTERN]...\n"
               "Writes the node model faasbench --simulate draws each phase's time from:\n"
               "per function and mode, the quantiles of every phase the runs' rows hold.\n"
               "What the rows cannot say (the nodes' memory and CPUs unless given, phases\n"
               "no row measured, thin samples) is listed in the model and on stderr.\n"
               "  --pool PATTERN  the rows of every function the shell pattern matches make\n"
               "                  one entry named PATTERN, which models every experiment\n"
               "                  function it matches (each keeping its own memory)\n");
}

static int number(const char *opt, const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(v > 0) || v > 1e9) {
        fprintf(stderr, "faasbench calibrate: %s: '%s' is not a positive number\n", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

int fb_cli_calibrate(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},    {"node-mb", required_argument, NULL, 'm'},
        {"node-cpus", required_argument, NULL, 'c'}, {"min-samples", required_argument, NULL, 'n'},
        {"pool", required_argument, NULL, 'p'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char **pools = calloc((size_t)argc + 1, sizeof(*pools));
    struct fb_calibrate_opts o = {.notes = stderr, .pools = pools};
    const char *out = NULL;
    double v;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'm':
            if (number("--node-mb", optarg, &o.node_mb) < 0)
                goto bad;
            break;
        case 'c':
            if (number("--node-cpus", optarg, &o.node_cpus) < 0)
                goto bad;
            break;
        case 'n':
            if (number("--min-samples", optarg, &v) < 0)
                goto bad;
            o.min_samples = (int)v;
            break;
        case 'p':
            if (pools != NULL)
                pools[o.n_pools++] = optarg;
            break;
        case 'h':
            usage(stdout);
            free(pools);
            return 0;
        default:
            usage(stderr);
            goto bad;
        }
    }
    if (out == NULL || optind >= argc || pools == NULL) {
        usage(stderr);
        goto bad;
    }
    struct fb_model m;
    struct fb_errbuf eb = {{0}};
    int rc = fb_calibrate((const char *const *)argv + optind, argc - optind, &o, &m, &eb);
    free(pools);
    if (rc < 0) {
        fprintf(stderr, "faasbench calibrate: %s\n", eb.msg[0] ? eb.msg : fb_strerror(rc));
        return rc == FB_EIO ? 2 : 1;
    }
    FILE *f = fopen(out, "w");
    if (f == NULL || fb_model_write(&m, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "faasbench calibrate: cannot write %s\n", out);
        fb_model_free(&m);
        return 1;
    }
    fprintf(stderr, "faasbench calibrate: %d function%s from %d run%s -> %s\n", m.n_fns,
            m.n_fns == 1 ? "" : "s", m.n_runs, m.n_runs == 1 ? "" : "s", out);
    fb_model_free(&m);
    return 0;
bad:
    free(pools);
    return 2;
}
