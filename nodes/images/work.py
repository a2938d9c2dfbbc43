"""Synthetic work of the faasbench images: a trace's invocation replayed.

Usage: python3 work.py DURATION_MS [MEMORY_MB]
As a resident handler (nodes/images/runtime.py): work:handle, arguments
[DURATION_MS, MEMORY_MB], e.g. args = "{duration_ms} {memory_mb}".

Touches MEMORY_MB MiB (a write per page, so the memory is really held), then
keeps the CPU busy until DURATION_MS have passed since the call began, on
the monotonic clock: the touching counts within the duration. The same
work as `faasbench-node work` (src/helper/work.c), for Python functions.
"""
import sys
import time

PAGE = 4096
MAX_MS = 86400000.0
MAX_MB = 1048576.0


def amount(text, limit, what):
    value = float(text)
    if not 0 <= value <= limit:  # also refuses nan
        raise ValueError("%s must be in [0, %g], not %s" % (what, limit, text))
    return value


def parse(args):
    if not 1 <= len(args) <= 2:
        raise ValueError("expected DURATION_MS [MEMORY_MB]")
    ms = amount(args[0], MAX_MS, "DURATION_MS")
    mb = amount(args[1], MAX_MB, "MEMORY_MB") if len(args) > 1 else 0.0
    return ms, mb


def work(ms, mb, t0):
    size = int(-(-mb * 1048576 // 1))  # whole bytes, rounded up
    mem = bytearray(size)
    if size:
        mem[::PAGE] = b"\x01" * len(range(0, size, PAGE))
    touched = (time.monotonic() - t0) * 1000.0
    deadline = t0 + ms / 1000.0
    x = 1
    while time.monotonic() < deadline:
        for _ in range(50):
            x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
    del mem
    return ("work duration_ms=%.3f memory_mb=%d touched_ms=%.3f"
            % ((time.monotonic() - t0) * 1000.0, -(-mb // 1), touched))


def handle(args):
    """The resident entry point: the same work and output as the command."""
    t0 = time.monotonic()
    ms, mb = parse(args)
    return work(ms, mb, t0)


def main(argv):
    t0 = time.monotonic()
    try:
        ms, mb = parse(argv[1:])
    except ValueError as e:
        print("usage: python3 work.py DURATION_MS [MEMORY_MB] (%s)" % e, file=sys.stderr)
        return 2
    print(work(ms, mb, t0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
