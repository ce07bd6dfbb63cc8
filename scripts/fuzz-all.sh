#!/usr/bin/env bash
# fuzz-all.sh [SECONDS] - builds every cargo-fuzz target once and runs each for SECONDS
# (default 10) on the stable toolchain (no sanitizer; panics, hangs and over-allocation still
# fail). A crash stops the script with the failing input under fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../fuzz"
seconds="${1:-10}"
targets=$(cargo fuzz list)
[ -n "$targets" ] || { echo "no fuzz targets"; exit 0; }
cargo fuzz build --sanitizer none
for t in $targets; do
    echo "fuzz: $t (${seconds}s)"
    mkdir -p "corpus/$t"
    log="$(mktemp)"
    if ! cargo fuzz run --sanitizer none "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=512 -timeout=5 >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "fuzz target $t failed"
        exit 1
    fi
    grep -E "^Done" "$log" || true
    rm -f "$log"
done
