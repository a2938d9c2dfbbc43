# http.bash - requests to a faasbench-gateway for the integration tests (sourced, not run).
# The caller has $tmp (a folder), gw_url (an associative array: gateway name ->
# base URL), status, and fail MESSAGE.
# shellcheck disable=SC2154 # tmp and gw_url are the caller's

# req NAME METHOD PATH [CURL ARGS...]: sets $status, the body is in $tmp/body.
req() {
  local name=$1 method=$2 path=$3; shift 3
  status=$(curl -s -o "$tmp/body" -w '%{http_code}' --max-time 600 -X "$method" \
    -H 'Content-Type: application/json' "$@" "${gw_url[$name]}$path")
}

# expect WANT DESCRIPTION NAME METHOD PATH [CURL ARGS...]
expect() {
  local want=$1 what=$2; shift 2
  req "$@"
  if [ "$status" != "$want" ]; then
    fail "$what: got $status, want $want: $(head -c 300 "$tmp/body")"
  else
    echo "ok $status $what"
  fi
}

# json FIELD: a field of the last reply body ("" when absent or null).
json() {
  /usr/bin/python3 -c 'import json,sys
v = json.load(open(sys.argv[1])).get(sys.argv[2])
print("" if v is None else v)' "$tmp/body" "$1" 2>/dev/null
}
