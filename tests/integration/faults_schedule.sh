#!/usr/bin/env bash
# faults_schedule.sh - a fault schedule on the local nodes (docs/faults.md):
# one keep-alive cell of a designed trace (8 calls at once, starting an
# instance on every node, then a call every 0.25 s for 40 s)
# with node2 down at 6 s for 14 s, node3 slowed to a fifth of its CPU quota
# at 10 s for 10 s, node1's instances killed at 22 s (window 5 s).
#   1. the whole cell: a row for every call of the trace (failures named),
#      faults.csv with each fault's actual window near its planned one and
#      ended by faasbench, node3's quota cut during its window, every row
#      naming the windows its call started in, faults_summary.csv's phases,
#      the instances the kill cost accounted as evict-failed; the nodes
#      healthy and empty afterwards;
#   2. SIGINT in the middle of the down window: exit 130, node2 answers
#      and has no fault left as soon as faasbench has exited, its fault's
#      row ended early by faasbench, the others not reached, rows complete;
#   3. kill -9 in the middle of the down window: node2 stays cut off until
#      the fault's own deadline on the node (its window + 2 s), then heals
#      by itself (ended by "deadline").
# Runs on the node set FAASBENCH_NODESET names (Podman or Docker Engine).
set -uo pipefail
. "$(dirname "$0")/lib.bash"

work=$(mktemp -d /tmp/faasbench-fsched.XXXXXX)
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
cp "$local_dir/nodes.cfg" "$work/nodes.cfg"
fail=0
note() { echo "faults_schedule: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
fault_tool=/usr/local/lib/$SET_NAME/bin/faasbench-fault

# The trace: 8 calls at 0 (their instances spread over the nodes, so that
# the warm calls after them go round the nodes), then one every 0.25 s.
{
  echo "time_s,function"
  for i in $(seq 7); do echo "0.00,fib"; done
  for i in $(seq 0 159); do printf '%d.%02d,fib\n' $((i / 4)) $((i % 4 * 25)); done
} >"$work/calls.csv"

# experiment NAME: the cell, its faults, results in $work/results.
experiment() {
  cat >"$work/$1.cfg" <<CFG
name = "$1";
@include "nodes.cfg"
functions = ( { name = "fib"; image = "127.0.0.1:5000/faasbench/fib-light:1";
                handler = "fib:handle"; args = "2000"; network = false; timeout_s = 3; } );
matrix = { policies = [ "round-robin" ]; warming = [ "keep-alive" ];
           keepalive = [ "ttl:ttl_s=60" ]; prepull = true; };
workload = { type = "trace"; trace = "calls.csv"; trace_format = "csv"; clients = 16;
             per_node = 2; };
metrics = { interval_ms = 500; };
timeouts = { command_s = 120; connect_s = 3; metrics_s = 2; };
runtime = { preset = "docker"; instance_root = "/tmp/faasbench-instances-${NODESET:-default}"; };
retries = 2;
faults = (
  { at_s = 6.0; node = "node2"; action = "down"; for_s = 14.0; },
  { at_s = 10.0; node = "node3"; action = "slow"; for_s = 10.0; fraction = 0.2; },
  { at_s = 22.0; node = "node1"; action = "kill-instances"; for_s = 5.0; }
);
CFG
}

newest_run() { # NAME: the last of NAME's run folders
  local d last=""
  for d in "$work"/results/"$1"-*; do
    [ ! -e "$d" ] || last=$d
  done
  echo "$last"
}

# CPU quota file of node K (cgroup v1 or v2).
quota_file() {
  local f
  for f in "$CG_ROOT/cpu/$CG_NAME/node$1/cpu.cfs_quota_us" \
           "$CG_ROOT/cpu,cpuacct/$CG_NAME/node$1/cpu.cfs_quota_us" \
           "$CG_ROOT/$CG_NAME/node$1/cpu.max"; do
    [ -f "$f" ] && { echo "$f"; return; }
  done
}

# node_healthy K: node K answers over ssh, has no fault rule or fault on.
node_healthy() {
  local port ok=0
  port=$(node_port "$1")
  on_node "$port" true 2>/dev/null || { echo "node$1 does not answer"; ok=1; }
  if iptables -w -S 2>/dev/null | grep -q -- "--dport $port .*faasbench-fault"; then
    echo "node$1 still has a fault rule:"; iptables -w -S | grep faasbench-fault; ok=1
  fi
  if FAASBENCH_NODE=node$1 "$fault_tool" status | grep -q " node$1 on "; then
    echo "node$1 still has a fault on"; ok=1
  fi
  return $ok
}

# Removes what a killed run left on the nodes (its containers, images and
# instance folders).
clean_nodes() {
  local port
  for port in $(node_ports); do
    on_node "$port" "docker ps -aq | xargs -r $rm_force >/dev/null 2>&1; docker rmi -f \$(docker images -q) >/dev/null 2>&1; rm -rf /tmp/faasbench-instances-${NODESET:-default}/*; true" 2>/dev/null
  done
}

clean_nodes
quota3=$(quota_file 3)
full_quota=$(cat "$quota3")

# ---- 1. the whole cell ----------------------------------------------------
experiment sched
"$faasbench" -q --no-plots --results "$work/results" "$work/sched.cfg" >"$work/sched.out" 2>"$work/sched.err" &
pid=$!
min_quota=$full_quota
while kill -0 $pid 2>/dev/null; do
  q=$(cut -d' ' -f1 "$quota3")
  [ "$q" = max ] || [ "$q" -ge "$min_quota" ] || min_quota=$q
  sleep 0.2
done
wait $pid; status=$?
[ $status -eq 0 ] || { bad "the run exited $status"; cat "$work/sched.err"; }
run=$(newest_run sched)
note "run $run"
[ "$(cut -d' ' -f1 "$quota3")" = "$(cut -d' ' -f1 <<<"$full_quota")" ] || bad "node3's quota not restored: $(cat "$quota3"), was $full_quota"
want_quota=$(( $(cut -d' ' -f1 <<<"$full_quota") / 5 ))
[ "$min_quota" = "$want_quota" ] || bad "node3's quota during slow: $min_quota, want $want_quota"
/usr/bin/python3 - "$run" <<'PY' || fail=1
import csv, sys, collections
run = sys.argv[1]
rows = list(csv.DictReader(open(run + "/invocations.csv")))
faults = list(csv.DictReader(open(run + "/faults.csv")))
summ = list(csv.DictReader(open(run + "/faults_summary.csv")))
ka = list(csv.DictReader(open(run + "/keepalive.csv")))
events = list(csv.DictReader(open(run + "/instances.csv")))
bad = []
if len(rows) != 167:
    bad.append(f"{len(rows)} rows, want one for each of the trace's 167 calls")
for r in rows:
    if r["error"] and not any(w in r["error"] for w in ("node", "runtime", "instance")):
        bad.append(f"a failure that names nothing: {r['error']}")
plan = {"f1:down:node2": (6, 14), "f2:slow:node3": (10, 10), "f3:kill-instances:node1": (22, 5)}
if [f["fault"] for f in faults] != list(plan):
    bad.append(f"faults.csv: {[f['fault'] for f in faults]}")
for f in faults:
    at, length = plan.get(f["fault"], (0, 0))
    b, e = float(f["begin_s"] or "nan"), float(f["end_s"] or "nan")
    if not (at <= b < at + 1.0):
        bad.append(f"{f['fault']} began at {b} s, planned {at}")
    if not (at + length <= e < at + length + 1.5):
        bad.append(f"{f['fault']} ended at {e} s, planned {at + length}")
    if f["ended_by"] != "faasbench" or f["error"]:
        bad.append(f"{f['fault']}: ended by {f['ended_by']!r}, error {f['error']!r}")
    print(f"faults_schedule: {f['fault']}: planned {at}-{at + length} s, actual {b:.3f}-{e:.3f} s")
kill = next((f for f in faults if f["action"] == "kill-instances"), None)
# The kill killed the node's container(s); the instances lost are those the
# core still held once it heard (one whose call failed first went then).
if kill is not None and (kill["killed"] in ("", "0") or kill["lost"] == ""):
    bad.append(f"kill-instances killed {kill['killed']!r}, lost {kill['lost']!r}")
elif kill is not None:
    print(f"faults_schedule: kill-instances: {kill['killed']} containers killed, "
          f"{kill['lost']} instances lost")
# Each row names the windows its call started in.
for r in rows:
    t = int(r["start_ms"])
    want = " ".join(f["fault"] for f in faults if int(f["begin_ms"]) <= t < int(f["end_ms"]))
    if r["faults"] != want:
        bad.append(f"row at {t} names {r['faults']!r}, want {want!r}")
        break
named = collections.Counter(r["faults"] for r in rows)
print("faults_schedule: rows by active faults:", dict(named))
# During down, no call starts on node2 once it is found down (a call's
# timeout, 3 s, or a metrics poll's, 2 s, each with the node helper's 5 s
# grace); the calls it had failed over or ended with an error naming it.
down = faults[0]
on2 = [r for r in rows if r["node"] == "node2" and int(down["begin_ms"]) + 9000 <= int(r["start_ms"]) < int(down["end_ms"])]
if on2:
    bad.append(f"{len(on2)} calls started on node2 well into its down window")
retried = [r for r in rows if "node2" in r["failed_nodes"]]
print(f"faults_schedule: {len(retried)} calls retried off node2, "
      f"{sum(1 for r in rows if r['error'])} failed")
if len(summ) != 9 or [s["phase"] for s in summ[:3]] != ["before", "during", "after"]:
    bad.append(f"faults_summary.csv: {len(summ)} rows")
if sum(int(s["calls"]) for s in summ[:3]) != len(rows):
    bad.append("faults_summary.csv: f1's phases do not add up to every call")
for s in summ:
    print(f"faults_schedule:   {s['fault']:24} {s['phase']:6} calls {s['calls']:>3} failed "
          f"{s['failures']:>2} retries {s['retries']:>2} cold {s['cold_start_ratio'] or '-':>8} "
          f"p50 {s['p50_ms'] or '-':>9} p99 {s['p99_ms'] or '-':>9}")
# The accounting holds, and the kill's instances are evict-failed.
k = ka[0]
started = int(k["started"])
gone = sum(int(k[c]) for c in ("evicted_pressure", "evicted_expired", "evicted_unload",
                               "evicted_failed", "alive_end"))
if started != gone:
    bad.append(f"keepalive.csv: started {started} != evicted + alive {gone}")
kb = float(kill["begin_s"]) if kill is not None else 22.0
killed_ev = [e for e in events if e["node"] == "node1" and e["event"] == "evict-failed"
             and kb <= float(e["t_s"]) <= kb + 3.0]
if not killed_ev:
    bad.append("no evict-failed instance on node1 at the kill")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
for k in 1 2 3 4; do node_healthy $k || bad "node$k not healthy after the cell"; done
assert_clean || bad "containers or images left after the cell"
[ -s "$run/report.html" ] || [ -n "${FAASBENCH_PLOT+x}" ] || note "(no report.html: --no-plots)"

# ---- 2. SIGINT in the middle of the down window ---------------------------
experiment sigint
"$faasbench" -q --no-plots --results "$work/results" "$work/sigint.cfg" >"$work/sigint.out" 2>"$work/sigint.err" &
pid=$!
port2=$(node_port 2)
for _ in $(seq 600); do  # until node2's fault is on (its rule is in), then 2 s more
  iptables -w -S 2>/dev/null | grep -q -- "--dport $port2 .*faasbench-fault" && break
  sleep 0.1
done
iptables -w -S | grep -q -- "--dport $port2 .*faasbench-fault" || bad "node2's down fault never began"
sleep 2
kill -INT $pid
wait $pid; status=$?
[ $status -eq 130 ] || { bad "SIGINT: exit $status, want 130"; cat "$work/sigint.err"; }
node_healthy 2 || bad "node2 not back when faasbench had exited"
run=$(newest_run sigint)
/usr/bin/python3 - "$run" <<'PY' || fail=1
import csv, sys
run = sys.argv[1]
faults = {f["fault"]: f for f in csv.DictReader(open(run + "/faults.csv"))}
rows = list(csv.DictReader(open(run + "/invocations.csv")))
bad = []
f1 = faults.get("f1:down:node2")
if f1 is None or f1["ended_by"] != "faasbench" or not f1["end_s"] or float(f1["end_s"]) >= 19.5:
    bad.append(f"f1 after SIGINT: {f1}")
else:
    print(f"faults_schedule: SIGINT: f1 actual {float(f1['begin_s']):.3f}-{float(f1['end_s']):.3f} s "
          f"(planned 6-20), {len(rows)} rows")
for k in ("f2:slow:node3", "f3:kill-instances:node1"):
    if faults.get(k, {}).get("ended_by") != "not-reached":
        bad.append(f"{k} after SIGINT: {faults.get(k)}")
if open(run + "/invocations.csv").read()[-1:] != "\n":
    bad.append("last row incomplete")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
for k in 1 2 3 4; do node_healthy $k || bad "node$k not healthy after SIGINT"; done
assert_clean || bad "containers or images left after SIGINT"

# ---- 3. kill -9 in the middle of the down window --------------------------
experiment crash
"$faasbench" -q --no-plots --results "$work/results" "$work/crash.cfg" >"$work/crash.out" 2>"$work/crash.err" &
pid=$!
for _ in $(seq 600); do
  iptables -w -S 2>/dev/null | grep -q -- "--dport $port2 .*faasbench-fault" && break
  sleep 0.1
done
sleep 2
{ kill -KILL $pid; wait $pid; } 2>/dev/null
killed_at=$(date +%s.%N)
iptables -w -S | grep -q -- "--dport $port2 .*faasbench-fault" || bad "node2 was not cut off when faasbench was killed"
ssh -i "$local_dir/id_ed25519" -o UserKnownHostsFile="$local_dir/known_hosts" -o BatchMode=yes \
  -o ConnectTimeout=2 -o LogLevel=ERROR -p "$port2" "$node_user@127.0.0.1" true 2>/dev/null &&
  bad "node2 answered a new session while its fault was on"
# The fault began about 2 s before the kill: its node ends it 14 + 2 s after it began.
for _ in $(seq 300); do
  iptables -w -S | grep -q -- "--dport $port2 .*faasbench-fault" || break
  sleep 0.1
done
healed=$(date +%s.%N)
node_healthy 2 || bad "node2 did not heal by itself after faasbench was killed"
by=$(FAASBENCH_NODE=node2 "$fault_tool" status | awk '$3 == "node2" && / by=/ {sub(/.*by=/, ""); b = $0} END {print b}')
[ "$by" = deadline ] || bad "node2's fault ended by '$by', want deadline"
note "kill -9: node2 healed by itself $(awk -v a="$killed_at" -v b="$healed" 'BEGIN { printf "%.1f", b - a }') s after faasbench was killed (its fault: 14 s + 2 s from its begin)"
clean_nodes
for k in 1 2 3 4; do node_healthy $k || bad "node$k not healthy after the crash"; done

[ $fail -eq 0 ] && echo "faults_schedule: all checks passed" || echo "faults_schedule: FAILED"
exit $fail
