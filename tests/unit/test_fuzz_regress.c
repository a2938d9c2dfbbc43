/* test_fuzz_regress.c - replays every fuzz regression input and seed through the fuzz harnesses' own entry points. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The harnesses, compiled here without their libFuzzer entry point, so the
 * replay runs exactly the code the fuzzer ran (properties included). The
 * build lists them (fuzz_targets.h, generated from tests/fuzz/fuzz_*.c), so
 * a new target is replayed without an edit here. */
#define FB_FUZZ_REPLAY 1
#include "fuzz_targets.h"

#define FUZZ_DIR FB_TEST_DATA "/../fuzz"

static const struct {
    const char *name;
    int (*run)(const uint8_t *data, size_t size);
} targets[] = {
#define FB_FUZZ_TARGET_(name) {#name, fb_fuzz_##name},
    FB_FUZZ_TARGETS(FB_FUZZ_TARGET_)
#undef FB_FUZZ_TARGET_
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

/* Every harness in tests/fuzz is replayed: a target the build left out
 * (FB_FUZZ_SKIPPED, said on stderr) is the only exception. */
START_TEST(every_harness_listed)
{
    DIR *d = opendir(FUZZ_DIR);
    struct dirent *e;
    int seen = 0;

    ck_assert_msg(d != NULL, "%s: %s", FUZZ_DIR, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        char name[256], padded[300];
        size_t len = strlen(e->d_name);
        bool found = false;

        if (strncmp(e->d_name, "fuzz_", 5) != 0 || len < 8 ||
            strcmp(e->d_name + len - 2, ".c") != 0 || len - 7 >= sizeof(name))
            continue;
        memcpy(name, e->d_name + 5, len - 7);
        name[len - 7] = '\0';
        for (int i = 0; i < N_TARGETS; i++)
            found = found || strcmp(targets[i].name, name) == 0;
        snprintf(padded, sizeof(padded), " %s", name);
        if (!found) {
            const char *skip = strstr(FB_FUZZ_SKIPPED, padded);
            size_t n = strlen(padded);
            ck_assert_msg(skip != NULL && (skip[n] == ' ' || skip[n] == '\0'),
                          "tests/fuzz/%s is not replayed", e->d_name);
        }
        seen++;
    }
    closedir(d);
    ck_assert_int_eq(seen, N_TARGETS + (int)(sizeof(FB_FUZZ_SKIPPED) > 1));
}
END_TEST

static Suite *fuzz_regress_suite(void)
{
    Suite *s = suite_create("fuzz_regress");
    TCase *tc = tcase_create("replay");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_harness_listed);
    tcase_add_loop_test(tc, corpus_replays, 0, N_TARGETS);
    tcase_add_loop_test(tc, regressions_replay, 0, N_TARGETS);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fuzz_regress_suite());
    int failed;

    if (FB_FUZZ_SKIPPED[0] != '\0')
        fprintf(stderr, "test_fuzz_regress: not replayed (not built):%s\n", FB_FUZZ_SKIPPED);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
