"""Fibonacci function of the faasbench images.

Usage: python3 fib.py COUNT
As a resident handler (nodes/images/runtime.py): fib:handle, arguments [COUNT].

Builds the first COUNT Fibonacci numbers into one growing string, the way the
older testbed's workload did (CPU and allocator heavy, quadratic in COUNT),
and prints a one-line summary instead of the string itself.
"""
import sys
import zlib


def fib_string(count):
    text = ""
    a, b = 0, 1
    for _ in range(count):
        text += str(a) + ","
        a, b = b, a + b
    return text


def summary(count):
    text = fib_string(count)
    last = text[text.rfind(",", 0, len(text) - 1) + 1:-1] if text else ""
    return ("fib count=%d chars=%d last_digits=%d crc32=%08x"
            % (count, len(text), len(last), zlib.crc32(text.encode())))


def parse_count(args):
    count = int(args[0]) if args else 1000
    if count < 0:
        raise ValueError("COUNT must be >= 0")
    return count


def handle(args):
    """The resident entry point: the same work and output as the command."""
    return summary(parse_count(args))


def main(argv):
    try:
        count = parse_count(argv[1:])
    except ValueError as e:
        print("usage: python3 fib.py COUNT (%s)" % e, file=sys.stderr)
        return 2
    print(summary(count))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
