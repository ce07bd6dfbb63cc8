#!/usr/bin/env bash
# lookup.sh - cold-start speed of a catalog look-up, against getent in the same run.
#
# Times `portolan port 445` (a fresh process each time: read the view compiled at build time
# by crates/builtin, answer, exit) against `getent services 445` (glibc reading
# /etc/services) with hyperfine, for the default release build (glibc linked dynamically) and
# the static one (scripts/build-static.sh), and prints each mean and its ratio to getent.
# `portolan --version` (start, parse the command line, print, exit: no catalog) is timed
# too, as the floor of any portolan process on this machine. Needs hyperfine
# (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
cargo build --release -q -p portolan
bin=target/release/portolan
# The statically linked build (scripts/build-static.sh), timed beside the default one.
static="$(bash scripts/build-static.sh -q)"
out="$(mktemp)"
hyperfine -N --warmup 20 --runs "${RUNS:-300}" --export-json "$out" \
    -n "portolan port 445" "$bin port 445" \
    -n "static port 445" "$static port 445" \
    -n "getent services 445" "getent services 445" \
    -n "portolan --version" "$bin --version" \
    -n "static --version" "$static --version" >/dev/null
python3 - "$out" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
g = r["getent services 445"]
for name in ["portolan port 445", "static port 445", "getent services 445",
             "portolan --version", "static --version"]:
    x = r[name]
    print(f"{name:<20} mean {x['mean']*1e3:.2f} ms (sd {x['stddev']*1e3:.2f}, "
          f"min {x['min']*1e3:.2f})  {x['mean']/g['mean']:.2f}x getent")
PY
rm -f "$out"
