#!/usr/bin/env bash
# sim_calibrate.sh - calibrate learns how long removing an instance takes
# (the model's `remove`) from the rows whose instance left as their call
# ended, joined with instances.csv's expiries: a simulated keep-alive run
# whose instances all expire at once (none) and whose cleanups take 300 ms
# gives a remove of 300 ms; one whose instances stay (ttl) gives none, and
# the model says so. No nodes: the simulated runs stand in for real ones.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
fb=$top/build-asan/faasbench
[ -x "$fb" ] || fb=$top/build/faasbench
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
[ -x "$fb" ] || { echo "FAIL: no faasbench built (scripts/build)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/model.cfg" <<'M'
model = { version = 1; node = { memory_mb = 1024.0; };
  functions = ( { name = "f*"; cold_ms = 900.0; warm_ms = 100.0;
                  prewarmed = { ka_cleanup = { ms = 300.0; }; };
                  warmed = { ka_cleanup = { ms = 300.0; }; }; } ); };
M
for ka in none ttl; do
  cat >"$tmp/$ka.cfg" <<C
name = "cal-$ka";
nodes = ( { name = "n1"; host = "127.0.0.1"; transport = "local"; memory_mb = 1024; } );
functions = ( { name = "f0"; image = "r/x:1"; handler = "m:h"; memory_mb = 128; },
              { name = "f1"; image = "r/x:1"; handler = "m:h"; memory_mb = 128; } );
matrix = { policies = [ "round-robin" ]; warming = [ "keep-alive" ]; keepalive = [ "$ka" ]; };
workload = { type = "poisson"; rate = 2.0; duration_s = 60.0; clients = 4; };
C
  run=$("$fb" -q --no-plots --simulate --model "$tmp/model.cfg" -r "$tmp/runs" "$tmp/$ka.cfg" | tail -1)
  [ -d "$run" ] || { fail "the $ka simulation left no run folder"; continue; }
  "$fb" calibrate "$run" --pool 'f*' -o "$tmp/$ka.model" 2>"$tmp/$ka.notes" ||
    fail "calibrate on the $ka run: $(cat "$tmp/$ka.notes")"
done
# none: every pre-warmed call's instance expired as it ended; 300 ms each.
/usr/bin/python3 - "$tmp/none.model" <<'PY' || fails=$((fails + 1))
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"prewarmed = \{(.*?)\n      \};", text, re.S)
r = m and re.search(r"remove = \{ n = (\d+); q = \[ ([^\]]*) \]", m.group(1))
if not r:
    sys.exit("FAIL: no prewarmed remove in the none run's model")
n, q = int(r.group(1)), [float(x) for x in r.group(2).split(",")]
if n < 50 or abs(q[0] - 300) > 0.01 or abs(q[-1] - 300) > 0.01:
    sys.exit("FAIL: remove from %d rows, %g .. %g ms, want some 100 of 300 ms" % (n, q[0], q[-1]))
PY
# ttl: instances stay after their calls: no removal measured, and said.
grep -q 'remove = ' "$tmp/ttl.model" && fail "the ttl run's model has a remove: $(grep -o 'remove = { n = [0-9]*' "$tmp/ttl.model")"
grep -q 'f\*: remove: no samples (no instance left as its call ended)' "$tmp/ttl.notes" ||
  fail "the ttl run's notes do not say remove is missing: $(cat "$tmp/ttl.notes")"

if [ $fails -eq 0 ]; then echo "sim_calibrate: ok"; exit 0; fi
exit 1
