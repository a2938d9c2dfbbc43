#!/usr/bin/env bash
# isolation.sh - what a resident function can do to its node, on 4 local
# nodes with the preset of the set's runtime: its runtime runs as the node
# user, not root, with no capability and no-new-privileges (Podman: its
# folder mounted nosuid,nodev), so what it leaves in its folder (a copy of
# sh made set-user-ID, a folder of its own) is the node user's and goes
# with the instance; no device node can be made; the instance root below
# the node user's home is private to that user; and a reset that cannot
# remove what is in the root says so instead of going on silently.
set -uo pipefail
. "$(dirname "$0")/lib.bash"

work=$(mktemp -d /tmp/faasbench-isolation.XXXXXX)
home=$(getent passwd "$node_user" | cut -d: -f6)
uid=$(id -u "$node_user")
root=$home/.faasbench/instances
fail=0
bad() { echo "FAIL: $*"; fail=1; }
cleanup() { # shellcheck disable=SC2317 # run by the trap
  rm -rf "$work" "$root/node1/stuck"
}
trap cleanup EXIT
cp "$local_dir/nodes.cfg" "$work/nodes.cfg"
noop=127.0.0.1:5000/faasbench/noop:1
preset=docker
mount_check=true
if [ "$RUNTIME" = podman ]; then
  preset=podman
  mount_check='grep " /run/faasbench " /proc/self/mountinfo | grep -q "nosuid,nodev" || exit 16'
fi

# The probe exits with the number of the first thing that is not as it must be.
probe="test \"\$(id -u)\" = $uid || exit 11
grep -q '^CapEff:[[:space:]]*0*\$' /proc/self/status || exit 12
grep -q '^NoNewPrivs:[[:space:]]*1' /proc/self/status || exit 13
mkdir -p /run/faasbench/d && cp /bin/sh /run/faasbench/d/x && chmod 4755 /run/faasbench/d/x || exit 14
test \"\$(stat -c %u /run/faasbench/d/x)\" = $uid || exit 15
test \"\$(stat -c %a /run/faasbench)\" = 700 || exit 18
$mount_check
mknod /run/faasbench/d/null c 1 3 2>/dev/null && exit 17
exit 0"
printf '%s\n' "$probe" >"$work/probe.sh"
# The function's command: sh -c with the probe as one argument (libconfig
# string: backslashes and double quotes escaped).
cmd=$(python3 -c 'import shlex, sys; print(shlex.join(["sh", "-c", open(sys.argv[1]).read()]))' \
  "$work/probe.sh" | sed 's/\\/\\\\/g; s/"/\\"/g')

cat >"$work/isolation.cfg" <<CFG
name = "isolation-test";
@include "nodes.cfg"
functions = ( { name = "probe"; image = "$noop"; command = "$cmd"; resident = true;
                network = false; } );
matrix = { policies = [ "round-robin" ]; warming = [ "warmed", "cold" ]; invocations = 2; };
runtime = { preset = "$preset"; };
timeouts = { command_s = 120; };
CFG

run() {
  "$faasbench" -q --no-plots --results "$work/results" "$work/isolation.cfg" >"$work/out" 2>"$work/err"
}

# 1. The probe passes on every call, warm and cold.
if ! run; then
  echo "faasbench failed:"; cat "$work/err"; exit 1
fi
rows=$(cat "$(cat "$work/out")/invocations.csv")
n=$(tail -n +2 <<<"$rows" | wc -l)
[ "$n" -eq 4 ] || bad "$n rows, want 4"
errors=$(python3 -c 'import csv, sys
for r in csv.DictReader(sys.stdin):
    if r["error"] or r["exit_status"] != "0":
        print(r["warming"], r["exit_status"], r["error"])' <<<"$rows")
[ -z "$errors" ] || bad "the probe failed: $errors"

# 2. Nothing of any instance is left, and the root is the node user's alone
#    (the instance's own folder was: the probe's exit 18).
left=$(find "$root" -mindepth 2 2>/dev/null | head -5)
[ -z "$left" ] || bad "left in the instance root: $left"
[ "$(stat -c '%a %U' "$root")" = "700 $node_user" ] ||
  bad "instance root $(stat -c '%a %U' "$root"), want 700 $node_user"

# 3. What the node user cannot remove (root's, as a root container left
#    before): the reset says so.
mkdir -p "$root/node1/stuck/d"
touch "$root/node1/stuck/d/f"
if ! run; then
  echo "faasbench failed:"; cat "$work/err"; exit 1
fi
grep -q "reset of node1 failed: reset on node1: exit 1: rm: cannot remove .*Permission denied" \
  "$work/err" || bad "a reset that could not remove a folder said nothing: $(head -c 600 "$work/err")"
rm -rf "$root/node1/stuck"

assert_clean || fail=1
[ $fail -eq 0 ] && echo "isolation: ok"
exit $fail
