# shellcheck shell=bash
# Builds the node helper (faasbench-node) from its folder, src/helper/, as
# CMake does: every .c there is one of its sources, so no list of them is
# kept anywhere else. Sourced by nodes/up, nodes/remote/prepare and the
# helper's shell tests.
#   helper_build OUT [CC_FLAGS...]   static, -O2 unless flags are given
#   helper_hash                      a hash of the helper's sources and headers
HELPER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../src/helper" && pwd)

helper_build() {
    local out=$1
    shift
    (($#)) || set -- -O2 -static
    # Static by default: the same binary runs in any container, as a
    # function's runtime, and on any host whatever its libc.
    cc -std=c11 -Wall -Wextra "$@" -I "$HELPER_DIR/.." -o "$out" "$HELPER_DIR"/*.c
}

helper_hash() {
    cat "$HELPER_DIR"/*.c "$HELPER_DIR"/*.h | sha256sum | cut -c1-64
}
