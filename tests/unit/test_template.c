/* test_template.c - template expansion, presets and rejection of unsafe values. */
#include <check.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/template.h"

static char *expand(const char *tmpl, const struct fb_tvars *v, int *rc, struct fb_errbuf *eb)
{
    char *out = NULL;
    *rc = fb_template_expand(tmpl, v, &out, eb);
    return out;
}

START_TEST(expands_every_variable)
{
    struct fb_tvars v = {.image = "127.0.0.1:5000/faasbench/fib-light:1",
                         .container = "faasbench-fib-1", .command = "python3 fib.py 1000",
                         .node = "node1", .function = "fib", .network = "--network none",
                         .images = "a/b:1 c:2"};
    struct fb_errbuf eb = {{0}};
    int rc;
    char *s = expand("x {image} {container} {command} {node} {function} {network} {images}",
                     &v, &rc, &eb);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(s, "x 127.0.0.1:5000/faasbench/fib-light:1 faasbench-fib-1 'python3' "
                        "'fib.py' '1000' node1 fib --network none a/b:1 c:2");
    free(s);
}
END_TEST

START_TEST(docker_preset_matches_the_older_testbed)
{
    struct fb_tvars v = {.image = "img:1", .container = "c1", .command = "python3 fib.py 15000",
                         .network = ""};
    int rc;
    char *s = expand(fb_runtime_preset("docker", FB_STEP_RUN), &v, &rc, NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(s, "sudo docker run --rm --name c1  img:1 'python3' 'fib.py' '15000'");
    free(s);
    ck_assert_ptr_nonnull(fb_runtime_preset("podman", FB_STEP_RESET));
    ck_assert_ptr_null(fb_runtime_preset("containerd", FB_STEP_RUN));
    ck_assert(fb_runtime_preset_known("podman"));
    ck_assert(!fb_runtime_preset_known("rkt"));
    for (int s2 = 0; s2 < FB_STEP_N; s2++) {
        ck_assert_int_eq(fb_template_check(fb_runtime_preset("docker", s2), NULL), 0);
        ck_assert_int_eq(fb_template_check(fb_runtime_preset("podman", s2), NULL), 0);
    }
}
END_TEST

START_TEST(command_words_are_quoted_one_argument_each)
{
    char *q = NULL;
    ck_assert_int_eq(fb_command_quote("sh -c 'echo a; echo b' \"x y\" it\\'s", &q, NULL), 0);
    ck_assert_str_eq(q, "'sh' '-c' 'echo a; echo b' 'x y' 'it'\\''s'");
    free(q);
    /* Shell syntax in a command stays data. */
    ck_assert_int_eq(fb_command_quote("echo $(id) `id` ; rm -rf / | cat", &q, NULL), 0);
    ck_assert_str_eq(q, "'echo' '$(id)' '`id`' ';' 'rm' '-rf' '/' '|' 'cat'");
    free(q);
    struct fb_errbuf eb = {{0}};
    ck_assert_int_eq(fb_command_quote("echo 'open", &q, &eb), FB_EINVAL);
    ck_assert_ptr_null(q);
    ck_assert_str_eq(eb.msg, "unterminated ' in command");
    ck_assert_int_eq(fb_command_quote("   ", &q, &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, "empty command");
}
END_TEST

START_TEST(unsafe_values_are_rejected)
{
    struct fb_errbuf eb = {{0}};
    int rc;
    struct fb_tvars v = {.image = "img;rm -rf /"};
    ck_assert_ptr_null(expand("docker pull {image}", &v, &rc, &eb));
    ck_assert_int_eq(rc, FB_EUNSAFE);
    ck_assert_str_eq(eb.msg, "{image}: 'img;rm -rf /' is outside the safe character set");

    v = (struct fb_tvars){.container = "$(id)"};
    ck_assert_ptr_null(expand("docker rm {container}", &v, &rc, &eb));
    ck_assert_int_eq(rc, FB_EUNSAFE);

    v = (struct fb_tvars){.node = "a b"};
    ck_assert_ptr_null(expand("{node}", &v, &rc, &eb));
    ck_assert_int_eq(rc, FB_EUNSAFE);

    v = (struct fb_tvars){.images = "ok:1 `id`"};
    ck_assert_ptr_null(expand("rmi {images}", &v, &rc, &eb));
    ck_assert_int_eq(rc, FB_EUNSAFE);

    v = (struct fb_tvars){.network = "; id"};
    ck_assert_ptr_null(expand("run {network}", &v, &rc, &eb));
    ck_assert_int_eq(rc, FB_EUNSAFE);
}
END_TEST

/* A fault's step gets its id, action and numbers, each checked: an id or an
 * action is a name, a number a plain decimal. */
START_TEST(fault_placeholders)
{
    struct fb_errbuf eb = {{0}};
    struct fb_tvars v = {.fault = "fb1a2b3-c4-f2", .action = "slow", .seconds = "30.25",
                         .fraction = "0.5"};
    int rc;
    char *s = expand(fb_runtime_preset("podman", FB_STEP_FAULT), &v, &rc, &eb);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(s, "sudo -n faasbench-fault apply fb1a2b3-c4-f2 slow 30.25 0.5");
    free(s);
    s = expand(fb_runtime_preset("docker", FB_STEP_UNFAULT), &v, &rc, &eb);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(s, "sudo -n faasbench-fault revert fb1a2b3-c4-f2");
    free(s);
    static const char *const bad_numbers[] = {"-1", "1e3", ".5", "5.", "1.2.3", "", "0x10",
                                              "3;id"};
    for (size_t i = 0; i < sizeof(bad_numbers) / sizeof(bad_numbers[0]); i++) {
        v.seconds = bad_numbers[i];
        ck_assert_ptr_null(expand("{seconds}", &v, &rc, &eb));
        ck_assert_int_eq(rc, FB_EUNSAFE);
    }
    v.seconds = "30";
    v.fault = "a;b";
    ck_assert_ptr_null(expand("{fault}", &v, &rc, &eb));
    ck_assert_int_eq(rc, FB_EUNSAFE);
    v.fault = "ok";
    v.action = "$(id)";
    ck_assert_ptr_null(expand("{action}", &v, &rc, &eb));
    ck_assert_int_eq(rc, FB_EUNSAFE);
    /* kill-instances prints how many it killed, on both runtimes. */
    ck_assert_ptr_nonnull(strstr(fb_runtime_preset("podman", FB_STEP_KILL), "| wc -l"));
    ck_assert_ptr_nonnull(strstr(fb_runtime_preset("docker", FB_STEP_KILL), "| wc -l"));
}
END_TEST

START_TEST(missing_and_unknown_placeholders)
{
    struct fb_errbuf eb = {{0}};
    int rc;
    struct fb_tvars v = {0};
    ck_assert_ptr_null(expand("docker pull {image}", &v, &rc, &eb));
    ck_assert_int_eq(rc, FB_EINVAL);
    ck_assert_str_eq(eb.msg, "{image} has no value in this step");
    ck_assert_int_eq(fb_template_check("run {imgae}", &eb), FB_EINVAL);
    ck_assert(strstr(eb.msg, "unknown placeholder {imgae}") == eb.msg);
    /* Shell braces that are not placeholders pass through. */
    char *s = expand("echo ${HOME} {} {A}", &v, &rc, &eb);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(s, "echo ${HOME} {} {A}");
    free(s);
    ck_assert_int_eq(fb_template_check("", &eb), FB_EINVAL);
}
END_TEST

START_TEST(names)
{
    ck_assert(fb_name_valid("fib-light_2.0"));
    ck_assert(!fb_name_valid(""));
    ck_assert(!fb_name_valid("a/b"));
    ck_assert(!fb_name_valid("a;b"));
    ck_assert(!fb_name_valid("../etc"));
    char long_name[70];
    memset(long_name, 'a', 65);
    long_name[65] = '\0';
    ck_assert(!fb_name_valid(long_name));
    long_name[64] = '\0';
    ck_assert(fb_name_valid(long_name));
}
END_TEST

START_TEST(image_references)
{
    static const char *const good[] = {
        "busybox",
        "library/busybox:latest",
        "127.0.0.1:5000/faasbench/fib-light:1",
        "localhost/x",
        "registry.example.com/a/b/c:v1.2-rc_3",
        "a__b/c--d",
        "ubuntu@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "host:443/img:tag@sha256:0123456789abcdef0123456789abcdef",
    };
    static const char *const bad[] = {
        "", "UPPER/case", "img:", ":tag", "a//b", "-lead", "img:tag with space",
        "img;id", "$(id)", "a/b:c:d", "img@sha256:short", "host:99999999/x", "trail-",
        "../img",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ck_assert_msg(fb_image_valid(good[i]), "should accept %s", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!fb_image_valid(bad[i]), "should reject %s", bad[i]);
}
END_TEST

/* A reference reaches the runtime as an argument: none may read as an
 * option, whichever of its components would start it. */
START_TEST(image_references_never_read_as_options)
{
    static const char *const bad[] = {
        "-w.x/y",
        "--privileged.x/y",
        "-v:1/x",
        "-v:1",
        "--rm",
        "-e.x:5000/y:1",
        "reg.io/-x",
        "reg.io/a/-x:1",
        "-reg.io/x",
        "reg.-io/x",
        "reg-.io/x",
        "reg.io-/x",
        "x@-sha256:0123456789abcdef0123456789abcdef",
        "x@sha256-:0123456789abcdef0123456789abcdef",
    };
    static const char *const good[] = {
        "my-registry.example.com/a-b/c:1",
        "a-b.c-d:5000/e-f",
        "x@sha256+b64u:0123456789abcdef0123456789abcdef",
    };
    struct fb_errbuf eb = {{0}};
    int rc;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct fb_tvars v = {.image = bad[i], .images = bad[i], .container = "c", .network = "",
                             .command = "true"};
        ck_assert_msg(!fb_image_valid(bad[i]), "should reject %s", bad[i]);
        ck_assert_ptr_null(expand(fb_runtime_preset("podman", FB_STEP_RUN), &v, &rc, &eb));
        ck_assert_int_eq(rc, FB_EUNSAFE);
        ck_assert_ptr_null(expand(fb_runtime_preset("docker", FB_STEP_RESET), &v, &rc, &eb));
        ck_assert_int_eq(rc, FB_EUNSAFE);
    }
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ck_assert_msg(fb_image_valid(good[i]), "should accept %s", good[i]);
}
END_TEST

/* Options end with "--" before the image or container, in every step whose
 * runtime grammar takes it (checked with podman 4.3 and the docker CLI):
 * all of podman's, and docker's but its run step, which stays the older
 * testbed's command as it ran. */
START_TEST(presets_end_options)
{
    static const struct {
        const char *preset;
        enum fb_step step;
        const char *has;
    } ends[] = {
        {"podman", FB_STEP_PULL, " -- {image}"},
        {"podman", FB_STEP_RUN, " -- {image} {command}"},
        {"podman", FB_STEP_START, " -- {image} sleep infinity"},
        {"podman", FB_STEP_EXEC, "exec -- {container} {command}"},
        {"podman", FB_STEP_REMOVE_IMAGE, " -- {image}"},
        {"podman", FB_STEP_REMOVE_CONTAINER, " -- {container}"},
        {"podman", FB_STEP_RESET, "rmi -f -- {images}"},
        {"docker", FB_STEP_PULL, " -- {image}"},
        {"docker", FB_STEP_START, " -- {image} sleep infinity"},
        {"docker", FB_STEP_EXEC, "exec -- {container} {command}"},
        {"docker", FB_STEP_REMOVE_IMAGE, " -- {image}"},
        {"docker", FB_STEP_REMOVE_CONTAINER, " -- {container}"},
        {"docker", FB_STEP_RESET, "rmi -f -- {images}"},
    };

    for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
        const char *t = fb_runtime_preset(ends[i].preset, ends[i].step);
        ck_assert_msg(t != NULL && strstr(t, ends[i].has) != NULL, "%s %s: %s",
                      ends[i].preset, fb_step_name(ends[i].step), t != NULL ? t : "(none)");
    }
    /* Both resets remove containers by listed id with options ended too. */
    ck_assert_ptr_nonnull(strstr(fb_runtime_preset("podman", FB_STEP_RESET),
                                 "xargs -r podman rm -f -t 0 --"));
    ck_assert_ptr_nonnull(strstr(fb_runtime_preset("docker", FB_STEP_RESET),
                                 "xargs -r sudo docker rm -f --"));
}
END_TEST

static bool ends_with(const char *s, const char *end)
{
    size_t n = strlen(s), m = strlen(end);
    return n >= m && strcmp(s + n - m, end) == 0;
}

/* A resident instance runs as the node user (the owner of its folder, which
 * the helper makes private and prints), without capabilities or a way to
 * gain privileges; Podman mounts its folder nosuid,nodev. A clean-up whose
 * removal fails says so: nothing after the folder's removal hides its
 * status. */
START_TEST(instance_presets_isolate_the_instance)
{
    static const char *const presets[] = {"docker", "podman"};
    struct fb_tvars v = {.image = "r/f:1", .container = "faasbench-f-1", .node = "n1",
                         .function = "f", .network = "--network none",
                         .instance_dir = "/home/u/i/n1/f-1", .instances = "/home/u/i/n1",
                         .memory = "--memory 128m", .handler = "fib:handle", .images = "r/f:1"};
    struct fb_errbuf eb = {{0}};
    int rc;

    for (size_t i = 0; i < 2; i++) {
        char *s = expand(fb_runtime_preset(presets[i], FB_STEP_START_INSTANCE), &v, &rc, &eb);
        ck_assert_msg(rc == 0, "%s", eb.msg);
        ck_assert_msg(strncmp(s, "u=$(faasbench-node folder /home/u/i/n1/f-1) && ", 47) == 0,
                      "%s", s);
        ck_assert_msg(strstr(s, " --user \"$u\" --cap-drop ALL --security-opt "
                                "no-new-privileges ") != NULL, "%s", s);
        ck_assert_msg(strstr(s, i == 0 ? " -v /home/u/i/n1/f-1:/run/faasbench -v "
                                       : " -v /home/u/i/n1/f-1:/run/faasbench:nosuid,nodev -v ")
                          != NULL, "%s", s);
        free(s);
        const char *t = fb_runtime_preset(presets[i], FB_STEP_RESET);
        ck_assert_msg(ends_with(t, "; rm -rf {instances}"), "%s", t);
        t = fb_runtime_preset(presets[i], FB_STEP_REMOVE_INSTANCE);
        ck_assert_msg(ends_with(t, "; rm -rf {instance_dir}"), "%s", t);
    }
}
END_TEST

/* "~/..." is a folder below the node user's home: "$HOME" to the node's
 * shell, the rest checked as any path. */
START_TEST(instance_folders_below_home)
{
    struct fb_tvars v = {.instance_dir = "~/.faasbench/instances/n1/f-1",
                         .instances = "~/.faasbench/instances/n1"};
    struct fb_errbuf eb = {{0}};
    int rc;

    ck_assert(fb_node_path_valid("~/.faasbench/instances"));
    ck_assert(fb_node_path_valid("/srv/fb"));
    ck_assert(!fb_node_path_valid("~"));
    ck_assert(!fb_node_path_valid("~/"));
    ck_assert(!fb_node_path_valid("~user/x"));
    ck_assert(!fb_node_path_valid("~/../x"));
    ck_assert(!fb_node_path_valid("~/a/$HOME"));
    ck_assert(!fb_node_path_valid("relative/x"));
    char *s = expand("mkdir -p {instance_dir}; rm -rf {instances}", &v, &rc, &eb);
    ck_assert_msg(rc == 0, "%s", eb.msg);
    ck_assert_str_eq(s, "mkdir -p \"$HOME\"/.faasbench/instances/n1/f-1; "
                        "rm -rf \"$HOME\"/.faasbench/instances/n1");
    free(s);
    /* What the node's shell makes of it. */
    s = expand("HOME=/home/node\\ user; printf %s {instance_dir}", &v, &rc, &eb);
    ck_assert_int_eq(rc, 0);
    char cmd[512], got[256] = "";
    snprintf(cmd, sizeof(cmd), "/bin/sh -c '%s'", s);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(fgets(got, sizeof(got), p));
    ck_assert_int_eq(pclose(p), 0);
    ck_assert_str_eq(got, "/home/node user/.faasbench/instances/n1/f-1");
    free(s);
}
END_TEST

START_TEST(shell_quote)
{
    char *q = fb_shell_quote("a'b c");
    ck_assert_str_eq(q, "'a'\\''b c'");
    free(q);
}
END_TEST

static void work_is(const char *text, double ms, double mb, const char *want)
{
    struct fb_work w = {ms, mb};
    char *out = NULL;

    ck_assert_int_eq(fb_work_expand(text, &w, &out), 0);
    ck_assert_str_eq(out, want);
    free(out);
}

/* {duration_ms} and {memory_mb} become plain numbers; nothing else changes. */
START_TEST(work_placeholders)
{
    ck_assert(fb_work_used("fbwork {duration_ms} {memory_mb}"));
    ck_assert(fb_work_used("x{memory_mb}"));
    ck_assert(!fb_work_used("python3 -c 'print({})' {duration} {memory_MB}"));
    ck_assert(!fb_work_used(NULL));
    work_is("fbwork {duration_ms} {memory_mb}", 250, 64, "fbwork 250 64");
    work_is("{duration_ms}", 12.5, 0, "12.5");
    work_is("{duration_ms}", 0.0004, 0, "0");
    work_is("{duration_ms}", 1000.1234, 0, "1000.123");
    work_is("{duration_ms}", 100, 0, "100");
    work_is("{memory_mb} MB", 0, 20.2, "21 MB"); /* whole MB, rounded up */
    work_is("{memory_mb}", 0, 64.0, "64");
    work_is("--ms={duration_ms},{duration_ms}", 7, 0, "--ms=7,7");
    work_is("'{duration_ms}' \"{memory_mb}\" {x} {duration_ms", 3, 4,
            "'3' \"4\" {x} {duration_ms");
    work_is("{duration_ms}", NAN, NAN, "0"); /* not a number: no work */
    work_is("{duration_ms} {memory_mb}", -5, -1, "0 0");
    work_is("", 1, 1, "");
}
END_TEST

/* The work a call asks for: the event's values where they are numbers, else
 * the function's; each only when a placeholder asks for it. */
START_TEST(work_asked)
{
    const struct fb_work defaults = {120, 16.5}, event = {250.25, NAN};
    double ms, mb;

    fb_work_asked("work {duration_ms}", "{memory_mb}", &defaults, &event, &ms, &mb);
    ck_assert_double_eq(ms, 250.25);
    ck_assert_double_eq(mb, 17); /* the function's, in whole MB as filled in */
    fb_work_asked(NULL, "{duration_ms} {memory_mb}", &defaults, NULL, &ms, &mb);
    ck_assert_double_eq(ms, 120);
    ck_assert_double_eq(mb, 17);
    fb_work_asked("work {duration_ms}", NULL, &defaults, &(struct fb_work){-3, 64}, &ms, &mb);
    ck_assert_double_eq(ms, 0); /* as filled in: no work */
    ck_assert(isnan(mb));       /* not asked for memory */
    fb_work_asked("python3 fib.py 1000", "{x}", &defaults, &event, &ms, &mb);
    ck_assert(isnan(ms) && isnan(mb));
    fb_work_asked(NULL, NULL, &defaults, &event, &ms, &mb);
    ck_assert(isnan(ms) && isnan(mb));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("template");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, expands_every_variable);
    tcase_add_test(tc, docker_preset_matches_the_older_testbed);
    tcase_add_test(tc, command_words_are_quoted_one_argument_each);
    tcase_add_test(tc, unsafe_values_are_rejected);
    tcase_add_test(tc, missing_and_unknown_placeholders);
    tcase_add_test(tc, fault_placeholders);
    tcase_add_test(tc, names);
    tcase_add_test(tc, image_references);
    tcase_add_test(tc, image_references_never_read_as_options);
    tcase_add_test(tc, presets_end_options);
    tcase_add_test(tc, instance_presets_isolate_the_instance);
    tcase_add_test(tc, instance_folders_below_home);
    tcase_add_test(tc, shell_quote);
    tcase_add_test(tc, work_placeholders);
    tcase_add_test(tc, work_asked);
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
