# lib.bash - shared helpers for the integration tests (sourced, not run).
# The node set under test is FAASBENCH_NODESET's (the default set when empty):
# its folder, user, cgroup and runtime come from nodes/set.sh, its ports from
# the generated nodes.cfg.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=nodes/set.sh
. "$top/nodes/set.sh"
local_dir=$LOCAL
node_user=$NODE_USER
# shellcheck disable=SC2034 # for the suites that source this
faasbench=$top/build/faasbench
# Where the set's resident instances live: the default instance_root, below
# the node user's home (each set's user its own).
# shellcheck disable=SC2034 # for the suites that source this
instance_root=$(getent passwd "$node_user" | cut -d: -f6)/.faasbench/instances
# The tests' Python reads run folders through rows.py, beside this file.
export PYTHONPATH="$top/tests/integration${PYTHONPATH:+:$PYTHONPATH}"
# `docker rm -f` of a running container: Podman's waits out a stop timeout
# unless told --time 0, which Docker's rm does not take (it kills at once).
# shellcheck disable=SC2034 # for the suites that source this
if [ "$RUNTIME" = docker ]; then rm_force="docker rm -f"; else rm_force="docker rm -f -t 0"; fi

# node_ports: the ports of the local nodes, from the generated nodes.cfg.
node_ports() {
  grep -o 'port = [0-9]*' "$local_dir/nodes.cfg" | awk '{print $3}'
}

# node_port K: the port of node K (1-based).
node_port() {
  node_ports | sed -n "${1}p"
}

# on_node PORT CMD...: runs CMD on a local node as its user.
on_node() {
  local port=$1; shift
  ssh -i "$local_dir/id_ed25519" -o UserKnownHostsFile="$local_dir/known_hosts" \
    -o StrictHostKeyChecking=yes -o BatchMode=yes -o LogLevel=ERROR \
    -p "$port" "$node_user@127.0.0.1" "$@"
}

# experiment_copy FILE DIR: copies an experiment file of experiments/ into DIR
# with the node list included from DIR/nodes.cfg (a copy of this set's).
experiment_copy() {
  local file=$1 dir=$2
  cp "$local_dir/nodes.cfg" "$dir/nodes.cfg"
  sed 's|^@include ".*nodes\.cfg"$|@include "nodes.cfg"|' "$file" >"$dir/$(basename "$file")"
}

# assert_clean: no container and no function image on any node.
assert_clean() {
  local port out ok=0
  for port in $(node_ports); do
    out=$(on_node "$port" 'docker ps -aq; docker images -q --filter reference="127.0.0.1:5000/faasbench/*"' 2>/dev/null)
    if [ -n "$out" ]; then
      echo "node on port $port is not clean:"; echo "$out"; ok=1
    fi
  done
  return $ok
}

# kill_node NODE: kills every process of a node: its sshd and its sessions (the node dies).
kill_node() {
  local node=$1 h
  local -a pids
  kill -KILL "$(cat "$local_dir/$node/sshd.pid")" 2>/dev/null
  for h in "$CG_ROOT"/*/"$CG_NAME/$node"/sshd "$CG_ROOT/$CG_NAME/$node"/sshd; do
    [ -f "$h/cgroup.procs" ] || continue
    mapfile -t pids <"$h/cgroup.procs"
    [ ${#pids[@]} -eq 0 ] || kill -KILL "${pids[@]}" 2>/dev/null
  done
  return 0
}
