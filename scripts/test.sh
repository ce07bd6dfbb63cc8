#!/usr/bin/env bash
# test.sh - the whole test suite, from a plain clone on a fresh Debian 12 machine.
#
# As root (as in CI) it installs what the tests need (scripts/install-deps.sh), brings up the lab
# of real peers in network namespaces (lab/lab.sh), runs formatting and lint checks, every test
# of the workspace (the lab tests included), every fuzz target briefly, and tears the lab down.
# The tests that need root or the lab are #[ignore]d: as root they run here with
# --include-ignored (and fail without the lab); without root cargo lists them as ignored.
#
# Environment: PORTOLAN_FUZZ_SECONDS (per fuzz target, default 10; 0 skips fuzzing).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

step() { printf '\n=== %s ===\n' "$*"; }

step "dependencies"
bash scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$PATH"

step "format and lint"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# Unused dependencies; --with-metadata reads crate names from cargo (md-5 is `md5`).
cargo machete --with-metadata

step "package the catalog crate"
# The catalog must publish on its own: its data lives inside the crate, so the packaged copy
# builds without the workspace around it (this step needs crates.io for the verify build).
cargo package -p portolan-catalog --locked --allow-dirty

if [ "$(id -u)" -eq 0 ]; then
    step "lab up"
    # Traffic for the lab's addresses must never leave the machine, even if a namespace is
    # missing: a blackhole route under the labs' more specific veth routes makes sure of it.
    blackhole=0
    if ip route add blackhole 10.203.0.0/16 2>/dev/null; then blackhole=1; fi
    trap 'step "lab down"; bash lab/lab.sh down all || true; [ "$blackhole" = 1 ] && ip route del blackhole 10.203.0.0/16 || true' EXIT
    bash lab/lab.sh up all
    eval "$(bash lab/lab.sh env)"
    export PORTOLAN_LAB=1 PORTOLAN_REQUIRE_VALIDATORS=1
    export PORTOLAN_VENV="${PORTOLAN_VENV:-/opt/portolan-venv}"
    export PORTOLAN_PYTHON="$PORTOLAN_VENV/bin/python"
    ignored=(--include-ignored)
else
    echo "SKIPPED: the lab needs root (network namespaces); its tests show as ignored"
    ignored=()
fi

step "tests"
# A test that cannot run here says so through portolan_testkit::skip, into this file, so every
# skip shows below (libtest itself hides what a passing test prints).
export PORTOLAN_SKIP_LOG
PORTOLAN_SKIP_LOG="$(mktemp)"
status=0
cargo test --workspace --locked --no-fail-fast -- "${ignored[@]}" || status=$?
if [ -s "$PORTOLAN_SKIP_LOG" ]; then
    step "skipped tests ($(wc -l <"$PORTOLAN_SKIP_LOG"))"
    sort "$PORTOLAN_SKIP_LOG"
else
    echo "no test skipped itself"
fi
rm -f "$PORTOLAN_SKIP_LOG"
[ "$status" = 0 ] || exit "$status"

if [ "${PORTOLAN_STATIC:-1}" != 0 ]; then
    step "static build (scripts/build-static.sh) answers as the default one"
    static="$(bash scripts/build-static.sh -q)"
    cargo build -q --locked -p portolan
    for args in "port 445" "service dns --format json" "table --format csv" \
        "plan --role domain-controller --dialect nftables" "--version"; do
        # shellcheck disable=SC2086 # the arguments are split on purpose
        diff <(target/debug/portolan $args) <("$static" $args) >/dev/null ||
            { echo "static build differs on: portolan $args" >&2; exit 1; }
    done
    # Name resolution in a static glibc binary goes through the system's NSS: prove it.
    rc=0
    "$static" check localhost --ports tcp:1 --format json >/dev/null || rc=$?
    [ "$rc" = 1 ] || { echo "static build: check localhost exited $rc, not 1" >&2; exit 1; }
    echo "static build: same answers, and localhost resolves"
else
    echo "SKIPPED: static build (PORTOLAN_STATIC=0)"
fi

seconds="${PORTOLAN_FUZZ_SECONDS:-10}"
if [ "$seconds" != 0 ] && command -v cargo-fuzz >/dev/null 2>&1; then
    step "fuzz (${seconds}s per target)"
    bash scripts/fuzz-all.sh "$seconds"
else
    echo "SKIPPED: fuzzing (cargo-fuzz missing or PORTOLAN_FUZZ_SECONDS=0)"
fi
step "all tests passed"
