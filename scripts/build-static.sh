#!/usr/bin/env bash
# build-static.sh - the release binary, statically linked: target/static/<host>/release/portolan.
#
# `cargo build --release` links portolan against glibc dynamically, and a good part of a
# cold look-up is then the dynamic loader's work (loading libc, libm and libgcc_s, binding
# their symbols, relocating) before main runs. This build links glibc in (crt-static) and
# starts without the loader: `portolan port 445` drops from about 1.6 to about 1.2 times
# `getent services 445` (benches/lookup.sh, docs/performance.md). It stays
# position-independent (static-pie), so its code still loads at a random address.
#
# Host names still resolve, but as in any static glibc program getaddrinfo loads the
# system's glibc at run time for its name services (/etc/nsswitch.conf): run the binary on a
# system with the glibc it was built with, or give addresses. Linux with glibc only.
#
# cargo's RUSTFLAGS would also reach the build scripts and proc-macros, which cannot be
# static, unless the target is named, hence `--target` and a target directory of its own.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
host="$(rustc -vV | sed -n 's/^host: //p')"
case "$host" in
*-linux-gnu) ;;
*)
    echo "build-static: a static glibc build needs a *-linux-gnu host, this is $host" >&2
    exit 2
    ;;
esac
RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --release --locked -p portolan --target "$host" --target-dir target/static "$@"
echo "target/static/$host/release/portolan"
