#!/usr/bin/env bash
# agent.sh - the node helper's server (`faasbench-node serve`) over a real ssh
# session on node1: exit status and both streams, stdin at EOF, the output
# cap, a timeout that stops the command on the node and keeps the session, a
# session killed while idle, a node without the server (one channel per
# command instead), and whole runs with and without it.
set -uo pipefail
. "$(dirname "$0")/lib.bash"

work=$(mktemp -d /tmp/faasbench-agent.XXXXXX)
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ssh_exec=$top/build/ssh_exec
key=$local_dir/id_ed25519
kh=$local_dir/known_hosts
spare_pid=""
port1=$(node_port 1)
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  [ -z "$spare_pid" ] || kill "$spare_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# agent PORT [OPTIONS...]: runs the commands on stdin through the server.
agent() {
  local port=$1; shift
  "$ssh_exec" --agent "$@" 127.0.0.1 "$port" "$node_user" "$key" "$kh" - 2>&1
}
accepted() { grep -c "Accepted publickey" "$local_dir/node1/sshd.log" 2>/dev/null || echo 0; }

# 1. Status, streams, node time; stdin reads EOF; the 1 MiB cap; a background
#    process that keeps the pipes open is not waited for.
out=$(printf '%s\n' 'echo hi; echo err >&2; exit 3' 'cat; echo done' \
  'head -c 3000000 /dev/zero' 'sleep 5 >/dev/null 2>&1 & sleep 4 & echo bg' | agent "$port1")
grep -q '^exec 1: exit 3, .* stdout 3 B, stderr 4 B, node [0-9.]* ms' <<<"$out" || bad "status/streams: $out"
grep -qx 'hi' <<<"$out" && grep -qx '\[stderr\] err' <<<"$out" || bad "stream contents: $out"
grep -q '^exec 2: exit 0, .* stdout 5 B' <<<"$out" || bad "stdin is not at EOF: $out"
grep -q '^exec 3: exit 0, .* stdout 1048576 B' <<<"$out" || bad "output not capped at 1 MiB: $out"
ms=$(sed -n 's/^exec 4: exit 0, \([0-9.]*\) ms.*/\1/p' <<<"$out")
[ -n "$ms" ] && awk -v m="$ms" 'BEGIN { exit !(m < 1000) }' || bad "background process waited for: $out"

# 2. A command past its timeout is stopped on the node, reported as a
#    timeout, and the same session runs the next command.
before=$(accepted)
out=$(printf '%s\n' 'sleep 30; echo never' "pgrep -u $node_user -f '^sleep 3[0]$' >/dev/null && echo left || echo gone" |
  agent "$port1" --timeout 700)
grep -q '^exec 1: FB_ETIMEDOUT: .*stopped on the node' <<<"$out" || bad "no timeout: $out"
grep -qx 'gone' <<<"$out" || bad "timed-out command still running: $out"
[ "$(accepted)" -eq $((before + 1)) ] || bad "timeout cost a new session ($before -> $(accepted))"
echo "agent: timeout: $(grep '^exec 1' <<<"$out")"

# 3. The session is killed while idle: the next command reconnects and runs;
#    the old server is gone with its session.
before=$(accepted)
(sleep 0.6; pkill -KILL -u "$node_user" -f "^sshd: $node_user") &
out=$(printf '%s\n' 'echo one' 'echo two' | agent "$port1" --pause 1500)
wait
grep -qx 'one' <<<"$out" && grep -qx 'two' <<<"$out" || bad "no reconnect: $out"
[ "$(accepted)" -eq $((before + 2)) ] || bad "expected 2 logins, saw $(( $(accepted) - before ))"
sleep 0.3
left=$(pgrep -c -u "$node_user" -f 'faasbench-node serve' || true)
[ "$left" = 0 ] || bad "$left servers outlived their sessions"

# 4. A node whose PATH has no helper: a warning, then one channel per
#    command.
port=$((port1 + 68))   # a spare sshd beside the set's ports
sed -e "s/^Port .*/Port $port/" -e "s|^PidFile .*|PidFile $work/sshd.pid|" \
  -e "s|^SetEnv PATH=[^ ]*|SetEnv PATH=/usr/bin:/bin|" "$local_dir/node1/sshd_config" >"$work/sshd_config"
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$local_dir/node1/ssh_host_ed25519_key.pub")" >"$work/known_hosts"
/usr/sbin/sshd -f "$work/sshd_config" -E "$work/sshd.log"
for _ in $(seq 50); do [ -s "$work/sshd.pid" ] && break; sleep 0.1; done
spare_pid=$(cat "$work/sshd.pid" 2>/dev/null)
out=$(printf '%s\n' 'echo plain; exit 4' | "$ssh_exec" --agent 127.0.0.1 $port "$node_user" "$key" "$work/known_hosts" - 2>&1)
grep -q "warning: node node: .*faasbench-node serve. exited 127.*running one ssh channel per command instead" <<<"$out" ||
  bad "no fallback warning: $out"
grep -q '^exec 1: exit 4, ' <<<"$out" && grep -qx plain <<<"$out" || bad "fallback did not run the command: $out"
echo "agent: fallback: $(grep warning <<<"$out")"

# 5. The exchange itself, with the helper run here: a malformed request ends
#    the server with a message; a NUL in the command is refused, not cut; a
#    request line too long for the protocol ends it too.
helper=$top/build/faasbench-node
err=$( { printf 'fbq1 x 4\ntrue'; sleep 0.2; } | "$helper" serve 2>&1 >/dev/null); s=$?
[ $s -eq 2 ] && grep -q "bad request line" <<<"$err" || bad "malformed request: exit $s: $err"
out=$( { printf 'fbq1 0 6\ntrue\0x'; sleep 0.3; } | "$helper" serve 2>/dev/null | sed -n 2p)
grep -q '^fbr1 status=125 .*err=[1-9]' <<<"$out" || bad "NUL in a command: $out"
# A header far past the line limit, its newline in the same read: refused.
err=$( { printf 'fbq1 0 '; head -c 5000 /dev/zero | tr '\0' 1; printf '\n'; sleep 0.2; } |
  "$helper" serve 2>&1 >/dev/null); s=$?
[ $s -eq 2 ] && grep -q "request line too long" <<<"$err" || bad "long request line: exit $s: $err"

# 6. Whole runs, with the server (the default) and with one channel per
#    command: every row recorded, no errors, the node's own time in each.
cp "$local_dir/nodes.cfg" "$work/nodes.cfg"
for mode in true false; do
  cat >"$work/run-$mode.cfg" <<CFG
name = "agent-$mode";
@include "nodes.cfg"
functions = ( { name = "noop"; image = "127.0.0.1:5000/faasbench/noop:1"; command = "sh -c 'echo x'"; network = false; } );
matrix = { policies = ["round-robin"]; warming = ["warmed"]; invocations = 20; };
metrics = { agent = $mode; };
CFG
  if ! "$faasbench" -q --no-plots --results "$work/results" "$work/run-$mode.cfg" >"$work/run-$mode.out" 2>"$work/run-$mode.err"; then
    bad "run with agent = $mode failed"; cat "$work/run-$mode.err"; continue
  fi
  /usr/bin/python3 - "$(cat "$work/run-$mode.out")" "$mode" <<'PY' || fail=1
import sys
from rows import invocations, Checks
rows = invocations(sys.argv[1])
check = Checks()
check(len(rows) == 20, f"{len(rows)} rows, expected 20")
for r in rows:
    check(not r["error"], f"row {r['seq']}: {r['error']}")
for r in rows:
    check(r["node_exec_ms"] not in ("", "nan"), f"row {r['seq']}: no node time")
lat = sorted(float(r["latency_ms"]) - float(r["node_exec_ms"]) for r in rows if r["node_exec_ms"] not in ("", "nan"))
if lat:
    print(f"agent: agent = {sys.argv[2]}: {len(rows)} rows, overhead median {lat[len(lat) // 2]:.3f} ms")
check.done()
PY
done
assert_clean || fail=1

[ $fail -eq 0 ] && echo "agent: ok"
exit $fail
