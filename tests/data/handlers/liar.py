"""A resident runtime that answers every request at once but reports a
handler time and a start-up time of 2^64-1 ns (some 584 years): the figures
a runtime reports are its own word, which faasbench checks against what it
measured itself. Usage: python3 liar.py DIR (the protocol of
src/helper/instproto.h)."""
import os
import socket
import sys

sock_dir = sys.argv[1]
path, tmp = os.path.join(sock_dir, "sock"), os.path.join(sock_dir, ".sock.%d" % os.getpid())
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(tmp)
srv.listen(4)
os.rename(tmp, path)
big = 2 ** 64 - 1
count = 0
while True:
    conn, _ = srv.accept()
    with conn:
        head = b""
        while b"\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                break
            head += chunk
        call = head.startswith(b"fbi1 call")
        count += call
        conn.sendall(b"fbo1 status=0 handler_ns=%d init_ns=%d count=%d pid=%d out=0 err=0\n"
                     % (big if call else 0, big, count, os.getpid()))
