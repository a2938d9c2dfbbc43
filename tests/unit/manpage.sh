#!/usr/bin/env bash
# manpage.sh - docs/faasbench.1 renders without a warning (groff -ww, and
# man -l as a reader would open it), and every option `faasbench --help`,
# `faasbench report --help` and `faasbench compare --help` print is in the
# rendered page.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
page=$top/docs/faasbench.1
fb=$top/build/faasbench
[ -x "$fb" ] || fb=$top/build-asan/faasbench
fails=0 checked=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

if [ ! -x "$fb" ]; then
  echo "FAIL: no faasbench built (scripts/build)"
  exit 1
fi
for tool in groff man; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (scripts/setup)"; exit 1; }
done

warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
[ -z "$warnings" ] || fail "groff -ww warns: $warnings"
warnings=$(MANWIDTH=80 man --warnings=w -l "$page" 2>&1 >/dev/null)
[ -z "$warnings" ] || fail "man -l warns: $warnings"
rendered=$(MANWIDTH=80 man -l "$page" 2>/dev/null)
[ -n "$rendered" ] || fail "man -l renders nothing"

# Wide and plain (no bold or underline overstrikes), so no option is split
# over two lines.
text=$(groff -man -Tascii -rLL=400n -P-cbou "$page" 2>/dev/null)
for verb in "" report compare; do
  help=$("$fb" $verb --help) || { fail "faasbench $verb --help exits $?"; continue; }
  opts=$(grep -oE -- '(^|[ ,])--?[A-Za-z][A-Za-z-]*' <<<"$help" | tr -d ' ,' | sort -u)
  [ -n "$opts" ] || fail "faasbench $verb --help lists no option"
  for opt in $opts; do
    checked=$((checked + 1))
    grep -qE -- "(^|[^A-Za-z-])${opt}([^A-Za-z-]|$)" <<<"$text" ||
      fail "faasbench ${verb:+$verb }$opt is not in docs/faasbench.1"
  done
done
grep -q '^EXIT STATUS' <<<"$text" || fail "no EXIT STATUS section"

# CMake installs it with the programs.
work=$(mktemp -d /tmp/faasbench-manpage.XXXXXX)
trap 'rm -rf "$work"' EXIT
if ! cmake --install "$(dirname "$fb")" --prefix "$work" >"$work/install.log" 2>&1; then
  fail "cmake --install: $(cat "$work/install.log")"
fi
for f in bin/faasbench bin/faasbench-node share/man/man1/faasbench.1; do
  [ -e "$work/$f" ] || fail "cmake --install puts no $f"
done
[ -x "$work/bin/faasbench" ] && ! "$work/bin/faasbench" --version >/dev/null && fail "the installed faasbench does not run"
cmp -s "$page" "$work/share/man/man1/faasbench.1" || fail "the installed page is not docs/faasbench.1"

echo "manpage: $checked options checked, $fails failed"
[ $fails -eq 0 ]
