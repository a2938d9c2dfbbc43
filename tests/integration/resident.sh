#!/usr/bin/env bash
# resident.sh - resident functions on 4 local nodes: a warm call is served by
# the process that served the last one (same pid, counter + 1), a cold one by
# a new process; every mode's phases add up; a handler that fails, exits or
# runs past its timeout gives its error in the row and its instance is
# replaced, not reused; and nothing is left on any node.
set -uo pipefail
. "$(dirname "$0")/lib.bash"

work=$(mktemp -d /tmp/faasbench-resident.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$local_dir/nodes.cfg" "$work/nodes.cfg"
noop=127.0.0.1:5000/faasbench/noop:1
light=127.0.0.1:5000/faasbench/fib-light:1

cat >"$work/resident.cfg" <<CFG
name = "resident-test";
@include "nodes.cfg"
functions = (
  { name = "fib"; image = "$light"; handler = "fib:handle"; args = "200"; network = false; },
  { name = "cmd"; image = "$noop"; command = "echo served"; resident = true; network = false; },
  { name = "bad-args"; image = "$light"; handler = "fib:handle"; args = "x"; network = false; },
  { name = "exits"; image = "$noop"; command = "sh -c 'exit 3'"; resident = true; network = false; },
  { name = "naps"; image = "$noop"; command = "sleep 30"; resident = true; network = false;
    timeout_s = 1; }
);
matrix = { policies = [ "round-robin" ]; warming = [ "warmed", "cold", "pre-warmed" ];
           invocations = 3; };
runtime = { preset = "docker"; };
timeouts = { command_s = 120; };
CFG
if ! "$faasbench" -q --no-plots --results "$work/results" "$work/resident.cfg" \
    >"$work/out" 2>"$work/err"; then
  echo "faasbench failed:"; cat "$work/err"; exit 1
fi
run=$(cat "$work/out")

/usr/bin/python3 - "$run" <<'PY' || exit 1
import sys
from rows import invocations, number as f, Checks
rows = invocations(sys.argv[1])
check = Checks()
def cell(w, fn):
    return [r for r in rows if r["warming"] == w and r["function"] == fn]

check(len(rows) == 3 * 5 * 3, "%d rows, want 45" % len(rows))
for r in rows:
    check(r["mode"] == r["warming"], "%s/%s#%s ran %s" % (r["warming"], r["function"], r["seq"], r["mode"]))
    parts = f(r, "select_ms") + f(r, "pull_ms") + f(r, "create_ms") + f(r, "ready_ms") + f(r, "invoke_ms")
    check(abs(parts - f(r, "latency_ms")) <= 1.0,
          "%s/%s#%s: select+pull+create+ready+invoke %.3f != latency %s" % (r["warming"], r["function"], r["seq"], parts, r["latency_ms"]))
    if r["error"] == "" and r["mode"] != "warmed":
        # The runtime starts while its container's start step ends: its own
        # start-up lies within create + ready.
        check(0 <= f(r, "init_ms") <= f(r, "create_ms") + f(r, "ready_ms") + 0.5,
              "init %s outside create %s + ready %s" % (r["init_ms"], r["create_ms"], r["ready_ms"]))
    if r["mode"] == "warmed":
        check(f(r, "create_ms") == 0 and f(r, "ready_ms") == 0 and f(r, "init_ms") == 0 and f(r, "pull_ms") == 0,
              "warmed row with start-up phases: %s" % r)
    else:
        check(f(r, "create_ms") > 0 and f(r, "ready_ms") > 0, "cold/pre-warmed row without a start: %s" % r["function"])
    check((f(r, "pull_ms") > 0) == (r["mode"] == "cold"), "pull only in cold rows: %s %s" % (r["mode"], r["pull_ms"]))

# Residency: warm calls of one instance, one process, its counter rising.
for fn in ("fib", "cmd"):
    w = cell("warmed", fn)
    check([r["error"] for r in w] == ["", "", ""], "%s warm errors: %s" % (fn, [r["error"] for r in w]))
    check(len({r["runtime_pid"] for r in w}) == 1 and w[0]["runtime_pid"] != "0", "%s: warm calls by pids %s" % (fn, [r["runtime_pid"] for r in w]))
    check([r["runtime_count"] for r in w] == ["1", "2", "3"], "%s: counters %s" % (fn, [r["runtime_count"] for r in w]))
    check(len({r["instance"] for r in w}) == 1, "%s: warm instances %s" % (fn, {r["instance"] for r in w}))
    for mode in ("cold", "pre-warmed"):
        c = cell(mode, fn)
        check([r["error"] for r in c] == ["", "", ""], "%s %s errors: %s" % (fn, mode, [r["error"] for r in c]))
        check([r["runtime_count"] for r in c] == ["1", "1", "1"], "%s %s counters %s" % (fn, mode, [r["runtime_count"] for r in c]))
        check(len({r["instance"] for r in c}) == 3, "%s %s: instances %s" % (fn, mode, [r["instance"] for r in c]))

# Failures: the function's error in the row, the instance replaced.
for fn, part in (("bad-args", "the handler failed with status 1: ValueError"),
                 ("exits", "the handler failed with status 3"),
                 ("naps", "the handler timed out after 1000 ms")):
    w = cell("warmed", fn)
    for r in w:
        check(part in r["error"], "%s: %r" % (fn, r["error"]))
    if fn != "naps":
        check([r["runtime_count"] for r in w] == ["1", "1", "1"], "%s: replaced instances count %s" % (fn, [r["runtime_count"] for r in w]))
        check(len({r["runtime_pid"] + r["node"] for r in w}) >= 1, fn)
    check(all(f(r, "cleanup_ms") > 0 for r in w), "%s: the replacement is not in cleanup" % fn)
for r in cell("cold", "naps") + cell("pre-warmed", "naps"):
    check("the handler timed out" in r["error"], "naps %s: %r" % (r["mode"], r["error"]))
    check(f(r, "invoke_ms") >= 1000 and f(r, "invoke_ms") < 10000, "naps invoke %s" % r["invoke_ms"])

check.done(prefix="", limit=30)
PY
status=$?

# Nothing left: no container, no image, no instance folder (the default
# instance root is below the node user's home).
assert_clean || status=1
left=$(find "$instance_root" -mindepth 2 2>/dev/null | head -5)
[ -z "$left" ] || { echo "instance folders left: $left"; status=1; }
[ $status -eq 0 ] && echo "resident: ok"
exit $status
