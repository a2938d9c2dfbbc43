/* fuzz.h - helpers shared by the fuzz harnesses and by their replay in tests/unit/test_fuzz_regress.c. */
#ifndef FB_FUZZ_H
#define FB_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A property the code under test promised does not hold: report it and
 * abort, so both libFuzzer and the replay suite see a crash. */
#define FUZZ_CHECK(cond, ...)                                                          \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                              \
            fputc('\n', stderr);                                                       \
            abort();                                                                   \
        }                                                                              \
    } while (0)

/* Makes a private (0700) empty directory named after tag under $TMPDIR or
 * /tmp into out. Aborts when it cannot: a harness without it tests nothing. */
static inline void fuzz_mkdtemp(const char *tag, char *out, size_t n)
{
    const char *tmp = getenv("TMPDIR");

    if (tmp == NULL || tmp[0] != '/')
        tmp = "/tmp";
    if ((size_t)snprintf(out, n, "%s/faasbench-fuzz-%s.XXXXXX", tmp, tag) >= n ||
        mkdtemp(out) == NULL) {
        perror("faasbench fuzz: mkdtemp");
        abort();
    }
}

/* Replaces the file at path with data. Aborts on failure. */
static inline void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* A NUL-terminated heap copy of exactly size bytes (+1), so that a read
 * past the text is caught. Aborts when out of memory. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s == NULL)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* The whole file at path in a newly allocated buffer (*size bytes, plus a
 * NUL not counted). NULL when it cannot be read. */
static inline uint8_t *fuzz_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, got;

    if (f == NULL)
        return NULL;
    do {
        if (len + 4096 + 1 > cap) {
            uint8_t *p = realloc(buf, cap = (len + 4096 + 1) * 2);
            if (p == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        got = fread(buf + len, 1, 4096, f);
        len += got;
    } while (got > 0);
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[len] = '\0';
    *size = len;
    return buf;
}

#endif
