#!/usr/bin/env bash
# prometheus.sh - a run watched by a real Prometheus: scripts/watch on free
# ports, a short experiment on the local nodes with --metrics-listen, the
# endpoint's text accepted by `promtool check metrics` during the run, and
# afterwards Prometheus's HTTP API: the scraped invocation counter, summed,
# equals the rows of invocations.csv (per cell too), a sample was scraped
# after the last row, and the scrape was OpenMetrics (units in the
# metadata). Prometheus is stopped and its data folder removed at the end.
set -uo pipefail
. "$(dirname "$0")/lib.bash"

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
for tool in prometheus promtool curl; do
  command -v $tool >/dev/null || { echo "FAIL: $tool is not installed (scripts/setup)"; exit 1; }
done

work=$(mktemp -d /tmp/faasbench-prom.XXXXXX)
watch_pid='' fb_pid=''
cleanup() {
  [ -z "$fb_pid" ] || { kill -TERM "$fb_pid" 2>/dev/null; wait "$fb_pid" 2>/dev/null; }
  [ -z "$watch_pid" ] || { kill -TERM "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null; }
  rm -rf "$work"
}
trap cleanup EXIT

# Two ports free now on loopback: faasbench's endpoint and Prometheus's.
read -r mport pport < <(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
address=127.0.0.1:$mport

"$top/scripts/watch" --port "$pport" "$address" >"$work/watch.out" 2>&1 &
watch_pid=$!
for _ in $(seq 150); do
  grep -q '^graphs: ' "$work/watch.out" && break
  kill -0 "$watch_pid" 2>/dev/null || break
  sleep 0.2
done
if ! grep -q '^graphs: ' "$work/watch.out"; then
  echo "FAIL: scripts/watch did not start Prometheus:"; cat "$work/watch.out"; exit 1
fi
prom_pid=$(sed -n 's/^prometheus: .*(pid \([0-9]*\)).*/\1/p' "$work/watch.out")
data=$(sed -n 's/^data: \(.*\) (removed when this stops)$/\1/p' "$work/watch.out")
graphs=$(sed -n 's/^graphs: //p' "$work/watch.out")
[ -n "$prom_pid" ] && kill -0 "$prom_pid" 2>/dev/null || fail "no Prometheus pid in: $(cat "$work/watch.out")"
[ -d "$data" ] || fail "no data folder: $data"
# The graph page answers (through Debian's redirect to its classic UI), with
# the counter among its expressions.
[[ $graphs == "http://127.0.0.1:$pport/graph?g0.expr="*faasbench_invocations_total* ]] ||
  fail "graph URL: $graphs"
code=$(curl -sL -o "$work/graph.html" -w '%{http_code}' "$graphs")
[ "$code" = 200 ] && grep -q 'Prometheus' "$work/graph.html" || fail "graph page: HTTP $code"

# 2 policies x 2 warming modes x 8 calls, sequential: 32 rows.
cp "$local_dir/nodes.cfg" "$work/nodes.cfg"
cat >"$work/prometheus.cfg" <<'CFG'
name = "prometheus";
@include "nodes.cfg"
functions = ( { name = "fib-light"; image = "127.0.0.1:5000/faasbench/fib-light:1";
                command = "python3 fib.py 1000"; network = false; } );
matrix = { policies = [ "round-robin", "least-used" ]; warming = [ "pre-warmed", "warmed" ];
           invocations = 8; };
runtime = { preset = "docker"; };
timeouts = { command_s = 300; connect_s = 10; };
CFG
"$faasbench" -q --no-plots --results "$work/results" --metrics-listen "$address" \
  --metrics-linger 30 "$work/prometheus.cfg" >"$work/out.txt" 2>"$work/err.txt" &
fb_pid=$!

# During the run, once rows are counted: the text format for promtool, and
# the OpenMetrics answer Prometheus gets.
scraped=0
for _ in $(seq 600); do
  kill -0 "$fb_pid" 2>/dev/null || break
  if curl -sf -o "$work/text.prom" "http://$address/metrics" &&
    grep -Eq '^faasbench_invocations_total\{.*\} [1-9]' "$work/text.prom"; then
    scraped=1
    break
  fi
  sleep 0.1
done
if [ $scraped -eq 0 ]; then
  fail "no counted rows at http://$address/metrics during the run"
else
  promtool check metrics <"$work/text.prom" >"$work/promtool.txt" 2>&1 ||
    fail "promtool check metrics: $(cat "$work/promtool.txt")"
  [ ! -s "$work/promtool.txt" ] || fail "promtool: $(cat "$work/promtool.txt")"
  grep -q '^# EOF' "$work/text.prom" && fail "the text format has # EOF"
  curl -sf -D "$work/om.headers" -o "$work/om.txt" -H \
    'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' \
    "http://$address/metrics" || fail "OpenMetrics scrape failed"
  grep -qi '^Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8' \
    "$work/om.headers" || fail "OpenMetrics content type: $(grep -i content-type "$work/om.headers")"
  [ "$(tail -n 1 "$work/om.txt")" = "# EOF" ] || fail "OpenMetrics text does not end with # EOF"
  [ "$(grep -c '^faasbench_node_up{node=' "$work/om.txt")" = 4 ] || fail "not 4 nodes' faasbench_node_up"
fi

wait "$fb_pid"
status=$?
fb_pid=''
if [ $status -ne 0 ]; then
  echo "FAIL: faasbench exited $status"; cat "$work/err.txt"; exit 1
fi
run=$(cat "$work/out.txt")
[ -f "$run/invocations.csv" ] || { echo "FAIL: no rows in '$run'"; exit 1; }
# The endpoint went with the run.
curl -s -o /dev/null "http://$address/metrics" && fail "the endpoint still answers after the run"

# Prometheus's view, after the run: the last scrape is the linger's, begun
# after the last row. Range selections skip the staleness markers written
# once the target went away.
/usr/bin/python3 - "$run" "http://127.0.0.1:$pport" <<'PY' || fails=$((fails + 1))
import collections, csv, json, sys, time, urllib.parse, urllib.request
run, prom = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(run + "/invocations.csv")))
per_cell = collections.Counter((r["policy"], r["warming"]) for r in rows)
ok = sum(1 for r in rows if r["error"] == "")
last_end_ms = max(int(r["start_ms"]) + float(r["total_ms"]) for r in rows)
fails = []

def api(path, **params):
    url = prom + path + "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=10) as f:
        body = json.load(f)
    if body.get("status") != "success":
        raise SystemExit(f"{url}: {body}")
    return body["data"]

def scalar(expr):
    res = api("/api/v1/query", query=expr)["result"]
    return float(res[0]["value"][1]) if res else None

# The scrape was answered before faasbench exited; give the TSDB a moment.
total = None
for _ in range(50):
    total = scalar("sum(last_over_time(faasbench_invocations_total[10m]))")
    if total == len(rows):
        break
    time.sleep(0.2)
if len(rows) != 32:
    fails.append(f"{len(rows)} rows, want 32")
if total != len(rows):
    fails.append(f"scraped counter sum {total}, rows {len(rows)}")
for r in api("/api/v1/query", query="sum by (policy, warming) "
             "(last_over_time(faasbench_invocations_total[10m]))")["result"]:
    key = (r["metric"]["policy"], r["metric"]["warming"])
    if float(r["value"][1]) != per_cell[key]:
        fails.append(f"cell {key}: scraped {r['value'][1]}, rows {per_cell[key]}")
hist = scalar("sum(last_over_time(faasbench_invocation_latency_seconds_count[10m]))")
if hist != ok:
    fails.append(f"scraped latency count {hist}, rows without error {ok}")
# A sample scraped after the last row ended (Prometheus stamps a scrape when
# it begins; it may align that to its schedule by a few ms).
newest = max(float(t) for s in api("/api/v1/query", query="faasbench_cells[10m]")["result"]
             for t, _ in s["values"])
if newest * 1000 < last_end_ms - 10:
    fails.append(f"newest sample at {newest * 1000:.0f} ms, last row ended {last_end_ms:.0f}")
# OpenMetrics: the family's type and unit as the endpoint declared them.
meta = api("/api/v1/metadata", metric="faasbench_invocation_latency_seconds")
m = meta.get("faasbench_invocation_latency_seconds", [{}])[0]
if m.get("type") != "histogram" or m.get("unit") != "seconds":
    fails.append(f"latency metadata {m}: not scraped as OpenMetrics")
meta = api("/api/v1/metadata", metric="faasbench_invocations")
if meta.get("faasbench_invocations", [{}])[0].get("type") != "counter":
    fails.append(f"counter metadata {meta}")
for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
PY

# Stopping scripts/watch stops Prometheus and removes its data.
kill -TERM "$watch_pid"
wait "$watch_pid"
watch_pid=''
kill -0 "$prom_pid" 2>/dev/null && fail "Prometheus (pid $prom_pid) still runs after scripts/watch stopped"
[ ! -e "$data" ] || fail "Prometheus's data folder $data is left"
assert_clean || fail "nodes not clean"

[ $fails -eq 0 ] || exit 1
echo "prometheus: ok"
