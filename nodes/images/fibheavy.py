"""The heavy image's resident Fibonacci handler: fibheavy:handle.

Loading it imports numpy, pandas and scipy, as a data-science function
would, so that a resident instance's initialization costs what those
imports cost; each call then does fib.py's work (and touches numpy, so the
imports are used, not dead).
"""
import numpy
import pandas  # noqa: F401  (the import is the point: its cost is the init)
import scipy.special

import fib


def handle(args):
    count = fib.parse_count(args)
    check = int(numpy.int64(scipy.special.comb(count, 1, exact=True)))
    return fib.summary(count) + " n=%d" % check


if __name__ == "__main__":
    # The same work as a process of its own, as the exec-based modes run it:
    # python3 fibheavy.py COUNT (the imports are paid at every invocation).
    import sys
    print(handle(sys.argv[1:]))
