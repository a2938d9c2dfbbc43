/* transport_ssh.c - ssh transport: one libssh2 session per connection; each
 * command on a channel of its own, or as a request to the node helper's
 * server (`faasbench-node serve`) on one long-lived channel. */
#include <errno.h>
#include <libssh2.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helper/nodeproto.h"
#include "transport/transport_priv.h"

/* A reply's streams fit what a command result may hold. */
_Static_assert(FB_NODEPROTO_CAPTURE <= FB_EXEC_CAPTURE, "node helper capture too large");

struct ssh_conn {
    struct fb_conn base;
    /* The node's settings, copied: a reopen must not depend on the caller's. */
    char *host;
    int port;
    char *user;
    char *identity;
    char *password;
    char *known_hosts;
    bool insecure;
    int connect_timeout_ms;
    /* The session; NULL when it must be (re)opened before the next command. */
    int fd;
    LIBSSH2_SESSION *session;
    /* Commands go to the node helper's server on channel ach (NULL: start it
     * before the next command); abuf holds what it sent and is not read yet:
     * never more than one line, then one reply (nodeproto.h). */
    bool agent;
    LIBSSH2_CHANNEL *ach;
    char *abuf;
    size_t alen, acap;
};

/* Longer than the server's SIGTERM-to-SIGKILL grace: a reply to a command
 * past its timeout is still waited for this long before the session is
 * given up. */
#define AGENT_GRACE_MS 5000
#define AGENT_NAME "faasbench-node serve"
#define AGENT_COMMAND "exec " AGENT_NAME

/* Warnings already printed (warn_once). */
struct warned {
    struct warned *next;
    char name[];
};
static struct warned *warned_nodes;
static pthread_mutex_t warned_lock = PTHREAD_MUTEX_INITIALIZER;

/* libssh2's last message with its code, in a per-thread buffer. */
static const char *ssh_errmsg(LIBSSH2_SESSION *s)
{
    static _Thread_local char text[200];
    char *msg = NULL;
    int code;

    if (s == NULL)
        return "no session";
    code = libssh2_session_last_error(s, &msg, NULL, 0);
    snprintf(text, sizeof(text), "%s (libssh2 error %d)",
             msg != NULL && *msg != '\0' ? msg : "unknown error", code);
    return text;
}

/* Errors after which the session cannot be trusted any more. */
static bool ssh_err_breaks_session(int e)
{
    switch (e) {
    case LIBSSH2_ERROR_SOCKET_NONE:
    case LIBSSH2_ERROR_SOCKET_SEND:
    case LIBSSH2_ERROR_SOCKET_RECV:
    case LIBSSH2_ERROR_SOCKET_DISCONNECT:
    case LIBSSH2_ERROR_SOCKET_TIMEOUT:
    case LIBSSH2_ERROR_BAD_SOCKET:
    case LIBSSH2_ERROR_TIMEOUT:
    case LIBSSH2_ERROR_INVALID_MAC:
    case LIBSSH2_ERROR_DECRYPT:
    case LIBSSH2_ERROR_ENCRYPT:
    case LIBSSH2_ERROR_PROTO:
    case LIBSSH2_ERROR_KEX_FAILURE:
    case LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE:
    case LIBSSH2_ERROR_ALLOC:
        return true;
    default:
        return false;
    }
}

/* Waits until the session's socket is ready in the direction libssh2 is
 * blocked on. Returns 0 (retry the call) or FB_ETIMEDOUT. */
static int ssh_wait(struct ssh_conn *sc, double deadline)
{
    int dir = libssh2_session_block_directions(sc->session);
    struct pollfd pf = {.fd = sc->fd, .events = 0};
    int r;

    if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
        pf.events |= POLLIN;
    if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
        pf.events |= POLLOUT;
    if (fb_mono_ms() >= deadline)
        return FB_ETIMEDOUT;
    if (pf.events == 0)
        return 0; /* libssh2 has buffered work: just call again */
#ifdef TCP_QUICKACK
    /* sshd leaves Nagle on for non-interactive sessions, so when it sends
     * two small packets in a row the second waits for our ACK; a delayed
     * ACK would add 40 ms. Quick-ack mode is not sticky: re-arm it here. */
    setsockopt(sc->fd, IPPROTO_TCP, TCP_QUICKACK, &(int){1}, sizeof(int));
#endif
    do {
        r = poll(&pf, 1, fb_poll_timeout(deadline));
    } while (r < 0 && errno == EINTR && fb_mono_ms() < deadline);
    if (r == 0)
        return FB_ETIMEDOUT;
    /* Errors and hang-ups are left for libssh2 to report on the retry. */
    return 0;
}

static int tcp_connect(struct ssh_conn *sc, double deadline, struct fb_errbuf *eb)
{
    struct addrinfo hints, *ai = NULL, *a;
    char port[16];
    int rc, fd = -1, one = 1, gai;
    int last_err = 0;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%d", sc->port);
    gai = getaddrinfo(sc->host, port, &hints, &ai);
    if (gai != 0) {
        rc = fb_errf(eb, FB_ECONNECT, "node %s: cannot resolve %s: %s", sc->base.node_name,
                     sc->host, gai_strerror(gai));
        goto out;
    }
    for (a = ai; a != NULL; a = a->ai_next) {
        struct pollfd pf;
        socklen_t len = sizeof(last_err);
        int r;

        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    a->ai_protocol);
        if (fd < 0) {
            last_err = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        if (errno != EINPROGRESS) {
            last_err = errno;
            goto next;
        }
        pf = (struct pollfd){.fd = fd, .events = POLLOUT};
        do {
            r = poll(&pf, 1, fb_poll_timeout(deadline));
        } while (r < 0 && errno == EINTR);
        if (r == 0) {
            last_err = ETIMEDOUT;
            goto next;
        }
        if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &last_err, &len) != 0) {
            last_err = errno;
            goto next;
        }
        if (last_err == 0)
            break;
    next:
        close(fd);
        fd = -1;
        if (last_err == ETIMEDOUT && fb_mono_ms() >= deadline)
            break;
    }
    if (fd < 0) {
        rc = fb_errf(eb, FB_ECONNECT, "node %s (%s:%d): connect: %s", sc->base.node_name,
                     sc->host, sc->port,
                     last_err == ETIMEDOUT ? "timed out" : strerror(last_err));
        goto out;
    }
    /* Commands are small request/reply exchanges: no Nagle delay. A session
     * may sit idle through a long cell: let the kernel notice a dead peer. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    sc->fd = fd;
    rc = 0;
out:
    if (ai != NULL)
        freeaddrinfo(ai);
    return rc;
}

/* Host key types: libssh2's session type, known_hosts type, method names. */
static const struct {
    int session_type;
    int kh_type;
    const char *name;
    const char *methods;
} key_types[] = {
    {LIBSSH2_HOSTKEY_TYPE_ED25519, LIBSSH2_KNOWNHOST_KEY_ED25519, "ssh-ed25519", "ssh-ed25519"},
    {LIBSSH2_HOSTKEY_TYPE_ECDSA_256, LIBSSH2_KNOWNHOST_KEY_ECDSA_256, "ecdsa-sha2-nistp256",
     "ecdsa-sha2-nistp256"},
    {LIBSSH2_HOSTKEY_TYPE_ECDSA_384, LIBSSH2_KNOWNHOST_KEY_ECDSA_384, "ecdsa-sha2-nistp384",
     "ecdsa-sha2-nistp384"},
    {LIBSSH2_HOSTKEY_TYPE_ECDSA_521, LIBSSH2_KNOWNHOST_KEY_ECDSA_521, "ecdsa-sha2-nistp521",
     "ecdsa-sha2-nistp521"},
    {LIBSSH2_HOSTKEY_TYPE_RSA, LIBSSH2_KNOWNHOST_KEY_SSHRSA, "ssh-rsa",
     "rsa-sha2-512,rsa-sha2-256,ssh-rsa"},
    {LIBSSH2_HOSTKEY_TYPE_DSS, LIBSSH2_KNOWNHOST_KEY_SSHDSS, "ssh-dss", "ssh-dss"},
};
#define N_KEY_TYPES (sizeof(key_types) / sizeof(key_types[0]))

/* A known_hosts line with a marker ("@revoked", "@cert-authority"):
 * libssh2 1.10 knows none and would read the marker as a host name. */
static bool kh_marker_line(const char *line)
{
    return line[strspn(line, " \t")] == '@';
}

/* Decodes standard base64 (padded, as known_hosts keys are) into out
 * (cap bytes); the decoded length, or -1 when s is not that. */
static ssize_t base64_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
    size_t o = 0;

    if (n == 0 || n % 4 != 0)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        unsigned v = 0;
        int pad = 0;
        for (int j = 0; j < 4; j++) {
            char c = s[i + (size_t)j];
            int d;
            if (c == '=' && i + 4 == n && j >= 2) {
                pad++;
                d = 0;
            } else if (pad > 0) {
                return -1; /* a digit after '=' */
            } else if (c >= 'A' && c <= 'Z') {
                d = c - 'A';
            } else if (c >= 'a' && c <= 'z') {
                d = c - 'a' + 26;
            } else if (c >= '0' && c <= '9') {
                d = c - '0' + 52;
            } else if (c == '+' || c == '/') {
                d = c == '+' ? 62 : 63;
            } else {
                return -1;
            }
            v = v << 6 | (unsigned)d;
        }
        if (o + 3 - (size_t)pad > cap)
            return -1;
        out[o++] = (unsigned char)(v >> 16);
        if (pad < 2)
            out[o++] = (unsigned char)(v >> 8);
        if (pad < 1)
            out[o++] = (unsigned char)v;
    }
    return (ssize_t)o;
}

/* The next blank-separated word of *p, its length in *n; false at the end. */
static bool kh_word(const char **p, const char **word, size_t *n)
{
    *p += strspn(*p, " \t");
    *n = strcspn(*p, " \t\r\n");
    *word = *p;
    *p += *n;
    return *n > 0;
}

int fb_known_hosts_revoked(const char *path, const unsigned char *key, size_t key_len,
                           struct fb_errbuf *eb)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, blob_cap = 0;
    unsigned char *blob = NULL;
    int rc = 0;

    if (f == NULL)
        return fb_errf(eb, FB_EHOSTKEY, "cannot read known_hosts %s: %s", path,
                       strerror(errno));
    while (rc == 0 && getline(&line, &cap, f) > 0) {
        const char *p = line, *w;
        size_t n;
        ssize_t got;

        /* "@revoked <host patterns> <key type> <base64 key> [comment]" */
        if (!kh_word(&p, &w, &n) || n != 8 || memcmp(w, "@revoked", 8) != 0 ||
            !kh_word(&p, &w, &n) || !kh_word(&p, &w, &n) || !kh_word(&p, &w, &n))
            continue;
        if (blob_cap < n) {
            unsigned char *b = realloc(blob, n);
            if (b == NULL) {
                rc = fb_errf(eb, FB_ENOMEM, "out of memory");
                break;
            }
            blob = b;
            blob_cap = n;
        }
        got = base64_decode(w, n, blob, blob_cap);
        if (got >= 0 && (size_t)got == key_len && memcmp(blob, key, key_len) == 0)
            rc = 1;
    }
    if (rc == 0 && ferror(f))
        rc = fb_errf(eb, FB_EHOSTKEY, "cannot read known_hosts %s: %s", path, strerror(errno));
    free(blob);
    free(line);
    fclose(f);
    return rc;
}

/* Reads known_hosts line by line; a line libssh2 cannot parse (a key type
 * it does not know) is skipped instead of failing the file, and a marker
 * line is left to fb_known_hosts_revoked(). */
static int known_hosts_load(struct ssh_conn *sc, LIBSSH2_KNOWNHOSTS *kh, struct fb_errbuf *eb)
{
    FILE *f = fopen(sc->known_hosts, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;

    if (f == NULL) {
        rc = fb_errf(eb, FB_EHOSTKEY, "node %s: cannot read known_hosts %s: %s",
                     sc->base.node_name, sc->known_hosts, strerror(errno));
        goto out;
    }
    while ((n = getline(&line, &cap, f)) > 0) {
        if (!kh_marker_line(line))
            libssh2_knownhost_readline(kh, line, (size_t)n, LIBSSH2_KNOWNHOST_FILE_OPENSSH);
    }
    if (ferror(f))
        rc = fb_errf(eb, FB_EHOSTKEY, "node %s: cannot read known_hosts %s: %s",
                     sc->base.node_name, sc->known_hosts, strerror(errno));
out:
    free(line);
    if (f != NULL)
        fclose(f);
    return rc;
}

/* Looks the host up under the name OpenSSH files it by: "host" for port
 * 22, "[host]:port" otherwise. (checkp with a port would also accept a plain
 * "host" entry for any port, which OpenSSH does not.) */
static int kh_check(struct ssh_conn *sc, LIBSSH2_KNOWNHOSTS *kh, const char *key, size_t len,
                    int kh_type)
{
    char name[300];

    if (sc->port == 22)
        snprintf(name, sizeof(name), "%s", sc->host);
    else
        snprintf(name, sizeof(name), "[%s]:%d", sc->host, sc->port);
    return libssh2_knownhost_checkp(kh, name, -1, key, len,
                                    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
                                        kh_type,
                                    NULL);
}

/* Asks the server first for the key types known_hosts holds for this host
 * (as OpenSSH does): otherwise a server with several host keys may offer
 * one that is not listed and the check fails for no good reason. */
static void prefer_known_key_types(struct ssh_conn *sc, LIBSSH2_KNOWNHOSTS *kh)
{
    const char **algs = NULL;
    char pref[512] = "";
    int n_algs;
    size_t i;

    n_algs = libssh2_session_supported_algs(sc->session, LIBSSH2_METHOD_HOSTKEY, &algs);
    if (n_algs <= 0)
        goto out;
    for (int pass = 0; pass < 2; pass++) {
        for (i = 0; i < N_KEY_TYPES; i++) {
            /* A dummy key tells whether the host has an entry of this type:
             * MISMATCH means "listed, with another key". */
            int r = kh_check(sc, kh, "x", 1, key_types[i].kh_type);
            bool known = r == LIBSSH2_KNOWNHOST_CHECK_MISMATCH ||
                         r == LIBSSH2_KNOWNHOST_CHECK_MATCH;
            const char *m = key_types[i].methods;

            if (known != (pass == 0))
                continue;
            while (*m != '\0') {
                size_t ml = strcspn(m, ",");
                for (int a = 0; a < n_algs; a++) {
                    if (strlen(algs[a]) == ml && memcmp(algs[a], m, ml) == 0 &&
                        strlen(pref) + ml + 2 < sizeof(pref)) {
                        if (pref[0] != '\0')
                            strcat(pref, ",");
                        strncat(pref, m, ml);
                    }
                }
                m += ml + (m[ml] == ',');
            }
        }
    }
    /* On failure libssh2 keeps its default order; the check still runs. */
    if (pref[0] != '\0')
        libssh2_session_method_pref(sc->session, LIBSSH2_METHOD_HOSTKEY, pref);
out:
    if (algs != NULL)
        libssh2_free(sc->session, (void *)algs);
}

/* "SHA256:<base64 without padding>" of the server's host key. */
static void key_fingerprint(LIBSSH2_SESSION *s, char *out, size_t outlen)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *h =
        (const unsigned char *)libssh2_hostkey_hash(s, LIBSSH2_HOSTKEY_HASH_SHA256);
    size_t o = 0;

    if (h == NULL || outlen < 8 + 44) {
        snprintf(out, outlen, "SHA256:?");
        return;
    }
    o = (size_t)snprintf(out, outlen, "SHA256:");
    for (size_t i = 0; i < 32; i += 3) {
        unsigned v = (unsigned)h[i] << 16;
        size_t left = 32 - i;
        if (left > 1)
            v |= (unsigned)h[i + 1] << 8;
        if (left > 2)
            v |= h[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (left > 1)
            out[o++] = b64[(v >> 6) & 63];
        if (left > 2)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
}

/* Prints a warning the first time key is seen in this process: a node has
 * several sessions, the user needs to read it once. */
__attribute__((format(printf, 2, 3)))
static void warn_once(const char *key, const char *fmt, ...)
{
    struct warned *w;
    bool first = true;
    va_list ap;

    pthread_mutex_lock(&warned_lock);
    for (w = warned_nodes; w != NULL; w = w->next) {
        if (strcmp(w->name, key) == 0) {
            first = false;
            break;
        }
    }
    if (first) {
        size_t n = strlen(key) + 1;
        w = malloc(sizeof(*w) + n);
        if (w != NULL) {
            memcpy(w->name, key, n);
            w->next = warned_nodes;
            warned_nodes = w;
        }
    }
    pthread_mutex_unlock(&warned_lock);
    if (first) {
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
}

static void warn_unchecked_once(struct ssh_conn *sc, const char *type, const char *fp)
{
    char key[300];
    snprintf(key, sizeof(key), "hostkey %s", sc->base.node_name);
    warn_once(key,
              "faasbench: warning: node %s (%s:%d): host key NOT checked "
              "(insecure_accept_any_host_key); server offered %s %s\n",
              sc->base.node_name, sc->host, sc->port, type, fp);
}

static int check_host_key(struct ssh_conn *sc, LIBSSH2_KNOWNHOSTS *kh, struct fb_errbuf *eb)
{
    size_t len = 0;
    int type = LIBSSH2_HOSTKEY_TYPE_UNKNOWN, r;
    const char *key = libssh2_session_hostkey(sc->session, &len, &type);
    const char *tname = "unknown-key-type";
    int kh_type = LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
    char fp[64];

    if (key == NULL)
        return fb_errf(eb, FB_ESSH, "node %s (%s:%d): no host key: %s", sc->base.node_name,
                       sc->host, sc->port, ssh_errmsg(sc->session));
    for (size_t i = 0; i < N_KEY_TYPES; i++) {
        if (key_types[i].session_type == type) {
            tname = key_types[i].name;
            kh_type = key_types[i].kh_type;
        }
    }
    key_fingerprint(sc->session, fp, sizeof(fp));
    if (sc->insecure) {
        warn_unchecked_once(sc, tname, fp);
        return 0;
    }
    /* A revoked key is refused whatever else the file says (OpenSSH does
     * so too, for the hosts the @revoked line names; here for any host:
     * a revoked key is trusted nowhere). */
    r = fb_known_hosts_revoked(sc->known_hosts, (const unsigned char *)key, len, eb);
    if (r == 1)
        return fb_errf(eb, FB_EHOSTKEY,
                       "host key for %s (%s:%d) is marked @revoked in known_hosts %s: server "
                       "offered %s %s: refusing to connect",
                       sc->base.node_name, sc->host, sc->port, sc->known_hosts, tname, fp);
    if (r < 0) {
        char why[FB_ERRMSG_LEN];
        snprintf(why, sizeof(why), "%s", eb != NULL ? eb->msg : "");
        return fb_errf(eb, r, "node %s: %s", sc->base.node_name, why);
    }
    r = kh_check(sc, kh, key, len, kh_type);
    switch (r) {
    case LIBSSH2_KNOWNHOST_CHECK_MATCH:
        return 0;
    case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
        return fb_errf(eb, FB_EHOSTKEY,
                       "host key for %s (%s:%d) does not match known_hosts %s: server offered "
                       "%s %s: refusing to connect",
                       sc->base.node_name, sc->host, sc->port, sc->known_hosts, tname, fp);
    case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
        return fb_errf(eb, FB_EHOSTKEY,
                       "host key for %s (%s:%d) is not in known_hosts %s: server offered "
                       "%s %s: refusing to connect",
                       sc->base.node_name, sc->host, sc->port, sc->known_hosts, tname, fp);
    default:
        return fb_errf(eb, FB_EHOSTKEY,
                       "host key for %s (%s:%d) could not be checked against %s: %s",
                       sc->base.node_name, sc->host, sc->port, sc->known_hosts,
                       ssh_errmsg(sc->session));
    }
}

/* True when the identity is an RSA key: libssh2 before 1.11 signs with
 * ssh-rsa (SHA-1) only, which OpenSSH 8.8 and later refuse by default. */
static bool identity_is_old_rsa(const char *identity)
{
    static const char *const marks[] = {"-----BEGIN RSA PRIVATE KEY", "ssh-rsa "};
    char head[32] = "", path[4096];
    bool rsa = false;

    if (libssh2_version(0x010b00) != NULL)
        return false;
    for (int i = 0; i < 2 && !rsa; i++) {
        FILE *f;
        size_t n;

        if (snprintf(path, sizeof(path), "%s%s", identity, i ? ".pub" : "") >= (int)sizeof(path))
            continue;
        f = fopen(path, "r");
        if (f == NULL)
            continue;
        n = fread(head, 1, sizeof(head) - 1, f);
        head[n] = '\0';
        fclose(f);
        rsa = strncmp(head, marks[i], strlen(marks[i])) == 0;
    }
    return rsa;
}

static int authenticate(struct ssh_conn *sc, double deadline, struct fb_errbuf *eb)
{
    int r = LIBSSH2_ERROR_AUTHENTICATION_FAILED, rc = 0;
    const char *how = "no identity or password configured";
    char why[320] = "";

    if (sc->identity != NULL) {
        how = sc->identity;
        while ((r = libssh2_userauth_publickey_fromfile_ex(
                    sc->session, sc->user, (unsigned)strlen(sc->user), NULL, sc->identity,
                    NULL)) == LIBSSH2_ERROR_EAGAIN) {
            rc = ssh_wait(sc, deadline);
            if (rc != 0)
                goto timeout;
        }
        if (r == 0)
            goto out;
        snprintf(why, sizeof(why), "%s%s", ssh_errmsg(sc->session),
                 identity_is_old_rsa(sc->identity)
                     ? "; this libssh2 signs RSA keys with SHA-1 only, which the server may "
                       "refuse: use an ed25519 or ecdsa key"
                     : "");
    }
    if (sc->password != NULL) {
        how = sc->identity != NULL ? "key, then password" : "password";
        while ((r = libssh2_userauth_password_ex(sc->session, sc->user,
                                                 (unsigned)strlen(sc->user), sc->password,
                                                 (unsigned)strlen(sc->password), NULL)) ==
               LIBSSH2_ERROR_EAGAIN) {
            rc = ssh_wait(sc, deadline);
            if (rc != 0)
                goto timeout;
        }
        if (r == 0)
            goto out;
        size_t used = strlen(why);
        snprintf(why + used, sizeof(why) - used, "%s%s", used ? "; password: " : "",
                 ssh_errmsg(sc->session));
    }
    rc = fb_errf(eb, ssh_err_breaks_session(r) ? FB_ESSH : FB_EAUTH,
                 "authentication as %s on node %s (%s:%d) failed (%s)%s%s", sc->user,
                 sc->base.node_name, sc->host, sc->port, how, why[0] ? ": " : "", why);
    goto out;
timeout:
    rc = fb_errf(eb, FB_ECONNECT, "node %s (%s:%d): authentication timed out",
                 sc->base.node_name, sc->host, sc->port);
out:
    return rc;
}

/* Drops the session. graceful: say goodbye to the server; otherwise the
 * socket is shut first so nothing waits on a peer that is gone or busy. */
static void session_drop(struct ssh_conn *sc, bool graceful)
{
    if (sc->session != NULL) {
        if (!graceful && sc->fd >= 0)
            shutdown(sc->fd, SHUT_RDWR);
        /* Blocking with a bound: session_free may still have packets to send. */
        libssh2_session_set_timeout(sc->session, 2000);
        libssh2_session_set_blocking(sc->session, 1);
        if (graceful)
            libssh2_session_disconnect(sc->session, "faasbench done");
        libssh2_session_free(sc->session); /* frees its channels too */
        sc->session = NULL;
    }
    sc->ach = NULL;
    sc->alen = 0;
    if (sc->fd >= 0) {
        close(sc->fd);
        sc->fd = -1;
    }
}

/* Connects, checks the host key, authenticates, all before deadline. */
static int session_open(struct ssh_conn *sc, double deadline, struct fb_errbuf *eb)
{
    LIBSSH2_KNOWNHOSTS *kh = NULL;
    int rc, r;

    rc = tcp_connect(sc, deadline, eb);
    if (rc != 0)
        goto out;
    sc->session = libssh2_session_init();
    if (sc->session == NULL) {
        rc = fb_errf(eb, FB_ENOMEM, "node %s: cannot create an ssh session", sc->base.node_name);
        goto out;
    }
    libssh2_session_set_blocking(sc->session, 0);
    if (!sc->insecure) {
        if (sc->known_hosts == NULL) {
            rc = fb_errf(eb, FB_EHOSTKEY,
                         "node %s (%s:%d): no known_hosts file to check the host key against "
                         "(set known_hosts, or insecure_accept_any_host_key)",
                         sc->base.node_name, sc->host, sc->port);
            goto out;
        }
        kh = libssh2_knownhost_init(sc->session);
        if (kh == NULL) {
            rc = fb_errf(eb, FB_ENOMEM, "node %s: %s", sc->base.node_name,
                         ssh_errmsg(sc->session));
            goto out;
        }
        rc = known_hosts_load(sc, kh, eb);
        if (rc != 0)
            goto out;
        prefer_known_key_types(sc, kh);
    }
    while ((r = libssh2_session_handshake(sc->session, sc->fd)) == LIBSSH2_ERROR_EAGAIN) {
        if (ssh_wait(sc, deadline) != 0) {
            rc = fb_errf(eb, FB_ECONNECT, "node %s (%s:%d): ssh handshake timed out",
                         sc->base.node_name, sc->host, sc->port);
            goto out;
        }
    }
    if (r != 0) {
        rc = fb_errf(eb, FB_ESSH, "node %s (%s:%d): ssh handshake: %s", sc->base.node_name,
                     sc->host, sc->port, ssh_errmsg(sc->session));
        goto out;
    }
    rc = check_host_key(sc, kh, eb);
    if (rc != 0)
        goto out;
    rc = authenticate(sc, deadline, eb);
out:
    if (kh != NULL)
        libssh2_knownhost_free(kh);
    if (rc != 0)
        session_drop(sc, false);
    return rc;
}

static void ssh_conn_free(struct ssh_conn *sc)
{
    if (sc == NULL)
        return;
    session_drop(sc, true);
    if (sc->password != NULL) {
        volatile char *p = sc->password;
        while (*p != '\0')
            *p++ = '\0';
    }
    free(sc->base.node_name);
    free(sc->host);
    free(sc->user);
    free(sc->identity);
    free(sc->password);
    free(sc->known_hosts);
    free(sc->abuf);
    free(sc);
}

static bool dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (src == NULL)
        return true;
    *dst = strdup(src);
    return *dst != NULL;
}

static int agent_start(struct ssh_conn *sc, double deadline, struct fb_errbuf *eb);

static int ssh_open(const struct fb_node_cfg *node, int connect_timeout_ms,
                    struct fb_conn **out, struct fb_errbuf *eb)
{
    struct ssh_conn *sc = NULL;
    double deadline;
    int rc;

    *out = NULL;
    if (node->host == NULL || node->user == NULL) {
        rc = fb_errf(eb, FB_EINVAL, "node %s: ssh needs host and user",
                     node->name ? node->name : "?");
        goto out;
    }
    sc = calloc(1, sizeof(*sc));
    if (sc == NULL) {
        rc = fb_errf(eb, FB_ENOMEM, "out of memory");
        goto out;
    }
    sc->fd = -1;
    sc->base.ops = &fb_transport_ssh;
    sc->port = node->port > 0 ? node->port : 22;
    sc->insecure = node->insecure_accept_any_host_key;
    sc->connect_timeout_ms = connect_timeout_ms;
    if (!dup_opt(&sc->base.node_name, node->name ? node->name : node->host) ||
        !dup_opt(&sc->host, node->host) || !dup_opt(&sc->user, node->user) ||
        !dup_opt(&sc->identity, node->identity) || !dup_opt(&sc->password, node->password) ||
        !dup_opt(&sc->known_hosts, node->known_hosts)) {
        rc = fb_errf(eb, FB_ENOMEM, "out of memory");
        goto out;
    }
    deadline = connect_timeout_ms > 0 ? fb_mono_ms() + connect_timeout_ms : INFINITY;
    rc = session_open(sc, deadline, eb);
    if (rc != 0)
        goto out;
    if (node->agent) {
        sc->agent = true;
        rc = agent_start(sc, deadline, eb);
        if (rc == FB_ENOAGENT) {
            /* A node without the server (an older helper, or none): one
             * channel per command, as a node of the older testbed. */
            char key[300];
            snprintf(key, sizeof(key), "agent %s", sc->base.node_name);
            warn_once(key,
                      "faasbench: warning: node %s: %s; running one ssh channel per "
                      "command instead\n",
                      sc->base.node_name, eb->msg);
            sc->agent = false;
            rc = 0;
        }
        if (rc != 0)
            goto out;
    }
    sc->base.native_timing = sc->agent;
    *out = &sc->base;
    sc = NULL;
out:
    ssh_conn_free(sc);
    return rc;
}

static void ssh_close(struct fb_conn *c)
{
    ssh_conn_free((struct ssh_conn *)c);
}

/* "KILL" (OpenSSH sends names without SIG) to its number, 0 if unknown. */
static int signal_number(const char *name)
{
    static const struct {
        const char *name;
        int sig;
    } sigs[] = {
        {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},   {"FPE", SIGFPE},
        {"HUP", SIGHUP},   {"ILL", SIGILL},   {"INT", SIGINT},   {"KILL", SIGKILL},
        {"PIPE", SIGPIPE}, {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV}, {"TERM", SIGTERM},
        {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TRAP", SIGTRAP}, {"SYS", SIGSYS},
        {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
    };

    if (strncmp(name, "SIG", 3) == 0)
        name += 3;
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        if (strcmp(sigs[i].name, name) == 0)
            return sigs[i].sig;
    }
    return 0;
}

static int channel_exit_status(LIBSSH2_SESSION *s, LIBSSH2_CHANNEL *ch)
{
    char *sig = NULL;
    size_t sig_len = 0;
    int status;

    if (libssh2_channel_get_exit_signal(ch, &sig, &sig_len, NULL, NULL, NULL, NULL) == 0 &&
        sig != NULL) {
        int n = signal_number(sig);
        status = n > 0 ? 128 + n : 255;
        libssh2_free(s, sig);
        return status;
    }
    return libssh2_channel_get_exit_status(ch);
}

/* Opens a channel for one command. Returns it, or NULL with *err set to
 * libssh2's error (LIBSSH2_ERROR_EAGAIN meaning the deadline passed). */
static LIBSSH2_CHANNEL *channel_open(struct ssh_conn *sc, double deadline, int *err)
{
    LIBSSH2_CHANNEL *ch;

    for (;;) {
        ch = libssh2_channel_open_session(sc->session);
        if (ch != NULL)
            return ch;
        *err = libssh2_session_last_errno(sc->session);
        if (*err != LIBSSH2_ERROR_EAGAIN || ssh_wait(sc, deadline) != 0)
            return NULL;
    }
}

/* A libssh2 failure r during step: says what failed; a session that cannot
 * be trusted any more is dropped (sc->session NULL after), and the next
 * command reconnects. Returns FB_ESSH. */
static int step_failed(struct ssh_conn *sc, const char *step, int r, struct fb_errbuf *eb)
{
    if (ssh_err_breaks_session(r) ||
        ssh_err_breaks_session(libssh2_session_last_errno(sc->session))) {
        fb_errf(eb, FB_ESSH, "node %s: %s: %s; session lost, the next command reconnects",
                sc->base.node_name, step, ssh_errmsg(sc->session));
        session_drop(sc, false);
    } else {
        fb_errf(eb, FB_ESSH, "node %s: %s: %s", sc->base.node_name, step,
                ssh_errmsg(sc->session));
    }
    return FB_ESSH;
}

/* ---- the node helper's server: many commands on one channel ---- */

/* Room for n more bytes in abuf. */
static bool abuf_reserve(struct ssh_conn *sc, size_t n)
{
    if (sc->acap - sc->alen >= n)
        return true;
    size_t cap = sc->acap ? sc->acap : 65536;
    while (cap - sc->alen < n)
        cap *= 2;
    char *p = realloc(sc->abuf, cap);
    if (p == NULL)
        return false;
    sc->abuf = p;
    sc->acap = cap;
    return true;
}

/* True when libssh2 holds data for ch that no read has taken yet: of its
 * stdout (stdout_only), or of either stream. Reading one stream reads the
 * socket for both: a packet of stdout can land in the queue while stderr is
 * read, and then the socket has nothing to wake a poll for it. */
static bool channel_queued(LIBSSH2_CHANNEL *ch, bool stdout_only)
{
    /* libssh2_poll_channel_read: 0 asks for stdout data, 1 for any data. */
    return libssh2_poll_channel_read(ch, stdout_only ? 0 : 1) > 0;
}

/* Reads what the server's channel has: stdout into abuf until it holds
 * limit bytes (what the server may send before it waits: a line, or the
 * rest of a reply whose line said how long it is); its own stderr (messages
 * of the server, never a command's) into errtail, last bytes kept. Returns
 * > 0 when something came, 0 when nothing did (and nothing it may take is
 * queued either: the socket is what to wait on), or a libssh2 error. */
static int agent_read(struct ssh_conn *sc, size_t limit, char *errtail, size_t errcap)
{
    int got = 0;
    ssize_t n = 0;

again:
    while (sc->alen < limit) {
        size_t want = limit - sc->alen;
        if (!abuf_reserve(sc, want < 32768 ? want : 32768))
            return LIBSSH2_ERROR_ALLOC;
        if (want > sc->acap - sc->alen)
            want = sc->acap - sc->alen;
        n = libssh2_channel_read_ex(sc->ach, 0, sc->abuf + sc->alen, want);
        if (n <= 0)
            break;
        sc->alen += (size_t)n;
        got = 1;
    }
    if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
        return (int)n;
    for (;;) {
        char buf[1024];
        n = libssh2_channel_read_ex(sc->ach, SSH_EXTENDED_DATA_STDERR, buf, sizeof(buf));
        if (n <= 0)
            break;
        got = 1;
        if (errtail != NULL && errcap > 1) {
            size_t have = strlen(errtail), add = (size_t)n < errcap - 1 ? (size_t)n : errcap - 1;
            if (have + add > errcap - 1) {
                memmove(errtail, errtail + have + add - (errcap - 1), errcap - 1 - add);
                have = errcap - 1 - add;
            }
            memcpy(errtail + have, buf + (size_t)n - add, add);
            errtail[have + add] = '\0';
        }
    }
    if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
        return (int)n;
    /* More of what may be taken now: stdout below the limit, or stderr. */
    if (sc->alen < limit ? channel_queued(sc->ach, false)
                         : channel_queued(sc->ach, false) && !channel_queued(sc->ach, true))
        goto again;
    return got;
}

/* The server's channel is gone for good: free it (the session stays). */
static void agent_forget(struct ssh_conn *sc)
{
    if (sc->ach != NULL) {
        libssh2_session_set_blocking(sc->session, 1);
        libssh2_session_set_timeout(sc->session, 1000);
        libssh2_channel_free(sc->ach);
        libssh2_session_set_timeout(sc->session, 0);
        libssh2_session_set_blocking(sc->session, 0);
    }
    sc->ach = NULL;
    sc->alen = 0;
}

/* Starts `faasbench-node serve` on a new channel and waits for its ready
 * line. Returns 0; FB_ENOAGENT when the node cannot run the server (eb says
 * why: exit status and last message; the session stays usable); or an
 * error (FB_ESSH, FB_ECONNECT on the deadline). */
static int agent_start(struct ssh_conn *sc, double deadline, struct fb_errbuf *eb)
{
    static const char ready[] = FB_NODEPROTO_READY;
    char errtail[256] = "";
    int r, e = 0;

    sc->alen = 0;
    sc->ach = channel_open(sc, deadline, &e);
    if (sc->ach == NULL)
        goto failed;
    while ((r = libssh2_channel_process_startup(sc->ach, "exec", 4, AGENT_COMMAND,
                                                sizeof(AGENT_COMMAND) - 1)) ==
           LIBSSH2_ERROR_EAGAIN) {
        if (ssh_wait(sc, deadline) != 0)
            goto timeout;
    }
    if (r != 0)
        goto failed;
    while (sc->alen < sizeof(ready) - 1) {
        r = agent_read(sc, FB_NODEPROTO_LINE_MAX, errtail, sizeof(errtail));
        if (r < 0)
            goto failed;
        if (r == 0 && libssh2_channel_eof(sc->ach)) {
            int status;
            char line[200];
            while (libssh2_channel_close(sc->ach) == LIBSSH2_ERROR_EAGAIN) {
                if (ssh_wait(sc, deadline) != 0)
                    goto timeout;
            }
            status = libssh2_channel_get_exit_status(sc->ach);
            agent_forget(sc);
            fb_last_line(errtail, line, sizeof(line));
            return fb_errf(eb, FB_ENOAGENT, "`%s` exited %d%s%s", AGENT_NAME, status,
                           line[0] ? ": " : "", line);
        }
        if (r == 0 && ssh_wait(sc, deadline) != 0)
            goto timeout;
    }
    if (memcmp(sc->abuf, ready, sizeof(ready) - 1) != 0) {
        agent_forget(sc);
        return fb_errf(eb, FB_ENOAGENT, "`%s` did not answer as the node helper's server does",
                       AGENT_NAME);
    }
    sc->alen -= sizeof(ready) - 1;
    memmove(sc->abuf, sc->abuf + sizeof(ready) - 1, sc->alen);
    return 0;

timeout:
    session_drop(sc, false);
    return fb_errf(eb, FB_ECONNECT, "node %s: starting `%s` timed out", sc->base.node_name,
                   AGENT_NAME);
failed:
    if (e == LIBSSH2_ERROR_EAGAIN)
        goto timeout;
    r = fb_errf(eb, FB_ESSH, "node %s: starting `%s`: %s", sc->base.node_name,
                AGENT_NAME, ssh_errmsg(sc->session));
    session_drop(sc, false);
    return r;
}

/* Runs cmd as one request to the server. A session found dead before the
 * request went out is reopened and the command sent once more; once it is
 * out, a failure is reported, never retried (it may have run). */
static int agent_request(struct ssh_conn *sc, enum fb_nodeproto_kind kind, const char *cmd,
                         size_t cmd_len, int timeout_ms, struct fb_exec_result *res,
                         struct fb_errbuf *eb)
{
    struct fb_conn *c = &sc->base;
    struct fb_capture out = {0}, err = {0};
    double t_start = fb_mono_ms(), deadline;
    size_t sent = 0, hlen = 0, need = 0;
    char head[FB_NODEPROTO_LINE_MAX], errtail[256] = "";
    const char *step = "send request";
    struct fb_nodeproto_request q = {.kind = kind,
                                     .timeout_ms = timeout_ms > 0 ? (uint32_t)timeout_ms : 0,
                                     .len = cmd_len};
    struct fb_nodeproto_reply rep = {0};
    struct fb_nodeproto_call_reply crep = {0};
    bool taken = false;
    int rc = 0, r, head_len;

    head_len = fb_nodeproto_request_format(head, sizeof(head), &q);
    if (head_len < 0) {
        rc = fb_errf(eb, FB_EINVAL,
                     "node %s: a request of %zu bytes cannot go to the node helper's "
                     "server (1 to %u)",
                     c->node_name, cmd_len, FB_NODEPROTO_COMMAND_MAX);
        goto out;
    }

    for (int attempt = 0;; attempt++) {
        if (sc->session == NULL || sc->ach == NULL) {
            bool had_session = sc->session != NULL;
            double d = sc->connect_timeout_ms > 0 ? fb_mono_ms() + sc->connect_timeout_ms
                                                  : INFINITY;
            rc = had_session ? 0 : session_open(sc, d, eb);
            if (rc == 0)
                rc = agent_start(sc, d, eb);
            if (rc == FB_ENOAGENT) {
                char why[FB_ERRMSG_LEN];
                snprintf(why, sizeof(why), "%s", eb->msg);
                rc = fb_errf(eb, FB_ESSH, "node %s: the node helper's server no longer starts: %s",
                             c->node_name, why);
            }
            if (rc != 0) {
                if (attempt == 0 && had_session && sc->session == NULL)
                    continue; /* the session was dead: one fresh try */
                goto out;
            }
        }
        /* Drain what arrived while idle: sshd's keep-alives get their answer,
         * and a session the server closed shows up now, before the request. */
        r = agent_read(sc, FB_NODEPROTO_LINE_MAX, errtail, sizeof(errtail));
        if (r >= 0 && !libssh2_channel_eof(sc->ach) && sc->alen == 0)
            break;
        if (r < 0 && ssh_err_breaks_session(r))
            session_drop(sc, false);
        else
            agent_forget(sc);
        if (attempt > 0) {
            rc = fb_errf(eb, FB_ESSH, "node %s: the node helper's server went away: %s",
                         c->node_name, errtail[0] ? errtail : "channel closed");
            goto out;
        }
    }

    t_start = fb_mono_ms();
    deadline = timeout_ms > 0 ? t_start + timeout_ms + AGENT_GRACE_MS : INFINITY;
    while (sent < (size_t)head_len + cmd_len) {
        ssize_t n = sent < (size_t)head_len
                        ? libssh2_channel_write(sc->ach, head + sent, (size_t)head_len - sent)
                        : libssh2_channel_write(sc->ach, cmd + (sent - (size_t)head_len),
                                                cmd_len - (sent - (size_t)head_len));
        if (n == LIBSSH2_ERROR_EAGAIN) {
            if (ssh_wait(sc, deadline) != 0)
                goto timeout;
            continue;
        }
        if (n < 0) {
            r = (int)n;
            goto failed;
        }
        sent += (size_t)n;
    }

    step = "read reply";
    for (;;) {
        if (hlen == 0) {
            size_t line_len = 0;
            int lr = fb_nodeproto_line(sc->abuf, sc->alen, &line_len);
            if (lr == FB_NODEPROTO_OK &&
                (kind == FB_NODEPROTO_CALL
                     ? fb_nodeproto_call_reply_parse(sc->abuf, line_len, &crep)
                     : fb_nodeproto_reply_parse(sc->abuf, line_len, &rep)) != FB_NODEPROTO_OK) {
                rc = fb_errf(eb, FB_ESSH, "node %s: the node helper's server sent %.*s",
                             c->node_name, (int)(line_len < 80 ? line_len : 80), sc->abuf);
                agent_forget(sc);
                goto out;
            }
            if (lr == FB_NODEPROTO_BAD) {
                /* Too long, or a NUL in it: nothing a reply line holds. */
                rc = fb_errf(eb, FB_ESSH, "node %s: the node helper's server sent no reply line",
                             c->node_name);
                agent_forget(sc);
                goto out;
            }
            if (lr == FB_NODEPROTO_OK) {
                hlen = line_len + 1;
                need = kind == FB_NODEPROTO_CALL ? hlen + crep.out_len + crep.err_len
                                                 : hlen + rep.out_len + rep.err_len;
            }
        }
        if (hlen > 0 && sc->alen >= need)
            break;
        /* Nothing past the line before it is read, nothing past the reply. */
        r = agent_read(sc, hlen > 0 ? need : FB_NODEPROTO_LINE_MAX, errtail, sizeof(errtail));
        if (r < 0)
            goto failed;
        if (r == 0 && libssh2_channel_eof(sc->ach)) {
            rc = fb_errf(eb, FB_ESSH, "node %s: the node helper's server exited during a "
                         "command%s%s", c->node_name, errtail[0] ? ": " : "", errtail);
            agent_forget(sc);
            goto out;
        }
        if (r == 0 && ssh_wait(sc, deadline) != 0)
            goto timeout;
    }
    if (kind == FB_NODEPROTO_CALL) {
        taken = true;
        if (fb_call_result_set(res, &crep, sc->abuf + hlen,
                               sc->abuf + hlen + crep.out_len) != 0) {
            rc = fb_errf(eb, FB_ENOMEM, "node %s: out of memory", c->node_name);
            goto out;
        }
    } else if (fb_capture_add(&out, sc->abuf + hlen, rep.out_len) != 0 ||
               fb_capture_add(&err, sc->abuf + hlen + rep.out_len, rep.err_len) != 0) {
        rc = fb_errf(eb, FB_ENOMEM, "node %s: out of memory", c->node_name);
        goto out;
    }
    sc->alen -= need;
    memmove(sc->abuf, sc->abuf + need, sc->alen);
    if (sc->alen == 0 && sc->acap > 256 * 1024) {
        /* A big reply is not kept around for every session's lifetime. */
        free(sc->abuf);
        sc->abuf = NULL;
        sc->acap = 0;
    }
    res->elapsed_ms = fb_mono_ms() - t_start;
    if (rep.timed_out)
        rc = fb_errf(eb, FB_ETIMEDOUT,
                     "node %s: command timed out after %d ms and was stopped on the node: %s",
                     c->node_name, timeout_ms, cmd);
    goto out;

failed:
    rc = step_failed(sc, step, r, eb);
    if (sc->session != NULL)
        agent_forget(sc);
    goto out;

timeout:
    /* The server did not answer within the command's timeout and its own
     * grace: the session is given up; closing it ends the server, which
     * kills the command. */
    rc = fb_errf(eb, FB_ETIMEDOUT,
                 "node %s: command timed out after %d ms (%s); session dropped: %s",
                 c->node_name, timeout_ms, step, cmd);
    session_drop(sc, false);

out:
    if (res->elapsed_ms == 0)
        res->elapsed_ms = fb_mono_ms() - t_start;
    if (!taken && fb_exec_result_take(res, &out, &err) != 0 && rc == 0)
        rc = fb_errf(eb, FB_ENOMEM, "node %s: out of memory", c->node_name);
    if (hlen > 0 && kind == FB_NODEPROTO_RUN) { /* the reply line was read */
        res->exit_status = rep.status;
        res->node_ms = (double)rep.elapsed_ns / 1e6;
    }
    fb_capture_free(&out);
    fb_capture_free(&err);
    return rc;
}

static int agent_exec(struct ssh_conn *sc, const char *cmd, int timeout_ms,
                      struct fb_exec_result *res, struct fb_errbuf *eb)
{
    return agent_request(sc, FB_NODEPROTO_RUN, cmd, strlen(cmd), timeout_ms, res, eb);
}

static int ssh_exec(struct fb_conn *c, const char *cmd, int timeout_ms,
                    struct fb_exec_result *res, struct fb_errbuf *eb)
{
    struct ssh_conn *sc = (struct ssh_conn *)c;
    struct fb_capture out = {0}, err = {0};
    LIBSSH2_CHANNEL *ch = NULL;
    double t_start = fb_mono_ms(), deadline = INFINITY;
    const char *step = "open channel";
    char buf[32768];
    int rc = 0, r = 0, e;

    fb_exec_result_init(res);
    if (sc->agent)
        return agent_exec(sc, cmd, timeout_ms, res, eb);
    for (int attempt = 0;; attempt++) {
        if (sc->session == NULL) {
            /* A reopen is bounded by the connect timeout; the command's own
             * timeout starts once there is a session to run it on. */
            double d = sc->connect_timeout_ms > 0 ? fb_mono_ms() + sc->connect_timeout_ms
                                                  : INFINITY;
            rc = session_open(sc, d, eb);
            if (rc != 0)
                goto out;
        }
        t_start = fb_mono_ms();
        deadline = timeout_ms > 0 ? t_start + timeout_ms : INFINITY;
        e = 0;
        ch = channel_open(sc, deadline, &e);
        if (ch != NULL)
            break;
        if (e == LIBSSH2_ERROR_EAGAIN)
            goto timeout;
        /* Nothing has run yet: a dead session is replaced and the command
         * tried once more. */
        rc = fb_errf(eb, FB_ESSH, "node %s: %s: %s", c->node_name, step,
                     ssh_errmsg(sc->session));
        session_drop(sc, false);
        if (attempt > 0 || !(ssh_err_breaks_session(e) || e == LIBSSH2_ERROR_CHANNEL_FAILURE))
            goto out;
    }
    rc = 0;
    step = "exec";
    while ((r = libssh2_channel_process_startup(ch, "exec", 4, cmd,
                                                (unsigned)strlen(cmd))) == LIBSSH2_ERROR_EAGAIN) {
        if (ssh_wait(sc, deadline) != 0)
            goto timeout;
    }
    if (r != 0)
        goto failed;
    /* Nothing is sent to the command: its stdin reads EOF at once, as with
     * `ssh host cmd </dev/null`, instead of blocking until the timeout. */
    step = "send eof";
    while ((r = libssh2_channel_send_eof(ch)) == LIBSSH2_ERROR_EAGAIN) {
        if (ssh_wait(sc, deadline) != 0)
            goto timeout;
    }
    if (r != 0)
        goto failed;

    step = "read output";
    for (;;) {
        bool progress = false;
        static const int streams[2] = {0, SSH_EXTENDED_DATA_STDERR};

        for (int s = 0; s < 2; s++) {
            struct fb_capture *cap = s == 0 ? &out : &err;
            ssize_t n;
            while ((n = libssh2_channel_read_ex(ch, streams[s], buf, sizeof(buf))) > 0) {
                progress = true;
                if (fb_capture_add(cap, buf, (size_t)n) != 0) {
                    rc = fb_errf(eb, FB_ENOMEM, "node %s: out of memory", c->node_name);
                    goto out;
                }
            }
            if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
                r = (int)n;
                goto failed;
            }
        }
        /* A read may return 0 without the stream being over (a key
         * re-exchange in progress): only the server's EOF, with no data
         * left queued, ends the output. */
        if (libssh2_channel_eof(ch))
            break;
        if (!progress && !channel_queued(ch, false) && ssh_wait(sc, deadline) != 0)
            goto timeout;
    }

    /* The exit status arrives before the server's close: wait for that. */
    step = "close channel";
    while ((r = libssh2_channel_close(ch)) == LIBSSH2_ERROR_EAGAIN) {
        if (ssh_wait(sc, deadline) != 0)
            goto timeout;
    }
    if (r != 0)
        goto failed;
    res->exit_status = channel_exit_status(sc->session, ch);
    res->elapsed_ms = fb_mono_ms() - t_start;
    while (libssh2_channel_free(ch) == LIBSSH2_ERROR_EAGAIN) {
        if (ssh_wait(sc, deadline) != 0)
            break;
    }
    ch = NULL;
    goto out;

failed:
    rc = step_failed(sc, step, r, eb);
    if (sc->session == NULL)
        ch = NULL; /* it went with the session */
    goto out;

timeout:
    /* The command may still run on the node, and the channel cannot be
     * closed without waiting for it (libssh2 1.10 has no way to signal it):
     * drop the session, the next command opens a fresh one. */
    rc = fb_errf(eb, FB_ETIMEDOUT,
                 "node %s: command timed out after %d ms (%s); session dropped: %s",
                 c->node_name, timeout_ms, step, cmd);
    ch = NULL;
    session_drop(sc, false);

out:
    if (ch != NULL) {
        /* A channel-level failure on a sound session: close it properly. */
        double d = fb_mono_ms() + 1000;
        while (libssh2_channel_free(ch) == LIBSSH2_ERROR_EAGAIN) {
            if (ssh_wait(sc, d) != 0) {
                session_drop(sc, false);
                break;
            }
        }
    }
    if (res->elapsed_ms == 0)
        res->elapsed_ms = fb_mono_ms() - t_start;
    if (fb_exec_result_take(res, &out, &err) != 0 && rc == 0)
        rc = fb_errf(eb, FB_ENOMEM, "node %s: out of memory", c->node_name);
    fb_capture_free(&out);
    fb_capture_free(&err);
    return rc;
}

/* A call through the node helper's server; without it, FB_ENOAGENT: the
 * caller runs it as a command. The helper keeps the call's timeout; the
 * session waits for its answer a grace longer. */
static int ssh_call(struct fb_conn *c, const char *payload, size_t len, int timeout_ms,
                    struct fb_exec_result *res, struct fb_errbuf *eb)
{
    struct ssh_conn *sc = (struct ssh_conn *)c;

    if (!sc->agent)
        return FB_ENOAGENT;
    return agent_request(sc, FB_NODEPROTO_CALL, payload, len, timeout_ms, res, eb);
}

const struct fb_transport fb_transport_ssh = {
    .name = "ssh",
    .open = ssh_open,
    .exec = ssh_exec,
    .call = ssh_call,
    .close = ssh_close,
};
