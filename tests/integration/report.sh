#!/usr/bin/env bash
# report.sh - tests reports, plots, the HTML page, compare and clean-results on fixtures.
# No nodes needed: `faasbench report` and scripts/plot on a copy of
# tests/data/runs/basic, the open-loop figures and table on tests/data/runs/open-loop
# (none for the closed loop), scripts/plot refusing rows no run writes, report.html leading
# with what was found (findings.csv, a slower pair found in basic-slower) before the plots,
# tables and parameters, rendered by headless Chromium with every image loaded and no
# table wider than the window (screenshot kept in the copy),
# `faasbench compare` (identical runs pass, a cell 20 % slower fails and is named), and
# scripts/clean-results.
set -uo pipefail
. "$(dirname "$0")/lib.bash"

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

fixtures=$top/tests/data/runs
# A fixed, git-ignored place, so the last report and its screenshot can be looked at.
work=$top/build/test-report
rm -rf "$work"
mkdir -p "$work"
run=$work/basic
cp -r "$fixtures/basic" "$run"

# (a) report + plots + page
if ! "$faasbench" report "$run" -q 2>"$work/report.err"; then
  fail "faasbench report exited $?"; cat "$work/report.err"
fi
grep -q warning "$work/report.err" && { fail "report warned:"; cat "$work/report.err"; }
for f in summary.csv summary.txt comparison.csv comparison.txt findings.csv metrics_table.txt report.html; do
  [ -s "$run/$f" ] || fail "$f missing or empty"
done
functions=(fib-light fib-heavy)
kinds=(mode-box mode-mean policy nodes ecdf phases)
for fn in "${functions[@]}"; do
  for k in "${kinds[@]}"; do
    for ext in png svg; do
      [ -s "$run/plots/$fn-$k.$ext" ] || fail "plots/$fn-$k.$ext missing"
    done
  done
done
# The script alone, again (it must not depend on being called by faasbench).
/usr/bin/python3 "$top/scripts/plot" "$run" || fail "scripts/plot exited $?"
grep -q 'src="http' "$run/report.html" && fail "report.html loads something over the network"
# The page leads with what was found: its first section is the findings, then
# the plots, the tables and the parameters, with experiment.cfg folded away.
/usr/bin/python3 - "$run/report.html" <<'PY' || fail "report.html's order"
import re, sys
page = open(sys.argv[1]).read()
heads = re.findall(r'<section id="([a-z]+)"><h2>', page)
if heads != ["findings", "plots", "tables", "parameters"]:
    sys.exit("sections in order %s" % heads)
first_h2 = page.index("<h2>")
if page.index('<section id="findings">') > first_h2 or page.index("<table") < first_h2:
    sys.exit("something before the findings")
if not re.search(r"<details><summary>experiment\.cfg[^<]*</summary><pre>", page):
    sys.exit("experiment.cfg is not folded away")
if page.index("<details>") < page.index('<section id="parameters">'):
    sys.exit("experiment.cfg before the parameters")
PY
# The slower cell of basic-slower is found: least-used is slower on fib-light warmed.
slower=$work/basic-slower
cp -r "$fixtures/basic-slower" "$slower"
FAASBENCH_PLOT='' "$faasbench" report "$slower" -q 2>"$work/slower.err" || fail "report basic-slower"
grep -q '^fib-light,warmed,round-robin,least-used,12,12,218.252,258.201,1.1830,.*,1$' \
  "$slower/findings.csv" || fail "the slower pair is not significant: $(cat "$slower/findings.csv")"
[ "$(grep -c ',1$' "$slower/findings.csv")" -eq 1 ] || fail "other pairs found significant"
grep -q '<link ' "$run/report.html" && fail "report.html links an outside file"

# A closed loop has no queue figure; an open loop has one, and the latency from the
# intended start, per function, and an open-loop table in the page.
for fn in "${functions[@]}"; do
  for k in queue client; do
    [ -e "$run/plots/$fn-$k.png" ] && fail "plots/$fn-$k.png drawn for a closed loop"
  done
done
grep -q '<h3>Open loop</h3>' "$run/report.html" && fail "an open-loop table for a closed loop"
open=$work/open-loop
cp -r "$fixtures/open-loop" "$open"
if ! "$faasbench" report "$open" -q 2>"$work/open.err"; then
  fail "faasbench report (open loop) exited $?"; cat "$work/open.err"
fi
for k in queue client; do
  for ext in png svg; do
    [ -s "$open/plots/fib-light-$k.$ext" ] || fail "plots/fib-light-$k.$ext missing"
  done
done
grep -q '<h3>Open loop</h3>' "$open/report.html" || fail "no open-loop table in report.html"
grep -q '^run_id,.*,open_loop,queue_mean_ms,' "$open/summary.csv" || fail "no open-loop columns"

# The script refuses what the report refuses, naming the row.
bad=$work/bad
mkdir -p "$bad"
hdr='repetition,policy,warming,function,select_ms,latency_ms,error'
for body in '1,rr,cold,f,1.000,1e3,' '1,rr,cold,f,-1.000,13.000,' \
            $'1,rr,cold,f,1.000,13.000,\n1,lu,cold,f,1.000,13.000,\n1,rr,cold,f,1.000,13.000,'; do
  printf '%s\n%s\n' "$hdr" "$body" >"$bad/invocations.csv"
  if /usr/bin/python3 "$top/scripts/plot" "$bad" 2>"$work/bad.err"; then
    fail "scripts/plot accepted: $body"
  fi
  grep -q 'invocations.csv: row [0-9]' "$work/bad.err" || fail "no row named: $(cat "$work/bad.err")"
done
printf '%s\n1,rr,cold,f,1.000,13.000,a\0b\n' "$hdr" >"$bad/invocations.csv"
/usr/bin/python3 "$top/scripts/plot" "$bad" 2>"$work/bad.err" && fail "scripts/plot accepted a NUL byte"
grep -q 'row 2: error: holds a NUL byte' "$work/bad.err" || fail "NUL: $(cat "$work/bad.err")"

want_images=$(( ${#functions[@]} * ${#kinds[@]} ))
if ! command -v chromium >/dev/null; then
  fail "chromium is not installed (apt-get install chromium)"
else
  browse() { # extra chromium options...
    local profile
    profile=$(mktemp -d /tmp/faasbench-chromium.XXXXXX)
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
      --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
      "$@" "file://$run/report.html" 2>>"$work/chromium.err"
    local status=$?
    rm -rf "$profile"
    return $status
  }
  browse --screenshot="$run/report.png" --window-size=1280,4000 >/dev/null \
    || fail "chromium --screenshot exited $?"
  # A 1280x4000 page of tables and plots is far above 50 kB as PNG; a blank one is not.
  size=$(stat -c %s "$run/report.png" 2>/dev/null || echo 0)
  [ "$size" -gt 50000 ] || fail "screenshot $run/report.png is $size bytes"
  dom=$(browse --dump-dom --virtual-time-budget=10000 --window-size=1280,4000)
  body=$(grep -o '<body[^>]*>' <<<"$dom" | head -1)
  [[ $body == *"data-images=\"$want_images/$want_images\""* ]] \
    || fail "images loaded: want $want_images/$want_images, body tag: $body"
  [[ $body == *'data-images-ok="yes"'* ]] || fail "not every image decoded: $body"
  [[ $body == *'data-wide="no"'* ]] || fail "the page is wider than a 1280 px window: $body"
  grep -q 'least-used' <<<"$dom" || fail "the summary table is not in the page"
fi

# (b) compare
"$faasbench" compare "$fixtures/basic" "$run" >"$work/same.txt" 2>&1
status=$?
[ $status -eq 0 ] || { fail "compare of identical runs exited $status"; cat "$work/same.txt"; }
"$faasbench" compare "$fixtures/basic" "$fixtures/basic-slower" >"$work/slower.txt" 2>&1
status=$?
[ $status -eq 1 ] || { fail "compare with a slower cell exited $status"; cat "$work/slower.txt"; }
grep -q '^SLOWER: repetition 1 least-used/warmed fib-light:' "$work/slower.txt" \
  || { fail "the slower cell is not named"; cat "$work/slower.txt"; }
[ "$(grep -c '^SLOWER: repetition' "$work/slower.txt")" -eq 1 ] \
  || { fail "cells other than the slower one flagged"; cat "$work/slower.txt"; }
"$faasbench" compare "$fixtures/basic" /nonexistent >/dev/null 2>&1
[ $? -eq 2 ] || fail "compare with a missing folder did not exit 2"
"$faasbench" report >/dev/null 2>&1
[ $? -eq 2 ] || fail "report without a folder did not exit 2"

# clean-results, on a results folder of its own
root=$work/results
mkdir -p "$root/one" "$root/two" "$root/three"
touch "$root/.gitkeep"
"$top/scripts/clean-results" --root "$root" "$root/one" >/dev/null || fail "clean-results RUN"
[ ! -e "$root/one" ] && [ -d "$root/two" ] || fail "clean-results RUN removed the wrong thing"
"$top/scripts/clean-results" --root "$root" "$fixtures/basic" >/dev/null 2>&1
[ $? -eq 2 ] && [ -d "$fixtures/basic" ] || fail "clean-results accepted a folder outside the root"
"$top/scripts/clean-results" --root "$root" --all >/dev/null || fail "clean-results --all"
[ "$(ls -A "$root")" = .gitkeep ] || fail "clean-results --all left: $(ls -A "$root")"

if [ $fails -ne 0 ]; then
  echo "report: $fails failure(s); files in $work"
  exit 1
fi
echo "report: ok (screenshot: $run/report.png)"
