/* transport.h - run a command on a node: ssh (libssh2) or local (fork/exec). */
#ifndef FB_TRANSPORT_H
#define FB_TRANSPORT_H

#include <stddef.h>

#include "experiment/config.h"
#include "core/error.h"

/* What one command did. Buffers are NUL-terminated, owned by the result,
 * released by fb_exec_result_free(); capture stops at FB_EXEC_CAPTURE bytes
 * per stream (the rest is read and dropped). */
#define FB_EXEC_CAPTURE (1024 * 1024)
struct fb_exec_result {
    int exit_status;   /* 0..255, 128+signal when killed, -1 unknown */
    char *out;         /* stdout */
    size_t out_len;
    char *err;         /* stderr, without a trailing fbx1 line */
    size_t err_len;
    double elapsed_ms; /* wall time on this side, channel open to exit status */
    double node_ms;    /* from a trailing `fbx1 elapsed_ns=...` stderr line, else NAN;
                          a call: the helper's time for the whole request */
    /* A call to a resident runtime (fb_conn_call) also fills these; then
     * exit_status is the handler's status and out/err its output. */
    int call_state;    /* enum fb_call_state */
    double handler_ms; /* the runtime's own time for the call, NAN when none */
    double init_ms;    /* the runtime's start-up, first instruction to handler loaded */
    long call_count;   /* calls the runtime process has served */
    int runtime_pid;   /* its process id (in its container) */
};
void fb_exec_result_free(struct fb_exec_result *r);

/* What became of a call to a resident runtime. */
enum fb_call_state {
    FB_CALL_OK,      /* the runtime replied */
    FB_CALL_TIMEOUT, /* no reply within the timeout (the handler may still run) */
    FB_CALL_GONE     /* no runtime, or it died before replying: err says why */
};
enum fb_call_kind {
    FB_CALL_PING,  /* wait until the runtime is ready (its socket is there) */
    FB_CALL_INVOKE /* one invocation of its handler */
};

struct fb_conn; /* one open session to one node; used by one thread at a time */

/* The plug-in interface (wrk's net.h): one struct per transport. */
struct fb_transport {
    const char *name;
    int (*open)(const struct fb_node_cfg *node, int connect_timeout_ms,
                struct fb_conn **out, struct fb_errbuf *eb);
    int (*exec)(struct fb_conn *c, const char *cmd, int timeout_ms,
                struct fb_exec_result *res, struct fb_errbuf *eb);
    /* A call to a resident runtime without a process on the node, or NULL:
     * FB_ENOAGENT sends it as a `faasbench-node call` command instead.
     * payload: the instance folder, NUL, "ping"/"call", NUL, the arguments
     * each ended by a NUL (nodeproto.h, fbc1). */
    int (*call)(struct fb_conn *c, const char *payload, size_t len, int timeout_ms,
                struct fb_exec_result *res, struct fb_errbuf *eb);
    void (*close)(struct fb_conn *c);
};
extern const struct fb_transport fb_transport_ssh;
extern const struct fb_transport fb_transport_local;

/* Once per process before any ssh use; fb_transport_global_cleanup() at exit. */
int fb_transport_global_init(void);
void fb_transport_global_cleanup(void);

/* Opens a session to node with the node's transport. ssh: key (or password)
 * auth, host key checked against node->known_hosts unless
 * insecure_accept_any_host_key. Errors: FB_ECONNECT, FB_EHOSTKEY (with the
 * offered key's fingerprint and the file in eb), FB_EAUTH, FB_ESSH. */
int fb_conn_open(const struct fb_node_cfg *node, int connect_timeout_ms,
                 struct fb_conn **out, struct fb_errbuf *eb);

/* Runs cmd through the node's /bin/sh. Returns 0 when the command ran to an
 * exit status (whatever it is, in res->exit_status), FB_ETIMEDOUT when it
 * ran past timeout_ms (the remote command is signalled / the channel closed,
 * local: the process group killed), FB_ESSH when the session broke (it is
 * reopened once and the command retried only if it had not started).
 * res is filled in every case and must be freed. */
int fb_conn_exec(struct fb_conn *c, const char *cmd, int timeout_ms,
                 struct fb_exec_result *res, struct fb_errbuf *eb);

/* fb_conn_exec with flags: FB_RUN_TIMED has the node time the command
 * (res->node_ms): natively when the session runs the node helper's server,
 * else by wrapping it in `faasbench-node exec -c`. */
#define FB_RUN_TIMED 1u
int fb_conn_run(struct fb_conn *c, const char *cmd, unsigned flags, int timeout_ms,
                struct fb_exec_result *res, struct fb_errbuf *eb);

/* Sends one request to the runtime of the resident instance whose folder on
 * the node is dir: a ping waits (up to timeout_ms) for the runtime to be
 * ready; an invoke calls its handler with args (args_len bytes, each
 * argument ended by a NUL). Through the node helper's server when the
 * session runs it (no process on the node), else as a `faasbench-node call`
 * command. Returns 0 when the helper answered, whatever the runtime did
 * (res->call_state); a transport error (FB_ESSH, FB_ETIMEDOUT when the
 * helper itself did not answer in time) otherwise. res must be freed. */
int fb_conn_call(struct fb_conn *c, const char *dir, enum fb_call_kind kind, const char *args,
                 size_t args_len, int timeout_ms, struct fb_exec_result *res,
                 struct fb_errbuf *eb);

/* Node name of an open connection. */
const char *fb_conn_node(const struct fb_conn *c);

void fb_conn_close(struct fb_conn *c);

#endif
