# lib.bash - shared helpers for the integration tests (sourced, not run).
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
local_dir=$top/nodes/.local
faasbench=$top/build/faasbench

# node_ports: the ports of the local nodes, from the generated nodes.cfg.
node_ports() {
  grep -o 'port = [0-9]*' "$local_dir/nodes.cfg" | awk '{print $3}'
}

# on_node PORT CMD...: runs CMD on a local node as its user.
on_node() {
  local port=$1; shift
  ssh -i "$local_dir/id_ed25519" -o UserKnownHostsFile="$local_dir/known_hosts" \
    -o StrictHostKeyChecking=yes -o BatchMode=yes -o LogLevel=ERROR \
    -p "$port" faas@127.0.0.1 "$@"
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
  local node=$1 h pids
  kill -KILL "$(cat "$local_dir/$node/sshd.pid")" 2>/dev/null
  for h in /sys/fs/cgroup/*/faasbench/"$node"/sshd /sys/fs/cgroup/faasbench/"$node"/sshd; do
    [ -f "$h/cgroup.procs" ] || continue
    pids=$(cat "$h/cgroup.procs")
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
  done
  return 0
}
