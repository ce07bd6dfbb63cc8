#!/usr/bin/env bash
# check.sh - portolan check against nmap on the same ports of the same host, same run.
#
# The host is the lab's firewalled namespace (pl-fw, 10.203.3.2; lab/fw-lab.truth): 20 TCP
# ports of which 10 are silently dropped by nftables, and 4 UDP ports (open, closed, dropped,
# ICMP-rejected). Each tool runs RUNS times (hyperfine); the script prints median times, the
# ratios and whether the verdicts agree (nmap's open/closed/filtered/open|filtered mapped to
# PortQry's words). Run as root; it brings the fw lab up if needed.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
[ "$(id -u)" -eq 0 ] || { echo "benches/check.sh needs root (the lab)"; exit 2; }
command -v nmap >/dev/null && command -v hyperfine >/dev/null || bash scripts/install-deps.sh
bash lab/lab.sh up fw >/dev/null
eval "$(bash lab/lab.sh env)"
cargo build --release -q -p portolan
bin="$PWD/target/release/portolan"
host="$PORTOLAN_LAB_FW"
# Never measure against an address that would leave the machine (a lab namespace missing).
if ip -o route get "$host" | grep -q " via "; then
    echo "benches/check.sh: $host is not routed to the lab namespace; is the fw lab up?" >&2
    exit 2
fi
TCP="21,23,25,53,80,88,389,443,636,3268,135,139,445,3389,5985,49152,49153,49154,49155,49156"
UDP="53,123,161,500"
RUNS="${RUNS:-10}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

hyperfine -N -i --warmup 2 --runs "$RUNS" --export-json "$out/times.json" \
    -n "portolan check (TCP, --no-verify)" "$bin check $host --ports tcp:$TCP --no-verify --format json" \
    -n "portolan check (TCP, verifying)" "$bin check $host --ports tcp:$TCP --format json" \
    -n "nmap -sT" "nmap -sT -Pn -n -p $TCP $host -oX -" \
    -n "portolan check (UDP)" "$bin check $host --ports udp:$UDP --format json" \
    -n "nmap -sU" "nmap -sU -Pn -n -p $UDP $host -oX -" >/dev/null

"$bin" check "$host" --ports "tcp:$TCP udp:$UDP" --no-verify --format json > "$out/portolan.json" || true
nmap -sT -Pn -n -p "$TCP" "$host" -oX "$out/nmap-tcp.xml" >/dev/null
nmap -sU -Pn -n -p "$UDP" "$host" -oX "$out/nmap-udp.xml" >/dev/null

python3 - "$out" <<'PY'
import json, sys, statistics
import xml.etree.ElementTree as ET
out = sys.argv[1]
times = {r["command"]: r for r in json.load(open(f"{out}/times.json"))["results"]}
med = {k: statistics.median(v["times"]) for k, v in times.items()}
for k, v in med.items():
    print(f"{k:40s} median {v*1000:8.1f} ms  (min {min(times[k]['times'])*1000:.1f}, max {max(times[k]['times'])*1000:.1f})")
print(f"ratio nmap -sT / portolan (TCP, --no-verify): {med['nmap -sT'] / med['portolan check (TCP, --no-verify)']:.2f}")
print(f"ratio nmap -sT / portolan (TCP, verifying):   {med['nmap -sT'] / med['portolan check (TCP, verifying)']:.2f}")
print(f"ratio nmap -sU / portolan (UDP):              {med['nmap -sU'] / med['portolan check (UDP)']:.2f}")
words = {"open": "LISTENING", "closed": "NOT LISTENING", "filtered": "FILTERED", "open|filtered": "LISTENING OR FILTERED"}
theirs = {}
for f in ("nmap-tcp.xml", "nmap-udp.xml"):
    for p in ET.parse(f"{out}/{f}").getroot().iter("port"):
        theirs[(p.get("protocol"), int(p.get("portid")))] = words.get(p.find("state").get("state"), "?")
ours = {(r["transport"], r["port"]): r["status"] for h in json.load(open(f"{out}/portolan.json"))["hosts"] for r in h["results"]}
diff = [(k, ours.get(k), theirs.get(k)) for k in sorted(set(ours) | set(theirs)) if ours.get(k) != theirs.get(k)]
print(f"verdicts compared: {len(ours)} ports, {len(diff)} differ")
for k, a, b in diff:
    print(f"  {k[0]}/{k[1]}: portolan {a}, nmap {b}")
PY
