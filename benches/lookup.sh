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
# The machine's speed drifts over seconds, so the commands are timed in ROUNDS short rounds
# (each command RUNS times per round, in turn) and each ratio is the median over the rounds
# of the round's ratio: a slow spell then weighs on both sides of a ratio alike.
dir="$(mktemp -d)"
for round in $(seq "${ROUNDS:-7}"); do
    hyperfine -N --warmup 10 --runs "${RUNS:-150}" --export-json "$dir/$round.json" \
        -n "portolan port 445" "$bin port 445" \
        -n "static port 445" "$static port 445" \
        -n "getent services 445" "getent services 445" \
        -n "portolan --version" "$bin --version" \
        -n "static --version" "$static --version" >/dev/null
done
python3 - "$dir" <<'PY'
import glob, json, statistics, sys
rounds = [{x["command"]: x for x in json.load(open(f))["results"]}
          for f in sorted(glob.glob(sys.argv[1] + "/*.json"))]
names = ["portolan port 445", "static port 445", "getent services 445",
         "portolan --version", "static --version"]
print(f"{len(rounds)} rounds; median over rounds of each mean, and of each ratio to getent")
for name in names:
    mean = statistics.median(r[name]["mean"] for r in rounds)
    low = min(r[name]["min"] for r in rounds)
    ratio = statistics.median(r[name]["mean"] / r["getent services 445"]["mean"] for r in rounds)
    spread = [round(r[name]["mean"] / r["getent services 445"]["mean"], 2) for r in rounds]
    print(f"{name:<20} {mean*1e3:.2f} ms (min {low*1e3:.2f})  {ratio:.2f}x getent  rounds {spread}")
PY
rm -rf "$dir"
