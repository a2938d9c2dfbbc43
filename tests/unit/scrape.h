/* scrape.h - a plain HTTP/1.1 client for the metrics endpoint suites: one
 * request on a fresh connection to 127.0.0.1, the answer read to its end;
 * and sums of a series' samples in the exposition text (included by the
 * suites). */
#ifndef FB_TEST_SCRAPE_H
#define FB_TEST_SCRAPE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* An answer: status, the Content-Type header's value and the body. */
struct scrape {
    int status;
    char type[128];
    char *body; /* caller frees (scrape_free) */
};

static inline void scrape_free(struct scrape *s)
{
    free(s->body);
    s->body = NULL;
}

/* Sends METHOD PATH to 127.0.0.1:port with an Accept header (NULL: none).
 * Returns false when the connection was refused or the answer unreadable. */
static inline bool scrape_get(int port, const char *method, const char *path, const char *accept,
                              struct scrape *out)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    char req[512], *buf = NULL, *hdr_end;
    size_t len = 0, cap = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(out, 0, sizeof(*out));
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (fd < 0)
        return false;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return false;
    }
    int n = snprintf(req, sizeof(req),
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%sConnection: close\r\n"
                     "Content-Length: 0\r\n\r\n",
                     method, path, accept != NULL ? "Accept: " : "", accept != NULL ? accept : "",
                     accept != NULL ? "\r\n" : "");
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return false;
    }
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *p = realloc(buf, cap);
            if (p == NULL)
                break;
            buf = p;
        }
        ssize_t k = read(fd, buf + len, cap - len - 1);
        if (k <= 0)
            break;
        len += (size_t)k;
    }
    close(fd);
    if (buf == NULL)
        return false;
    buf[len] = '\0';
    if (sscanf(buf, "HTTP/1.1 %d", &out->status) != 1 ||
        (hdr_end = strstr(buf, "\r\n\r\n")) == NULL) {
        free(buf);
        return false;
    }
    *hdr_end = '\0';
    const char *ct = strstr(buf, "\r\nContent-Type: ");
    if (ct != NULL)
        sscanf(ct + 16, "%127[^\r]", out->type);
    out->body = strdup(hdr_end + 4);
    free(buf);
    return out->body != NULL;
}

/* The sum of the samples named name (exactly: "name{" or "name ") in text
 * whose labels contain match (NULL: any); *n (may be NULL) their count. */
static inline double scrape_sum(const char *text, const char *name, const char *match, int *n)
{
    double sum = 0;
    size_t len = strlen(name);
    int k = 0;

    for (const char *line = text; line != NULL && *line != '\0';) {
        const char *nl = strchr(line, '\n');
        size_t ll = nl != NULL ? (size_t)(nl - line) : strlen(line);
        if (ll > len && strncmp(line, name, len) == 0 && (line[len] == '{' || line[len] == ' ')) {
            char *copy = strndup(line, ll);
            char *sp = strrchr(copy, ' ');
            if (sp != NULL && (match == NULL || strstr(copy, match) != NULL)) {
                sum += strtod(sp + 1, NULL);
                k++;
            }
            free(copy);
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    if (n != NULL)
        *n = k;
    return sum;
}

/* A port free now on 127.0.0.1 (the kernel's pick). */
static inline int scrape_free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t al = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &al) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

#endif
