#!/usr/bin/env bash
# layers.sh - every #include between the folders of src/ is one the including
# folder's README allows ("May include: a, b, ..."), and a layer missing a
# README or its rule fails. A line "helper (its protocol header nodeproto.h
# only)" allows that one header of the layer.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
fails=0 checked=0
for dir in "$top"/src/*/; do
  layer=$(basename "$dir")
  readme=$dir/README.md
  rule=$(sed -n 's/^May include: *//p' "$readme" 2>/dev/null | head -n 1)
  if [ -z "$rule" ]; then
    echo "FAIL: src/$layer/README.md has no 'May include:' line"
    fails=$((fails + 1))
    continue
  fi
  for f in "$dir"*.c "$dir"*.h; do
    [ -e "$f" ] || continue
    while IFS= read -r inc; do
      other=${inc%%/*} header=${inc#*/}
      checked=$((checked + 1))
      [ "$other" = "$layer" ] && continue
      [ -d "$top/src/$other" ] || continue
      ok=0
      IFS=',' read -ra allowed <<<"${rule%.}"
      for a in "${allowed[@]}"; do
        a=${a# }
        name=${a%% *}
        [ "$name" = "$other" ] || continue
        case $a in
          *"header "*" only"*) only=${a#*header }; only=${only%% *}; [ "$only" = "$header" ] && ok=1 ;;
          *) ok=1 ;;
        esac
      done
      if [ $ok -eq 0 ]; then
        echo "FAIL: src/$layer/$(basename "$f") includes $inc: src/$layer/README.md allows $rule"
        fails=$((fails + 1))
      fi
    done < <(sed -n 's/^#include "\([a-z_]*\/[^"]*\)".*/\1/p' "$f")
  done
done
echo "layers: $checked includes checked, $fails not allowed"
[ $fails -eq 0 ]
