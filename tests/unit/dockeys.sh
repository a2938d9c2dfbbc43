#!/usr/bin/env bash
# dockeys.sh - the key reference of docs/experiment-file.md is the one the
# loader's tables give (faasbench --list-keys through scripts/doc-keys): a key
# the tables accept and the document lacks, or a stale default, range or help,
# fails. Also: the check itself fails on a document missing a key.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
fb=$top/build/faasbench
[ -x "$fb" ] || fb=$top/build-asan/faasbench
if [ ! -x "$fb" ]; then
  echo "FAIL: no faasbench built (scripts/build)"
  exit 1
fi
fails=0

if ! out=$("$top/scripts/doc-keys" --check "$fb" 2>&1); then
  echo "$out"
  echo "FAIL: docs/experiment-file.md's key reference is not faasbench --list-keys'"
  fails=$((fails + 1))
fi

# The check sees a key missing from the document: a copy of the repository's
# script and docs with one row taken out.
work=$(mktemp -d /tmp/faasbench-dockeys.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/scripts" "$work/docs"
cp "$top/scripts/doc-keys" "$work/scripts/"
grep -v "^| .workload\.time_scale. |" "$top/docs/experiment-file.md" >"$work/docs/experiment-file.md"
if "$work/scripts/doc-keys" --check "$fb" >"$work/out" 2>&1; then
  echo "FAIL: doc-keys --check passes a reference without workload.time_scale"
  fails=$((fails + 1))
elif ! grep -q "^+| .workload\.time_scale. |" "$work/out"; then
  echo "FAIL: doc-keys --check does not name the missing key:"
  cat "$work/out"
  fails=$((fails + 1))
fi

echo "dockeys: $fails failed"
[ $fails -eq 0 ]
