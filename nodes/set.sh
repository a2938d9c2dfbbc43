# shellcheck shell=bash disable=SC2034
# Host-wide names of one local node set (sourced by nodes/lib.sh and the
# integration tests, not run). Every name that two node sets on one machine
# could share derives from FAASBENCH_NODESET: empty is the default set
# (user faas, /var/lib/faasbench, cgroup faasbench, ports from 2222); a name
# such as "dk" gives user faas-dk, /var/lib/faasbench-dk, cgroup
# faasbench-dk, its own sudo rule, bridges and subnet. Settings given to the
# first nodes/up of a set (runtime, port base, subnet) are kept in
# $LOCAL/set.conf, so later commands need only FAASBENCH_NODESET.

NODES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NODESET=${FAASBENCH_NODESET:-}
if [[ -n $NODESET && ! $NODESET =~ ^[a-z][a-z0-9]{0,5}$ ]]; then
    echo "nodes: FAASBENCH_NODESET=$NODESET: 1-6 lower-case letters and digits, starting with a letter" >&2
    exit 1
fi
if [[ -z $NODESET ]]; then
    SET_NAME=faasbench
    LOCAL=$NODES_DIR/.local
    NODE_USER=faas
else
    SET_NAME=faasbench-$NODESET
    LOCAL=$NODES_DIR/.local-$NODESET
    NODE_USER=faas-$NODESET
fi
BIN=/usr/local/lib/$SET_NAME/bin
STATE=/var/lib/$SET_NAME
RUNDIR=/run/$SET_NAME
CG_NAME=$SET_NAME
SUDOERS=/etc/sudoers.d/$SET_NAME
CG_ROOT=${FAASBENCH_CGROUP_ROOT:-/sys/fs/cgroup}

# Kept settings of the set (empty when the set was never started).
set_conf() {
    local key=$1
    [[ -f $LOCAL/set.conf ]] || return 0
    sed -n "s/^$key=//p" "$LOCAL/set.conf" | tail -n 1
}

RUNTIME=${FAASBENCH_RUNTIME:-$(set_conf runtime)}
RUNTIME=${RUNTIME:-podman}
if [[ -n ${FAASBENCH_PORT_BASE:-} ]]; then
    PORT_BASE=$FAASBENCH_PORT_BASE
elif [[ -n $(set_conf port_base) ]]; then
    PORT_BASE=$(set_conf port_base)
elif [[ -z $NODESET ]]; then
    PORT_BASE=2222
else
    PORT_BASE=''   # a named set must be given one: nodes/up says so
fi
# Second octet of the node networks 10.<octet>.<K>.0/24 (the default set: 89).
if [[ -n ${FAASBENCH_SUBNET_OCTET:-} ]]; then
    SUBNET_OCTET=$FAASBENCH_SUBNET_OCTET
elif [[ -n $(set_conf subnet_octet) ]]; then
    SUBNET_OCTET=$(set_conf subnet_octet)
elif [[ -z $NODESET ]]; then
    SUBNET_OCTET=89
else
    SUBNET_OCTET=''   # nodes/up picks one no interface or Podman network uses
fi

# Names of node K's network: the Podman network, the Docker bridge (a host
# interface: at most 15 characters) and the subnet.
net_name() { echo "$SET_NAME-$1"; }
net_interface() { echo "fb$NODESET-$1"; }
net_subnet() { echo "10.$SUBNET_OCTET.${1#node}.0/24"; }
