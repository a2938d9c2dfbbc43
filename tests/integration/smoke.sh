#!/usr/bin/env bash
# smoke.sh - experiments/smoke.cfg against 4 local nodes: every row there,
# modes as the cells say, round-robin spread, warmed on one node, no errors,
# phases adding up, and clean nodes afterwards.
set -uo pipefail
. "$(dirname "$0")/lib.bash"

results=$(mktemp -d /tmp/faasbench-smoke.XXXXXX)
experiment_copy "$top/experiments/smoke.cfg" "$results"
"$faasbench" -q --results "$results" "$results/smoke.cfg" >"$results/out.txt" 2>"$results/err.txt"
status=$?
if [ $status -ne 0 ]; then
  echo "faasbench exited $status"; cat "$results/err.txt"; exit 1
fi
run=$(cat "$results/out.txt")
[ -d "$run" ] || { echo "no run folder: $run"; exit 1; }

/usr/bin/python3 - "$run" <<'PY' || exit 1
import sys, collections, os
from rows import invocations, table, records, header, Checks
run = sys.argv[1]
rows = invocations(run)
check = Checks()

cells, functions, n = 9, 1, 3
check(len(rows) == cells * functions * n, f"{len(rows)} rows, want {cells * functions * n}")
head = header(run)
check(head == "run_id,repetition,policy,warming,function,seq,node,mode,intended_start_ms,"
      "start_ms,select_ms,pull_ms,run_ms,cleanup_ms,latency_ms,total_ms,node_exec_ms,cpu_pct,"
      "ram_pct,exit_status,attempts,error,failed_nodes,retry_error,instance,create_ms,ready_ms,"
      "init_ms,invoke_ms,handler_ms,runtime_pid,runtime_count,room_ms,warmup,asked_duration_ms,"
      "asked_memory_mb,faults", "header: " + head)
for r in rows:
    check(r["mode"] == r["warming"], f"row {r['policy']}/{r['warming']}#{r['seq']} ran {r['mode']}")
    check(r["exit_status"] == "0" and r["error"] == "", f"row failed: {r['error']}")
    s = float(r["select_ms"]) + float(r["pull_ms"]) + float(r["run_ms"])
    check(abs(s - float(r["latency_ms"])) <= 1.0, f"phases {s} != latency {r['latency_ms']}")
    check(abs(float(r["latency_ms"]) + float(r["cleanup_ms"]) - float(r["total_ms"])) <= 1.0,
          "latency + cleanup != total")
    check(r["node_exec_ms"] != "" and float(r["node_exec_ms"]) <= float(r["latency_ms"]),
          f"node_exec_ms {r['node_exec_ms']} vs latency {r['latency_ms']}")
    if r["mode"] == "cold":
        check(float(r["pull_ms"]) > 0 and float(r["cleanup_ms"]) > 0, "cold row without pull/rmi")
    else:
        check(float(r["pull_ms"]) == 0, "warm row with a pull")
by_cell = collections.defaultdict(list)
for r in rows:
    by_cell[(r["policy"], r["warming"])].append(r["node"])
rr = collections.Counter(by_cell[("round-robin", "cold")])
check(len(rr) == 3 and max(rr.values()) == 1, f"round-robin cold spread: {dict(rr)}")
for pol in ("round-robin", "least-used", "most-used"):
    for w in ("pre-warmed", "warmed"):
        check(len(set(by_cell[(pol, w)])) == 1, f"{pol}/{w} used nodes {set(by_cell[(pol, w)])}")
metrics = records(run, "metrics.csv")
check(metrics[0] == ["Function", "Node", "CPU Usage %", "RAM Usage %", "Execution Mode",
                     "Execution Time (s)"], f"metrics header {metrics[0]}")
check(len(metrics) == len(rows) + 1, "metrics.csv rows")
summary = table(run, "summary.csv")
check(len(summary) == cells * functions, f"{len(summary)} summary rows")
for name in ("experiment.cfg", "environment.txt", "summary.txt"):
    check(os.path.exists(os.path.join(run, name)), name + " missing")
check.done()
PY
assert_clean || exit 1
rm -rf "$results"
echo "smoke: ok"
