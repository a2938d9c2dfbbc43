# shellcheck shell=bash disable=SC2034
# Shared settings and helpers of nodes/up and nodes/down (sourced, not run).

# The set's host-wide names: NODES_DIR LOCAL BIN STATE RUNDIR CG_NAME CG_ROOT
# NODE_USER SUDOERS PORT_BASE RUNTIME (see set.sh).
# shellcheck source=nodes/set.sh
source "$(dirname "${BASH_SOURCE[0]}")/set.sh"
CACHE=${FAASBENCH_CACHE:-/var/cache/faasbench}
REGISTRY=127.0.0.1:5000

die() {
    echo "nodes: $*" >&2
    exit 1
}

need_root() {
    [[ $(id -u) -eq 0 ]] || die "must run as root"
}

# Podman with the storage, run and temp dirs of one node (or of the builder).
node_podman() {
    local name=$1
    shift
    podman --root "$STATE/nodes/$name/storage" --runroot "$RUNDIR/$name" \
        --tmpdir "$RUNDIR/$name/libpod" --cgroup-manager cgroupfs \
        --runtime runc --events-backend file "$@"
}

# True when the pid in file $1 is alive and runs executable $2.
pid_alive() {
    local file=$1 exe=$2 pid
    # The daemon removes its pid file when it exits: it may vanish any time.
    pid=$(cat "$file" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$exe" ]]
}

# Sends TERM to the pid in file $1 (if it runs $2), waits up to 5 s, then KILL.
stop_pid() {
    local file=$1 exe=$2 pid i
    if pid_alive "$file" "$exe" && pid=$(cat "$file" 2>/dev/null); then
        kill "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            pid_alive "$file" "$exe" || break
            sleep 0.1
        done
        if pid_alive "$file" "$exe"; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$file"
}

# ---- cgroups ---------------------------------------------------------------
# Each node gets $CG_NAME/<node> with the CPU and memory limits; its sshd (and
# so every command run over ssh) lives in the child "sshd", containers in
# sibling children created by podman (--cgroup-parent /$CG_NAME/<node>).

cg_v2() {
    [[ -f $CG_ROOT/cgroup.controllers ]]
}

# v1 hierarchy directory of a controller (handles "cpu,cpuacct" co-mounts).
cg_v1_dir() {
    local c=$1 d
    for d in "$CG_ROOT/$c" "$CG_ROOT"/*"$c"*; do
        [[ -d $d && -f $d/cgroup.procs ]] || continue
        case ",$(basename "$d")," in
            *",$c,"*) echo "$d"; return 0 ;;
        esac
    done
    return 1
}

# Writes the node's limits: $2 = CPUs (decimal), $3 = memory in bytes, $4 =
# the CFS period in microseconds over which the CPU quota is granted (default
# 10000). A short period keeps short work faithful: a process throttled for
# using up the quota waits for the next period, up to (1 - CPUs) x period,
# which at 100 ms (the kernel's default) stretches a 100 ms call by up to
# half. The kernel takes periods of 1 ms to 1 s and quotas of 1 ms or more.
cg_setup() {
    local node=$1 cpus=$2 mem=$3 period=${4:-10000} quota d
    [[ $period =~ ^[1-9][0-9]{3,6}$ ]] && ((period >= 1000 && period <= 1000000)) ||
        die "CPU period $period us is not within 1000-1000000"
    quota=$(awk -v c="$cpus" -v p="$period" 'BEGIN { printf "%d", c * p }')
    ((quota >= 1000)) || die "FAASBENCH_NODE_CPUS=$cpus is too small for a $period us period (a quota of 1 ms at least)"
    if cg_v2; then
        local top=$CG_ROOT/$CG_NAME
        mkdir -p "$top/$node"
        echo "+cpu +memory +pids" >"$CG_ROOT/cgroup.subtree_control"
        echo "+cpu +memory +pids" >"$top/cgroup.subtree_control"
        echo "+cpu +memory +pids" >"$top/$node/cgroup.subtree_control"
        mkdir -p "$top/$node/sshd"
        echo "$quota $period" >"$top/$node/cpu.max"
        echo "$mem" >"$top/$node/memory.max"
        [[ ! -f $top/$node/memory.swap.max ]] || echo 0 >"$top/$node/memory.swap.max"
    else
        for c in cpu cpuacct memory; do
            d=$(cg_v1_dir "$c") || die "cgroup v1 controller $c is not mounted"
            mkdir -p "$d/$CG_NAME/$node/sshd"
        done
        d=$(cg_v1_dir cpu)/$CG_NAME/$node
        echo "$period" >"$d/cpu.cfs_period_us"
        echo "$quota" >"$d/cpu.cfs_quota_us"
        d=$(cg_v1_dir memory)/$CG_NAME/$node
        echo "$mem" >"$d/memory.limit_in_bytes"
    fi
}

# Creates the child $2 of the node's cgroup (cg_setup makes "sshd").
cg_child() {
    local node=$1 child=$2 c
    if cg_v2; then
        mkdir -p "$CG_ROOT/$CG_NAME/$node/$child"
    else
        for c in cpu cpuacct memory; do
            mkdir -p "$(cg_v1_dir "$c")/$CG_NAME/$node/$child"
        done
    fi
}

# Moves process $2 into the node's child cgroup $3 (default: sshd).
cg_enter() {
    local node=$1 pid=$2 child=${3:-sshd} c
    if cg_v2; then
        echo "$pid" >"$CG_ROOT/$CG_NAME/$node/$child/cgroup.procs"
    else
        for c in cpu cpuacct memory; do
            echo "$pid" >"$(cg_v1_dir "$c")/$CG_NAME/$node/$child/cgroup.procs"
        done
    fi
}

# Every hierarchy mounted under $CG_ROOT (v1 controllers, named, unified).
cg_hierarchies() {
    if cg_v2; then
        echo "$CG_ROOT"
    else
        local d
        for d in "$CG_ROOT"/*/; do
            d=${d%/}
            [[ -L $d ]] && continue
            [[ -f $d/cgroup.procs ]] && echo "$d"
        done
    fi
}

# True when the node has a cgroup in any hierarchy.
cg_exists() {
    local node=$1 h
    for h in $(cg_hierarchies); do
        [[ -d $h/$CG_NAME/$node ]] && return 0
    done
    return 1
}

# Pids still inside the node's cgroups (any hierarchy, any depth).
cg_pids() {
    local node=$1 h
    for h in $(cg_hierarchies); do
        [[ -d $h/$CG_NAME/$node ]] || continue
        find "$h/$CG_NAME/$node" -name cgroup.procs -exec cat {} + 2>/dev/null
    done | sort -un
}

# Ends what is left in the node's cgroups, then removes them everywhere.
cg_remove() {
    local node=$1 h pids i sig
    for sig in TERM KILL; do
        mapfile -t pids < <(cg_pids "$node")
        ((${#pids[@]})) || break
        kill "-$sig" "${pids[@]}" 2>/dev/null || true
        for ((i = 0; i < 30; i++)); do
            [[ -z $(cg_pids "$node") ]] && break
            sleep 0.1
        done
    done
    for h in $(cg_hierarchies); do
        [[ -d $h/$CG_NAME/$node ]] || continue
        find "$h/$CG_NAME/$node" -depth -type d -exec rmdir {} + 2>/dev/null || true
        rmdir "$h/$CG_NAME" 2>/dev/null || true
    done
}

# ---- nodes ----------------------------------------------------------------

# Node names that have a folder under .local (started now or before).
known_nodes() {
    local d
    for d in "$LOCAL"/node*/; do
        [[ -d $d ]] || continue
        d=${d%/}
        d=${d##*/}
        [[ $d =~ ^node[0-9]+$ ]] && echo "$d"
    done | sort -V
}

# Docker's client bound to the node's own dockerd.
node_docker() {
    local name=$1
    shift
    DOCKER_CONFIG=$STATE/nodes/$name/client /usr/bin/docker \
        --host "unix://$RUNDIR/$name/docker.sock" "$@"
}

# Stops the node's dockerd and the containerd it started, by their pid files.
stop_dockerd() {
    local node=$1
    stop_pid "$RUNDIR/$node/dockerd.pid" /usr/sbin/dockerd
    stop_pid "$RUNDIR/$node/exec/containerd/containerd.pid" /usr/bin/containerd
}

# Removes the node's containers and images (whichever runtime it had), stops
# its sshd and dockerd, ends its remaining sessions and removes its cgroups
# and Docker bridge. Keeps keys, configuration and Podman networks.
stop_node() {
    local node=$1 ids
    if [[ -d $STATE/nodes/$node/storage ]]; then
        node_podman "$node" rm --all --force --time 0 >/dev/null 2>&1 || true
        node_podman "$node" rmi --all --force >/dev/null 2>&1 || true
        if [[ -n $(node_podman "$node" ps --all --quiet 2>/dev/null) ]]; then
            echo "nodes: $node still has containers" >&2
        fi
    fi
    if pid_alive "$RUNDIR/$node/dockerd.pid" /usr/sbin/dockerd; then
        mapfile -t ids < <(node_docker "$node" ps --all --quiet 2>/dev/null)
        ((${#ids[@]} == 0)) || node_docker "$node" rm --force "${ids[@]}" >/dev/null 2>&1 || true
        mapfile -t ids < <(node_docker "$node" images --quiet 2>/dev/null | sort -u)
        ((${#ids[@]} == 0)) || node_docker "$node" rmi --force "${ids[@]}" >/dev/null 2>&1 || true
        if [[ -n $(node_docker "$node" ps --all --quiet 2>/dev/null) ]]; then
            echo "nodes: $node still has containers" >&2
        fi
    fi
    stop_dockerd "$node"
    stop_pid "$LOCAL/$node/sshd.pid" /usr/sbin/sshd
    cg_remove "$node"
    # The bridge nodes/up made for the node's dockerd (Podman's are netavark's).
    if [[ -d $STATE/nodes/$node/docker && -d /sys/class/net/$(net_interface "$node")/bridge ]]; then
        ip link delete "$(net_interface "$node")" 2>/dev/null || true
    fi
}
