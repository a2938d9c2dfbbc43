/* main.c - the faasbench command line. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "experiment/config.h"
#include "keepalive/keepalive.h"
#include "experiment/matrix.h"
#include "policies/policy.h"
#include "results/columns.h"
#include "run/run.h"
#include "transport/transport.h"
#include "workload/trace.h"
#include "workload/workload.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: faasbench [options] EXPERIMENT.cfg\n"
            "       faasbench [options] --resume RUN_DIR\n"
            "       faasbench report RUN_DIR [--no-plots] [--reference POLICY/WARMING]\n"
            "       faasbench compare BASE_RUN NEW_RUN [--metric M] [--tolerance T]\n"
            "       faasbench --simulate --model MODEL.cfg [--nodes N] EXPERIMENT.cfg\n"
            "       faasbench calibrate RUN_DIR... -o MODEL.cfg [--node-mb MB] [--node-cpus C]\n"
            "\n"
            "Runs every cell of the experiment's matrix (policy x warming mode) against\n"
            "its nodes and writes results/<name>-<UTC time>/.\n"
            "\n"
            "  -c, --check          validate the file and exit (nothing is run)\n"
            "  -r, --results DIR    results folder (overrides the file's 'results')\n"
            "  -q, --quiet          no progress and no summary table\n"
            "      --no-plots       do not draw plots at the end\n"
            "      --resume RUN_DIR continue a stopped run: complete cells are kept,\n"
            "                       the partial one runs again (its experiment.cfg)\n"
            "      --simulate       run the experiment on simulated nodes, on virtual time\n"
            "                       (every output says it is simulated)\n"
            "      --model FILE     the simulated nodes' model (faasbench calibrate writes one)\n"
            "      --nodes N        simulate N nodes shaped like the experiment's\n"
            "      --rows all|none|P  simulation: which invocations get a row (a seeded\n"
            "                       share P in (0, 1]); summaries count every one\n"
            "      --metrics-listen HOST:PORT\n"
            "                       serve the run's live series on http://HOST:PORT/metrics\n"
            "                       (OpenMetrics, for Prometheus: docs/watching.md); port 0\n"
            "                       picks a free one\n"
            "      --metrics-linger SEC  after the run, once scraped, stay up until one\n"
            "                       more scrape, at most SEC s (default 5; 0: no wait)\n"
            "      --list-policies  print the known policies and their parameters\n"
            "                       (set as \"NAME:KEY=VALUE,...\" in matrix.policies)\n"
            "      --list-keys      print every key of the experiment file: type, default,\n"
            "                       range or choices, and what it does\n"
            "      --list-columns   print every column of every result file and its meaning\n"
            "  -V, --version        print the version\n"
            "  -h, --help           this text\n"
            "\n"
            "Exit status: 0 done, 1 the run failed, 2 bad usage or experiment file,\n"
            "128 + the signal when stopped by SIGINT (130), SIGTERM (143) or SIGHUP\n"
            "(129): finished rows are kept, containers removed.\n");
}

/* Long options without a short one. */
enum { O_METRICS_LISTEN = 1000, O_METRICS_LINGER };

static void on_signal(int sig)
{
    fb_run_stop = sig;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"check", no_argument, NULL, 'c'},   {"results", required_argument, NULL, 'r'},
        {"quiet", no_argument, NULL, 'q'},   {"list-policies", no_argument, NULL, 'L'},
        {"version", no_argument, NULL, 'V'}, {"help", no_argument, NULL, 'h'},
        {"no-plots", no_argument, NULL, 'P'},
        {"resume", required_argument, NULL, 'R'},
        {"simulate", no_argument, NULL, 'S'},
        {"model", required_argument, NULL, 'M'},
        {"nodes", required_argument, NULL, 'N'},
        {"rows", required_argument, NULL, 'W'},
        {"list-keys", no_argument, NULL, 'K'},
        {"list-columns", no_argument, NULL, 'C'},
        {"metrics-listen", required_argument, NULL, O_METRICS_LISTEN},
        {"metrics-linger", required_argument, NULL, O_METRICS_LINGER},
        {NULL, 0, NULL, 0},
    };
    struct fb_run_opts opts = {.metrics_linger_s = 5};
    struct fb_sim_opts sim = {0};
    bool check_only = false, simulate = false, rows_given = false;
    int c;

    /* Subcommands work on finished run folders; they come before options. */
    if (argc >= 2 && strcmp(argv[1], "report") == 0)
        return fb_cli_report(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "compare") == 0)
        return fb_cli_compare(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "calibrate") == 0)
        return fb_cli_calibrate(argc - 1, argv + 1);

    /* A plug-in table with a missing hook or a bad options table is a bug
     * of this build: said at once, before any file or listing relies on it. */
    struct fb_errbuf tables_eb = {{0}};
    if (fb_policy_table_check(&tables_eb) < 0 || fb_keepalive_table_check(&tables_eb) < 0) {
        fprintf(stderr, "faasbench: %s\n", tables_eb.msg);
        return 1;
    }

    while ((c = getopt_long(argc, argv, "cr:qVh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            check_only = true;
            break;
        case 'r':
            opts.results_root = optarg;
            break;
        case 'q':
            opts.quiet = true;
            break;
        case 'R':
            opts.resume = optarg;
            break;
        case 'P':
            opts.no_plots = true;
            break;
        case 'S':
            simulate = true;
            break;
        case 'M':
            sim.model = optarg;
            break;
        case 'W':
            rows_given = true;
            if (strcmp(optarg, "all") == 0) {
                sim.rows = FB_SIM_ROWS_ALL;
            } else if (strcmp(optarg, "none") == 0) {
                sim.rows = FB_SIM_ROWS_NONE;
            } else {
                char *end;
                double p = strtod(optarg, &end);
                if (*optarg == '\0' || *end != '\0' || !(p > 0 && p <= 1)) {
                    fprintf(stderr, "faasbench: --rows: '%s' is not all, none or a share in "
                                    "(0, 1]\n", optarg);
                    return 2;
                }
                sim.rows = FB_SIM_ROWS_SAMPLE;
                sim.sample = p;
            }
            break;
        case 'N': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || n < 1 || n > 1000000) {
                fprintf(stderr, "faasbench: --nodes: '%s' is not a number of nodes "
                                "(1 to 1000000)\n", optarg);
                return 2;
            }
            sim.nodes = (int)n;
            break;
        }
        case O_METRICS_LISTEN:
            opts.metrics_listen = optarg;
            break;
        case O_METRICS_LINGER: {
            char *end;
            errno = 0;
            opts.metrics_linger_s = strtod(optarg, &end);
            if (errno != 0 || end == optarg || *end != '\0' || !(opts.metrics_linger_s >= 0) ||
                opts.metrics_linger_s > 3600) {
                fprintf(stderr, "faasbench: --metrics-linger %s: seconds, 0..3600\n", optarg);
                return 2;
            }
            break;
        }
        case 'L':
            fb_policy_list(stdout);
            printf("\nkeep-alive policies (matrix.keepalive, for warming \"keep-alive\"):\n");
            for (int i = 0; fb_keepalive_at(i) != NULL; i++)
                fb_plugopt_list(stdout, fb_keepalive_at(i)->name, fb_keepalive_at(i)->summary,
                                fb_keepalive_at(i)->options);
            return 0;
        case 'K':
            fb_config_list_keys(stdout);
            return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
        case 'C':
            fb_result_files_list(stdout);
            return 0;
        case 'V':
            printf("faasbench %s\n", FB_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - (opts.resume != NULL ? 0 : 1)) {
        usage(stderr);
        return 2;
    }
    char resume_cfg[4096];
    const char *file = argv[optind];
    if (opts.resume != NULL) {
        snprintf(resume_cfg, sizeof(resume_cfg), "%s/experiment.cfg", opts.resume);
        file = resume_cfg;
    }

    struct fb_errbuf eb = {{0}};
    struct fb_experiment exp;
    static struct fb_config_errors errs; /* 10 KB: not on the stack */
    if (fb_config_load_all(file, &exp, &eb, &errs) < 0) {
        /* The first error as it always read, then the others, one a line. */
        fprintf(stderr, "faasbench: %s\n", eb.msg);
        for (int i = 1; i < errs.n; i++)
            fprintf(stderr, "faasbench: %s\n", errs.msg[i]);
        if (errs.more)
            fprintf(stderr, "faasbench: %s: stopped after %d errors\n", file, errs.n);
        else if (errs.n > 1)
            fprintf(stderr, "faasbench: %s: %d errors\n", file, errs.n);
        return 2;
    }
    for (int i = 0; opts.resume != NULL && i < exp.n_nodes; i++) {
        const struct fb_node_cfg *n = &exp.nodes[i];
        if (n->password != NULL && n->password_env == NULL &&
            strcmp(n->password, "********") == 0) {
            fprintf(stderr,
                    "faasbench: %s:%d: nodes[%d].password: masked when the run was saved; "
                    "put the password in an environment variable and name it there with "
                    "password_env\n",
                    file, n->line, i);
            fb_experiment_free(&exp);
            return 2;
        }
    }
    /* A file whose simulate group names a model runs in simulation; the
     * options override what it says. */
    if (exp.simulate.model != NULL)
        simulate = true;
    if (!simulate && (sim.model != NULL || sim.nodes > 0 || rows_given)) {
        fprintf(stderr, "faasbench: --model, --nodes and --rows go with --simulate (or a "
                        "file whose simulate group names a model)\n");
        fb_experiment_free(&exp);
        return 2;
    }
    if (simulate) {
        if (sim.model == NULL)
            sim.model = exp.simulate.model;
        if (sim.nodes == 0)
            sim.nodes = exp.simulate.nodes;
        if (!rows_given) {
            sim.rows = exp.simulate.rows;
            sim.sample = exp.simulate.sample;
        }
        if (sim.model == NULL) {
            fprintf(stderr, "faasbench: --simulate needs a node model: --model FILE or the "
                            "file's simulate.model (faasbench calibrate RUN_DIR... -o FILE "
                            "writes one from real runs)\n");
            fb_experiment_free(&exp);
            return 2;
        }
        /* What the run saves as experiment.cfg says how it was simulated, so
         * that --resume simulates it again. */
        char *abs = realpath(sim.model, NULL);
        if (abs != NULL) {
            free(exp.simulate.model);
            exp.simulate.model = abs;
            sim.model = abs;
        }
        exp.simulate.nodes = sim.nodes;
        exp.simulate.rows = sim.rows;
        if (sim.rows == FB_SIM_ROWS_SAMPLE)
            exp.simulate.sample = sim.sample;
        opts.simulate = &sim;
    }
    if (simulate) {
        /* The model must fit the experiment (the functions its workload
         * calls) before anything runs. */
        struct fb_sim *s = NULL;
        struct fb_sim_opts so = sim;
        struct fb_trace_reader *tr = NULL;
        size_t *calls = NULL;
        int rc = 0;
        if (exp.workload.kind == FB_WORKLOAD_TRACE) {
            if ((calls = calloc((size_t)exp.n_functions, sizeof(*calls))) == NULL)
                rc = fb_errf(&eb, FB_ENOMEM, "out of memory");
            if (rc == 0 && (rc = fb_workload_open_trace(&exp, &tr, &eb)) == 0 &&
                (rc = fb_trace_calls(tr, calls)) < 0)
                fb_errf(&eb, rc, "%s", fb_trace_error(tr));
            so.calls = calls;
        }
        if (rc == 0)
            rc = fb_sim_new(&exp, &so, &s, &eb);
        fb_sim_free(s);
        fb_trace_close(tr);
        free(calls);
        if (rc < 0) {
            fprintf(stderr, "faasbench: %s\n", eb.msg);
            fb_experiment_free(&exp);
            return 2;
        }
    }
    if (check_only && exp.n_faults > 0 && exp.workload.kind == FB_WORKLOAD_TRACE) {
        /* A trace's faults end by its last invocation: known once it is read. */
        struct fb_trace_reader *t = NULL;
        int trc = fb_workload_open_trace(&exp, &t, &eb);
        if (trc == 0)
            trc = fb_run_check_trace_faults(&exp, t, &eb);
        fb_trace_close(t);
        if (trc < 0) {
            fprintf(stderr, "faasbench: %s\n", eb.msg);
            fb_experiment_free(&exp);
            return 2;
        }
    }
    if (check_only) {
        struct fb_cell *cells = NULL;
        int n_cells = 0;
        if (fb_matrix_expand(&exp.matrix, exp.seed, &cells, &n_cells) < 0)
            n_cells = -1;
        free(cells);
        char kas[64] = "";
        if (fb_matrix_has_keepalive(&exp.matrix))
            snprintf(kas, sizeof(kas), " (keep-alive x %d policies)", exp.matrix.n_keepalive);
        printf("%s: ok: %d %snodes, %d functions, %d policies x %d warming modes%s x %d "
               "repetitions = %d cells, %s workload\n",
               file, simulate && sim.nodes > 0 ? sim.nodes : exp.n_nodes,
               simulate ? "simulated " : "", exp.n_functions, exp.matrix.n_policies,
               exp.matrix.n_warmings, kas, exp.matrix.repetitions, n_cells,
               fb_workload_name(exp.workload.kind));
        fb_experiment_free(&exp);
        return 0;
    }

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* The terminal closing (or the ssh session to this machine dropping)
     * stops a run as SIGTERM does: clean nodes, every finished row kept. */
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (fb_transport_global_init() < 0) {
        fprintf(stderr, "faasbench: cannot initialise libssh2\n");
        fb_experiment_free(&exp);
        return 1;
    }
    char *run_dir = NULL;
    int rc = fb_run(&exp, &opts, &run_dir, &eb);
    int status = 0;
    if (rc == FB_EINTR) {
        fprintf(stderr, "faasbench: interrupted; finished rows are in %s\n",
                run_dir != NULL ? run_dir : "(no folder)");
        status = 128 + (fb_run_stop > 0 ? (int)fb_run_stop : SIGINT);
    } else if (rc < 0) {
        fprintf(stderr, "faasbench: %s\n", eb.msg[0] ? eb.msg : fb_strerror(rc));
        if (run_dir != NULL)
            fprintf(stderr, "faasbench: partial results in %s\n", run_dir);
        status = 1;
    } else if (!opts.quiet) {
        fprintf(stderr, "faasbench: results in %s\n", run_dir);
    }
    if (run_dir != NULL && opts.quiet && rc == 0)
        printf("%s\n", run_dir);
    free(run_dir);
    fb_transport_global_cleanup();
    fb_experiment_free(&exp);
    return status;
}
