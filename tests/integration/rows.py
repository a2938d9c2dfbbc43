"""rows.py - what the integration tests read back from a run folder.

The heredocs of tests/integration/*.sh import it (lib.bash puts this folder
on PYTHONPATH): a run's CSV files as lists of dicts, keyed by the header
names faasbench writes (`faasbench --list-columns`), and one way to collect
failed checks and report them.

    from rows import invocations, table, Checks
    rows = invocations(run)             # RUN/invocations.csv
    check = Checks()
    check(len(rows) == 9, "%d rows" % len(rows))
    check.done()                        # prints FAIL: lines, exits 1 if any
"""
import csv
import os
import sys


def table(run, name):
    """The rows of RUN/NAME as dicts, every value the text as written."""
    with open(os.path.join(run, name), newline="") as f:
        return list(csv.DictReader(f))


def invocations(run):
    """RUN/invocations.csv's rows, warm-up rows included, in file order."""
    return table(run, "invocations.csv")


def records(run, name):
    """RUN/NAME as lists of fields, the header first (metrics.csv's names
    hold spaces and signs)."""
    with open(os.path.join(run, name), newline="") as f:
        return list(csv.reader(f))


def header(run, name="invocations.csv"):
    """The header line of RUN/NAME as written, without its newline."""
    with open(os.path.join(run, name), newline="") as f:
        return f.readline().rstrip("\r\n")


def number(r, column):
    """A row's number, or None for an empty cell."""
    return float(r[column]) if r[column] != "" else None


class Checks:
    """check(cond, msg) collects msg when cond is false; done() reports."""

    def __init__(self):
        self.fails = []

    def __call__(self, cond, msg):
        if not cond:
            self.fails.append(msg)

    def fail(self, msg):
        self.fails.append(msg)

    def done(self, prefix="FAIL: ", limit=None):
        """Prints every failure (the first limit of them), then exits: 1 if
        any failed, else 0."""
        for msg in self.fails[:limit]:
            print(prefix + msg)
        sys.exit(1 if self.fails else 0)
