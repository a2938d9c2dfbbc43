#!/usr/bin/env bash
# testbed_nodes.sh - faasbench-gateway with its default flags against nodes set up the
# way the older testbed set them up: password login, `sudo docker`, its
# get_node_metrics.sh (in the user's home here), and no faasbench-node. The older
# client's flow must see every invocation answered 200 and every row recorded; a
# no-eligible-node answer must say why each node is out; a node with no load
# report at all is taken with a warning.
#
# Two such nodes are made beside the local nodes (nodes/up 4), as root: a user
# with a password and bash, a sudo rule giving `sudo docker` the local nodes'
# docker (node3's and node4's: their Podman storage, or their own dockerd on
# Docker Engine nodes), and one sshd per node on a free loopback port without
# the node helper on its PATH. All of it is removed at the end.
set -uo pipefail
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/http.bash"
# cg_v2, cg_v1_dir: where a local node's cgroup is.
# shellcheck source=nodes/lib.sh
. "$top/nodes/lib.sh"

gateway=${FAASBENCH_GATEWAY:-$top/build/faasbench-gateway}
tb_user=fbtestbed
tb_sudoers=/etc/sudoers.d/faasbench-testbed-test
tmp=$(mktemp -d /tmp/faasbench-testbed.XXXXXX)
chmod 755 "$tmp"
failures=0
gw_pid=""
status=000
declare -A tb_port gw_url

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

cleanup() {
  local f
  [ -n "$gw_pid" ] && kill -TERM "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null
  for f in "$tmp"/tb*/sshd.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
  done
  # Sessions the sshds left (none should be): this test's user's processes.
  if id "$tb_user" >/dev/null 2>&1; then
    for pid in $(ps -o pid= -u "$tb_user"); do kill -KILL "$pid" 2>/dev/null; done
    sleep 0.2
  fi
  id "$tb_user" >/dev/null 2>&1 && userdel -r "$tb_user" 2>/dev/null
  rm -f "$tb_sudoers"
  if [ $failures -eq 0 ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || { echo "FAIL: run as root (it adds a node user and sshds)"; exit 1; }
[ -x "$gateway" ] || { echo "FAIL: no gateway binary at $gateway"; exit 1; }
[ -f "$local_dir/nodes.cfg" ] || { echo "FAIL: local nodes are not up (nodes/up 4)"; exit 1; }
[ "$(node_ports | wc -l)" -ge 4 ] || { echo "FAIL: want 4 local nodes"; exit 1; }
id "$tb_user" >/dev/null 2>&1 && { echo "FAIL: user $tb_user exists already"; exit 1; }
assert_clean || { echo "FAIL: the nodes were not clean before the test"; exit 1; }

# ---- the testbed's nodes ----
password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
useradd --create-home --home-dir "/home/$tb_user" --shell /bin/bash "$tb_user"
echo "$tb_user:$password" | chpasswd
home=/home/$tb_user
cat >"$tmp/sudoers" <<EOF
Defaults:$tb_user secure_path="$BIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
Defaults:$tb_user env_keep += "FAASBENCH_NODE"
Defaults:$tb_user !use_pty, !lecture
$tb_user ALL=(root) NOPASSWD: $BIN/docker
EOF
visudo -cqf "$tmp/sudoers" || { echo "FAIL: the sudo rule does not validate"; exit 1; }
install -m 440 "$tmp/sudoers" "$tb_sudoers"

# get_node_metrics.sh: the node's load in the older testbed's format, a JSON
# object of two quoted percentages with two decimals, CPU over a 0.1 s sample.
# The node is named by FAASBENCH_NODE (its sshd sets it).
if cg_v2; then
  cpu_tpl="$CG_ROOT/$CG_NAME/NODE/cpu.stat"; mem_tpl="$CG_ROOT/$CG_NAME/NODE"
else
  cpu_tpl="$(cg_v1_dir cpuacct)/$CG_NAME/NODE/cpuacct.usage"; mem_tpl="$(cg_v1_dir memory)/$CG_NAME/NODE"
fi
cat >"$home/get_node_metrics.sh" <<EOF
#!/bin/bash
cpu_file=$cpu_tpl
mem_dir=$mem_tpl
cpu_file=\${cpu_file/NODE/\$FAASBENCH_NODE}
mem_dir=\${mem_dir/NODE/\$FAASBENCH_NODE}
cpu_ns() {
  case \$cpu_file in
    */cpu.stat) awk '\$1 == "usage_usec" { printf "%d", \$2 * 1000 }' "\$cpu_file" ;;
    *) cat "\$cpu_file" ;;
  esac
}
c0=\$(cpu_ns); t0=\$(date +%s%N)
sleep 0.1
c1=\$(cpu_ns); t1=\$(date +%s%N)
cpu=\$(awk -v c="\$((c1 - c0))" -v t="\$((t1 - t0))" 'BEGIN { printf "%.2f", c / t * 100 }')
if [ -f "\$mem_dir/memory.current" ]; then
  used=\$(cat "\$mem_dir/memory.current"); limit=\$(cat "\$mem_dir/memory.max")
  idle=\$(awk '\$1 == "inactive_file" { print \$2 }' "\$mem_dir/memory.stat")
else
  used=\$(cat "\$mem_dir/memory.usage_in_bytes"); limit=\$(cat "\$mem_dir/memory.limit_in_bytes")
  idle=\$(awk '\$1 == "total_inactive_file" { print \$2 }' "\$mem_dir/memory.stat")
fi
ram=\$(awk -v u="\$used" -v i="\${idle:-0}" -v l="\$limit" \
  'BEGIN { if (l == "max" || l + 0 <= 0) print "0.00"; else printf "%.2f", (u - i) / l * 100 }')
echo "{"
echo "  \"cpu_usage\": \"\$cpu\","
echo "  \"ram_usage\": \"\$ram\""
echo "}"
EOF
chown "$tb_user:$tb_user" "$home/get_node_metrics.sh"
chmod 755 "$home/get_node_metrics.sh"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
: >"$tmp/known_hosts"
for k in 3 4; do
  name=tb$k dir=$tmp/tb$k
  mkdir -p "$dir"
  ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$dir/host_key"
  port=$(free_port)
  tb_port[$name]=$port
  cat >"$dir/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_key
PidFile $dir/sshd.pid
AllowUsers $tb_user
PermitRootLogin no
PubkeyAuthentication no
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
SetEnv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin FAASBENCH_NODE=node$k
UseDNS no
MaxSessions 64
MaxStartups 64:30:128
LogLevel INFO
EOF
  /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log" || { fail "sshd of $name did not start"; exit 1; }
  read -r type key _ <"$dir/host_key.pub"
  echo "[127.0.0.1]:$port $type $key" >>"$tmp/known_hosts"
done
for i in $(seq 1 50); do
  [ -f "$tmp/tb3/sshd.pid" ] && [ -f "$tmp/tb4/sshd.pid" ] && break
  sleep 0.1
done

# ---- the gateway with its defaults (only the host keys given) ----
start_gateway() { # NAME [FLAGS...]
  local name=$1; shift
  "$gateway" --listen 127.0.0.1:0 --results "$tmp/$name" --known-hosts "$tmp/known_hosts" "$@" \
    2>"$tmp/$name.log" &
  gw_pid=$!
  local i port=""
  for i in $(seq 1 100); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$tmp/$name.log")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { fail "gateway $name did not start: $(cat "$tmp/$name.log")"; exit 1; }
  gw_url[$name]=http://127.0.0.1:$port
}
stop_gateway() {
  local s
  kill -TERM "$gw_pid"; wait "$gw_pid"; s=$?
  gw_pid=""
  [ $s -eq 0 ] || fail "gateway exited $s after SIGTERM"
}
node_body() { # NAME PORT
  printf '{"name": "%s", "host": "127.0.0.1", "port": %s, "username": "%s", "password": "%s"}' \
    "$1" "$2" "$tb_user" "$password"
}
fn_body() { # NAME IMAGE COMMAND
  printf '{"name": "%s", "image": "127.0.0.1:5000/faasbench/%s", "command": "%s"}' "$1" "$2" "$3"
}

# The older client's flow: nodes, functions, invocations.
start_gateway main
for n in tb3 tb4; do
  expect 200 "register $n (password, sudo docker, get_node_metrics.sh)" main POST /nodes/register \
    -d "$(node_body "$n" "${tb_port[$n]}")"
  [ "$(json metrics)" = testbed ] || fail "$n: metrics '$(json metrics)', want testbed"
  [ -z "$(json warning)" ] || fail "$n: warning: $(json warning)"
done
expect 200 "register fib-light" main POST /functions/register -d "$(fn_body fib-light fib-light:1 'python3 fib.py 1000')"
expect 200 "register noop" main POST /functions/register -d "$(fn_body noop noop:1 'echo ok')"
declare -A used
for seq in 1 2 3 4 5; do
  for fn in fib-light noop; do
    expect 200 "invoke $fn #$seq" main POST "/functions/invoke/$fn"
    [ "$(json exit_status)" = 0 ] || fail "invoke $fn #$seq: exit_status '$(json exit_status)'"
    [ -n "$(json ram_pct)" ] || fail "invoke $fn #$seq: no ram_pct"
    node=$(json node)
    [ -n "$node" ] && used[$node]=1
  done
done
[ ${#used[@]} -eq 2 ] || fail "round-robin used nodes ${!used[*]}, want tb3 and tb4"
grep -q "node tb3 registered .*metrics testbed $home/get_node_metrics.sh" "$tmp/main.log" ||
  fail "the log does not say how tb3 reports its load"
stop_gateway
main_dirs=("$tmp"/main/gateway-*)
main_dir=${main_dirs[0]}
/usr/bin/python3 - "$main_dir" <<'PY' || failures=$((failures + 1))
import os, sys
from rows import invocations, records, Checks
run = sys.argv[1]
rows = invocations(run)
check = Checks()
check(len(rows) == 10, f"{len(rows)} rows, want 10")
for r in rows:
    check(not (r["error"] or r["exit_status"] != "0" or r["node"] not in ("tb3", "tb4")),
          f"row {r['function']}#{r['seq']}: node {r['node']} exit {r['exit_status']} error {r['error']!r}")
    check(not (r["cpu_pct"] == "" or r["ram_pct"] == ""), f"row {r['function']}#{r['seq']}: no cpu/ram figures")
check(len(records(run, "metrics.csv")) == len(rows) + 1, "metrics.csv rows differ")
env = open(os.path.join(run, "environment.txt")).read()
check("node_metrics tb3 testbed" in env, "environment.txt does not say how tb3 reports its load")
check.done()
PY
# What it saved runs with faasbench as it ran here.
"$faasbench" --check "$main_dir/experiment.cfg" >/dev/null 2>"$tmp/check" ||
  fail "experiment.cfg does not load: $(cat "$tmp/check")"
grep -q 'format = "testbed"' "$main_dir/experiment.cfg" || fail "experiment.cfg does not say metrics testbed"

# No eligible node: the answer says why each node is out.
start_gateway ram --ram-threshold 0.001
for n in tb3 tb4; do
  expect 200 "register $n (ram)" ram POST /nodes/register -d "$(node_body "$n" "${tb_port[$n]}")"
done
expect 200 "register noop (ram)" ram POST /functions/register -d "$(fn_body noop noop:1 true)"
expect 503 "every node over the RAM threshold" ram POST /functions/invoke/noop
detail=$(json detail)
for n in tb3 tb4; do
  [[ $detail =~ $n\ RAM\ [0-9.]+\ %\ at\ or\ above\ the\ threshold ]] ||
    fail "the 503 does not say why $n is out: $detail"
done
echo "ok 503 says: $detail"
stop_gateway

# A node that reports no load at all (no helper, no get_node_metrics.sh):
# registered with a warning saying so, metrics none; its calls still run.
mv "$home/get_node_metrics.sh" "$home/get_node_metrics.sh.off"
start_gateway none
expect 200 "register tb3 (no load report)" none POST /nodes/register \
  -d "$(node_body tb3 "${tb_port[tb3]}")"
[ "$(json metrics)" = none ] || fail "tb3 without get_node_metrics.sh: metrics '$(json metrics)', want none"
[[ $(json warning) == *"reports no load"*"RAM threshold cannot skip it"* ]] ||
  fail "tb3 without get_node_metrics.sh: warning '$(json warning)'"
expect 200 "register noop (none)" none POST /functions/register -d "$(fn_body noop noop:1 true)"
expect 200 "invoke noop on a node with no load report" none POST /functions/invoke/noop
[ "$(json node)" = tb3 ] || fail "invoke with no load report: node '$(json node)'"
grep -q "warning: node tb3 reports no load" "$tmp/none.log" || fail "the gateway log does not warn about tb3"
grep -q "node tb3 registered .*metrics none" "$tmp/none.log" || fail "the log does not say tb3 has no metrics"
stop_gateway

assert_clean || fail "containers or images left on the nodes"
if [ $failures -ne 0 ]; then
  echo "testbed_nodes: $failures failed (logs and results in $tmp)"
  exit 1
fi
echo "testbed_nodes: ok"
