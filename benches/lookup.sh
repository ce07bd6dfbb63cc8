#!/usr/bin/env bash
# lookup.sh - cold-start speed of a catalog look-up, against getent in the same run.
#
# Times `portolan port 445` (a fresh process each time: read the view compiled at build time
# by crates/builtin, answer, exit) against `getent services 445` (glibc reading
# /etc/services) with hyperfine, and prints
# each mean and the ratio portolan / getent. `portolan --version` (start, parse the command
# line, print, exit: no catalog) is timed too, as the floor of any portolan process on this
# machine. Needs hyperfine (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
cargo build --release -q -p portolan
bin=target/release/portolan
out="$(mktemp)"
hyperfine -N --warmup 20 --runs "${RUNS:-300}" --export-json "$out" \
    "$bin port 445" "getent services 445" "$bin --version" >/dev/null
python3 - "$out" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
p = next(v for k, v in r.items() if k.endswith("port 445"))
v = next(v for k, v in r.items() if k.endswith("--version"))
g = next(v for k, v in r.items() if "getent" in k)
print(f"portolan port 445    mean {p['mean']*1e3:.2f} ms (sd {p['stddev']*1e3:.2f}, min {p['min']*1e3:.2f})")
print(f"getent services 445  mean {g['mean']*1e3:.2f} ms (sd {g['stddev']*1e3:.2f}, min {g['min']*1e3:.2f})")
print(f"portolan --version   mean {v['mean']*1e3:.2f} ms (sd {v['stddev']*1e3:.2f}, min {v['min']*1e3:.2f})")
print(f"ratio portolan/getent: {p['mean']/g['mean']:.2f}")
print(f"ratio portolan --version/getent (the floor): {v['mean']/g['mean']:.2f}")
PY
rm -f "$out"
