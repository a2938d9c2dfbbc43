/* cfgtable.h - a libconfig file read into C structs through tables of keys.
 *
 * A section (the file's top level, a group, each element of a list of
 * groups) is a table of keys: each names its kind, the field it fills, its
 * default (in file syntax, parsed like a value from the file), its range or
 * choices and a line of help (fio's fio_options[], redis's static_configs[]).
 * The tables drive everything: reading a file and its @includes, type and
 * range checks, "did you mean" for a misspelt key or value, every error kept
 * as "file:line: key: message", freeing, writing a struct back out in
 * libconfig syntax, and listing the keys. Which keys and which structs is
 * the caller's schema; this module knows none. */
#ifndef FB_CFGTABLE_H
#define FB_CFGTABLE_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/error.h"
#include "core/types.h"

enum fb_cfg_kind {
    FB_CFG_STRING,  /* char *: a non-empty string, optionally checked by check() */
    FB_CFG_PATH,    /* char *: a readable file; relative to the file holding the key */
    FB_CFG_ENV,     /* char *: names an environment variable; its value is stored and
                       the variable leaves the environment (a secret) */
    FB_CFG_INT,     /* int in [min, max]; zero_name, if set, may stand for 0 */
    FB_CFG_UINT64,  /* uint64_t >= min; int or int64 in the file */
    FB_CFG_NUMBER,  /* double in [min, max]; int or float in the file */
    FB_CFG_MS,      /* int milliseconds, from seconds (int or float) in [min, max] */
    FB_CFG_BOOL,    /* bool */
    FB_CFG_ENUM,    /* a name of choices, stored as its value in an int-sized enum or a bool */
    FB_CFG_STRINGS, /* char ** and an int count: array of distinct strings */
    FB_CFG_ENUMS,   /* int-sized enum * and an int count: distinct names of choices */
    FB_CFG_GROUP,   /* { ... }: the section sub, over the struct at off */
    FB_CFG_LIST,    /* ( { ... }, ... ): array of sub's struct, and an int count */
};

enum {
    FB_CFG_REQUIRED = 1 << 0, /* no default: the file must set it */
    FB_CFG_MIN_OPEN = 1 << 1, /* the value must be strictly greater than min */
    FB_CFG_SECRET = 1 << 2,   /* never echoed; written masked (see write_as) */
    FB_CFG_ALIAS = 1 << 3,    /* shares its field with the key before it: not written or
                                 freed */
};

struct fb_cfg_section;
struct fb_cfg_loader; /* one file being loaded: messages go through it */

struct fb_cfg_key {
    const char *name;
    enum fb_cfg_kind kind;
    unsigned flags;
    const char *def;               /* default, in file syntax; NULL: none (or computed by finish) */
    double min, max;               /* numeric range (see FB_CFG_MIN_OPEN); max <= min: no maximum */
    size_t off, size;              /* the field in the section's struct */
    size_t off_n;                  /* FB_CFG_STRINGS, FB_CFG_ENUMS, FB_CFG_LIST: the int count */
    const struct fb_enum *choices; /* FB_CFG_ENUM, FB_CFG_ENUMS: the names, value = index */
    const char *what;              /* what a choice is, for messages (default choices->what) */
    const char *zero_name;         /* FB_CFG_INT: a name the file may give for 0 ("all") */
    const struct fb_cfg_section *sub; /* FB_CFG_GROUP, FB_CFG_LIST */
    /* Extra check of a string (or of each string of FB_CFG_STRINGS): 0, or
     * FB_ECONFIG / FB_ENOMEM with the reason in why. */
    int (*check)(const char *value, struct fb_errbuf *why);
    /* The values a string key knows, for listings: the i-th, NULL past the end. */
    const char *(*names)(int i);
    /* Writing: the key to write in this one's place, with its value (written as a
     * string, never masked), e.g. a secret as the variable it came from; NULL to
     * write the key as usual. obj is the section's struct. */
    const char *(*write_as)(const void *obj, const char **value);
    /* With a section's kind (has_kind): the kinds that use the key (1 << value),
     * 0: every kind. The writer leaves a key out where it is not used: a value
     * nothing reads (a struct built in code may hold 0 there) must not make the
     * written file fail to load. */
    unsigned used_by;
    const char *help;
};

struct fb_cfg_section {
    const char *what; /* "node": for messages */
    const struct fb_cfg_key *keys;
    int n_keys;    /* at most 64 */
    size_t size;   /* FB_CFG_LIST element size */
    bool has_line; /* store the group's source line at off_line (an int) */
    size_t off_line;
    const char *unique; /* FB_CFG_LIST: this string key must differ between elements */
    bool has_kind;      /* off_kind: the int whose value keys' used_by test; the key
                           filling it names the kinds in listings */
    size_t off_kind;
    /* Cross-key checks and computed defaults, after every key of the section
     * parsed without an error. group is NULL when the section is absent from
     * the file; at is where messages about it point; path is its key
     * ("nodes[2]", "" for the top level). 0, or the code of fb_cfg_fail or
     * fb_cfg_nomem. */
    int (*finish)(struct fb_cfg_loader *ld, const config_setting_t *group,
                  const config_setting_t *at, const char *path, void *obj);
};

/* Loading stops once more than this many errors are found. */
#define FB_CFG_MAX_ERRORS 20

/* Where every error of a load goes, as a compiler reports them: msg[0..*n)
 * (room for FB_CFG_MAX_ERRORS), each made safe for a terminal; *more is set
 * when loading stopped for more errors than that. */
struct fb_cfg_errlist {
    char (*msg)[FB_ERRMSG_LEN];
    int *n;
    bool *more;
};

/* Loads path into obj (which the caller zeroed) by the section root: in file
 * order, each key's error kept and the next key parsed, then the missing
 * keys' defaults, then each section's finish. Includes resolve against
 * path's folder. 0, FB_ECONFIG (the first error in eb, every one in errs, if
 * not NULL) or FB_ENOMEM. On failure obj may hold allocations: the caller
 * frees it (fb_cfg_free). Warnings go to stderr. */
int fb_cfg_load(const struct fb_cfg_section *root, const char *path, void *obj,
                struct fb_errbuf *eb, const struct fb_cfg_errlist *errs);

/* Fills obj (zeroed by the caller) with the defaults of sec, as for a file
 * that sets none of its keys; required keys stay unset and finish hooks see
 * fb_cfg_defaults_only(). path is the section's key ("" at the top level),
 * name what messages name. 0 or FB_ENOMEM; on failure the caller frees obj. */
int fb_cfg_defaults(const struct fb_cfg_section *sec, const char *name, const char *path, void *obj,
                    struct fb_errbuf *eb);

/* Frees every field of obj the section's keys allocated (a secret wiped
 * first) and clears them. */
void fb_cfg_free(const struct fb_cfg_section *sec, void *obj);

/* Writes obj as a libconfig file body: every key of sec in table order,
 * each top-level one after a "# help" line; empty strings and unused keys
 * left out, secrets masked. */
void fb_cfg_write(FILE *f, const struct fb_cfg_section *sec, const void *obj);
/* s as a libconfig string literal, quoted and escaped. */
void fb_cfg_write_string(FILE *f, const char *s);

/* Lists every key of sec and of its groups and lists, in table order, two
 * lines each: "PATH: TYPE[; required][; default D][; RANGE or CHOICES]
 * [; used with KEY V, ...][; secret]", then the help indented by four
 * spaces. PATH is dotted, a list's elements "[]" (nodes[].port). */
void fb_cfg_list(FILE *f, const struct fb_cfg_section *sec);

/* For finish hooks. */

/* Records an error at setting s (while a default is parsed, the group it
 * applies to) for key: "file:line: key: message". Returns FB_ECONFIG. */
int fb_cfg_fail(struct fb_cfg_loader *ld, const config_setting_t *s, const char *key,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same to stderr, as a warning; nothing is recorded. */
void fb_cfg_warn(struct fb_cfg_loader *ld, const config_setting_t *s, const char *key,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Out of memory: FB_ENOMEM, named in eb. */
int fb_cfg_nomem(struct fb_cfg_loader *ld);
/* After a step failed with rc: true when loading goes on (a configuration
 * error, already kept), false when it must stop (out of memory, or too many
 * errors). */
bool fb_cfg_go_on(const struct fb_cfg_loader *ld, int rc);
/* The file as given to fb_cfg_load (the name given to fb_cfg_defaults). */
const char *fb_cfg_path(const struct fb_cfg_loader *ld);
/* true while fb_cfg_defaults fills a struct: no file, required keys unset. */
bool fb_cfg_defaults_only(const struct fb_cfg_loader *ld);
/* The member of group called name, else fallback (group may be NULL). */
const config_setting_t *fb_cfg_member(const config_setting_t *group, const char *name,
                                      const config_setting_t *fallback);
/* "path.name", or "name" at the top level (path ""). */
void fb_cfg_key_path(char *buf, size_t n, const char *path, const char *name);

/* "(did you mean 'x'?)" when one of cands is within two edits of word, else
 * "(known: a, b, c)", into buf. */
void fb_cfg_hint(const char *word, const char *const *cands, int n, char *buf, size_t size);

#endif
