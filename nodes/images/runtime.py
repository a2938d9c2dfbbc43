"""faasbench's resident Python runtime: the main process of a function instance.

Usage: python3 runtime.py SOCKET_DIR MODULE:FUNCTION [ARG...]

Loads the handler once (its module's imports are the instance's
initialization), then serves invocations one at a time on the Unix socket
SOCKET_DIR/sock, which appears only once the handler is loaded: a connection
that succeeds reaches a ready runtime. Protocol (src/helper/instproto.h has the
same text and the C side):

  request   "fbi1 KIND TIMEOUT_MS LEN\\n" then LEN bytes (at most 65536)
            KIND ping: is it ready (LEN 0); call: invoke the handler, the
            bytes being its arguments, each ended by a NUL byte
  reply     "fbo1 status=N handler_ns=N init_ns=N count=N pid=N out=N err=N\\n"
            then out bytes of output and err bytes of error text (each at
            most 1 MiB, cut beyond)

The handler is called as FUNCTION(args) with the invocation's arguments
(a list of str, after the ARGs given on the command line); what it prints
and a returned str are its output. An exception is status 1 with the
traceback's last line; SystemExit(n) is status n modulo 256 (a message:
status 1, the message in the error text), and the runtime then exits, as a
process would. count is the number of calls this process has served; pid is
its process id (in the container's namespace).

A connection has IO_TIMEOUT_S to send its request and to take the reply: a
client that connects and stays silent cannot hold the runtime. The socket
is its folder owner's alone (mode 0600): the node user's.
"""
import contextlib
import importlib
import io
import os
import socket
import sys
import time
import traceback

T0 = time.monotonic_ns()
MAX_HEADER = 256
MAX_PAYLOAD = 65536
MAX_OUT = 1 << 20
IO_TIMEOUT_S = 10  # as the node helper's own runtime (FBN_REQUEST_WAIT_MS)


def fail(msg, sock_dir=None):
    """Cannot start: say why on stderr and, for a waiting ping, in DIR/failed."""
    print("runtime.py: " + msg, file=sys.stderr, flush=True)
    if sock_dir is not None:
        # Written beside and renamed: a waiting ping never reads half of it.
        tmp = os.path.join(sock_dir, ".failed.%d" % os.getpid())
        with contextlib.suppress(OSError):
            with open(tmp, "w") as f:
                f.write(msg + "\n")
            os.rename(tmp, os.path.join(sock_dir, "failed"))
    sys.exit(2)


def read_request(conn):
    """(kind, timeout_ms, payload) or None when the request is malformed."""
    buf = b""
    while b"\n" not in buf:
        chunk = conn.recv(4096)
        if not chunk or len(buf) > MAX_HEADER:
            return None
        buf += chunk
    head, buf = buf.split(b"\n", 1)
    parts = head.split(b" ")
    if len(head) > MAX_HEADER or len(parts) != 4 or parts[0] != b"fbi1" \
            or parts[1] not in (b"ping", b"call"):
        return None
    try:
        timeout_ms, length = int(parts[2]), int(parts[3])
    except ValueError:
        return None
    if timeout_ms < 0 or length < 0 or length > MAX_PAYLOAD or len(buf) > length \
            or (parts[1] == b"ping" and length != 0):
        return None
    while len(buf) < length:
        chunk = conn.recv(length - len(buf))
        if not chunk:
            return None
        buf += chunk
    return parts[1].decode(), timeout_ms, buf


def reply(conn, status, handler_ns, init_ns, count, out, err):
    out = out.encode("utf-8", "replace")[:MAX_OUT]
    err = err.encode("utf-8", "replace")[:MAX_OUT]
    head = "fbo1 status=%d handler_ns=%d init_ns=%d count=%d pid=%d out=%d err=%d\n" % (
        status, handler_ns, init_ns, count, os.getpid(), len(out), len(err))
    conn.sendall(head.encode() + out + err)


def exit_status(e):
    """The status SystemExit e gives a process, and its message if any."""
    if e.code is None:
        return 0, ""
    if isinstance(e.code, int):
        return e.code & 0xFF, ""
    return 1, "%s\n" % (e.code,)


def main(argv):
    if len(argv) < 3 or ":" not in argv[2]:
        fail("usage: runtime.py SOCKET_DIR MODULE:FUNCTION [ARG...]")
    sock_dir, target, fixed = argv[1], argv[2], argv[3:]
    module_name, func_name = target.split(":", 1)
    sys.path.insert(0, os.getcwd())
    try:
        handler = getattr(importlib.import_module(module_name), func_name)
    except Exception as e:  # the instance cannot start: say why and exit
        fail("cannot load %s: %s: %s" % (target, type(e).__name__, e), sock_dir)
    init_ns = time.monotonic_ns() - T0

    # Listen under a temporary name, then rename: "sock" exists only once
    # it accepts connections.
    path, tmp = os.path.join(sock_dir, "sock"), os.path.join(sock_dir, ".sock.%d" % os.getpid())
    for p in (path, tmp):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(p)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(tmp)
    # Only the node user connects: the folder's owner, who is this runtime's
    # user or, when it runs as root, is given the socket.
    os.chmod(tmp, 0o600)
    st = os.stat(sock_dir)
    if st.st_uid != os.geteuid():
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except OSError as e:
            fail("cannot give the socket to its folder's owner: %s" % e, sock_dir)
    srv.listen(16)
    os.rename(tmp, path)

    count = 0
    while True:
        conn, _ = srv.accept()
        conn.settimeout(IO_TIMEOUT_S)
        exiting = None
        with conn:
            try:
                req = read_request(conn)
            except OSError:  # silent past the timeout, or gone
                continue
            if req is None:
                continue
            kind, _timeout_ms, payload = req
            if kind == "ping":
                with contextlib.suppress(OSError):
                    reply(conn, 0, 0, init_ns, count, "", "")
                continue
            if payload and not payload.endswith(b"\0"):
                continue  # each argument ends with a NUL byte
            args = fixed + [a.decode("utf-8", "replace") for a in payload.split(b"\0")[:-1]]
            count += 1
            out, err = io.StringIO(), io.StringIO()
            status = 0
            t = time.monotonic_ns()
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    result = handler(args)
                if isinstance(result, str):
                    out.write(result if result.endswith("\n") else result + "\n")
            except SystemExit as e:
                status, message = exit_status(e)
                exiting = status
                err.write(message + "handler exited with status %d\n" % status)
            except BaseException as e:  # the handler's error, reported, not fatal here
                status = 1
                err.write("".join(traceback.format_exception_only(type(e), e)))
            handler_ns = time.monotonic_ns() - t
            try:
                reply(conn, status, handler_ns, init_ns, count, out.getvalue(), err.getvalue())
            except OSError:
                pass
        if exiting is not None:
            os.unlink(path)
            sys.exit(exiting)


if __name__ == "__main__":
    main(sys.argv)
