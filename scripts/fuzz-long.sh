#!/usr/bin/env bash
# fuzz-long.sh [RUNS] [TARGET...] - the long fuzz runs: every target (or the ones named) to at
# least RUNS executions (default 10,000,000), from the committed seeds in fuzz/corpus/<target>/
# plus what earlier runs kept in fuzz/corpus-work/<target>/.
#
# With a nightly toolchain the targets are built with the address sanitizer (cargo fuzz's
# default); without one, or with SANITIZER=none, on stable without it. Each run appends one
# Markdown table row to fuzz/long-runs.md (target, sanitizer, executions, coverage edges,
# features, corpus size, crashes, date), the lines docs/fuzzing.md records. A crash stops that
# target, leaves its input under fuzz/artifacts/<target>/, and the script goes on with the next
# target and exits 1 at the end.
#
# MAX_LEN=N caps the length of the inputs libFuzzer makes and loads (-max_len; longer seeds
# are cut). Without it libFuzzer takes the longest seed's length. The targets that read whole
# files run a few times faster under a cap, at the cost of the paths only longer inputs reach
# (docs/fuzzing.md measures both); the row's sanitizer column then names the cap.
#
# Not part of the test command (at 10M runs a target takes minutes to an hour); the test
# command runs scripts/fuzz-all.sh for seconds per target from the same seeds.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../fuzz"
runs="${1:-10000000}"
shift || true
case "$runs" in '' | *[!0-9]*)
    echo "fuzz-long: RUNS must be a number of executions, got '$runs'" >&2
    exit 2
    ;;
esac

max_len="${MAX_LEN:-}"
case "$max_len" in *[!0-9]*)
    echo "fuzz-long: MAX_LEN must be a number of bytes, got '$max_len'" >&2
    exit 2
    ;;
esac
cap=()
[ -n "$max_len" ] && cap=(-max_len="$max_len")

sanitizer="${SANITIZER:-address}"
toolchain=()
if [ "$sanitizer" != none ]; then
    if rustup run nightly rustc --version >/dev/null 2>&1; then
        toolchain=(+nightly)
    else
        echo "fuzz-long: no nightly toolchain, so no address sanitizer (rustup toolchain install nightly)"
        sanitizer=none
    fi
fi

if [ "$#" -gt 0 ]; then
    targets="$*"
    for t in $targets; do cargo "${toolchain[@]}" fuzz build --release --sanitizer "$sanitizer" "$t"; done
else
    targets=$(cargo fuzz list)
    cargo "${toolchain[@]}" fuzz build --release --sanitizer "$sanitizer"
fi
table=long-runs.md
[ -f "$table" ] || printf '| target | sanitizer | executions | edges (cov) | features (ft) | corpus | crashes | date |\n|---|---|---|---|---|---|---|---|\n' >"$table"

failed=0
for t in $targets; do
    mkdir -p "corpus-work/$t" "corpus/$t"
    log="logs/$t.log"
    mkdir -p logs
    echo "fuzz-long: $t to $runs runs ($sanitizer)"
    crashes=0
    # -runs counts executions of generated inputs; the seeds' first pass comes on top.
    if ! cargo "${toolchain[@]}" fuzz run --release --sanitizer "$sanitizer" "$t" \
        "corpus-work/$t" "corpus/$t" -- -runs="$runs" -rss_limit_mb=1024 -timeout=10 \
        -print_final_stats=1 "${cap[@]}" >"$log" 2>&1; then
        crashes=1
        failed=1
        tail -n 30 "$log"
    fi
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
    status=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' "$log" | tail -1 || true)
    edges=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status")
    features=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status")
    corpus=$(find "corpus-work/$t" "corpus/$t" -type f | wc -l)
    printf '| %s | %s%s | %s | %s | %s | %s | %s | %s |\n' "$t" "$sanitizer" "${max_len:+, inputs up to $max_len bytes}" \
        "${executions:-?}" "${edges:-?}" "${features:-?}" "$corpus" "$crashes" \
        "$(date -u +%Y-%m-%d)" | tee -a "$table"
done
exit "$failed"
