#!/usr/bin/env bash
# faults.sh - a node dying mid-run, SIGINT then --resume, and a node with a
# changed host key, on the local nodes.
set -uo pipefail
. "$(dirname "$0")/lib.bash"

work=$(mktemp -d /tmp/faasbench-faults.XXXXXX)
cp "$local_dir/nodes.cfg" "$work/nodes.cfg"
fail=0
note() { echo "faults: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

# experiment NAME INVOCATIONS COMMAND WARMING [NODES-INCLUDE]
experiment() {
  cat >"$work/$1.cfg" <<CFG
name = "$1";
@include "${5:-nodes.cfg}"
functions = ( { name = "noop"; image = "127.0.0.1:5000/faasbench/noop:1"; command = "$3"; network = false; } );
matrix = { policies = ["round-robin"]; warming = [$4]; invocations = $2; };
warm = { nodes = "all"; };
retries = 1;
timeouts = { command_s = 60; connect_s = 5; };
CFG
}

rows() { [ -f "$1/invocations.csv" ] && echo $(($(wc -l <"$1/invocations.csv") - 1)) || echo 0; }
newest_run() { # NAME: the last of NAME's run folders, if any
  local d last=""
  for d in "$work"/results/"$1"-*; do
    [ ! -e "$d" ] || last=$d
  done
  [ -z "$last" ] || echo "$last"
}
# stop_after NAME ROWS SIGNAL: runs NAME.cfg, sends it SIGNAL once its run
# folder has ROWS rows; sets run (the folder) and status (its exit status).
stop_after() {
  "$faasbench" -q --no-plots --results "$work/results" "$work/$1.cfg" >"$work/$1.out" 2>"$work/$1.err" &
  local pid=$!
  for _ in $(seq 600); do
    run=$(newest_run "$1")
    [ -n "$run" ] && [ "$(rows "$run")" -ge "$2" ] && break
    sleep 0.1
  done
  kill "-$3" $pid
  wait $pid; status=$?
}

# 1. node2 dies while it runs an invocation: the run completes, every
#    invocation has a row, the one in flight was retried elsewhere, node2 is
#    reported down, the live nodes are clean.
experiment dies 16 "sleep 1" '"warmed"'
"$faasbench" -q --no-plots --results "$work/results" "$work/dies.cfg" >"$work/dies.out" 2>"$work/dies.err" &
pid=$!
run=""
for _ in $(seq 600); do   # round-robin: after a row on node1 the next runs on node2
  run=$(newest_run dies)
  if [ -n "$run" ] && [ "$(rows "$run")" -ge 4 ] && tail -n 1 "$run/invocations.csv" | grep -q ',node1,'; then
    sleep 0.3; kill_node node2; note "killed node2 after $(rows "$run") rows"; break
  fi
  sleep 0.1
done
wait $pid; status=$?
[ $status -eq 0 ] || { bad "run with a dying node exited $status"; cat "$work/dies.err"; }
/usr/bin/python3 - "$run" <<'PY' || fail=1
import sys
from rows import invocations, Checks
run = sys.argv[1]
rows = invocations(run)
check = Checks()
check(len(rows) == 16, f"{len(rows)} rows, want 16")
retried = [r for r in rows if r["attempts"] == "2" and "node2" in r["failed_nodes"]]
check(retried, "no invocation was retried after node2 failed")
for r in retried:
    check(not (r["node"] == "node2" or r["error"] or r["exit_status"] != "0"),
          f"retry not completed elsewhere: {r}")
after = rows[rows.index(retried[0]) + 1:] if retried else []
check(not any(r["node"] == "node2" for r in after), "node2 got invocations after it died")
check(any(r["error"] == "" for r in rows), "no successful rows")
status = open(run + "/nodes.txt").read()
check("node2 down" in status, "nodes.txt does not report node2 down: " + status)
print(f"dies: {len(rows)} rows, {len(retried)} retried: "
      + "; ".join(f"{r['failed_nodes']} -> {r['node']} ({r['retry_error'][:60]})" for r in retried))
check.done()
PY
grep -q "node node2 marked down" "$work/dies.err" || bad "no 'marked down' message for node2"
for k in 1 3 4; do
  port=$(node_port $k)
  [ -z "$(on_node "$port" 'docker ps -aq' 2>/dev/null)" ] || bad "containers left on port $port"
done
# Bring node2 back, clean.
"$top/nodes/up" 4 >/dev/null || bad "nodes/up could not restart node2"
on_node "$(node_port 2)" "docker ps -aq | xargs -r $rm_force >/dev/null; docker rmi -f 127.0.0.1:5000/faasbench/noop:1 >/dev/null 2>&1; true"

# 2. SIGINT mid-run: exit 130, every row complete, nothing left behind; then
#    --resume completes the run with exactly the full count of rows.
experiment stop 6 "sleep 0.5" '"cold", "pre-warmed", "warmed"'
stop_after stop 8 INT
[ $status -eq 130 ] || bad "SIGINT exit status $status, want 130"
n_stop=$(rows "$run")
tail -c 1 "$run/invocations.csv" | od -c | grep -q '\\n' || bad "last row not complete"
assert_clean || bad "containers or images left after SIGINT"
"$faasbench" -q --no-plots --resume "$run" >"$work/resume.out" 2>"$work/resume.err"
status=$?
[ $status -eq 0 ] || { bad "resume exited $status"; cat "$work/resume.err"; }
/usr/bin/python3 - "$run" "$n_stop" <<'PY' || fail=1
import sys, collections
from rows import invocations, Checks
rows = invocations(sys.argv[1])
check = Checks()
check(len(rows) == 18, f"{len(rows)} rows after resume, want 18")
cells = collections.Counter(r["warming"] for r in rows)
check(cells == {"cold": 6, "pre-warmed": 6, "warmed": 6}, f"rows per cell {dict(cells)}")
for r in rows:
    check(not r["error"], f"row failed: {r['error']}")
print(f"stop: {sys.argv[2]} rows at SIGINT, {len(rows)} after --resume")
check.done()
PY
assert_clean || bad "containers or images left after resume"

# 2b. SIGHUP (the terminal closed) mid-cell is a stop like SIGTERM: exit 129,
#     the finished rows and nodes.txt on disk, the warm container removed.
experiment hup 6 "sleep 0.5" '"warmed"'
stop_after hup 2 HUP
[ $status -eq 129 ] || bad "SIGHUP exit status $status, want 129"
[ -s "$run/nodes.txt" ] || bad "no nodes.txt after SIGHUP"
tail -c 1 "$run/invocations.csv" | od -c | grep -q '\\n' || bad "last row not complete after SIGHUP"
assert_clean || bad "containers or images left after SIGHUP"

# 3. node1 presents a key that is not the one in known_hosts: refused with a
#    clear message, nothing runs there, the run goes on with node2.
ssh-keygen -q -t ed25519 -N '' -f "$work/other_key" >/dev/null
echo "[127.0.0.1]:$(node_port 1) $(cut -d' ' -f1,2 "$work/other_key.pub")" >"$work/wrong_known_hosts"
cat >"$work/hostkey_nodes.cfg" <<CFG
nodes = (
  { name = "node1"; host = "127.0.0.1"; port = $(node_port 1); user = "$node_user";
    identity = "$local_dir/id_ed25519"; known_hosts = "$work/wrong_known_hosts"; },
  { name = "node2"; host = "127.0.0.1"; port = $(node_port 2); user = "$node_user";
    identity = "$local_dir/id_ed25519"; known_hosts = "$local_dir/known_hosts"; }
);
CFG
experiment hostkey 3 "true" '"cold"' hostkey_nodes.cfg
before=$(grep -c "Accepted publickey" "$local_dir/node1/sshd.log" 2>/dev/null || echo 0)
"$faasbench" -q --no-plots --results "$work/results" "$work/hostkey.cfg" >"$work/hostkey.out" 2>"$work/hostkey.err"
status=$?
after=$(grep -c "Accepted publickey" "$local_dir/node1/sshd.log" 2>/dev/null || echo 0)
[ $status -eq 0 ] || { bad "host key run exited $status"; cat "$work/hostkey.err"; }
grep -q "does not match known_hosts" "$work/hostkey.err" || { bad "no clear host key message"; cat "$work/hostkey.err"; }
grep -m1 "known_hosts" "$work/hostkey.err" | sed 's/^/faults: /'
run=$(newest_run hostkey)
[ "$(cut -d, -f7 "$run/invocations.csv" | tail -n +2 | sort -u)" = node2 ] || bad "rows not all on node2"
[ "$before" = "$after" ] || bad "node1 accepted a login ($before -> $after)"

# 4. Passwords and --resume: a password from the environment is saved as its
#    variable's name (never the value), so a resume reads it again; an inline
#    one is saved masked, and resuming names the line to fix.
mkdir -p "$work/pw"
cat >"$work/pw/experiment.cfg" <<CFG
nodes = (
  { name = "node1"; host = "127.0.0.1"; port = $(node_port 1); user = "$node_user";
    password_env = "FB_FAULTS_PW"; known_hosts = "$local_dir/known_hosts"; },
  { name = "node2"; host = "127.0.0.1"; port = $(node_port 2); user = "$node_user";
    password = "inline-pw"; known_hosts = "$local_dir/known_hosts"; }
);
functions = ( { name = "noop"; image = "127.0.0.1:5000/faasbench/noop:1"; command = "true"; } );
CFG
python3 - "$faasbench" "$work/pw" <<'PY' || fail=1
# Saves the experiment as a run does (the run itself fails: both nodes
# refuse passwords) and checks what experiment.cfg holds, then resumes it.
import os, subprocess, sys, glob
exe, d = sys.argv[1], sys.argv[2]
env = dict(os.environ, FB_FAULTS_PW="env-pw")
p = subprocess.run([exe, "-q", "--no-plots", "--results", d + "/results", d + "/experiment.cfg"],
                   env=env, capture_output=True, text=True)
runs = glob.glob(d + "/results/*/experiment.cfg")
if not runs:
    sys.exit(f"FAIL: no experiment.cfg saved (exit {p.returncode}): {p.stderr}")
saved = open(runs[0]).read()
bad = []
if "env-pw" in saved or "inline-pw" in saved:
    bad.append("a password was saved")
if 'password_env = "FB_FAULTS_PW";' not in saved:
    bad.append("password_env not saved by name")
if 'password = "********";' not in saved:
    bad.append("inline password not masked")
r = subprocess.run([exe, "--resume", os.path.dirname(runs[0])], env=env, capture_output=True,
                   text=True)
if r.returncode != 2 or "nodes[1].password: masked when the run was saved" not in r.stderr:
    bad.append(f"resume with a masked password: exit {r.returncode}: {r.stderr.strip()}")
else:
    print("faults: " + r.stderr.strip())
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY

assert_clean || fail=1
[ $fail -eq 0 ] && { echo "faults: ok"; rm -rf "$work"; }
exit $fail
