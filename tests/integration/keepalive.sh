#!/usr/bin/env bash
# keepalive.sh - keep-alive cells on a local node, on designed arrivals: cold
# or warm is the outcome of the keep-alive policy and the node's memory.
#   the images pulled ahead (matrix.prepull): pre-warmed, then warm;
#   ttl 10 s, calls at t = 0, 5, 40 s: cold, warm, cold (the image stays:
#     pre-warmed); one client, so a slow first pull delays the second call:
#     the third comes well past the ttl for pulls up to 30 s, and the test
#     checks that it did;
#   3 functions in turn under lru: room for 2 instances, every call starts
#     one; room for 3, only the first three do;
#   room for 2, a costly function (fib-heavy's imports) and two light ones:
#     greedy-dual keeps the costly one, lru does not;
#   a call every 60 s (trace time): hybrid-histogram learns the gap and
#     pre-warms, at ttl's cold-start ratio with less idle memory (10 s bins:
#     with the paper's 1-minute bins an idle time just under 60 s is bin 0,
#     whose lower edge leaves no pre-warm window).
# Every cell: started - evicted - alive at the end = 0, instances.csv says
# the same as keepalive.csv, and no container is left on the node.
set -uo pipefail
. "$(dirname "$0")/lib.bash"

work=$(mktemp -d /tmp/faasbench-keepalive.XXXXXX)
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
light=127.0.0.1:5000/faasbench/fib-light:1
heavy=127.0.0.1:5000/faasbench/fib-heavy:1
port=$(node_port 1)

# node MB: the first local node alone, with MB of memory for instances.
node() {
  /usr/bin/python3 - "$local_dir/nodes.cfg" "$1" >"$work/node.cfg" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
first = re.search(r"\{[^}]*\}", text).group(0)
print("nodes = ( %s );" % first.replace("}", " memory_mb = %s; }" % sys.argv[2]))
PY
}

# trace NAME "T F" ...: a trace of calls (workload seconds, function).
trace() {
  local name=$1; shift
  { echo "time_s,function"; for c in "$@"; do echo "${c% *},${c#* }"; done; } >"$work/$name.csv"
}

# run NAME KEEPALIVE TIME_SCALE FUNCTIONS [MATRIX]: runs trace NAME under the
# keep-alive policies KEEPALIVE (a libconfig list's items), with more matrix
# keys MATRIX; prints the folder.
run() {
  cat >"$work/$1.cfg" <<CFG
name = "ka-$1";
@include "node.cfg"
functions = ( $4 );
matrix = { policies = [ "round-robin" ]; warming = [ "keep-alive" ]; keepalive = [ $2 ]; ${5:-} };
workload = { type = "trace"; trace = "$1.csv"; trace_format = "csv"; time_scale = $3;
             clients = 1; };
runtime = { preset = "docker"; };
timeouts = { command_s = 120; };
CFG
  if ! "$faasbench" -q --no-plots --results "$work/results" "$work/$1.cfg" \
      >"$work/$1.out" 2>"$work/$1.err"; then
    echo "faasbench failed on $1:" >&2; cat "$work/$1.err" >&2; return 1
  fi
  cat "$work/$1.out"
}

fl() { echo "{ name = \"$1\"; image = \"$light\"; handler = \"fib:handle\"; args = \"20\"; network = false; memory_mb = ${2:-128}; }"; }
fh() { echo "{ name = \"$1\"; image = \"$heavy\"; handler = \"fibheavy:handle\"; args = \"20\"; network = false; memory_mb = ${2:-128}; }"; }

node 1024
trace ttl "0 a" "5 a" "40 a"
ttl=$(run ttl '"ttl:ttl_s=10"' 1 "$(fl a)") || exit 1
trace again "0 a" "2 a"
pulled=$(run again '"ttl:ttl_s=10"' 1 "$(fl a)" "prepull = true;") || exit 1
trace turn "0 a" "1 b" "2 c" "3 a" "4 b" "5 c" "6 a" "7 b" "8 c"
node 256
lru2=$(run turn '"lru"' 0.1 "$(fl a), $(fl b), $(fl c)") || exit 1
node 384
lru3=$(run turn '"lru"' 0.1 "$(fl a), $(fl b), $(fl c)") || exit 1
node 256
trace costly "0 heavy" "1 heavy" "2 a" "3 a" "4 b" "5 heavy"
costly=$(run costly '"greedy-dual", "lru"' 0.1 "$(fh heavy), $(fl a), $(fl b)") || exit 1
node 1024
# The first call pulls the image: about 6 s here, 60 s of trace time, so a
# call 60 s later would find it just ending (an idle time of 0, the
# histogram's bin 0, leaving no pre-warm window). The first gap is 120 s.
calls=("0 a"); for i in $(seq 2 10); do calls+=("$((60 * i)) a"); done
trace minute "${calls[@]}"
minute=$(run minute '"hybrid-histogram:bin_s=10,prewarm_margin=0.3,min_samples=3", "ttl:ttl_s=600"' \
  0.1 "$(fl a)") || exit 1

left=$(on_node "$port" "docker ps -a --format '{{.Names}}'" | grep -c '^faasbench' || true)

/usr/bin/python3 - "$ttl" "$lru2" "$lru3" "$costly" "$minute" "$left" "$pulled" <<'PY' || exit 1
import sys
from rows import invocations, table, Checks
ttl, lru2, lru3, costly, minute, left, pulled = sys.argv[1:]
check = Checks()
def rows(run, ka=None):
    return [r for r in invocations(run) if ka is None or r["warming"] == "keep-alive:" + ka]
def modes(run, ka=None):
    return [r["mode"] for r in rows(run, ka)]
def cells(run):
    return {c["keepalive"]: c for c in table(run, "keepalive.csv")}

# The accounting of every cell, against its own timeline.
for run in (ttl, lru2, lru3, costly, minute, pulled):
    ev = table(run, "instances.csv")
    for ka, c in cells(run).items():
        n = lambda k: int(c[k])
        gone = sum(n(k) for k in ("evicted_pressure", "evicted_expired", "evicted_unload",
                                  "evicted_failed", "alive_end"))
        check(n("started") - gone == 0, "%s %s: started %d, gone %d" % (run, ka, n("started"), gone))
        e = [x for x in ev if x["keepalive"] == ka]
        starts = sum(x["event"] in ("start", "prewarm") for x in e)
        ends = sum(x["event"].startswith("evict-") for x in e)
        check(starts == n("started") and ends == gone,
              "%s %s: timeline %d starts %d ends, outcome %d / %d" % (run, ka, starts, ends, n("started"), gone))
        # The idle memory is what the timeline says.
        idle, since = 0.0, {}
        for x in e:
            if x["event"] == "idle":
                since[x["instance"]] = float(x["t_s"])
            elif x["instance"] in since and (x["event"] == "busy" or x["event"].startswith("evict-")):
                idle += float(x["memory_mb"]) * (float(x["t_s"]) - since.pop(x["instance"]))
        check(abs(idle - float(c["idle_mb_s"])) <= 0.01 * float(c["idle_mb_s"]) + 0.01,
              "%s %s: idle MB x s %s, timeline %.3f" % (run, ka, c["idle_mb_s"], idle))
        check(n("invocations") == len(rows(run, ka)), "%s %s: invocations" % (run, ka))
        check(all(r["error"] == "" for r in rows(run, ka)), "%s %s: errors %s" % (run, ka, [r["error"] for r in rows(run, ka) if r["error"]]))

t = rows(ttl)
idle_ms = int(t[2]["start_ms"]) - int(t[1]["start_ms"]) - float(t[1]["latency_ms"])
check(idle_ms > 12000, "ttl: the third call came %.0f ms after the second ended, not past the ttl"
      " (first call's pull %s ms)" % (idle_ms, t[0]["pull_ms"]))
check(modes(ttl) == ["cold", "warmed", "pre-warmed"], "ttl 10 s at 0, 5, 40: %s" % modes(ttl))
# Images pulled ahead: the first start pulls nothing.
check(modes(pulled) == ["pre-warmed", "warmed"], "prepull, ttl 10 s at 0, 2: %s" % modes(pulled))
check(all(r["pull_ms"] in ("", "0", "0.000") for r in rows(pulled)),
      "prepull: pull_ms %s" % [r["pull_ms"] for r in rows(pulled)])
m2, m3 = modes(lru2), modes(lru3)
check(all(m != "warmed" for m in m2), "lru, room for 2 of 3: %s" % m2)
check(m3[:3] == ["cold"] * 3 and m3[3:] == ["warmed"] * 6, "lru, room for 3: %s" % m3)
check(int(cells(lru2)["lru"]["peak_instances"]) == 2, "lru room 2: peak %s" % cells(lru2)["lru"]["peak_instances"])
gd, lr = modes(costly, "greedy-dual"), modes(costly, "lru")
check(gd[-1] == "warmed", "greedy-dual: the costly function's last call %s (%s)" % (gd[-1], gd))
check(lr[-1] != "warmed", "lru: the costly function's last call %s (%s)" % (lr[-1], lr))
hk = "hybrid-histogram:bin_s=10,prewarm_margin=0.3,min_samples=3"
hh, tt = cells(minute)[hk], cells(minute)["ttl:ttl_s=600"]
hm = modes(minute, hk)
check(hm[-4:] == ["warmed"] * 4, "hybrid-histogram, a call a minute: %s" % hm)
check(int(hh["prewarms"]) >= 3, "hybrid-histogram pre-warms: %s" % hh["prewarms"])
check(hh["cold_start_ratio"] == tt["cold_start_ratio"],
      "cold-start ratio: hybrid %s, ttl %s" % (hh["cold_start_ratio"], tt["cold_start_ratio"]))
check(float(hh["idle_mb_s"]) < 0.75 * float(tt["idle_mb_s"]),
      "idle MB x s: hybrid %s, ttl %s" % (hh["idle_mb_s"], tt["idle_mb_s"]))
check(left == "0", "%s faasbench containers left on the node" % left)
print("keep-alive: hybrid %s MB x s idle against ttl's %s, cold-start ratio %s" %
      (hh["idle_mb_s"], tt["idle_mb_s"], hh["cold_start_ratio"]))
check.done()
PY
echo "keepalive: ok"
