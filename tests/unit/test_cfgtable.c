/* test_cfgtable.c - the key-table engine on a schema of its own (a small
 * library catalogue): parsing with @include, defaults, checks, errors,
 * freeing and writing back. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cfgtable.h"

/* ---- the schema ---- */

#define COLOUR_MAP(X)                                                                              \
    X(RED, "red")                                                                                  \
    X(GREEN, "green")                                                                              \
    X(BLUE, "blue")
#define ENUM_VALUE(id, name) id,
#define ENUM_NAME(id, name) [id] = name,
enum colour { COLOUR_MAP(ENUM_VALUE) N_COLOURS };
static const char *const colour_names[N_COLOURS] = {COLOUR_MAP(ENUM_NAME)};
static const struct fb_enum colour_enum = {"colour", colour_names, N_COLOURS};

struct book {
    char *title;
    int pages;
    enum colour cover;
    char *code;     /* a secret */
    char *code_env; /* where code came from, or NULL */
    int line;
};

struct shelf {
    int width; /* 0: "any" */
    double tilt;
    int wait_ms;
};

struct catalogue {
    char *owner;
    struct book *books;
    int n_books;
    char **tags;
    int n_tags;
    enum colour *colours;
    int n_colours;
    struct shelf shelf;
    bool open;
    int finished; /* finish hooks that ran */
};

#define AT(T, m) .off = offsetof(T, m), .size = sizeof(((T *)0)->m)

static int check_title(const char *v, struct fb_errbuf *why)
{
    return strchr(v, '!') == NULL ? 0 : fb_errf(why, FB_ECONFIG, "no '!' in titles ('%s')", v);
}

static const char *code_write_as(const void *obj, const char **value)
{
    const struct book *b = obj;
    *value = b->code_env;
    return b->code_env != NULL ? "code_env" : NULL;
}

static int finish_book(struct fb_cfg_loader *ld, const config_setting_t *group,
                       const config_setting_t *at, const char *path, void *obj)
{
    struct book *b = obj;
    const config_setting_t *env = fb_cfg_member(group, "code_env", NULL);
    char key[256];

    if (env != NULL && (b->code_env = strdup(config_setting_get_string(env))) == NULL)
        return fb_cfg_nomem(ld);
    if (b->pages > 500 && b->cover == RED) {
        fb_cfg_key_path(key, sizeof(key), path, "cover");
        return fb_cfg_fail(ld, fb_cfg_member(group, "cover", at), key, "a long book is not red");
    }
    return 0;
}

static int finish_root(struct fb_cfg_loader *ld, const config_setting_t *group,
                       const config_setting_t *at, const char *path, void *obj)
{
    (void)ld, (void)group, (void)at, (void)path;
    ((struct catalogue *)obj)->finished++;
    return 0;
}

/* The tables keep each key's fields packed on a few lines, which clang-format
 * cannot do for designated initializers. */
/* clang-format off */
static const struct fb_cfg_key book_keys[] = {
    {.name = "title", .kind = FB_CFG_STRING, .flags = FB_CFG_REQUIRED, .check = check_title,
     AT(struct book, title), .help = "the title"},
    {.name = "pages", .kind = FB_CFG_INT, .def = "100", .min = 1, .max = 1000,
     AT(struct book, pages), .help = "pages"},
    {.name = "cover", .kind = FB_CFG_ENUM, .def = "\"blue\"", .choices = &colour_enum,
     AT(struct book, cover), .help = "cover colour"},
    {.name = "code", .kind = FB_CFG_STRING, .flags = FB_CFG_SECRET, .write_as = code_write_as,
     AT(struct book, code), .help = "lock code"},
    {.name = "code_env", .kind = FB_CFG_ENV, .flags = FB_CFG_ALIAS, AT(struct book, code),
     .help = "variable holding the lock code"},
};

static const struct fb_cfg_section book_section = {
    .what = "book",
    .keys = book_keys,
    .n_keys = 5,
    .size = sizeof(struct book),
    .has_line = true,
    .off_line = offsetof(struct book, line),
    .unique = "title",
    .finish = finish_book,
};

static const struct fb_cfg_key shelf_keys[] = {
    {.name = "width", .kind = FB_CFG_INT, .def = "\"any\"", .min = 1, .max = 10,
     .zero_name = "any", AT(struct shelf, width), .help = "books per shelf"},
    {.name = "tilt", .kind = FB_CFG_NUMBER, .def = "0.5", .min = 0, .max = 1,
     .flags = FB_CFG_MIN_OPEN, AT(struct shelf, tilt), .help = "tilt"},
    {.name = "wait_s", .kind = FB_CFG_MS, .def = "1.5", .min = 0, .max = 60,
     AT(struct shelf, wait_ms), .help = "wait"},
};

static const struct fb_cfg_section shelf_section = {
    .what = "shelf", .keys = shelf_keys, .n_keys = 3,
};

static const struct fb_cfg_key catalogue_keys[] = {
    {.name = "owner", .kind = FB_CFG_STRING, .def = "\"nobody\"",
     AT(struct catalogue, owner), .help = "whose books"},
    {.name = "books", .kind = FB_CFG_LIST, .flags = FB_CFG_REQUIRED, .sub = &book_section,
     AT(struct catalogue, books), .off_n = offsetof(struct catalogue, n_books),
     .help = "the books"},
    {.name = "tags", .kind = FB_CFG_STRINGS, .def = "[\"new\"]", AT(struct catalogue, tags),
     .off_n = offsetof(struct catalogue, n_tags), .help = "tags"},
    {.name = "colours", .kind = FB_CFG_ENUMS, .def = "[\"red\"]", .choices = &colour_enum,
     AT(struct catalogue, colours), .off_n = offsetof(struct catalogue, n_colours),
     .help = "colours in stock"},
    {.name = "shelf", .kind = FB_CFG_GROUP, .sub = &shelf_section,
     AT(struct catalogue, shelf), .help = "the shelf"},
    {.name = "open", .kind = FB_CFG_BOOL, .def = "true", AT(struct catalogue, open),
     .help = "open to readers"},
};

static const struct fb_cfg_section catalogue_section = {
    .what = "catalogue",
    .keys = catalogue_keys,
    .n_keys = 6,
    .finish = finish_root,
};
/* clang-format on */

/* ---- helpers ---- */

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/fb-cfgtable-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/cat.cfg", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/books.cfg", dir);
    unlink(path);
    rmdir(dir);
}

static void put(const char *name, const char *text, char *path, size_t n)
{
    FILE *f;
    snprintf(path, n, "%s/%s", dir, name);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static int load(const char *text, struct catalogue *c, struct fb_errbuf *eb,
                const struct fb_cfg_errlist *errs)
{
    char path[PATH_MAX];
    put("cat.cfg", text, path, sizeof(path));
    memset(c, 0, sizeof(*c));
    return fb_cfg_load(&catalogue_section, path, c, eb, errs);
}

static void drop(struct catalogue *c)
{
    for (int i = 0; c->books != NULL && i < c->n_books; i++)
        free(c->books[i].code_env);
    fb_cfg_free(&catalogue_section, c);
}

/* ---- tests ---- */

START_TEST(test_values_defaults_and_include)
{
    char path[PATH_MAX];
    struct catalogue c;
    struct fb_errbuf eb = {{0}};

    put("books.cfg",
        "books = ( { title = \"Dune\"; pages = 600; cover = \"green\"; },\n"
        "          { title = \"Emma\"; code = \"1234\"; } );\n",
        path, sizeof(path));
    int rc = load("@include \"books.cfg\"\ncolours = [ \"blue\", \"green\" ];\n"
                  "shelf = { width = 4; wait_s = 0.25; };\n",
                  &c, &eb, NULL);
    ck_assert_msg(rc == 0, "%s", eb.msg);
    ck_assert_str_eq(c.owner, "nobody");
    ck_assert_int_eq(c.n_books, 2);
    ck_assert_str_eq(c.books[0].title, "Dune");
    ck_assert_int_eq(c.books[0].pages, 600);
    ck_assert_int_eq(c.books[0].cover, GREEN);
    ck_assert_int_eq(c.books[0].line, 1);
    ck_assert_int_eq(c.books[1].pages, 100);
    ck_assert_int_eq(c.books[1].cover, BLUE);
    ck_assert_str_eq(c.books[1].code, "1234");
    ck_assert_int_eq(c.n_tags, 1);
    ck_assert_str_eq(c.tags[0], "new");
    ck_assert_int_eq(c.n_colours, 2);
    ck_assert_int_eq(c.colours[1], GREEN);
    ck_assert_int_eq(c.shelf.width, 4);
    ck_assert(c.shelf.tilt == 0.5);
    ck_assert_int_eq(c.shelf.wait_ms, 250);
    ck_assert(c.open);
    ck_assert_int_eq(c.finished, 1);
    drop(&c);
    ck_assert_ptr_null(c.books);
    ck_assert_ptr_null(c.owner);
}
END_TEST

START_TEST(test_every_error_with_file_line_and_key)
{
    struct catalogue c;
    struct fb_errbuf eb = {{0}};
    char msg[FB_CFG_MAX_ERRORS][FB_ERRMSG_LEN], want[3][FB_ERRMSG_LEN];
    int n = 0;
    bool more = false;
    struct fb_cfg_errlist errs = {msg, &n, &more};

    int rc = load("books = ( { title = \"A!\"; },\n"
                  "          { title = \"B\"; pages = 2000; } );\n"
                  "colurs = [ \"red\" ];\n",
                  &c, &eb, &errs);
    ck_assert_int_eq(rc, FB_ECONFIG);
    ck_assert_int_eq(n, 3);
    ck_assert(!more);
    snprintf(want[0], sizeof(want[0]), "%s/cat.cfg:1: books[0].title: no '!' in titles ('A!')",
             dir);
    snprintf(want[1], sizeof(want[1]), "%s/cat.cfg:2: books[1].pages: must be <= 1000 (got 2000)",
             dir);
    snprintf(want[2], sizeof(want[2]),
             "%s/cat.cfg:3: colurs: unknown key (did you mean 'colours'?)", dir);
    for (int i = 0; i < 3; i++)
        ck_assert_str_eq(msg[i], want[i]);
    ck_assert_str_eq(eb.msg, want[0]);
    ck_assert_int_eq(c.finished, 0); /* no cross-key checks over errors */
    drop(&c);
}
END_TEST

START_TEST(test_choices_and_cross_key_check)
{
    struct catalogue c;
    struct fb_errbuf eb = {{0}};
    char want[FB_ERRMSG_LEN];

    ck_assert_int_eq(load("books = ( { title = \"X\"; cover = \"gren\"; } );\n", &c, &eb, NULL),
                     FB_ECONFIG);
    snprintf(want, sizeof(want),
             "%s/cat.cfg:1: books[0].cover: unknown colour 'gren' (did you mean 'green'?)", dir);
    ck_assert_str_eq(eb.msg, want);
    drop(&c);

    ck_assert_int_eq(
        load("books = ( { title = \"X\"; } );\ncolours = [ \"pink\" ];\n", &c, &eb, NULL),
        FB_ECONFIG);
    snprintf(want, sizeof(want),
             "%s/cat.cfg:2: colours[0]: unknown colour 'pink' (known: red, green, blue)", dir);
    ck_assert_str_eq(eb.msg, want);
    drop(&c);

    ck_assert_int_eq(
        load("books = ( { title = \"X\"; pages = 501;\n cover = \"red\"; } );\n", &c, &eb, NULL),
        FB_ECONFIG);
    snprintf(want, sizeof(want), "%s/cat.cfg:2: books[0].cover: a long book is not red", dir);
    ck_assert_str_eq(eb.msg, want);
    drop(&c);

    ck_assert_int_eq(load("books = ( { title = \"X\"; }, { title = \"X\"; } );\n"
                          "shelf = { width = \"all\"; tilt = 0; };\n",
                          &c, &eb, NULL),
                     FB_ECONFIG);
    snprintf(want, sizeof(want),
             "%s/cat.cfg:1: books[1].title: duplicate book title 'X' (first at line 1)", dir);
    ck_assert_str_eq(eb.msg, want);
    drop(&c);
}
END_TEST

START_TEST(test_defaults_only)
{
    struct catalogue c = {0};
    struct fb_errbuf eb = {{0}};
    ck_assert_int_eq(fb_cfg_defaults(&catalogue_section, "blank", "", &c, &eb), 0);
    ck_assert_ptr_null(c.books); /* required: left unset */
    ck_assert_str_eq(c.owner, "nobody");
    ck_assert_int_eq(c.shelf.width, 0);
    ck_assert_int_eq(c.shelf.wait_ms, 1500);
    ck_assert_int_eq(c.colours[0], RED);
    drop(&c);
}
END_TEST

/* Written and loaded again: the same text; a secret masked, or written as
 * the variable it came from. */
START_TEST(test_write_round_trip)
{
    struct catalogue a, b;
    struct fb_errbuf eb = {{0}};
    char *t1 = NULL, *t2 = NULL;
    size_t n1 = 0, n2 = 0;
    FILE *f;

    setenv("FB_TEST_BOOK_CODE", "9876", 1);
    ck_assert_int_eq(load("owner = \"ann \\\"the\\\" reader\";\n"
                          "books = ( { title = \"Dune\"; code_env = \"FB_TEST_BOOK_CODE\"; },\n"
                          "          { title = \"Emma\"; code = \"1234\"; cover = \"red\"; } );\n"
                          "shelf = { tilt = 1; wait_s = 0.001; };\nopen = false;\n",
                          &a, &eb, NULL),
                     0);
    ck_assert_ptr_null(getenv("FB_TEST_BOOK_CODE")); /* taken out of the environment */
    ck_assert_str_eq(a.books[0].code, "9876");
    f = open_memstream(&t1, &n1);
    fb_cfg_write(f, &catalogue_section, &a);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(t1, "code_env = \"FB_TEST_BOOK_CODE\";"));
    ck_assert_ptr_nonnull(strstr(t1, "code = \"********\";"));
    ck_assert_ptr_null(strstr(t1, "1234"));
    ck_assert_ptr_null(strstr(t1, "9876"));
    ck_assert_ptr_nonnull(strstr(t1, "width = \"any\";"));
    ck_assert_ptr_nonnull(strstr(t1, "wait_s = 0.001;"));
    ck_assert_ptr_nonnull(strstr(t1, "\n# whose books\nowner = \"ann \\\"the\\\" reader\";"));

    ck_assert_int_eq(load(t1, &b, &eb, NULL), 0);
    ck_assert_str_eq(b.books[0].code, "9876"); /* the variable, as taken before */
    ck_assert_str_eq(b.books[1].code, "********");
    f = open_memstream(&t2, &n2);
    fb_cfg_write(f, &catalogue_section, &b);
    fclose(f);
    ck_assert_str_eq(t1, t2);
    free(t1);
    free(t2);
    drop(&a);
    drop(&b);
}
END_TEST

START_TEST(test_hint)
{
    static const char *const cands[] = {"alpha", "beta"};
    char buf[64];
    fb_cfg_hint("alpah", cands, 2, buf, sizeof(buf));
    ck_assert_str_eq(buf, "(did you mean 'alpha'?)");
    fb_cfg_hint("gamma", cands, 2, buf, sizeof(buf));
    ck_assert_str_eq(buf, "(known: alpha, beta)");
}
END_TEST

static Suite *cfgtable_suite(void)
{
    Suite *s = suite_create("cfgtable");
    TCase *t = tcase_create("engine");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_values_defaults_and_include);
    tcase_add_test(t, test_every_error_with_file_line_and_key);
    tcase_add_test(t, test_choices_and_cross_key_check);
    tcase_add_test(t, test_defaults_only);
    tcase_add_test(t, test_write_round_trip);
    tcase_add_test(t, test_hint);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cfgtable_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
