#!/usr/bin/env bash
# syn.sh - portolan scan --syn against nmap -sS and masscan (and portolan's own connect sweep
# for reference), on the same namespace host, in one run.
#
# As root. Builds portolan (release), installs masscan with apt-get if it is missing (the
# bench measures without it if that fails, and says so), brings up its own namespace,
# measures, prints a Markdown table and tears the namespace down.
#
#   namespace pl-synbench, veth plsynb-h 10.203.92.1/24 <-> plsynb-n 10.203.92.2/24.
#   50 accept-and-close listeners (benches/scan-listener.py), nftables drops, resets and
#   ICMP admin-prohibited rejects in front of some of them; every other port is closed.
#   The same truth as benches/scan.sh.
#
# Cases: a full 65,535-port sweep over the veth (every tool); the same inside the namespace
# on 127.0.0.1 (portolan --syn and nmap -sS; masscan cannot scan loopback).
# Exactness: the open set and, for the tools that report it, the filtered set, both equal to
# the truth (closed is every other port). portolan runs with --all -f jsonl: every port's
# state, streamed as found (the buffered formats with --all hold all 65,535 rows until the
# end, about 50 MiB more).
#
# Environment: ROUNDS (default 3), OUT (default /tmp/portolan-syn-bench), MIN_RATE (nmap's
# --min-rate, default 10000), MASSCAN_RATE (default 20000:
# at 100000 masscan missed about half the open ports here), CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

[ "$(id -u)" = 0 ] || { echo "syn.sh: run as root (raw sockets, namespaces, nftables)" >&2; exit 1; }
for tool in ip nft nmap python3; do
    command -v "$tool" >/dev/null || { echo "syn.sh: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "syn.sh: /usr/bin/time (GNU time) is missing" >&2; exit 1; }

ROUNDS="${ROUNDS:-3}"
OUT="${OUT:-/tmp/portolan-syn-bench}"
MIN_RATE="${MIN_RATE:-10000}"
MASSCAN_RATE="${MASSCAN_RATE:-20000}"
NS=pl-synbench
HOST_IF=plsynb-h
NS_IF=plsynb-n
HOST_IP=10.203.92.1
TARGET=10.203.92.2
mkdir -p "$OUT"

BENCH=syn.sh
LAB_TAG=syn-bench
# shellcheck source=lab/lib.sh
. lab/lib.sh
# shellcheck source=benches/lib.sh
. benches/lib.sh     # the truth, the namespace host, its listener, the route check

LISTENER_PID=""
teardown() {
    # The listener keeps the namespace alive after `ip netns del`: stop it first (its pid).
    [ -n "$LISTENER_PID" ] && kill "$LISTENER_PID" 2>/dev/null || true
    LISTENER_PID=""
    ip link del "$HOST_IF" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
}
trap teardown EXIT

# ------------------------------------------------------------ namespace
step "namespace $NS"
teardown
bench_host "$NS" "$HOST_IF" "$NS_IF" "$HOST_IP" "$TARGET"
bench_listener "$NS" "$OUT"
bench_route_check "$TARGET" "$HOST_IF"
NS_MAC="$(ip -n "$NS" -o link show "$NS_IF" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)"

# ----------------------------------------------------------------- tools
step "build"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p portolan
PORTOLAN="$(readlink -f "$TARGET_DIR/release/portolan")"
MASSCAN="$(command -v masscan || true)"
if [ -z "$MASSCAN" ]; then
    step "installing masscan (apt-get)"
    if apt-get install -y -q masscan >"$OUT/masscan-install.log" 2>&1; then
        MASSCAN="$(command -v masscan || true)"
    fi
    [ -n "$MASSCAN" ] || echo "masscan could not be installed (see $OUT/masscan-install.log); measuring without it" >&2
fi

# ---------------------------------------------------------------- measure
step "measuring ($ROUNDS rounds; load: $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - <<PY
import json, os, re, statistics, subprocess, sys, tempfile, time

rounds, out = int("$ROUNDS"), "$OUT"
portolan, masscan = "$PORTOLAN", "$MASSCAN"
target, ns, ns_mac, host_if = "$TARGET", "$NS", "$NS_MAC", "$HOST_IF"
open_truth = {int(p) for p in "${OPEN[*]}".split()}
filtered_truth = {int(p) for p in "${DROP[*]} ${REJECT[*]}".split()}
inside = ["ip", "netns", "exec", ns]

def parse_portolan(text):
    states = {}
    for line in text.splitlines():
        if line.strip():
            record = json.loads(line)
            states[int(record["port"])] = record["state"]
    return ({p for p, s in states.items() if s == "open"},
            {p for p, s in states.items() if s == "filtered"})

def parse_nmap(text):
    opened, filtered = set(), set()
    for line in text.splitlines():
        m = re.match(r"Host: \S+ .*Ports: (.*?)(\tIgnored State: (\S+).*)?$", line)
        if not m:
            continue
        for entry in m.group(1).split(","):
            fields = entry.strip().split("/")
            if len(fields) > 1 and fields[1] == "open":
                opened.add(int(fields[0]))
            elif len(fields) > 1 and fields[1] == "filtered":
                filtered.add(int(fields[0]))
    return opened, filtered

def parse_masscan(text):
    opened = set()
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 4 and f[0] == "open" and f[1] == "tcp":
            opened.add(int(f[2]))
    return opened, None

def tools(addr, prefix, with_masscan):
    t = [
        ("portolan --syn", parse_portolan,
         prefix + [portolan, "scan", "--syn", addr, "-p", "all", "--all", "-f", "jsonl", "--no-progress"]),
        (f"nmap -sS --min-rate {$MIN_RATE}", parse_nmap,
         prefix + ["nmap", "-sS", "-p-", "--min-rate", "$MIN_RATE", "-n", "-Pn", addr, "-oG", "-"]),
        ("portolan (connect, default)", parse_portolan,
         prefix + [portolan, "scan", addr, "-p", "all", "--all", "-f", "jsonl", "--no-progress"]),
    ]
    if with_masscan and masscan:
        # masscan waits a fixed time after its last SYN (--wait, seconds; default 10): 1 s here.
        t.append((f"masscan --rate {$MASSCAN_RATE} --wait 1", parse_masscan,
                  [masscan, addr, "-p1-65535", "--rate", "$MASSCAN_RATE", "--wait", "1",
                   "--router-mac", ns_mac, "-e", host_if, "-oL", "-"]))
    return t

cases = [("full sweep, veth", tools(target, [], True)),
         ("full sweep, 127.0.0.1 in netns", tools("127.0.0.1", inside, False))]

def run_once(argv):
    with tempfile.NamedTemporaryFile(mode="r") as rss, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(["/usr/bin/time", "-q", "-f", "%M", "-o", rss.name] + argv,
                                stdout=subprocess.PIPE, stderr=err)
        data = proc.stdout.read()
        code = proc.wait()
        wall = time.perf_counter() - start
        if code not in (0, 1):
            err.seek(0)
            print(f"warning: {argv[0]} exited {code}: {err.read().decode(errors='replace')[-300:]}", file=sys.stderr)
        lines = rss.read().strip().splitlines()
        peak = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    return wall, peak, data.decode(errors="replace")

loads = [open("/proc/loadavg").read().split()[0]]
results = {}
for case, case_tools in cases:
    for r in range(rounds):
        for name, parse, argv in case_tools:
            wall, rss, text = run_once(argv)
            opened, filtered = parse(text)
            exact = opened == open_truth and (filtered is None or filtered == filtered_truth)
            rec = results.setdefault((case, name), {"wall": [], "rss": [], "exact": 0, "runs": 0,
                                                    "filtered_reported": filtered is not None, "wrong": []})
            rec["wall"].append(wall); rec["rss"].append(rss); rec["runs"] += 1
            if exact:
                rec["exact"] += 1
            else:
                rec["wrong"].append({"missed_open": sorted(open_truth - opened), "extra_open": sorted(opened - open_truth),
                                     "filtered": None if filtered is None else sorted(filtered ^ filtered_truth)})
            print(f"[{case}] round {r + 1}/{rounds} {name}: {wall:.3f} s, {rss / 1024:.1f} MiB, "
                  f"{len(opened)} open, {'-' if filtered is None else len(filtered)} filtered, exact {exact}",
                  file=sys.stderr, flush=True)
    loads.append(open("/proc/loadavg").read().split()[0])

lines = [f"load average (1 min) during the run: {', '.join(loads)}; {rounds} rounds, tools interleaved", "",
         "| case | tool | median wall (min-max) | ratio to portolan --syn | exact runs (open and filtered sets) | peak RSS |",
         "|---|---|---|---|---|---|"]
for case, case_tools in cases:
    base = statistics.median(results[(case, "portolan --syn")]["wall"])
    for name, _, _ in case_tools:
        rec = results[(case, name)]
        med = statistics.median(rec["wall"])
        exact = f"{rec['exact']}/{rec['runs']}" + ("" if rec["filtered_reported"] else " (open set only)")
        lines.append(f"| {case} | {name} | {med:.3f} s ({min(rec['wall']):.3f}-{max(rec['wall']):.3f}) | "
                     f"{med / base:.2f}x | {exact} | {max(rec['rss']) / 1024:.1f} MiB |")
if not masscan:
    lines.append("")
    lines.append("masscan: not installed (apt-get failed), not measured")
table = "\n".join(lines)
print(table)
with open(os.path.join(out, "results.md"), "w") as f:
    f.write(table + "\n")
with open(os.path.join(out, "results.json"), "w") as f:
    json.dump({"loads": loads, "results": [{"case": c, "tool": t, **v} for (c, t), v in results.items()]}, f, indent=1)
PY
echo
echo "truth: ${#OPEN[@]} open ports on $TARGET (${OPEN[*]}); ${#DROP[@]} dropped and ${#REJECT[@]} ICMP-rejected (filtered), ${#RESET[@]} reset"
echo "raw results: $OUT/results.json"
