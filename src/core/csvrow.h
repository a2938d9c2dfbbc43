/* csvrow.h - one CSV record's fields as libcsv's parser hands them over,
 * with buffers reused from record to record. */
#ifndef FB_CSVROW_H
#define FB_CSVROW_H

#include <stddef.h>

struct fb_csvrow {
    struct fb_csvfield {
        char *s;
        size_t len; /* as the parser gave it: a NUL byte inside makes strlen(s) shorter */
        size_t cap;
    } *f;
    size_t n;    /* fields seen in the current record */
    size_t kept; /* of them stored in f[] (n runs on past a limit) */
    size_t cap;  /* slots in f */
};

/* Appends a field of the current record, stored while fewer than limit are
 * (past that it is only counted). Returns 0 or FB_ENOMEM. */
int fb_csvrow_add(struct fb_csvrow *r, const char *s, size_t len, size_t limit);

/* Field i of the current record, "" when it is not stored. */
const char *fb_csvrow_get(const struct fb_csvrow *r, size_t i);

/* The length of field i as the parser gave it (0 when it is not stored):
 * more than strlen() of fb_csvrow_get() when the field holds a NUL byte. */
size_t fb_csvrow_len(const struct fb_csvrow *r, size_t i);

/* Starts the next record, keeping the buffers. */
void fb_csvrow_next(struct fb_csvrow *r);

/* A number cell: 0 and *out = NAN when empty, 0 and the value when it is a
 * finite number, FB_EINVAL otherwise. */
int fb_csv_real(const char *s, double *out);

/* Frees the buffers; r is empty and reusable after. */
void fb_csvrow_free(struct fb_csvrow *r);

#endif
