#!/usr/bin/env bash
# gateway.sh - faasbench-gateway against 4 local nodes: the older testbed's client flow
# with curl, every error status, hostile requests, warming, and a clean stop on SIGTERM.
set -uo pipefail
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/http.bash"

gateway=${FAASBENCH_GATEWAY:-$top/build/faasbench-gateway}
tmp=$(mktemp -d /tmp/faasbench-gateway.XXXXXX)
marker=/tmp/pwned
failures=0
declare -A gw_pid gw_url
status=000

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

cleanup() {
  local name
  for name in "${!gw_pid[@]}"; do
    kill -TERM "${gw_pid[$name]}" 2>/dev/null && wait "${gw_pid[$name]}" 2>/dev/null
  done
}
trap cleanup EXIT

[ -x "$gateway" ] || { echo "FAIL: no gateway binary at $gateway"; exit 1; }
[ -f "$local_dir/nodes.cfg" ] || { echo "FAIL: local nodes are not up (nodes/up 4)"; exit 1; }
# Leftovers from an earlier run would be blamed on this one.
assert_clean || { echo "FAIL: the nodes were not clean before the test"; exit 1; }
marker_before=no
[ -e "$marker" ] && marker_before=yes

# start_gateway NAME [FLAGS...]: starts a gateway on a free loopback port.
start_gateway() {
  local name=$1; shift
  mkdir -p "$tmp/$name"
  "$gateway" --listen 127.0.0.1:0 --results "$tmp/$name/results" "$@" 2>"$tmp/$name/log" &
  gw_pid[$name]=$!
  local i port=""
  for i in $(seq 1 100); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$tmp/$name/log")
    [ -n "$port" ] && break
    kill -0 "${gw_pid[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    fail "gateway $name did not start:"; cat "$tmp/$name/log"; exit 1
  fi
  gw_url[$name]=http://127.0.0.1:$port
}

# stop_gateway NAME: SIGTERM, expects exit status 0.
stop_gateway() {
  local name=$1 s
  kill -TERM "${gw_pid[$name]}" 2>/dev/null
  wait "${gw_pid[$name]}"; s=$?
  unset "gw_pid[$name]"
  [ $s -eq 0 ] || { fail "gateway $name exited $s after SIGTERM"; tail -20 "$tmp/$name/log"; }
}

# csv_rows DIR: data rows of DIR/invocations.csv.
csv_rows() {
  /usr/bin/python3 -c 'import sys, rows
print(len(rows.invocations(sys.argv[1])))' "$1"
}

run_dir() { # NAME: the first of gateway NAME's run folders, if any
  local d
  for d in "$tmp/$1"/results/gateway-*; do
    [ ! -e "$d" ] || echo "$d"
    break
  done
}

node_body() { # NAME PORT [EXTRA JSON]
  printf '{"name": "%s", "host": "127.0.0.1", "port": %s, "username": "%s"%s}' "$1" "$2" "$node_user" "${3:-}"
}
fn_body() { # NAME IMAGE COMMAND
  printf '{"name": "%s", "image": "127.0.0.1:5000/faasbench/%s", "command": "%s"}' "$1" "$2" "$3"
}

mapfile -t ports < <(node_ports)
[ ${#ports[@]} -ge 4 ] || { echo "FAIL: want 4 local nodes, found ${#ports[@]}"; exit 1; }
common=(--known-hosts "$local_dir/known_hosts" --identity "$local_dir/id_ed25519")

# ---- the client flow: 4 nodes, 2 functions, 5 invocations each ----
start_gateway main "${common[@]}"
for i in 0 1 2 3; do
  expect 200 "register node$((i + 1))" main POST /nodes/register -d "$(node_body "node$((i + 1))" "${ports[$i]}")"
done
expect 400 "duplicate node" main POST /nodes/register -d "$(node_body node1 "${ports[0]}")"
closed=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect 502 "unreachable node" main POST /nodes/register -d "$(node_body gone "$closed")"
expect 502 "wrong password" main POST /nodes/register \
  -d "$(node_body badauth "${ports[0]}" ', "password": "not-the-password"')"
expect 200 "register fib-light" main POST /functions/register -d "$(fn_body fib-light fib-light:1 'python3 fib.py 1000')"
expect 200 "register noop" main POST /functions/register -d "$(fn_body noop noop:1 'echo ok')"
expect 400 "duplicate function" main POST /functions/register -d "$(fn_body noop noop:1 'echo ok')"
declare -A used
for seq in 1 2 3 4 5; do
  for fn in fib-light noop; do
    expect 200 "invoke $fn #$seq" main POST "/functions/invoke/$fn"
    node=$(json node) mode=$(json mode) exit_status=$(json exit_status)
    [ "$mode" = cold ] || fail "invoke $fn #$seq ran $mode, want cold"
    [ "$exit_status" = 0 ] || fail "invoke $fn #$seq: exit_status '$exit_status'"
    used[$node]=1
  done
done
[ ${#used[@]} -eq 4 ] || fail "round-robin used nodes ${!used[*]}, want all 4"
main_dir=$(run_dir main)
[ -n "$main_dir" ] || fail "no run folder for main"
rows=$(csv_rows "$main_dir")
[ "$rows" = 10 ] || fail "invocations.csv has $rows rows after 10 invocations, want 10"
expect 404 "unknown function" main POST /functions/invoke/nosuch
expect 200 "register failing function" main POST /functions/register -d "$(fn_body fails noop:1 false)"
expect 500 "execution failure" main POST /functions/invoke/fails
[ -n "$(json detail)" ] || fail "execution failure without detail"

# ---- hostile input: none may crash it or reach a shell ----
big=$tmp/big.json
/usr/bin/python3 -c 'import sys; sys.stdout.write("{\"name\": \"" + "a" * 100000 + "\"}")' >"$big"
deep=$tmp/deep.json
/usr/bin/python3 -c 'import sys; sys.stdout.write("[" * 5000 + "]" * 5000)' >"$deep"
long_url=/functions/invoke/$(head -c 20000 /dev/zero | tr '\0' a)
headers=()
for i in $(seq 1 100); do headers+=(-H "X-Flood-$i: $(head -c 1000 /dev/zero | tr '\0' b)"); done

expect 422 "malformed JSON" main POST /nodes/register -d '{"name":'
expect 422 "unquoted keys" main POST /functions/register -d '{name: "x"}'
expect 422 "empty body" main POST /nodes/register
expect 422 "JSON array" main POST /nodes/register -d '[]'
expect 422 "JSON string" main POST /functions/register -d '"x"'
expect 422 "data after the object" main POST /functions/register -d "$(fn_body x noop:1 true) x"
expect 413 "body over 64 KiB" main POST /nodes/register --data-binary @"$big"
expect 413 "body over 64 KiB, no Expect" main POST /nodes/register -H 'Expect:' --data-binary @"$big"
expect 413 "chunked body over 64 KiB" main POST /nodes/register -H 'Transfer-Encoding: chunked' --data-binary @"$big"
expect 422 "nesting 5000 deep" main POST /functions/register --data-binary @"$deep"
expect 422 "name is a number" main POST /functions/register -d '{"name": 5, "image": "x", "command": "true"}'
expect 422 "command is an array" main POST /functions/register -d '{"name": "x", "image": "x", "command": ["true"]}'
expect 422 "missing image" main POST /functions/register -d '{"name": "x", "command": "true"}'
expect 422 "null name" main POST /nodes/register -d '{"name": null, "host": "127.0.0.1", "username": "faas"}'
expect 422 "port as a string" main POST /nodes/register -d '{"name": "x", "host": "127.0.0.1", "port": "22", "username": "faas"}'
expect 422 "port 0" main POST /nodes/register -d "$(node_body x 0)"
expect 422 "port 70000" main POST /nodes/register -d "$(node_body x 70000)"
expect 422 "port 22.5" main POST /nodes/register -d "$(node_body x 22.5)"
expect 422 "port 1e999" main POST /nodes/register -d "$(node_body x 1e999)"
expect 422 "node name with ;" main POST /nodes/register -d "$(node_body "a;touch $marker" 22)"
expect 422 "function name with \$()" main POST /functions/register -d "$(fn_body "\$(touch $marker)" noop:1 true)"
expect 422 "function name with backticks" main POST /functions/register -d "$(fn_body "\`touch $marker\`" noop:1 true)"
expect 422 "function name with NUL" main POST /functions/register -d "$(fn_body 'a\u0000b' noop:1 true)"
expect 422 "function name of 65 bytes" main POST /functions/register -d "$(fn_body "$(printf 'n%.0s' $(seq 1 65))" noop:1 true)"
expect 422 "name not UTF-8" main POST /functions/register --data-binary $'{"name": "\xff\xfe", "image": "x", "command": "true"}'
expect 422 "host with ;" main POST /nodes/register -d '{"name": "x", "host": "127.0.0.1;touch /tmp/pwned", "username": "faas"}'
expect 422 "username as an ssh option" main POST /nodes/register -d '{"name": "x", "host": "127.0.0.1", "username": "-oProxyCommand=touch /tmp/pwned"}'
expect 422 "image 'Bad Image'" main POST /functions/register -d '{"name": "x", "image": "Bad Image", "command": "true"}'
expect 422 "image with ;" main POST /functions/register -d "$(fn_body x "noop:1;touch $marker" true)"
expect 422 "unterminated quote in command" main POST /functions/register -d "$(fn_body x noop:1 "echo 'x")"
expect 422 "empty command" main POST /functions/register -d "$(fn_body x noop:1 '')"
expect 404 "path traversal in the invoke name" main POST /functions/invoke/../../etc --path-as-is
expect 404 "encoded path traversal" main POST /functions/invoke/%2e%2e%2f%2e%2e%2fetc
expect 422 "invoke name with ;" main POST "/functions/invoke/a;id"
# shellcheck disable=SC2016 # the name is a literal $(id)
expect 422 "invoke name \$(id)" main POST '/functions/invoke/$(id)'
expect 422 "invoke name with backticks" main POST '/functions/invoke/%60id%60'
expect 404 "empty invoke name" main POST /functions/invoke/
expect 404 "unknown route" main POST /nodes
expect 404 "root" main GET /
expect 405 "GET /nodes/register" main GET /nodes/register
expect 405 "DELETE an invoke" main DELETE /functions/invoke/noop
expect 405 "PUT /functions/register" main PUT /functions/register -d "$(fn_body x noop:1 true)"
req main POST "$long_url"
case $status in 4??) echo "ok $status URL of 20 KB" ;; *) fail "URL of 20 KB: got $status" ;; esac
req main POST /functions/invoke/noop "${headers[@]}"
case $status in 4??) echo "ok $status 100 KB of headers" ;; *) fail "100 KB of headers: got $status" ;; esac
# The command's words go to the node quoted: shell syntax in it is text.
expect 200 "register a command full of shell syntax" main POST /functions/register \
  -d "$(fn_body inject noop:1 "echo \$(touch $marker) \`touch $marker\` ; touch $marker && touch $marker | true")"
expect 200 "invoke it" main POST /functions/invoke/inject
expect 200 "still serving after the hostile requests" main POST /functions/invoke/noop
if [ "$marker_before" = no ] && [ -e "$marker" ]; then fail "$marker was created"; fi
for port in "${ports[@]}"; do
  on_node "$port" "test ! -e $marker" || { [ "$marker_before" = yes ] || fail "$marker exists on node $port"; }
done

# ---- SIGTERM with an invocation in flight: it finishes and is recorded ----
curl -s -o "$tmp/inflight" -w '%{http_code}' --max-time 600 -X POST "${gw_url[main]}/functions/invoke/fib-light" >"$tmp/inflight.status" &
curl_pid=$!
sleep 0.5
kill -TERM "${gw_pid[main]}"
sleep 0.3
curl -s -o /dev/null --max-time 5 -X POST "${gw_url[main]}/functions/invoke/noop"
refused=$?
[ $refused -eq 7 ] || fail "a new connection while stopping: curl exit $refused, want 7 (refused)"
stop_gateway main
wait $curl_pid
[ "$(cat "$tmp/inflight.status")" = 200 ] || fail "in-flight invocation got $(cat "$tmp/inflight.status") at SIGTERM"
grep -q 'recorded in' "$tmp/main/log" || fail "main: no final line in the log"

/usr/bin/python3 - "$main_dir" <<'PY' || failures=$((failures + 1))
import os, sys, collections
from rows import invocations, records, Checks
run = sys.argv[1]
rows = invocations(run)
check = Checks()
want = {"fib-light": 6, "noop": 6, "fails": 1, "inject": 1}
got = collections.Counter(r["function"] for r in rows)
check(dict(got) == want, f"rows per function {dict(got)}, want {want}")
for r in rows:
    check(not (r["run_id"] != os.path.basename(run) or r["policy"] != "round-robin" or r["warming"] != "cold"),
          f"row {r['function']}#{r['seq']}: run_id/policy/warming {r['run_id']} {r['policy']} {r['warming']}")
    check(not (r["function"] != "fails" and (r["error"] != "" or r["exit_status"] != "0" or r["mode"] != "cold")),
          f"row {r['function']}#{r['seq']} failed: {r['error']}")
for fn, n in want.items():
    seqs = [int(r["seq"]) for r in rows if r["function"] == fn]
    check(seqs == list(range(1, n + 1)), f"{fn} seq {seqs}")
fails = [r for r in rows if r["function"] == "fails"]
check(not (fails and (fails[0]["exit_status"] != "1" or fails[0]["error"] == "")),
      f"failing row: exit {fails[0]['exit_status'] if fails else ''} error {fails[0]['error'] if fails else ''!r}")
metrics = records(run, "metrics.csv")
check(len(metrics) == len(rows) + 1, f"metrics.csv has {len(metrics) - 1} rows, want {len(rows)}")
for name in ("summary.csv", "summary.txt", "environment.txt", "experiment.cfg"):
    check(os.path.exists(os.path.join(run, name)), name + " missing")
check.done()
PY

# What the gateway saved as experiment.cfg loads again with faasbench --check.
"$faasbench" --check "$main_dir/experiment.cfg" >/dev/null 2>"$tmp/main.check" ||
  fail "main's experiment.cfg does not load: $(cat "$tmp/main.check")"

# ---- no nodes: host keys refused, then 503 ----
: >"$tmp/empty_known_hosts"
start_gateway empty --known-hosts "$tmp/empty_known_hosts"
expect 502 "host key not in known_hosts" empty POST /nodes/register \
  -d "$(node_body node1 "${ports[0]}" ', "password": "secret"')"
expect 422 "no password and no --identity" empty POST /nodes/register -d "$(node_body node1 "${ports[0]}")"
expect 200 "register noop with no nodes" empty POST /functions/register -d "$(fn_body noop noop:1 true)"
expect 503 "no nodes registered" empty POST /functions/invoke/noop
expect 404 "unknown function with no nodes" empty POST /functions/invoke/nosuch
stop_gateway empty
# No node registered: no experiment file, since none could hold it.
empty_dir=$(run_dir empty)
[ -n "$empty_dir" ] && [ ! -e "$empty_dir/experiment.cfg" ] ||
  fail "empty: experiment.cfg saved without a node (folder '$empty_dir')"
grep -q 'no experiment.cfg: no node was registered' "$tmp/empty/log" ||
  fail "empty: the log does not say why there is no experiment.cfg"

# ---- every node over the RAM threshold: 503 ----
start_gateway ram "${common[@]}" --ram-threshold 0.001 --warming warmed
expect 200 "register node1 (ram)" ram POST /nodes/register -d "$(node_body node1 "${ports[0]}")"
expect 200 "register noop (ram), cannot be warmed" ram POST /functions/register -d "$(fn_body noop noop:1 true)"
[ -n "$(json warning)" ] || fail "no warning when the function could not be warmed"
expect 503 "no node under the RAM threshold" ram POST /functions/invoke/noop
stop_gateway ram

# ---- warmed: a container started at registration, invocations exec in it ----
start_gateway warm "${common[@]}" --warming warmed
for i in 0 1 2 3; do
  expect 200 "register node$((i + 1)) (warm)" warm POST /nodes/register -d "$(node_body "node$((i + 1))" "${ports[$i]}")"
done
expect 200 "register fib-light (warm)" warm POST /functions/register -d "$(fn_body fib-light fib-light:1 'python3 fib.py 1000')"
[ -z "$(json warning)" ] || fail "warmed registration: $(json warning)"
warm_node=""
for seq in 1 2; do
  expect 200 "invoke warmed #$seq" warm POST /functions/invoke/fib-light
  [ -n "$warm_node" ] || warm_node=$(json node)
  [ "$(json mode)" = warmed ] && [ "$(json node)" = "$warm_node" ] ||
    fail "warmed invoke #$seq ran $(json mode) on $(json node), want warmed on $warm_node"
done
stop_gateway warm

# ---- a node that died is tried again once it is back ----
start_gateway revive "${common[@]}" --revive-after 1
for i in 0 1; do
  expect 200 "register node$((i + 1)) (revive)" revive POST /nodes/register -d "$(node_body "node$((i + 1))" "${ports[$i]}")"
done
expect 200 "register noop (revive)" revive POST /functions/register -d "$(fn_body noop noop:1 true)"
kill_node node2
for seq in 1 2; do
  expect 200 "invoke #$seq with node2 dead" revive POST /functions/invoke/noop
  [ "$(json node)" = node1 ] || fail "invoke #$seq with node2 dead ran on $(json node)"
done
"$top/nodes/up" 4 >/dev/null || fail "nodes/up could not restart node2"
sleep 1.2
ran_on=""
for seq in 3 4 5; do
  expect 200 "invoke #$seq with node2 back" revive POST /functions/invoke/noop
  ran_on="$ran_on $(json node)"
done
grep -q "node node2 is back" "$tmp/revive/log" || fail "node2 was not tried again: $(tail -5 "$tmp/revive/log")"
[[ $ran_on == *node2* ]] || fail "node2 got no invocation once back (ran on$ran_on)"
stop_gateway revive

# ---- nothing left behind ----
assert_clean || fail "containers or images left on the nodes"

if [ $failures -ne 0 ]; then
  echo "gateway: $failures failed (logs and results in $tmp)"
  exit 1
fi
rm -rf "$tmp"
echo "gateway: ok"
