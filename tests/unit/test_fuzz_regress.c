/* test_fuzz_regress.c - replays every fuzz regression input and seed through the fuzz harnesses' own entry points. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The harnesses, compiled here without their libFuzzer entry point, so the
 * replay runs exactly the code the fuzzer ran (properties included). */
#define FB_FUZZ_REPLAY 1
#include "../fuzz/fuzz_config.c"
#include "../fuzz/fuzz_known_hosts.c"
#include "../fuzz/fuzz_metrics.c"
#include "../fuzz/fuzz_node_reply.c"
#include "../fuzz/fuzz_node_request.c"
#include "../fuzz/fuzz_template.c"
#include "../fuzz/fuzz_trace_azure.c"
#include "../fuzz/fuzz_trace_azure2021.c"
#include "../fuzz/fuzz_trace_csv.c"
#include "../fuzz/fuzz_trace_pctl.c"
/* The REST shim's parser is replayed when this suite links fbgateway
 * (whose include directory then holds request.h). */
#if defined(__has_include)
#if __has_include("request.h")
#include "../fuzz/fuzz_gateway.c"
#define HAVE_GATEWAY 1
#endif
#endif

#define FUZZ_DIR FB_TEST_DATA "/../fuzz"

static const struct {
    const char *name;
    int (*run)(const uint8_t *data, size_t size);
} targets[] = {
    {"config", fb_fuzz_config},
    {"trace_csv", fb_fuzz_trace_csv},
    {"trace_azure", fb_fuzz_trace_azure},
    {"trace_azure2021", fb_fuzz_trace_azure2021},
    {"trace_pctl", fb_fuzz_trace_pctl},
    {"metrics", fb_fuzz_metrics},
    {"template", fb_fuzz_template},
    {"node_request", fb_fuzz_node_request},
    {"node_reply", fb_fuzz_node_reply},
    {"known_hosts", fb_fuzz_known_hosts},
#ifdef HAVE_GATEWAY
    {"gateway", fb_fuzz_gateway},
#endif
};
#define N_TARGETS ((int)(sizeof(targets) / sizeof(targets[0])))

/* Runs every file of dir through run; returns how many there were, or -1
 * when dir does not exist. A crash, a sanitizer report or a failed
 * property aborts the test's process, which fails the test. */
static int replay_dir(const char *dir, int (*run)(const uint8_t *, size_t))
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (d == NULL) {
        ck_assert_msg(errno == ENOENT, "%s: %s", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        uint8_t *data;
        size_t size = 0;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        data = fuzz_read_file(path, &size);
        ck_assert_msg(data != NULL, "cannot read %s", path);
        fprintf(stderr, "replaying %s\n", path);
        run(data, size);
        free(data);
        n++;
    }
    closedir(d);
    return n;
}

/* Seeds first: each target must have some, or the replay proves nothing. */
START_TEST(corpus_replays)
{
    char dir[4096];
    int n;

    snprintf(dir, sizeof(dir), "%s/corpus/%s", FUZZ_DIR, targets[_i].name);
    n = replay_dir(dir, targets[_i].run);
    ck_assert_msg(n > 0, "%s: no seed inputs", dir);
}
END_TEST

/* Every input a fuzzer ever failed on, kept after its fix. A target
 * without findings has no directory. */
START_TEST(regressions_replay)
{
    char dir[4096];

    snprintf(dir, sizeof(dir), "%s/regress/%s", FUZZ_DIR, targets[_i].name);
    replay_dir(dir, targets[_i].run);
}
END_TEST

static Suite *fuzz_regress_suite(void)
{
    Suite *s = suite_create("fuzz_regress");
    TCase *tc = tcase_create("replay");

    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, corpus_replays, 0, N_TARGETS);
    tcase_add_loop_test(tc, regressions_replay, 0, N_TARGETS);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fuzz_regress_suite());
    int failed;

#ifndef HAVE_GATEWAY
    fprintf(stderr, "test_fuzz_regress: gateway inputs not replayed (fbgateway not linked)\n");
#endif
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
