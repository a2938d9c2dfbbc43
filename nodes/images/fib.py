"""Fibonacci function of the faasbench images.

Usage: python3 fib.py COUNT

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


def main(argv):
    try:
        count = int(argv[1]) if len(argv) > 1 else 1000
    except ValueError:
        print("usage: python3 fib.py COUNT", file=sys.stderr)
        return 2
    if count < 0:
        print("fib.py: COUNT must be >= 0", file=sys.stderr)
        return 2
    text = fib_string(count)
    last = text[text.rfind(",", 0, len(text) - 1) + 1:-1] if text else ""
    print("fib count=%d chars=%d last_digits=%d crc32=%08x"
          % (count, len(text), len(last), zlib.crc32(text.encode())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
