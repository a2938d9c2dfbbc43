#!/usr/bin/env bash
# faultool.sh - nodes/bin/faasbench-fault's slow fault on fake cgroup trees
# (v1 with cpu,cpuacct co-mounted and v2's cpu.max), as a local node set and
# as a host: the quota cut to the fraction and restored by revert, a second
# revert changing nothing, the node's own deadline ending a fault by itself
# (by=deadline), one fault at a time per node, no quota read as every CPU,
# bad ids, actions and fractions refused. Needs no root and no nodes (the
# network actions are tested on real nodes: tests/integration/faults_schedule.sh).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/faasbench-faultool.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
checks=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { # NAME GOT WANT
  checks=$((checks + 1))
  [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

# tool NAME SED: the tool with its settings written in, as nodes/up does.
tool() {
  sed "$2" "$top/nodes/bin/faasbench-fault" >"$work/$1"
  chmod +x "$work/$1"
}

# ---- a local node set on cgroup v1 (cpu,cpuacct co-mounted) ----
v1=$work/v1
mkdir -p "$v1/cpu,cpuacct/fs/node2" "$work/dotlocal/node2"
touch "$v1/cpu,cpuacct/cgroup.procs"
echo 100000 >"$v1/cpu,cpuacct/fs/node2/cpu.cfs_period_us"
echo 50000 >"$v1/cpu,cpuacct/fs/node2/cpu.cfs_quota_us"
printf 'Port 2523\nListenAddress 127.0.0.1\n' >"$work/dotlocal/node2/sshd_config"
tool local "s|^set=[^ ]*|set=fs|; s|^local=[^ ]*|local=$work/dotlocal|; s|^state=[^ ]*|state=$work/state1|"
run_local() { FAASBENCH_CGROUP_ROOT=$v1 FAASBENCH_NODE=node2 "$work/local" "$@"; }
q=$v1/cpu,cpuacct/fs/node2/cpu.cfs_quota_us

out=$(run_local apply s1 slow 30 0.25)
check "apply says" "$(cut -d' ' -f1,2 <<<"$out")" "applied s1"
check "v1 quota cut" "$(cat "$q")" 12500
out=$(run_local apply s2 slow 30 0.5 2>&1)
check "a second fault on the node" "$out" "faasbench-fault: node2 already has fault s1 (slow)"
out=$(run_local revert s1)
check "revert says" "$(cut -d' ' -f1,2,5 <<<"$out")" "reverted s1 faasbench"
check "v1 quota restored" "$(cat "$q")" 50000
again=$(run_local revert s1)
check "a second revert changes nothing" "$again" "$out"
check "still restored" "$(cat "$q")" 50000
[ -z "$(pgrep -f "_deadline s1$" || true)" ] || fail "s1's deadline process still runs after its revert"

# The node ends a fault by itself at its deadline.
run_local apply s3 slow 0.4 0.5 >/dev/null
check "cut again" "$(cat "$q")" 25000
sleep 1.5
check "restored at the deadline" "$(cat "$q")" 50000
check "by the node" "$(run_local status | awk '$1 == "s3" {print $4, $NF}')" "off by=deadline"

# Bad input.
for bad in "apply ../x slow 1 0.5" "apply x crash 1" "apply x slow 1 0" "apply x slow 1 1.5" \
           "apply x slow -1 0.5" "apply x slow 1e3 0.5"; do
  # shellcheck disable=SC2086 # the words of each case
  if run_local $bad >/dev/null 2>&1; then fail "'$bad' was accepted"; fi
  checks=$((checks + 1))
done
if FAASBENCH_CGROUP_ROOT=$v1 FAASBENCH_NODE="node2;id" "$work/local" apply x slow 1 0.5 >/dev/null 2>&1; then
  fail "a bad FAASBENCH_NODE was accepted"
fi

# ---- a host (one node) on cgroup v2, and one without a quota ----
v2=$work/v2
mkdir -p "$v2/faasbench/node"
touch "$v2/cgroup.controllers" "$v2/cgroup.procs"
echo "40000 100000" >"$v2/faasbench/node/cpu.max"
tool host "s|^local=[^ ]*|local=|; s|^port=[^ ]*|port=22|; s|^cgroup=[^ ]*|cgroup=/faasbench/node|; s|^state=[^ ]*|state=$work/state2|"
run_host() { FAASBENCH_CGROUP_ROOT=$v2 "$work/host" "$@"; }
run_host apply h1 slow 30 0.5 >/dev/null
check "v2 quota cut" "$(cat "$v2/faasbench/node/cpu.max")" "20000 100000"
run_host revert h1 >/dev/null
check "v2 quota restored" "$(cat "$v2/faasbench/node/cpu.max")" "40000 100000"
echo "max 100000" >"$v2/faasbench/node/cpu.max"
run_host apply h2 slow 30 0.25 >/dev/null
check "no quota: a fraction of every CPU" "$(cat "$v2/faasbench/node/cpu.max")" \
  "$((100000 * $(nproc) / 4)) 100000"
run_host revert-all test >/dev/null
check "revert-all restores" "$(cat "$v2/faasbench/node/cpu.max")" "max 100000"
tool nocg "s|^local=[^ ]*|local=|; s|^cgroup=[^ ]*|cgroup=|; s|^state=[^ ]*|state=$work/state3|"
out=$(FAASBENCH_CGROUP_ROOT=$v2 "$work/nocg" apply n1 slow 30 0.5 2>&1)
check "a host without a cgroup" "$out" "faasbench-fault: $(hostname) has no cgroup: slow needs its CPU quota"

echo "faultool: $checks checks, $fails failed"
[ $fails -eq 0 ]
