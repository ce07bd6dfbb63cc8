#!/usr/bin/env bash
# fuzz-all.sh [SECONDS] - builds every cargo-fuzz target once and runs each for SECONDS
# (default 10) on the stable toolchain (no sanitizer; panics, hangs and over-allocation still
# fail), starting from the committed seed corpus fuzz/corpus/<target>/ (scripts/fuzz-seeds.sh).
# New finds go to fuzz/corpus-work/<target>/, which git ignores, so a run never changes the
# committed corpus. A crash stops the script with the failing input under fuzz/artifacts/.
# The long runs with the address sanitizer are scripts/fuzz-long.sh.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../fuzz"
seconds="${1:-10}"
targets=$(cargo fuzz list)
[ -n "$targets" ] || { echo "no fuzz targets"; exit 0; }
cargo fuzz build --sanitizer none
for t in $targets; do
    echo "fuzz: $t (${seconds}s)"
    mkdir -p "corpus-work/$t" "corpus/$t"
    log="$(mktemp)"
    # The first directory receives new inputs; the committed seeds are only read.
    if ! cargo fuzz run --sanitizer none "$t" "corpus-work/$t" "corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=512 -timeout=5 >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "fuzz target $t failed"
        exit 1
    fi
    grep -E "^Done" "$log" || true
    rm -f "$log"
done
