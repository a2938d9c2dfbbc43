#!/usr/bin/env bash
# sim_rows.sh - a simulated run's --rows: with "none" or a share, summaries,
# comparisons and findings count every invocation, exactly as the run with
# every row writes them from its rows; "none" writes no row, a share about
# that share; every output says it is simulated. No nodes: the simulator
# runs on its model.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
fb=$top/build-asan/faasbench
[ -x "$fb" ] || fb=$top/build/faasbench
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
[ -x "$fb" ] || { echo "FAIL: no faasbench built (scripts/build)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Spread phases (101 quantiles), so latencies differ and the rank tests
# have something to rank.
q() { # LO HI: 101 quantiles rising from LO to HI
  /usr/bin/python3 -c "import sys; lo,hi=map(float,sys.argv[1:]); \
print(', '.join('%.3f' % (lo + (hi - lo) * (i / 100.0) ** 2) for i in range(101)))" "$1" "$2"
}
fn() { # NAME: a model function: fixed times, then cold and warm spread
  printf '{ name = "%s"; memory_mb = 128.0; cold_ms = 500.0; warm_ms = 50.0;\n' "$1"
  printf '  cold = { create = { q = [ %s ]; }; handler = { q = [ %s ]; }; };\n' "$(q 300 900)" "$(q 20 80)"
  printf '  prewarmed = { handler = { q = [ %s ]; }; };\n' "$(q 20 80)"
  printf '  warmed = { handler = { q = [ %s ]; }; }; }' "$(q 20 80)"
}
{
  echo 'model = { version = 1; node = { memory_mb = 384.0; }; functions = ('
  fn f0; echo ','; fn f1; echo ','; fn f2
  echo '); };'
} >"$tmp/model.cfg"
cat >"$tmp/exp.cfg" <<'EOF'
name = "rows";
nodes = ( { name = "n1"; host = "127.0.0.1"; transport = "local"; memory_mb = 384; },
          { name = "n2"; host = "127.0.0.1"; transport = "local"; memory_mb = 384; } );
functions = ( { name = "f0"; image = "r/x:1"; handler = "m:h"; memory_mb = 128; },
              { name = "f1"; image = "r/x:1"; handler = "m:h"; memory_mb = 128; },
              { name = "f2"; image = "r/x:1"; handler = "m:h"; memory_mb = 128; } );
matrix = { policies = [ "round-robin", "hash-affinity" ]; warming = [ "keep-alive" ];
           keepalive = [ "lru", "ttl:ttl_s=5" ]; };
workload = { type = "poisson"; rate = 5.0; duration_s = 300.0; clients = 8; per_node = 2; };
EOF

for rows in all none 0.1; do
  if ! "$fb" "$tmp/exp.cfg" --simulate --model "$tmp/model.cfg" --rows "$rows" -q --no-plots \
    -r "$tmp/$rows" >"$tmp/$rows.out" 2>&1; then
    fail "--rows $rows: exit status $?: $(cat "$tmp/$rows.out")"
  fi
done
run() { find "$tmp/$1" -maxdepth 1 -name "rows-sim-*" -print -quit 2>/dev/null; }
all=$(run all) none=$(run none) share=$(run 0.1)
if [ -z "$all" ] || [ -z "$none" ] || [ -z "$share" ]; then
  fail "a run folder is missing: '$all' '$none' '$share'"
  exit 1
fi

rows_of() { echo $(($(wc -l <"$1/invocations.csv") - 1)); }
n_all=$(rows_of "$all")
[ "$n_all" -gt 4000 ] || fail "--rows all wrote $n_all rows, expected some 6000"
[ "$(rows_of "$none")" -eq 0 ] || fail "--rows none wrote $(rows_of "$none") rows"
n_share=$(rows_of "$share")
# 10 % of ~6000: binomial sd ~23; 6 sd either way.
[ "$n_share" -ge $((n_all / 10 - 140)) ] && [ "$n_share" -le $((n_all / 10 + 140)) ] ||
  fail "--rows 0.1 wrote $n_share of $n_all rows"

# The cells' own figures do not depend on which rows were written.
for f in summary.csv summary.txt comparison.csv comparison.txt findings.csv keepalive.csv; do
  for other in "$none" "$share"; do
    cmp -s "$all/$f" "$other/$f" ||
      fail "$f differs from --rows all in $(basename "$(dirname "$other")"): $(diff "$all/$f" "$other/$f" | head -4)"
  done
done
# ... and they are not empty: 4 cells x 3 functions, a finding per pair.
[ "$(($(wc -l <"$all/summary.csv") - 1))" -eq 12 ] || fail "summary.csv: $(wc -l <"$all/summary.csv") lines"
# Every output says it is simulated: the run's name, environment.txt, the
# text files' first line, the report's title and every plot.
for f in summary.txt comparison.txt; do
  head -1 "$none/$f" | grep -q '^SIMULATED, not measured' || fail "$f does not open saying it is simulated"
done
grep -q '^simulated yes' "$none/environment.txt" || fail "environment.txt does not say simulated"
if "$top/scripts/plot" "$all" >"$tmp/plot.out" 2>&1; then
  grep -q '<h1>faasbench run rows-sim-[^<]* (simulated)</h1>' "$all/report.html" &&
    grep -q 'Simulated, not measured:' "$all/report.html" ||
    fail "report.html does not say it is simulated"
else
  fail "scripts/plot failed: $(tail -3 "$tmp/plot.out")"
fi

# --model, --nodes and --rows: refused for a file that runs on real nodes,
# taken for one whose simulate group names its model (the options win).
out=$("$fb" --check --nodes 7 "$tmp/exp.cfg" 2>&1)
[ $? -eq 2 ] && grep -q 'go with --simulate' <<<"$out" || fail "--nodes without a simulation: $out"
{ cat "$tmp/exp.cfg"; echo "simulate = { model = \"$tmp/model.cfg\"; nodes = 3; };"; } >"$tmp/declared.cfg"
out=$("$fb" --check "$tmp/declared.cfg" 2>&1)
grep -q ': ok: 3 simulated nodes,' <<<"$out" || fail "the simulate group's nodes: $out"
out=$("$fb" --check --nodes 7 --rows none "$tmp/declared.cfg" 2>&1)
grep -q ': ok: 7 simulated nodes,' <<<"$out" || fail "--nodes over the simulate group: $out"

# The terminal gets summary.txt when it is short, and where it is when it
# has over 100 rows (9 repetitions x 4 cells x 3 functions: 108).
out=$("$fb" "$tmp/exp.cfg" --simulate --model "$tmp/model.cfg" --rows none --no-plots \
  -r "$tmp/echo" 2>/dev/null)
grep -q '^| *rep *| policy' <<<"$out" || grep -q '| policy ' <<<"$out" ||
  fail "12 summary rows not printed: $(head -5 <<<"$out")"
sed 's/^matrix = {/matrix = { repetitions = 9;/' "$tmp/exp.cfg" >"$tmp/exp9.cfg"
out=$("$fb" "$tmp/exp9.cfg" --simulate --model "$tmp/model.cfg" --rows none --no-plots \
  -r "$tmp/echo9" 2>/dev/null)
grep -q '^summary: 108 rows (cell x function), more than 100: not printed here; .*/summary.txt has them' <<<"$out" &&
  ! grep -q '| policy ' <<<"$out" || fail "108 summary rows: $(head -5 <<<"$out")"
head -1 <<<"$out" | grep -q '^SIMULATED, not measured' || fail "the short note does not say simulated"

if [ $fails -eq 0 ]; then echo "sim_rows: ok"; exit 0; fi
exit 1
