#!/usr/bin/env bash
# Integration test of the local execution nodes; assumes `nodes/up 4` ran
# (Podman or Docker Engine nodes, of the set FAASBENCH_NODESET names).
# Checks docker over ssh (plain and through sudo) reaching the node's own
# runtime, per-node image storage, the CPU quota, faasbench-node metrics and
# exec, and leaves the nodes clean (no containers, no images).
# Last line: "N passed, M failed"; exit 0 = all passed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=nodes/set.sh
source "$repo/nodes/set.sh"
local_dir=$LOCAL
cfg=$local_dir/nodes.cfg
light=127.0.0.1:5000/faasbench/fib-light:1
noop=127.0.0.1:5000/faasbench/noop:1
burner=fbtest-burn
warm=fbtest-warm

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
    failed=$((failed + 1))
    echo "FAIL: $*" >&2
}
finish() {
    echo "$passed passed, $failed failed"
    if ((failed > 0)); then
        exit 1
    fi
    exit 0
}

if [[ ! -f $cfg ]]; then
    fail "no $cfg: run nodes/up 4 first"
    finish
fi
mapfile -t ports < <(grep -o 'port = [0-9]*' "$cfg" | awk '{ print $3 }')
if ((${#ports[@]} < 4)); then
    fail "nodes.cfg lists ${#ports[@]} nodes, the test needs 4"
    finish
fi
ports=("${ports[@]:0:4}")

# on K COMMAND: runs COMMAND on node K (1-based) over ssh as the node user.
on() {
    local k=$1
    shift
    ssh -i "$local_dir/id_ed25519" -o UserKnownHostsFile="$local_dir/known_hosts" \
        -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=5 \
        -o LogLevel=ERROR -p "${ports[k - 1]}" "$NODE_USER@127.0.0.1" "$@"
}

# Field value from a "fbm1 key=value ..." line.
field() {
    local line=$1 key=$2
    sed -n "s/.* $key=\([^ ]*\).*/\1/p" <<<"$line"
}

if [[ $RUNTIME == docker ]]; then
    rm_force="docker rm --force"
    root_format='{{.DockerRootDir}}' root_want=$STATE/nodes/node2/docker
else
    rm_force="docker rm --force --time 0"
    root_format='{{.Store.GraphRoot}}' root_want=$STATE/nodes/node2/storage
fi

clean_node() {
    on "$1" "docker ps -aq | xargs -r $rm_force >/dev/null 2>&1; docker images -q | sort -u | xargs -r docker rmi --force >/dev/null 2>&1; true"
}

cleanup() {
    for k in 1 2 3 4; do
        clean_node "$k" || true
    done
}
trap cleanup EXIT

for k in 1 2 3 4; do
    clean_node "$k"
done

# 1. a function runs on every node over ssh (cold: pulls the image; the
#    nodes pull in parallel, each within its own CPU quota)
tmp=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp"' EXIT
for k in 1 2 3 4; do
    on "$k" "docker run --rm $light python3 fib.py 1000" >"$tmp/run$k.out" 2>"$tmp/run$k.err" &
done
wait
for k in 1 2 3 4; do
    out=$(<"$tmp/run$k.out")
    if [[ $out == "fib count=1000 "* ]]; then
        pass
    else
        fail "node$k: docker run fib-light printed '$out'; stderr: $(tail -n 3 "$tmp/run$k.err")"
    fi
done

# 2. sudo docker reaches the node's own podman
if out=$(on 1 "sudo docker run --rm $noop echo sudo-ok" 2>/dev/null) && [[ $out == sudo-ok ]]; then
    pass
else
    fail "node1: sudo docker run printed: $out"
fi
if out=$(on 2 "sudo docker info --format '$root_format'" 2>/dev/null) && [[ $out == "$root_want" ]]; then
    pass
else
    fail "node2: sudo docker uses storage '$out', not node2's ($root_want)"
fi
# `docker` is the node's own wrapper, not the Docker client in /usr/local/bin
# (for `sudo docker`, the storage above shows it).
if out=$(on 3 "command -v docker" 2>/dev/null) && [[ $out == "$BIN/docker" ]]; then
    pass
else
    fail "node3: docker resolves to '$out', not $BIN/docker"
fi

# 3. images are per node: a pull on node1 is absent on nodes 2-4
for k in 1 2 3 4; do
    clean_node "$k"
done
if on 1 "docker pull -q $noop" >/dev/null 2>&1 &&
    on 1 "docker images --format '{{.Repository}}:{{.Tag}}'" | grep -qx "$noop"; then
    pass
else
    fail "node1: pulled $noop is not listed by docker images"
fi
for k in 2 3 4; do
    if out=$(on "$k" "docker images --quiet") && [[ -z $out ]]; then
        pass
    else
        fail "node$k: has images after a pull on node1: $out"
    fi
done

# 4. a CPU-bound container on node1 stays within the node's quota
m0=$(on 1 faasbench-node metrics)
quota=$(field "$m0" cpus)
if on 1 "docker run -d --name $burner $noop sh -c 'while :; do :; done & while :; do :; done & wait'" >/dev/null; then
    sleep 1
    m1=$(on 1 faasbench-node metrics)
    sleep 4
    m2=$(on 1 faasbench-node metrics)
    on 1 "$rm_force $burner" >/dev/null 2>&1 || true
    cores=$(awk -v c1="$(field "$m1" cpu_ns)" -v c2="$(field "$m2" cpu_ns)" \
        -v t1="$(field "$m1" clock_ns)" -v t2="$(field "$m2" clock_ns)" \
        'BEGIN { printf "%.3f", (c2 - c1) / (t2 - t1) }')
    echo "node1: CPU-bound container used $cores cores (quota $quota)"
    if awk -v c="$cores" -v q="$quota" 'BEGIN { exit !(c <= q * 1.15 && c >= q * 0.5) }'; then
        pass
    else
        fail "node1: CPU-bound container used $cores cores, quota $quota"
    fi
else
    fail "node1: could not start the CPU-bound container"
fi

# 5. metrics: format, and counters that grow while a function runs
re='^fbm1 cpu_ns=[0-9]+ clock_ns=[0-9]+ mem_used=[0-9]+ mem_limit=[0-9]+ cpus=[0-9]+\.[0-9]{2} source=(cgroup1|cgroup2|proc)$'
for k in 1 2 3 4; do
    if out=$(on "$k" faasbench-node metrics) && [[ $out =~ $re ]] &&
        [[ $(field "$out" source) != proc ]]; then
        pass
    else
        fail "node$k: metrics line: $out"
    fi
done
m1=$(on 3 faasbench-node metrics)
on 3 "docker run --rm $light python3 fib.py 3000" >/dev/null 2>&1 || true
m2=$(on 3 faasbench-node metrics)
dcpu=$(($(field "$m2" cpu_ns) - $(field "$m1" cpu_ns)))
dclk=$(($(field "$m2" clock_ns) - $(field "$m1" clock_ns)))
if ((dcpu > 50000000 && dclk > 0)); then
    pass
else
    fail "node3: metrics did not grow over a function run (cpu +$dcpu ns, clock +$dclk ns)"
fi

# 6. warmed flow: a long-running container, exec into it, remove it
if on 4 "docker run -d --init --name $warm $light sleep infinity" >/dev/null 2>&1 &&
    out=$(on 4 "docker exec $warm python3 fib.py 1000" 2>/dev/null) &&
    [[ $out == "fib count=1000 "* ]] &&
    on 4 "docker ps -a --format '{{.Names}}'" | grep -qx "$warm" &&
    on 4 "$rm_force $warm" >/dev/null 2>&1; then
    pass
else
    fail "node4: warmed container flow (run -d, exec, ps -a, rm) failed"
fi

# 7. faasbench-node exec reports the command's time and status last on stderr
err=$(on 2 "faasbench-node exec -c 'docker run --rm $noop sh -c \"echo x >&2; exit 3\"'" 2>&1 >/dev/null) && rc=0 || rc=$?
last=$(tail -n 1 <<<"$err")
if [[ $rc -eq 3 && $last =~ ^fbx1\ elapsed_ns=[0-9]+\ status=3$ ]]; then
    pass
else
    fail "node2: faasbench-node exec gave rc=$rc, last stderr line '$last'"
fi

# 8. the memory limit holds: a container that touches more than it is killed
limit=$(field "$(on 1 faasbench-node metrics)" mem_limit)
big=$((limit / 1024 / 1024 + 128))
if on 1 "docker run --rm $light python3 -c 'b = b\"x\" * ($big << 20)'" >/dev/null 2>&1; then
    fail "node1: a container touching $big MB was not stopped by the memory limit"
else
    pass
fi

# 9. clean state afterwards
cleanup
trap 'rm -rf "$tmp"' EXIT
for k in 1 2 3 4; do
    if out=$(on "$k" "docker ps --all --quiet; docker images --quiet") && [[ -z $out ]]; then
        pass
    else
        fail "node$k: not clean after the test: $out"
    fi
done

finish
