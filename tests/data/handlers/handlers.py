"""Handlers the resident-runtime tests load with nodes/images/runtime.py."""
import os
import sys
import time


def echo(args):
    """Answers its arguments, and who served them."""
    return "echo %s pid=%d" % (" ".join(args), os.getpid())


def fails(args):
    raise ValueError("bad input %r" % (args,))


def quits(args):
    sys.exit(3)


def dies(args):
    os._exit(7)


def naps(args):
    time.sleep(float(args[0]) if args else 5.0)
    return "awake"


def exits300(args):
    """An exit status past 255, as a process's: 300 & 0xff = 44."""
    sys.exit(300)
