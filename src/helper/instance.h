/* instance.h - the node helper's side of resident instances: a request to an
 * instance's runtime (instproto.h), and the helper's own runtime, which
 * serves a command function from inside its container. */
#ifndef FBN_INSTANCE_H
#define FBN_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "helper/instproto.h"

/* What became of one request to a runtime. */
enum fbn_call_state {
    FBN_CALL_OK,      /* the runtime replied (r, out, err hold its reply) */
    FBN_CALL_TIMEOUT, /* no reply within the timeout; the connection was dropped */
    FBN_CALL_GONE     /* no runtime there, or it died before its reply (why says) */
};

struct fbn_call {
    enum fbn_call_state state;
    struct fb_instproto_reply r;
    char *out, *err;   /* r.out_len and r.err_len bytes; owned, NULL when empty */
    char why[256];     /* FBN_CALL_GONE, FBN_CALL_TIMEOUT: what happened */
    uint64_t elapsed_ns; /* the whole request, connect to reply, on the node */
};

/* Opens the instance folder dir, ROOT/NODE/INSTANCE ("~/" at its start: the
 * home folder, $HOME), for this user: every folder on its way reached without
 * following a link, each this user's or root's and writable by nobody else
 * (a sticky one excepted: others cannot move what is in it); the last three
 * (the instance root, the node's folder, the instance's) this user's own with
 * mode 0700. create: missing folders are made 0700 first. Returns an O_PATH
 * descriptor of the folder, or -1 with why filled. */
int fbn_instance_open(const char *dir, bool create, char *why, size_t n);

/* Sends one request to the runtime of the instance folder dir (opened and
 * checked by fbn_instance_open; its socket reached without following a
 * link, and only if it is one). A ping waits
 * (up to timeout_ms; 0: no limit) for the runtime's socket to appear, or for
 * a "failed" file in dir where a runtime that cannot start says why; a call
 * expects the socket to be there. args: len bytes, each argument ended by a
 * NUL. Always fills *c; free it with fbn_call_free. */
void fbn_call_run(const char *dir, enum fb_instproto_kind kind, const char *args, size_t len,
                  uint32_t timeout_ms, struct fbn_call *c);
void fbn_call_free(struct fbn_call *c);

/* Writes c as the helper's server answers a call (nodeproto.h, "fbd1"): for
 * a call that did not reach a reply, its why as the error text. */
bool fbn_call_write(int fd, const struct fbn_call *c);

/* `faasbench-node call DIR ping|call TIMEOUT_MS [ARG...]`: one request,
 * printed as the server answers it (nodeproto.h, "fbd1"). Exit 0 when a
 * reply line was printed. */
int fbn_cmd_call(int argc, char **argv);

/* `faasbench-node folder DIR`: makes the instance folder DIR as
 * fbn_instance_open does before a runtime is started in it, and prints its
 * owner as UID:GID, the user its runtime is to run as. Exit 0, or 1 with
 * the reason on stderr. */
int fbn_cmd_folder(int argc, char **argv);

/* `faasbench-node runtime DIR [--] COMMAND [ARG...]`: a resident runtime
 * serving COMMAND, run per call with the call's arguments appended, its
 * output and exit status being the call's. For containers of functions
 * without a runtime of their own (the helper is built static for them). */
int fbn_cmd_runtime(int argc, char **argv);

#endif
