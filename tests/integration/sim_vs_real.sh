#!/usr/bin/env bash
# sim_vs_real.sh - a real run and a simulated run of the same files decide the
# same: keep-alive cells on one local node, on designed arrivals (the designs
# of keepalive.sh), run for real; a node model calibrated from those runs;
# the same files simulated with it. Each call's mode (pre-warmed or warm)
# and each cell's instances started and evicted are the same in both, since
# both runs' decisions are the decision core's:
#   ttl 10 s, calls at 0, 5 and 40 s (images pulled ahead): pre-warmed,
#     warm, pre-warmed;
#   3 functions in turn under lru, room for 2: every call starts one; room
#     for 3: only the first three do;
#   room for 2, a costly function (fib-heavy's imports) and two light ones:
#     greedy-dual keeps the costly one, lru does not.
# The simulated run folders say they are simulated.
set -uo pipefail
. "$(dirname "$0")/lib.bash"

work=$(mktemp -d /tmp/faasbench-simreal.XXXXXX)
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
light=127.0.0.1:5000/faasbench/fib-light:1
heavy=127.0.0.1:5000/faasbench/fib-heavy:1

# node NAME MB: the first local node alone, with MB of memory for instances.
node() {
  /usr/bin/python3 - "$local_dir/nodes.cfg" "$2" >"$work/$1-node.cfg" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
first = re.search(r"\{[^}]*\}", text).group(0)
print("nodes = ( %s );" % first.replace("}", " memory_mb = %s; }" % sys.argv[2]))
PY
}

# experiment NAME MB KEEPALIVE TIME_SCALE FUNCTIONS "T F"...: the files of one design.
experiment() {
  local name=$1 mb=$2 ka=$3 scale=$4 fns=$5 c
  shift 5
  node "$name" "$mb"
  { echo "time_s,function"; for c in "$@"; do echo "${c% *},${c#* }"; done; } >"$work/$name.csv"
  cat >"$work/$name.cfg" <<CFG
name = "$name";
@include "$name-node.cfg"
functions = ( $fns );
matrix = { policies = [ "round-robin" ]; warming = [ "keep-alive" ]; keepalive = [ $ka ];
           prepull = true; };
workload = { type = "trace"; trace = "$name.csv"; trace_format = "csv"; time_scale = $scale;
             clients = 1; };
runtime = { preset = "docker"; };
timeouts = { command_s = 120; };
CFG
}

fl() { echo "{ name = \"$1\"; image = \"$light\"; handler = \"fib:handle\"; args = \"20\"; network = false; memory_mb = 128; }"; }
fh() { echo "{ name = \"$1\"; image = \"$heavy\"; handler = \"fibheavy:handle\"; args = \"20\"; network = false; memory_mb = 128; }"; }

experiment ttl 1024 '"ttl:ttl_s=10"' 0.5 "$(fl a)" "0 a" "5 a" "40 a"
turn=("0 a" "1 b" "2 c" "3 a" "4 b" "5 c" "6 a" "7 b" "8 c")
experiment lru2 256 '"lru"' 0.1 "$(fl a), $(fl b), $(fl c)" "${turn[@]}"
experiment lru3 384 '"lru"' 0.1 "$(fl a), $(fl b), $(fl c)" "${turn[@]}"
experiment costly 256 '"greedy-dual", "lru"' 0.1 "$(fh heavy), $(fl a), $(fl b)" \
  "0 heavy" "1 heavy" "2 a" "3 a" "4 b" "5 heavy"

designs=(ttl lru2 lru3 costly)
real=()
for d in "${designs[@]}"; do
  if ! out=$("$faasbench" -q --no-plots --results "$work/real" "$work/$d.cfg" 2>"$work/$d.err"); then
    echo "FAIL: the real run of $d failed:"; cat "$work/$d.err"; exit 1
  fi
  real+=("$out")
done
if ! "$faasbench" calibrate "${real[@]}" -o "$work/model.cfg" --node-mb 1024 --min-samples 1 \
    2>"$work/calibrate.err"; then
  echo "FAIL: calibrate failed:"; cat "$work/calibrate.err"; exit 1
fi
sim=()
for d in "${designs[@]}"; do
  if ! out=$("$faasbench" --simulate --model "$work/model.cfg" -q --no-plots \
      --results "$work/sim" "$work/$d.cfg" 2>"$work/$d.sim.err"); then
    echo "FAIL: the simulation of $d failed:"; cat "$work/$d.sim.err"; exit 1
  fi
  sim+=("$out")
done

/usr/bin/python3 - "${real[@]}" "${sim[@]}" <<'PY' || exit 1
import csv, os, sys
n = len(sys.argv[1:]) // 2
real, sim = sys.argv[1:1 + n], sys.argv[1 + n:]
fails = []
def check(cond, msg):
    if not cond:
        fails.append(msg)
def modes(run):
    out = {}
    for r in csv.DictReader(open(os.path.join(run, "invocations.csv"))):
        out.setdefault(r["warming"], []).append(r["mode"] if not r["error"] else "error: " + r["error"])
    return out
def cells(run):
    return {c["keepalive"]: c for c in csv.DictReader(open(os.path.join(run, "keepalive.csv")))}
for r, s in zip(real, sim):
    name = os.path.basename(r).split("-2")[0]
    check("-sim-" in os.path.basename(s), "%s: the simulated folder's name does not say so" % s)
    env = open(os.path.join(s, "environment.txt")).read()
    check("simulated yes" in env, "%s: environment.txt does not say it is simulated" % s)
    mr, ms = modes(r), modes(s)
    check(mr == ms, "%s: real %s, simulated %s" % (name, mr, ms))
    cr, cs = cells(r), cells(s)
    for ka in cr:
        for k in ("invocations", "cold", "prewarmed", "warm", "started", "evicted_pressure",
                  "evicted_expired"):
            check(cr[ka][k] == cs[ka][k], "%s %s: %s real %s, simulated %s" % (name, ka, k, cr[ka][k], cs[ka][k]))
    print("sim_vs_real: %s: %s" % (name, {k: v for k, v in mr.items()}))
want = {"ttl": ["pre-warmed", "warmed", "pre-warmed"]}
mt = modes(real[0])
check(list(mt.values())[0] == want["ttl"], "ttl design: %s" % mt)
for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
PY
assert_clean || exit 1
echo "sim_vs_real: ok"
