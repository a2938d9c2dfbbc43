#!/usr/bin/env bash
# cgroups.sh - cgroup v1 and v2 without a real cgroup: nodes/lib.sh writes a
# node's limits into fake trees shaped like the kernel's files (cgroup v1
# with separate and with co-mounted cpu,cpuacct hierarchies; cgroup v2 with
# cpu.max, memory.max and subtree_control), and faasbench-node metrics reads
# them back, both from a given cgroup (FAASBENCH_CGROUP) and from the
# process's own (/proc/self/cgroup, with a helper built to read a fixture
# instead). Also: limits found on an ancestor, "max" and v1's unlimited value
# skipped, the inactive page cache taken off, whole-host figures when no
# limit is set; the CFS period the quota is granted over (10 ms unless
# given, within the kernel's 1 ms - 1 s, a quota of 1 ms at least), from
# nodes/lib.sh and from the remote nodes' faasbench-cgroup. Needs no root
# and no nodes.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/faasbench-cgroups.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
checks=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

helper=$top/build-asan/faasbench-node
[ -x "$helper" ] || helper=$top/build/faasbench-node
[ -x "$helper" ] || { echo "FAIL: no faasbench-node built (scripts/build)"; exit 1; }
# The same source, built to read its own cgroup from a fixture file.
fixture_proc=$work/proc-self-cgroup
# shellcheck source=nodes/helper.sh
source "$top/nodes/helper.sh"
helper_build "$work/helper-proc" -Werror -O1 -fsanitize=address,undefined \
  -DPROC_SELF_CGROUP="\"$fixture_proc\"" ||
  { echo "FAIL: could not build the fixture helper"; exit 1; }

# expect NAME LINE KEY=VALUE...: every KEY has VALUE in the metrics LINE.
expect() {
  local name=$1 line=$2 kv key want got
  shift 2
  checks=$((checks + 1))
  if [[ $line != fbm1\ * ]]; then
    fail "$name: no metrics line: $line"
    return
  fi
  for kv in "$@"; do
    key=${kv%%=*} want=${kv#*=}
    got=$(sed -n "s/.* $key=\([^ ]*\).*/\1/p" <<<"$line")
    [ "$got" = "$want" ] || fail "$name: $key=$got, want $want ($line)"
  done
}

# metrics ROOT CGROUP: the helper's line for a given node cgroup in a tree.
metrics() {
  FAASBENCH_CGROUP_ROOT=$1 FAASBENCH_CGROUP=$2 "$helper" metrics 2>&1
}

# lib_sh ROOT COMMAND...: runs nodes/lib.sh functions against a fake root.
lib_sh() {
  local root=$1
  shift
  FAASBENCH_CGROUP_ROOT=$root FAASBENCH_NODESET=ut bash -c \
    'set -euo pipefail; source "$0/nodes/lib.sh"; "$@"' "$top" "$@"
}

# Files the kernel puts in every v1 cgroup directory of a controller.
v1_dir() { # DIR CONTROLLER...
  local d=$1 c
  shift
  mkdir -p "$d"
  : >"$d/cgroup.procs"
  for c in "$@"; do
    case $c in
      cpu) echo -1 >"$d/cpu.cfs_quota_us"; echo 100000 >"$d/cpu.cfs_period_us" ;;
      cpuacct) echo 0 >"$d/cpuacct.usage" ;;
      memory) echo 9223372036854771712 >"$d/memory.limit_in_bytes"
              echo 0 >"$d/memory.usage_in_bytes"; echo "total_inactive_file 0" >"$d/memory.stat" ;;
    esac
  done
}

# ---- cgroup v1, separate cpu, cpuacct and memory hierarchies -------------
v1=$work/v1
for c in cpu cpuacct memory; do v1_dir "$v1/$c" "$c"; done
v1_dir "$v1/pids"   # a hierarchy that carries no limit
lib_sh "$v1" cg_setup node1 0.5 $((512 * 1024 * 1024)) || fail "v1: cg_setup failed"
lib_sh "$v1" cg_child node1 dockerd || fail "v1: cg_child failed"
checks=$((checks + 1))
[ "$(cat "$v1/cpu/faasbench-ut/node1/cpu.cfs_quota_us" 2>/dev/null)" = 5000 ] &&
  [ "$(cat "$v1/cpu/faasbench-ut/node1/cpu.cfs_period_us" 2>/dev/null)" = 10000 ] &&
  [ "$(cat "$v1/memory/faasbench-ut/node1/memory.limit_in_bytes" 2>/dev/null)" = 536870912 ] ||
  fail "v1: limits not written as cfs_quota/cfs_period/limit_in_bytes (0.5 CPU over 10 ms)"
for c in cpu cpuacct memory; do
  checks=$((checks + 1))
  [ -d "$v1/$c/faasbench-ut/node1/sshd" ] && [ -d "$v1/$c/faasbench-ut/node1/dockerd" ] ||
    fail "v1: $c/faasbench-ut/node1/{sshd,dockerd} missing"
done
# What the kernel would show: the node's counters, and its children unlimited.
echo 7000000000 >"$v1/cpuacct/faasbench-ut/node1/cpuacct.usage"
echo 300000000 >"$v1/memory/faasbench-ut/node1/memory.usage_in_bytes"
printf 'cache 100\ntotal_inactive_file 100000000\ntotal_active_file 5\n' >"$v1/memory/faasbench-ut/node1/memory.stat"
for c in cpu cpuacct memory; do v1_dir "$v1/$c/faasbench-ut/node1/sshd" "$c"; done
expect "v1 given" "$(metrics "$v1" /faasbench-ut/node1/sshd)" \
  cpu_ns=7000000000 mem_used=200000000 mem_limit=536870912 cpus=0.50 source=cgroup1
expect "v1 given, the node itself" "$(metrics "$v1" /faasbench-ut/node1)" \
  cpu_ns=7000000000 mem_used=200000000 cpus=0.50 source=cgroup1
printf '4:memory:/faasbench-ut/node1/sshd\n3:pids:/\n2:cpuacct:/faasbench-ut/node1/sshd\n1:cpu:/faasbench-ut/node1/sshd\n0::/\n' >"$fixture_proc"
expect "v1 own" "$(FAASBENCH_CGROUP_ROOT=$v1 "$work/helper-proc" metrics 2>&1)" \
  cpu_ns=7000000000 mem_used=200000000 mem_limit=536870912 cpus=0.50 source=cgroup1
# Above every limit: whole-host figures.
expect "v1 no limit" "$(metrics "$v1" /)" source=proc
# cg_enter puts a process into the node's child; cg_remove ends it.
sleep 60 &
victim=$!
lib_sh "$v1" cg_enter node1 "$victim" sshd || fail "v1: cg_enter failed"
checks=$((checks + 1))
for c in cpu cpuacct memory; do
  grep -qx "$victim" "$v1/$c/faasbench-ut/node1/sshd/cgroup.procs" || fail "v1: pid not in $c/.../sshd/cgroup.procs"
done
checks=$((checks + 1))
[ "$(lib_sh "$v1" cg_pids node1)" = "$victim" ] || fail "v1: cg_pids: $(lib_sh "$v1" cg_pids node1)"
lib_sh "$v1" cg_remove node1 2>/dev/null
checks=$((checks + 1))
if kill -0 "$victim" 2>/dev/null; then fail "v1: cg_remove left the node's process running"; kill "$victim"; fi
wait "$victim" 2>/dev/null

# ---- cgroup v1, cpu and cpuacct co-mounted (with the usual links) ----------
co=$work/v1co
v1_dir "$co/cpu,cpuacct" cpu cpuacct
v1_dir "$co/memory" memory
ln -s cpu,cpuacct "$co/cpu"
ln -s cpu,cpuacct "$co/cpuacct"
lib_sh "$co" cg_setup node2 1.5 $((1024 * 1024 * 1024)) || fail "v1 co-mounted: cg_setup failed"
checks=$((checks + 1))
[ "$(cat "$co/cpu,cpuacct/faasbench-ut/node2/cpu.cfs_quota_us" 2>/dev/null)" = 15000 ] &&
  [ "$(cat "$co/cpu,cpuacct/faasbench-ut/node2/cpu.cfs_period_us" 2>/dev/null)" = 10000 ] ||
  fail "v1 co-mounted: quota and period not written into cpu,cpuacct"
echo 42 >"$co/cpu,cpuacct/faasbench-ut/node2/cpuacct.usage"
echo 1000 >"$co/memory/faasbench-ut/node2/memory.usage_in_bytes"
expect "v1 co-mounted given" "$(metrics "$co" /faasbench-ut/node2/sshd)" \
  cpu_ns=42 mem_used=1000 mem_limit=1073741824 cpus=1.50 source=cgroup1
printf '3:memory:/faasbench-ut/node2/sshd\n2:cpu,cpuacct:/faasbench-ut/node2/sshd\n' >"$fixture_proc"
expect "v1 co-mounted own" "$(FAASBENCH_CGROUP_ROOT=$co "$work/helper-proc" metrics 2>&1)" \
  cpu_ns=42 cpus=1.50 source=cgroup1
rm "$co/cpu" "$co/cpuacct"   # without the links: found by the co-mount's name
expect "v1 co-mounted, no links" "$(metrics "$co" /faasbench-ut/node2/sshd)" cpu_ns=42 cpus=1.50

# ---- cgroup v2 ------------------------------------------------------------
v2=$work/v2
mkdir -p "$v2"
echo "cpuset cpu io memory hugetlb pids rdma misc" >"$v2/cgroup.controllers"
: >"$v2/cgroup.subtree_control"
: >"$v2/cgroup.procs"
mkdir -p "$v2/faasbench-ut/node3"
echo max >"$v2/faasbench-ut/node3/memory.swap.max"   # the kernel's, when swap is accounted
lib_sh "$v2" cg_setup node3 0.25 $((256 * 1024 * 1024)) || fail "v2: cg_setup failed"
lib_sh "$v2" cg_child node3 dockerd || fail "v2: cg_child failed"
n3=$v2/faasbench-ut/node3
checks=$((checks + 1))
[ "$(cat "$n3/cpu.max" 2>/dev/null)" = "2500 10000" ] || fail "v2: cpu.max '$(cat "$n3/cpu.max" 2>/dev/null)'"
checks=$((checks + 1))
[ "$(cat "$n3/memory.max" 2>/dev/null)" = 268435456 ] || fail "v2: memory.max '$(cat "$n3/memory.max" 2>/dev/null)'"
checks=$((checks + 1))
[ "$(cat "$n3/memory.swap.max" 2>/dev/null)" = 0 ] || fail "v2: swap not turned off"
for f in "$v2" "$v2/faasbench-ut" "$n3"; do
  checks=$((checks + 1))
  [ "$(cat "$f/cgroup.subtree_control")" = "+cpu +memory +pids" ] ||
    fail "v2: ${f#"$work"/}/cgroup.subtree_control: '$(cat "$f/cgroup.subtree_control")'"
done
checks=$((checks + 1))
[ -d "$n3/sshd" ] && [ -d "$n3/dockerd" ] || fail "v2: node3/{sshd,dockerd} missing"
# The kernel's view: counters of the node, its children without limits.
printf 'usage_usec 1234567\nuser_usec 1000000\nsystem_usec 234567\nnr_periods 0\n' >"$n3/cpu.stat"
echo 150000000 >"$n3/memory.current"
printf 'anon 100\nfile 60000000\ninactive_anon 7\nactive_anon 8\ninactive_file 50000000\nactive_file 10000000\n' >"$n3/memory.stat"
echo "max 100000" >"$n3/sshd/cpu.max"
echo max >"$n3/sshd/memory.max"
expect "v2 given" "$(metrics "$v2" /faasbench-ut/node3/sshd)" \
  cpu_ns=1234567000 mem_used=100000000 mem_limit=268435456 cpus=0.25 source=cgroup2
printf '0::/faasbench-ut/node3/sshd\n' >"$fixture_proc"
expect "v2 own" "$(FAASBENCH_CGROUP_ROOT=$v2 "$work/helper-proc" metrics 2>&1)" \
  cpu_ns=1234567000 mem_used=100000000 mem_limit=268435456 cpus=0.25 source=cgroup2
# A memory limit only: memory from the cgroup, CPU from the host.
echo max 100000 >"$n3/cpu.max"
line=$(metrics "$v2" /faasbench-ut/node3/sshd)
expect "v2 memory limit only" "$line" mem_limit=268435456 source=cgroup2
checks=$((checks + 1))
[ "$(sed -n 's/.* cpus=\([^ ]*\).*/\1/p' <<<"$line")" = "$(nproc).00" ] || fail "v2 memory only: cpus not the host's: $line"
echo max >"$n3/memory.max"
expect "v2 no limit" "$(metrics "$v2" /faasbench-ut/node3/sshd)" source=proc
sleep 60 &
victim=$!
lib_sh "$v2" cg_enter node3 "$victim" dockerd || fail "v2: cg_enter failed"
checks=$((checks + 1))
grep -qx "$victim" "$n3/dockerd/cgroup.procs" || fail "v2: pid not in node3/dockerd/cgroup.procs"
lib_sh "$v2" cg_remove node3 2>/dev/null
checks=$((checks + 1))
if kill -0 "$victim" 2>/dev/null; then fail "v2: cg_remove left the node's process running"; kill "$victim"; fi
wait "$victim" 2>/dev/null

# ---- the CFS period ---------------------------------------------------------
# Given: the quota is CPUs x period, the metrics' cpus the same; on v2 too.
lib_sh "$v1" cg_setup node4 0.5 $((64 * 1024 * 1024)) 100000 || fail "v1: cg_setup with a period failed"
checks=$((checks + 1))
[ "$(cat "$v1/cpu/faasbench-ut/node4/cpu.cfs_quota_us")/$(cat "$v1/cpu/faasbench-ut/node4/cpu.cfs_period_us")" = 50000/100000 ] ||
  fail "v1: a 100 ms period: $(cat "$v1/cpu/faasbench-ut/node4/cpu.cfs_quota_us")/$(cat "$v1/cpu/faasbench-ut/node4/cpu.cfs_period_us")"
v1_dir "$v1/cpuacct/faasbench-ut/node4/sshd" cpuacct
expect "v1 100 ms period" "$(metrics "$v1" /faasbench-ut/node4/sshd)" cpus=0.50 source=cgroup1
# Set up again with another period: both values change.
lib_sh "$v1" cg_setup node4 0.25 $((64 * 1024 * 1024)) 4000 || fail "v1: cg_setup again failed"
checks=$((checks + 1))
[ "$(cat "$v1/cpu/faasbench-ut/node4/cpu.cfs_quota_us")/$(cat "$v1/cpu/faasbench-ut/node4/cpu.cfs_period_us")" = 1000/4000 ] ||
  fail "v1: 0.25 CPU over 4 ms: $(cat "$v1/cpu/faasbench-ut/node4/cpu.cfs_quota_us")/$(cat "$v1/cpu/faasbench-ut/node4/cpu.cfs_period_us")"
expect "v1 4 ms period" "$(metrics "$v1" /faasbench-ut/node4/sshd)" cpus=0.25
lib_sh "$v2" cg_setup node5 2 $((64 * 1024 * 1024)) 1000 || fail "v2: cg_setup with a period failed"
checks=$((checks + 1))
[ "$(cat "$v2/faasbench-ut/node5/cpu.max")" = "2000 1000" ] || fail "v2: 2 CPUs over 1 ms: '$(cat "$v2/faasbench-ut/node5/cpu.max")'"
# Refused, naming the period, and nothing written: outside 1 ms - 1 s, not
# a number, or a quota under the kernel's 1 ms.
for bad in "0.5 999" "0.5 1000001" "0.5 10ms" "0.5 010000" "0.05 10000" "0.25 2000"; do
  read -r cpus period <<<"$bad"
  checks=$((checks + 1))
  if out=$(lib_sh "$v1" cg_setup node6 "$cpus" $((64 * 1024 * 1024)) "$period" 2>&1); then
    fail "v1: cg_setup $cpus CPUs over '$period' accepted"
  elif [[ $out != *"$period"* ]] || [ -e "$v1/cpu/faasbench-ut/node6" ]; then
    fail "v1: cg_setup $cpus CPUs over '$period': '$out', node6 made: $([ -e "$v1/cpu/faasbench-ut/node6" ] && echo yes)"
  fi
done

# The remote nodes' faasbench-cgroup: the same period by default, another
# when given, bad ones refused; "changed" only when it changed something.
cgtool=$top/nodes/remote/roles/node/files/faasbench-cgroup
tool() { FAASBENCH_CGROUP_ROOT=$1 "$cgtool" "${@:2}" 2>&1; }
r1=$work/r1
for c in cpu cpuacct memory; do v1_dir "$r1/$c" "$c"; done
checks=$((checks + 1))
[ "$(tool "$r1" apply /fb/node 0.5 512)" = changed ] &&
  [ "$(cat "$r1/cpu/fb/node/cpu.cfs_quota_us")/$(cat "$r1/cpu/fb/node/cpu.cfs_period_us")" = 5000/10000 ] ||
  fail "faasbench-cgroup v1: not 0.5 CPU over 10 ms: $(cat "$r1/cpu/fb/node/cpu.cfs_quota_us" 2>&1)/$(cat "$r1/cpu/fb/node/cpu.cfs_period_us" 2>&1)"
checks=$((checks + 1))
[ -z "$(tool "$r1" apply /fb/node 0.5 512 10000)" ] || fail "faasbench-cgroup v1: the same limits again changed something"
checks=$((checks + 1))
[ "$(tool "$r1" apply /fb/node 0.5 512 100000)" = changed ] &&
  [ "$(cat "$r1/cpu/fb/node/cpu.cfs_quota_us")/$(cat "$r1/cpu/fb/node/cpu.cfs_period_us")" = 50000/100000 ] ||
  fail "faasbench-cgroup v1: not 0.5 CPU over 100 ms"
checks=$((checks + 1))
[ "$(tool "$r1" apply /fb/node '' 512 2000)" = changed ] &&
  [ "$(cat "$r1/cpu/fb/node/cpu.cfs_quota_us")/$(cat "$r1/cpu/fb/node/cpu.cfs_period_us")" = -1/2000 ] ||
  fail "faasbench-cgroup v1: no CPU limit: $(cat "$r1/cpu/fb/node/cpu.cfs_quota_us")/$(cat "$r1/cpu/fb/node/cpu.cfs_period_us")"
r2=$work/r2
mkdir -p "$r2"
echo "cpu memory pids" >"$r2/cgroup.controllers"
: >"$r2/cgroup.subtree_control"
checks=$((checks + 1))
[ "$(tool "$r2" apply /fb/node 1.5 256)" = changed ] && [ "$(cat "$r2/fb/node/cpu.max")" = "15000 10000" ] ||
  fail "faasbench-cgroup v2: cpu.max '$(cat "$r2/fb/node/cpu.max" 2>&1)'"
checks=$((checks + 1))
[ "$(tool "$r2" apply /fb/node 1.5 256 50000)" = changed ] && [ "$(cat "$r2/fb/node/cpu.max")" = "75000 50000" ] ||
  fail "faasbench-cgroup v2: cpu.max '$(cat "$r2/fb/node/cpu.max" 2>&1)' over 50 ms"
for bad in "0.5 999" "0.5 2000000" "0.5 x" "0.05 10000"; do
  read -r cpus period <<<"$bad"
  checks=$((checks + 1))
  if out=$(tool "$r2" apply /fb/other "$cpus" 256 "$period"); then
    fail "faasbench-cgroup: $cpus CPUs over '$period' accepted"
  elif [[ $out != *"$period"* ]] || [ -e "$r2/fb/other" ]; then
    fail "faasbench-cgroup: $cpus CPUs over '$period': '$out', made: $([ -e "$r2/fb/other" ] && echo yes)"
  fi
done

# A cgroup named that is not a path is refused, not read from somewhere else.
expect "relative cgroup" "$(metrics "$v2" faasbench-ut/node3 || true)" source=proc

echo "cgroups: $((checks - fails)) of $checks checks passed"
[ $fails -eq 0 ]
