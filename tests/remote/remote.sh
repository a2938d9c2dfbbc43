#!/usr/bin/env bash
# remote.sh - nodes/remote/prepare against 2 hosts that start bare (Debian
# roots running only an sshd, see bare-hosts): rt1 on Docker Engine with a
# 0.5-CPU / 512 MB limit, rt2 on Podman without limits. The playbook runs
# twice (the second run changes nothing), then experiments/smoke.cfg runs on
# the two nodes (every row, modes right, both nodes used, nothing left), the
# limits hold on rt1 (metrics from its cgroup, a CPU-bound container within
# its quota), and nodes/remote/teardown takes faasbench off again (twice).
# The hosts, their ports (FAASBENCH_REMOTE_PORT_BASE, default 2401) and
# cgroups are named after the node set (FAASBENCH_NODESET), so runs for two
# sets do not meet. Run as root; about 4-5 minutes (apt in each host).
set -uo pipefail
. "$(dirname "$0")/../integration/lib.bash"

hosts=/var/lib/$SET_NAME-rt/hosts
rt_port=${FAASBENCH_REMOTE_PORT_BASE:-2401}
ports=("$rt_port" $((rt_port + 1)))
rt_cg=$SET_NAME-rt
work=$(mktemp -d /tmp/faasbench-remote.XXXXXX)
out=$work/out
fail=0
bad() { echo "FAIL: $*"; fail=1; }
note() { echo "remote: $*"; }
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  "$top/tests/remote/bare-hosts" down "$hosts"
  # Container cgroups of the hosts' runtimes live in this machine's cgroups.
  local d
  for d in "$CG_ROOT"/*/"$rt_cg" "$CG_ROOT/$rt_cg"; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  rm -rf "$hosts"/h*/root
}
trap cleanup EXIT

start=$(date +%s)
"$top/tests/remote/bare-hosts" up "$hosts" "${ports[@]}" || { echo "FAIL: bare hosts did not start"; exit 1; }
note "2 bare hosts up in $(($(date +%s) - start)) s"
for k in 1 2; do
  # Only its init and sshd run there (and this command); no python, no runtime.
  n=$(ssh -i "$hosts/id_ed25519" -o UserKnownHostsFile="$hosts/known_hosts" -o StrictHostKeyChecking=yes \
    -o BatchMode=yes -p "${ports[k - 1]}" root@127.0.0.1 'ps -e -o comm= | sort -u | tr "\n" " "; command -v python3 docker podman || true')
  # The listing's own pipeline (ps, sort, tr) may or may not have started
  # when ps looked: only the rest must be as on a bare host.
  n=$(tr ' ' '\n' <<<"$n" | grep -vxE 'ps|sort|tr|' | tr '\n' ' ')
  [ "$n" = "bash sshd tini " ] || bad "host $k is not bare: $n"
done

cat >"$work/inventory.yml" <<EOF
all:
  vars:
    ansible_host: 127.0.0.1
    ansible_user: root
    ansible_ssh_private_key_file: $hosts/id_ed25519
    ansible_ssh_common_args: -o UserKnownHostsFile=$hosts/known_hosts -o StrictHostKeyChecking=yes
    faasbench_node_user: fbremote
    faasbench_node_uid: 64101
  hosts:
    rt1:
      ansible_port: ${ports[0]}
      faasbench_runtime: docker
      faasbench_cpus: 0.5
      faasbench_mem_mb: 512
      faasbench_cgroup: /$rt_cg/rt1
      faasbench_docker_bridge: none
      faasbench_docker_iptables: false
    rt2:
      ansible_port: ${ports[1]}
      faasbench_runtime: podman
EOF

# prepare RUN: runs the playbook, keeps its output in $work/prepare-RUN.log
prepare() {
  local s status
  s=$(date +%s)
  FAASBENCH_REMOTE_OUT=$out "$top/nodes/remote/prepare" "$work/inventory.yml" >"$work/prepare-$1.log" 2>&1
  status=$?
  note "prepare run $1: exit $status, $(($(date +%s) - s)) s; $(grep -E '^(rt[12]|localhost) ' "$work/prepare-$1.log" | tr -s ' ' | tr '\n' ';')"
  [ $status -eq 0 ] || { bad "prepare run $1 exited $status"; tail -n 30 "$work/prepare-$1.log"; }
  return $status
}
recap_ok() { # LOG WANT_CHANGED(any|zero)
  local line ok=0
  while read -r line; do
    [[ $line == *" failed=0 "* && $line == *"unreachable=0"* ]] || ok=1
    [ "$2" != zero ] || [[ $line == *" changed=0 "* ]] || ok=1
  done < <(grep -E '^(rt[12]|localhost) +:' "$1")
  [ "$(grep -cE '^rt[12] +:' "$1")" -eq 2 ] || ok=1
  return $ok
}

prepare 1 || exit 1
recap_ok "$work/prepare-1.log" any || bad "first run: a host failed"
prepare 2 && { recap_ok "$work/prepare-2.log" zero || { bad "the second run changed something"; grep -B3 '^changed' "$work/prepare-2.log" | head -40; }; }
cfg=$out/nodes.cfg
[ -f "$cfg" ] || { bad "no nodes.cfg"; exit 1; }
grep -q "name = \"rt1\"; host = \"127.0.0.1\"; port = ${ports[0]}; user = \"fbremote\"" "$cfg" || bad "nodes.cfg: $(cat "$cfg")"
[ "$(grep -cE "^\[127.0.0.1\]:(${ports[0]}|${ports[1]}) ssh-ed25519 " "$out/known_hosts")" = 2 ] || bad "known_hosts: $(cat "$out/known_hosts")"

# node K CMD: runs CMD on remote node K as the node user, host key checked.
node() {
  local k=$1; shift
  ssh -i "$out/id_ed25519" -o UserKnownHostsFile="$out/known_hosts" -o StrictHostKeyChecking=yes \
    -o BatchMode=yes -o LogLevel=ERROR -p "${ports[k - 1]}" fbremote@127.0.0.1 "$@"
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

# The node user's docker is the node's runtime; metrics from its cgroup on rt1.
v=$(node 1 "docker version --format '{{.Server.Version}}'" 2>&1)
[[ $v == 20.10.* ]] || bad "rt1: docker is not Docker Engine: $v"
v=$(node 2 "docker version --format '{{.Version}}'; sudo docker info --format '{{.Host.OCIRuntime.Name}}'" 2>&1)
[[ $v == 4.*$'\n'runc ]] || bad "rt2: docker is not Podman on runc: $v"
m1=$(node 1 faasbench-node metrics)
[ "$(field "$m1" cpus)" = 0.50 ] && [ "$(field "$m1" mem_limit)" = 536870912 ] && [[ $(field "$m1" source) == cgroup* ]] ||
  bad "rt1: metrics not from its cgroup: $m1"
m2=$(node 2 faasbench-node metrics)
[ "$(field "$m2" source)" = proc ] || bad "rt2 (no limits): metrics $m2"
note "rt1 metrics: $m1"

# A CPU-bound container on rt1 stays within the 0.5-CPU quota.
if node 1 "docker run -d --name fbtest-burn 127.0.0.1:5000/faasbench/noop:1 sh -c 'while :; do :; done & while :; do :; done & wait'" >/dev/null 2>&1; then
  sleep 1; a=$(node 1 faasbench-node metrics); sleep 4; b=$(node 1 faasbench-node metrics)
  node 1 "docker rm -f fbtest-burn; docker rmi -f 127.0.0.1:5000/faasbench/noop:1" >/dev/null 2>&1
  cores=$(awk -v c1="$(field "$a" cpu_ns)" -v c2="$(field "$b" cpu_ns)" -v t1="$(field "$a" clock_ns)" \
    -v t2="$(field "$b" clock_ns)" 'BEGIN { printf "%.3f", (c2 - c1) / (t2 - t1) }')
  note "rt1: CPU-bound container used $cores cores (quota 0.50)"
  awk -v c="$cores" 'BEGIN { exit !(c >= 0.25 && c <= 0.58) }' || bad "rt1: $cores cores with a 0.5 quota"
else
  bad "rt1: could not start a container"
fi

# smoke.cfg on the two remote nodes.
mkdir -p "$work/smoke"
cp "$cfg" "$work/smoke/nodes.cfg"
sed 's|^@include ".*nodes\.cfg"$|@include "nodes.cfg"|' "$top/experiments/smoke.cfg" >"$work/smoke/smoke.cfg"
s=$(date +%s)
if run=$("$faasbench" -q --no-plots --results "$work/results" "$work/smoke/smoke.cfg" 2>"$work/smoke.err"); then
  note "smoke on the remote nodes: $(($(date +%s) - s)) s"
  /usr/bin/python3 - "$run" <<'PY' || fail=1
import csv, sys, collections
rows = list(csv.DictReader(open(sys.argv[1] + "/invocations.csv")))
bad = []
if len(rows) != 27:
    bad.append(f"{len(rows)} rows, want 27")
for r in rows:
    if r["mode"] != r["warming"] or r["error"] or r["exit_status"] != "0":
        bad.append(f"{r['policy']}/{r['warming']}#{r['seq']} on {r['node']}: mode {r['mode']}, error {r['error']!r}")
    if abs(float(r["select_ms"]) + float(r["pull_ms"]) + float(r["run_ms"]) - float(r["latency_ms"])) > 1:
        bad.append("phases do not add up")
    if (r["mode"] == "cold") != (float(r["pull_ms"]) > 0):
        bad.append(f"{r['mode']} row with pull_ms {r['pull_ms']}")
used = collections.Counter(r["node"] for r in rows)
if set(used) != {"rt1", "rt2"}:
    bad.append(f"nodes used: {dict(used)}")
print("remote: smoke rows per node", dict(used))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
else
  bad "smoke on the remote nodes failed"; cat "$work/smoke.err"
fi
for k in 1 2; do
  o=$(node "$k" 'docker ps -aq; docker images -q' 2>&1)
  [ -z "$o" ] || bad "rt$k not clean after the run: $o"
done

# Teardown, twice: the node user is gone, the second run changes nothing.
for r in 1 2; do
  FAASBENCH_REMOTE_OUT=$out "$top/nodes/remote/teardown" "$work/inventory.yml" >"$work/teardown-$r.log" 2>&1 ||
    { bad "teardown run $r failed"; tail -n 20 "$work/teardown-$r.log"; }
done
recap_ok "$work/teardown-2.log" zero || bad "the second teardown changed something"
node 1 true 2>/dev/null && bad "rt1: the node user still logs in after teardown"
[ ! -e "$cfg" ] || bad "nodes.cfg left after teardown"
for d in "$CG_ROOT"/*/"$rt_cg" "$CG_ROOT/$rt_cg"; do
  [ ! -e "$d" ] || bad "rt1's cgroup left: $(find "$d" -type d)"
done

note "total $(($(date +%s) - start)) s"
[ $fail -eq 0 ] && { echo "remote: ok"; rm -rf "$work"; }
exit $fail
