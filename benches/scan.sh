#!/usr/bin/env bash
# scan.sh - portolan scan against nmap -sT, RustScan and a two-core connect loop, in one run.
#
# As root. Builds portolan (release) and the C baseline (benches/scan-baseline.c), installs
# RustScan once into /tmp/rustscan if it is missing (cargo install rustscan --locked), brings
# up its own namespace, measures, prints a Markdown table and tears the namespace down.
#
#   namespace pl-bench, veth pl-bench-host 10.203.9.1/24 <-> pl-bench-ns 10.203.9.2/24, and
#   10.203.10.1-254 as extra addresses in the namespace (routed from the host via 10.203.9.2).
#   50 accept-and-close listeners (benches/scan-listener.py, every address), nftables drops,
#   resets and ICMP rejects in front of some of them; every other port is closed.
#
# Cases: a full 65535-port sweep over the veth; the same inside the namespace on 127.0.0.1
# (the self-connect trap: ports in the ephemeral range with nothing listening); the /24 of
# extra addresses x 6 ports; and portolan's full sweep under `ulimit -n 256`.
#
# `scan.sh up` only brings the namespace up (and leaves it), `scan.sh down` removes it.
# Environment: ROUNDS (default 5), OUT (default /tmp/portolan-scan-bench), NO_RUSTSCAN=1 to
# leave RustScan out, CARGO_TARGET_DIR (where portolan is built).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

[ "$(id -u)" = 0 ] || { echo "scan.sh: run as root (network namespaces, nftables)" >&2; exit 1; }
for tool in ip nft nmap gcc python3; do
    command -v "$tool" >/dev/null || { echo "scan.sh: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done

MODE="${1:-run}"
case "$MODE" in run|up|down) ;; *) echo "usage: $0 [run|up|down]" >&2; exit 2 ;; esac
ROUNDS="${ROUNDS:-5}"
OUT="${OUT:-/tmp/portolan-scan-bench}"
NS=pl-bench
HOST_IF=pl-bench-host
NS_IF=pl-bench-ns
HOST_IP=10.203.9.1
TARGET=10.203.9.2
SWEEP_NET=10.203.10.0/24
PIDFILE=/run/pl-bench-listener.pid     # the listener of the namespace, whatever OUT is
mkdir -p "$OUT"

BENCH=scan.sh
LAB_TAG=scan-bench
# shellcheck source=lab/lib.sh
. lab/lib.sh
# shellcheck source=benches/lib.sh
. benches/lib.sh     # the truth, the namespace host, its listener, the route check
SWEEP_PORTS=22,80,135,445,3389,8000       # open: 22 80 445 3389; 135 dropped; 8000 reset

LISTENER_PID=""
teardown() {
    # The listener keeps the namespace alive after `ip netns del`: stop it first (by its pid).
    [ -n "$LISTENER_PID" ] || LISTENER_PID="$(cat "$PIDFILE" 2>/dev/null || true)"
    [ -n "$LISTENER_PID" ] && kill "$LISTENER_PID" 2>/dev/null || true
    rm -f "$PIDFILE"
    LISTENER_PID=""
    ip route del "$SWEEP_NET" 2>/dev/null || true
    ip link del "$HOST_IF" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
}
if [ "$MODE" = down ]; then
    teardown
    exit 0
fi

# ------------------------------------------------------------ namespace
[ "$MODE" = run ] && trap teardown EXIT
step "namespace $NS"
teardown
bench_host "$NS" "$HOST_IF" "$NS_IF" "$HOST_IP" "$TARGET"
{ for i in $(seq 1 254); do echo "addr add 10.203.10.$i/32 dev $NS_IF"; done; } | ip -n "$NS" -batch -
ip route add "$SWEEP_NET" via "$TARGET" dev "$HOST_IF"
bench_listener "$NS" "$OUT"
echo "$LISTENER_PID" >"$PIDFILE"
if [ "$MODE" = up ]; then
    echo "$NS is up: $TARGET (and 10.203.10.1-254); listener pid $LISTENER_PID; '$0 down' removes it" >&2
    exit 0
fi

# ----------------------------------------------------------------- build
step "build"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p portolan
PORTOLAN="$(readlink -f "$TARGET_DIR/release/portolan")"
BASELINE="$OUT/scan-baseline"
gcc -O2 -Wall -o "$BASELINE" benches/scan-baseline.c
RUSTSCAN=""
if [ "${NO_RUSTSCAN:-0}" != 1 ]; then
    if command -v rustscan >/dev/null; then
        RUSTSCAN="$(command -v rustscan)"
    elif [ -x /tmp/rustscan/bin/rustscan ]; then
        RUSTSCAN=/tmp/rustscan/bin/rustscan
    else
        step "installing RustScan into /tmp/rustscan (once)"
        if CARGO_TARGET_DIR=/tmp/rustscan-target cargo install rustscan --locked --root /tmp/rustscan >"$OUT/rustscan-install.log" 2>&1; then
            RUSTSCAN=/tmp/rustscan/bin/rustscan
        else
            echo "RustScan did not install (see $OUT/rustscan-install.log); measuring without it" >&2
        fi
    fi
fi

# ---------------------------------------------------------------- cases
step "measuring ($ROUNDS rounds; load: $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$OUT/config.json" <<PY
import json, sys
rounds, out = int("$ROUNDS"), "$OUT"
portolan, baseline, rustscan = "$PORTOLAN", "$BASELINE", "$RUSTSCAN"
target, ns = "$TARGET", "$NS"
open_ports = [int(p) for p in "${OPEN[*]}".split()]
sweep_ports = "$SWEEP_PORTS"
sweep_open = [22, 80, 445, 3389]
hosts = [f"10.203.10.{i}" for i in range(1, 255)]

def tools(addr, ports, prefix, baseline_addrs):
    spec = ports if ports else "1-65535"
    t = [
        {"name": "portolan", "parser": "portolan",
         "argv": prefix + [portolan, "scan", addr, "-p", ports or "all", "-f", "csv", "--no-progress"]},
        {"name": "baseline -j 2 (C, 100 ms)", "parser": "baseline",
         "argv": prefix + [baseline, "-j", "2", "-c", "2000", "-t", "100", "-p", spec] + baseline_addrs},
        {"name": "baseline -j 1 (C, 100 ms)", "parser": "baseline",
         "argv": prefix + [baseline, "-j", "1", "-c", "2000", "-t", "100", "-p", spec] + baseline_addrs},
        {"name": "nmap -sT -T4 --min-rate 10000", "parser": "nmap",
         "argv": prefix + ["nmap", "-sT", "-T4", "--min-rate", "10000", "-n", "-Pn", "-p", ports or "1-65535", addr, "-oG", "-"]},
    ]
    if rustscan:
        t.append({"name": "RustScan -b 4500 -t 1500", "parser": "rustscan",
                  "argv": prefix + [rustscan, "-a", addr, "-p" if ports else "-r", ports or "1-65535",
                                    "--scripts", "none", "-g", "-n", "--no-banner", "-b", "4500", "-t", "1500", "-u", "20000"]})
    return t

inside = ["ip", "netns", "exec", ns]
cases = [
    {"name": "full sweep, veth", "truth": [f"{target} {p}" for p in open_ports],
     "tools": tools(target, None, [], [target])},
    {"name": "full sweep, 127.0.0.1 in netns", "truth": [f"127.0.0.1 {p}" for p in open_ports],
     "tools": tools("127.0.0.1", None, inside, ["127.0.0.1"])},
    {"name": "/24 x 6 ports", "truth": [f"{h} {p}" for h in hosts for p in sweep_open],
     "tools": tools("10.203.10.0/24", sweep_ports, [], hosts)},
    {"name": "full sweep, veth, ulimit -n 256", "truth": [f"{target} {p}" for p in open_ports],
     "tools": [{"name": "portolan", "parser": "portolan",
                "argv": ["bash", "-c", f"ulimit -n 256 && exec {portolan} scan {target} -p all -f csv --no-progress"]}]},
]
json.dump({"rounds": rounds, "out": out, "cases": cases}, open(sys.argv[1], "w"), indent=1)
PY
# Never measure against addresses that would leave the machine: both targets must go out
# through the bench's own veth.
for a in "$TARGET" 10.203.10.7; do bench_route_check "$a" "$HOST_IF"; done
python3 benches/scan-bench.py "$OUT/config.json"
echo
echo "truth: ${#OPEN[@]} open ports on $TARGET (${OPEN[*]}); ${#DROP[@]} dropped, ${#REJECT[@]} ICMP-rejected, ${#RESET[@]} reset"
echo "raw results: $OUT/results.json"
