#!/usr/bin/env bash
# tests/unit/shellcheck.sh - ShellCheck on every shell script of scripts/, nodes/ and
# tests/: the files whose first line is a shell's #! and the sourced
# libraries (*.sh, *.bash) without one, read as bash. The Ansible template of
# the remote nodes' runtime wrapper is checked as Ansible renders it, in each
# of its three forms (Docker; Podman with and without a node cgroup).
# Settings and the idioms allowed are in .shellcheckrc.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
command -v shellcheck >/dev/null || { echo "FAIL: shellcheck is not installed (scripts/setup)"; exit 1; }
fails=0 checked=0

scripts=() libraries=() templates=()
while IFS= read -r -d '' f; do
  first=$(head -n 1 "$f" 2>/dev/null | tr -d '\0')
  case $first in
    '#!'*/sh | '#!'*/bash | '#!'*'env bash' | '#!'*'env sh' | '#!'*/sh' '* | '#!'*/bash' '*)
      case $f in
        *.j2) templates+=("$f") ;;
        *) scripts+=("$f") ;;
      esac ;;
    *)
      case $f in *.sh | *.bash) libraries+=("$f") ;; esac ;;
  esac
done < <(find scripts nodes tests -type f -not -path 'tests/fuzz/*' -not -path 'tests/data/*' \
  -not -path 'nodes/.local*' -print0 | sort -z)

[ ${#scripts[@]} -ge 20 ] || { echo "FAIL: only ${#scripts[@]} scripts found"; fails=$((fails + 1)); }
if ! shellcheck "${scripts[@]}"; then fails=$((fails + 1)); fi
checked=$((checked + ${#scripts[@]}))
if [ ${#libraries[@]} -gt 0 ]; then
  if ! shellcheck --shell=bash "${libraries[@]}"; then fails=$((fails + 1)); fi
  checked=$((checked + ${#libraries[@]}))
fi

# Templates: rendered with Jinja2 (Ansible's own engine; `bool` is its filter).
work=$(mktemp -d /tmp/faasbench-shellcheck.XXXXXX)
trap 'rm -rf "$work"' EXIT
for t in "${templates[@]}"; do
  for form in docker:docker:false podman:docker:true podman:podman:false; do
    IFS=: read -r runtime item limited <<<"$form"
    out=$work/$(basename "$t" .j2)-$runtime-$item-$limited
    if ! /usr/bin/python3 - "$t" "$runtime" "$item" "$limited" >"$out" <<'PY'; then
import sys
import jinja2
src, runtime, item, limited = sys.argv[1:]
env = jinja2.Environment(keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
env.filters["bool"] = lambda v: str(v).lower() in ("true", "yes", "1")
with open(src) as f:
    sys.stdout.write(env.from_string(f.read()).render(
        ansible_managed="Ansible managed", item=item, faasbench_runtime=runtime,
        faasbench_limited=limited, faasbench_cgroup="faasbench/node",
        faasbench_bin="/usr/local/lib/faasbench/bin"))
PY
      echo "FAIL: cannot render $t ($form) with Jinja2 (python3-jinja2, from scripts/setup's ansible)"
      fails=$((fails + 1))
      continue
    fi
    if ! shellcheck "$out"; then
      echo "FAIL: $t rendered for $form"
      fails=$((fails + 1))
    fi
    checked=$((checked + 1))
  done
done

echo "shellcheck: $checked scripts checked, $fails failed"
[ $fails -eq 0 ]
