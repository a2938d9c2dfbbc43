#!/usr/bin/env bash
# workloads.sh - closed, poisson and trace workloads on 4 local nodes with the
# noop image: every row recorded, the per-node in-flight limit held, open-loop
# start times near their intended times, and trace replay counts exact.
set -uo pipefail
. "$(dirname "$0")/lib.bash"

work=$(mktemp -d /tmp/faasbench-workloads.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$local_dir/nodes.cfg" "$work/nodes.cfg"
fail=0

# experiment NAME WORKLOAD MATRIX: writes $work/NAME.cfg
experiment() {
  cat >"$work/$1.cfg" <<CFG
name = "$1";
@include "nodes.cfg"
functions = (
  { name = "noop-a"; image = "127.0.0.1:5000/faasbench/noop:1"; command = "true"; network = false; },
  { name = "noop-b"; image = "127.0.0.1:5000/faasbench/noop:1"; command = "sh -c 'echo b'"; network = false; weight = 2; }
);
matrix = { $3 };
workload = { $2 };
warm = { nodes = "all"; };
runtime = { preset = "docker"; };
metrics = { interval_ms = 200; };
timeouts = { command_s = 120; };
CFG
}

# run NAME: runs it, prints the run folder
run() {
  if ! "$faasbench" -q --no-plots --results "$work/results" "$work/$1.cfg" >"$work/$1.out" 2>"$work/$1.err"; then
    echo "faasbench $1 failed:" >&2; cat "$work/$1.err" >&2; return 1
  fi
  cat "$work/$1.out"
}

# 1. Closed loop: 8 clients on 4 nodes, 2 in flight per node at most.
experiment closed 'type = "closed"; clients = 8; per_node = 2; invocations = 48;' \
  'policies = ["round-robin", "most-used"]; warming = ["warmed"];'
if dir=$(run closed); then
  /usr/bin/python3 - "$dir" <<'PY' || fail=1
import sys, collections
from rows import invocations, Checks
rows = invocations(sys.argv[1])
check = Checks()
check(len(rows) == 2 * 48, f"{len(rows)} rows, want 96")
for r in rows:
    check(not (r["error"] or r["exit_status"] != "0"), f"row failed: {r['error']}")
for r in rows:
    check(r["mode"] == "warmed", f"mode {r['mode']}")
# The time each invocation held a session on its node: from the end of its
# selection to the end of its cleanup. At most per_node of them overlap
# (0.5 ms shaved off each end for the start's whole-millisecond rounding).
for pol in ("round-robin", "most-used"):
    by_node = collections.defaultdict(list)
    for r in rows:
        if r["policy"] == pol:
            s = int(r["start_ms"]) + float(r["select_ms"])
            by_node[r["node"]].append((s + 0.5, int(r["start_ms"]) + float(r["total_ms"]) - 0.5))
    for node, iv in by_node.items():
        events = sorted([(a, 1) for a, b in iv] + [(b, -1) for a, b in iv], key=lambda e: (e[0], e[1]))
        cur = peak = 0
        for _, d in events:
            cur += d
            peak = max(peak, cur)
        print(f"closed {pol} {node}: {len(iv)} invocations, at most {peak} in flight")
        check(peak <= 2, f"{pol} {node}: {peak} in flight, limit 2")
used = {r["node"] for r in rows if r["policy"] == "round-robin"}
check(len(used) == 4, f"round-robin used {sorted(used)}")
check.done()
PY
else
  fail=1
fi

# 2. Poisson: 3 per second for 8 s. Each row's actual start is within 50 ms
#    of its intended start (the median within 5 ms): with 8 workers and
#    invocations far shorter than 8/3 s, no arrival waits for a worker.
experiment poisson 'type = "poisson"; rate = 3; duration_s = 8; clients = 8; per_node = 2;' \
  'policies = ["least-used"]; warming = ["warmed"];'
if dir=$(run poisson); then
  /usr/bin/python3 - "$dir" <<'PY' || fail=1
import sys, statistics
from rows import invocations, Checks
rows = invocations(sys.argv[1])
lag = [int(r["start_ms"]) - int(r["intended_start_ms"]) for r in rows]
print(f"poisson: {len(rows)} arrivals, start - intended: median {statistics.median(lag)} ms, max {max(lag)} ms")
check = Checks()
check(8 <= len(rows) <= 48, f"{len(rows)} arrivals for 3/s over 8 s")
check(not (max(lag) > 50 or min(lag) < -1 or statistics.median(lag) > 5),
      f"lag out of bounds: {sorted(lag)}")
for r in rows:
    check(not r["error"], f"row failed: {r['error']}")
check.done()
PY
else
  fail=1
fi

# 3. Trace replay of the shipped Azure-format sample, 100 times faster:
#    row k of the trace is function k mod 2.
experiment trace "type = \"trace\"; trace = \"$top/experiments/traces/azure-sample.csv\"; trace_format = \"azure\"; time_scale = 0.01; clients = 8; per_node = 2;" \
  'policies = ["round-robin"]; warming = ["warmed"];'
if dir=$(run trace); then
  /usr/bin/python3 - "$dir" "$top/experiments/traces/azure-sample.csv" <<'PY' || fail=1
import csv, sys, collections
from rows import invocations, Checks
rows = invocations(sys.argv[1])
want = collections.Counter()
for k, r in enumerate(csv.DictReader(open(sys.argv[2]))):
    want[("noop-a", "noop-b")[k % 2]] += sum(int(v) for c, v in r.items() if c.isdigit())
got = collections.Counter(r["function"] for r in rows)
print(f"trace: want {dict(want)}, got {dict(got)}")
check = Checks()
check(got == want, "counts differ")
for r in rows:
    check(not r["error"], f"row failed: {r['error']}")
check.done()
PY
else
  fail=1
fi

assert_clean || fail=1
[ $fail -eq 0 ] && echo "workloads: ok"
exit $fail
