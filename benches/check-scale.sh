#!/usr/bin/env bash
# check-scale.sh - portolan check at the scale of a subnet against nmap -sT -T4, same run.
#
# As root. Brings up its own namespace and tears it down at the end (trap):
#
#   namespace pl-scale, veth pl-scale-host 10.203.20.1/24 <-> pl-scale-ns 10.203.20.2/24;
#   10.203.21.1-254 (and, for the large case, 10.203.32.0/20: 4,096 addresses) as extra
#   addresses in the namespace, routed from the host via 10.203.20.2.
#   Every address: 10 listening TCP ports (accept and close, benches/scan-listener.py) and
#   10 TCP ports nftables drops: the 20 ports of benches/check.sh.
#
# Cases: 16, 64 and 254 hosts x 20 ports, portolan check with default flags against
# `nmap -sT -T4 -Pn -n` on the same ports; each RUNS times (default 3), median wall time and
# the largest peak RSS (/usr/bin/time -v) of each, and the verdicts compared port by port
# (nmap's open/filtered in PortQry's words). Then portolan alone on 4,096 hosts x 20 ports
# (LARGE=0 leaves it out). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
# shellcheck disable=SC2034 # read by lab/lib.sh's log lines
LAB_TAG=check-scale
# shellcheck source=lab/lib.sh
. lab/lib.sh    # make_netns: the lab's one way to wire a namespace to this host

[ "$(id -u)" = 0 ] || { echo "check-scale.sh: run as root (network namespaces, nftables)" >&2; exit 1; }
[ -x /usr/bin/time ] && command -v nmap >/dev/null || bash scripts/install-deps.sh
for tool in ip nft nmap python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "check-scale.sh: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done

RUNS="${RUNS:-3}"
LARGE="${LARGE:-1}"
OUT="${OUT:-/tmp/portolan-check-scale}"
NS=pl-scale
HOST_IF=pl-scale-host
NS_IF=pl-scale-ns
HOST_IP=10.203.20.1
PEER=10.203.20.2
SMALL_NET=10.203.21.0/24
LARGE_NET=10.203.32.0/20
LISTEN=(21 23 25 53 80 88 389 443 636 3268)
DROP=(135 139 445 3389 5985 49152 49153 49154 49155 49156)
PORTS="$(IFS=,; echo "${LISTEN[*]},${DROP[*]}")"
mkdir -p "$OUT"

LISTENER_PID=""
teardown() {
    # The listener keeps the namespace alive after `ip netns del`: stop it first (its pid).
    [ -n "$LISTENER_PID" ] && kill "$LISTENER_PID" 2>/dev/null || true
    LISTENER_PID=""
    ip route del "$SMALL_NET" 2>/dev/null || true
    ip route del "$LARGE_NET" 2>/dev/null || true
    ip link del "$HOST_IF" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
}
trap teardown EXIT
teardown

# ------------------------------------------------------------ namespace
make_netns "$NS" "$HOST_IF" "$NS_IF" "$HOST_IP" "$PEER"
{
    for i in $(seq 1 254); do echo "addr add 10.203.21.$i/32 dev $NS_IF"; done
    if [ "$LARGE" = 1 ]; then
        for a in $(seq 32 47); do for b in $(seq 0 255); do echo "addr add 10.203.$a.$b/32 dev $NS_IF"; done; done
    fi
} | ip -n "$NS" -batch -
ip route add "$SMALL_NET" via "$PEER" dev "$HOST_IF"
[ "$LARGE" = 1 ] && ip route add "$LARGE_NET" via "$PEER" dev "$HOST_IF"
# Thousands of handshakes at once: room in the namespace's accept queues and neighbour table.
ip netns exec "$NS" sysctl -qw net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535
sysctl -qw net.ipv4.neigh.default.gc_thresh3=16384 net.ipv4.neigh.default.gc_thresh2=8192 || true
ip netns exec "$NS" nft -f - <<EOF
table inet scale {
    chain input {
        type filter hook input priority filter; policy accept;
        tcp dport { $(IFS=,; echo "${DROP[*]}") } drop
    }
}
EOF
ip netns exec "$NS" python3 benches/scan-listener.py "${LISTEN[@]}" >"$OUT/listener.out" 2>&1 &
LISTENER_PID=$!
for _ in $(seq 1 100); do grep -q ready "$OUT/listener.out" 2>/dev/null && break; sleep 0.05; done
grep -q ready "$OUT/listener.out" || { cat "$OUT/listener.out" >&2; exit 1; }

# Never probe an address that would leave the machine: every network goes over our veth.
probe_ok=(10.203.21.1 10.203.21.254)
[ "$LARGE" = 1 ] && probe_ok+=(10.203.32.0 10.203.47.255)
for a in "${probe_ok[@]}"; do
    ip -o route get "$a" | grep -q "dev $HOST_IF " || {
        echo "check-scale.sh: $a is not routed through $HOST_IF; refusing to probe" >&2
        exit 2
    }
done

# ----------------------------------------------------------------- build
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p portolan
PORTOLAN="$(readlink -f "$TARGET_DIR/release/portolan")"

# ---------------------------------------------------------------- cases
# One timed run: wall seconds and peak RSS (KiB) of the command, its stdout kept.
timed() {
    local out="$1"; shift
    /usr/bin/time -f "%e %M" -o "$out.time" "$@" >"$out" 2>"$out.err" || true
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); open-file limit: soft $(ulimit -Sn), hard $(ulimit -Hn)" >&2
for hosts in 16 64 254; do
    targets="10.203.21.1-$hosts"
    for run in $(seq 1 "$RUNS"); do
        timed "$OUT/portolan-$hosts-$run.json" "$PORTOLAN" check "$targets" --ports "tcp:$PORTS" --format json
        timed "$OUT/nmap-$hosts-$run.xml" nmap -sT -T4 -Pn -n -p "$PORTS" "$targets" -oX -
    done
done
if [ "$LARGE" = 1 ]; then
    for run in $(seq 1 "$RUNS"); do
        timed "$OUT/portolan-4096-$run.jsonl" "$PORTOLAN" check "10.203.32.0-10.203.47.255" --ports "tcp:$PORTS" --format jsonl
    done
fi

python3 - "$OUT" "$RUNS" "$LARGE" "${LISTEN[*]}" <<'PY'
import json, statistics, sys
import xml.etree.ElementTree as ET
out, runs, large, listen = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", {int(p) for p in sys.argv[4].split()}
words = {"open": "LISTENING", "closed": "NOT LISTENING", "filtered": "FILTERED"}

def timing(path):
    wall, rss = open(path + ".time").read().split()[-2:]
    return float(wall), int(rss) / 1024

def ours_json(path):
    return {(h["address"], r["port"]): r["status"] for h in json.load(open(path))["hosts"] for r in h["results"]}

def ours_jsonl(path):
    lines = [json.loads(l) for l in open(path) if l.strip()]
    return {(r["address"], r["port"]): r["status"] for r in lines if "port" in r}

def theirs(path):
    found = {}
    for host in ET.parse(path).getroot().iter("host"):
        addr = host.find("address").get("addr")
        for p in host.iter("port"):
            found[(addr, int(p.get("portid")))] = words.get(p.find("state").get("state"), "?")
    return found

print("| hosts x ports | portolan check (median s) | portolan peak RSS (MiB) | nmap -sT -T4 (median s) | nmap peak RSS (MiB) | nmap / portolan | verdicts |")
print("|---|---|---|---|---|---|---|")
for hosts in (16, 64, 254):
    p = [timing(f"{out}/portolan-{hosts}-{r}.json") for r in range(1, runs + 1)]
    n = [timing(f"{out}/nmap-{hosts}-{r}.xml") for r in range(1, runs + 1)]
    differ = 0
    for r in range(1, runs + 1):
        a, b = ours_json(f"{out}/portolan-{hosts}-{r}.json"), theirs(f"{out}/nmap-{hosts}-{r}.xml")
        expected = {(f"10.203.21.{h}", port): ("LISTENING" if port in listen else "FILTERED") for h in range(1, hosts + 1) for port in {int(x) for x in ("21 23 25 53 80 88 389 443 636 3268 135 139 445 3389 5985 49152 49153 49154 49155 49156".split())}}
        differ += sum(1 for k in set(a) | set(b) | set(expected) if not (a.get(k) == b.get(k) == expected.get(k)))
    pm, nm = statistics.median(x[0] for x in p), statistics.median(x[0] for x in n)
    verdict = "identical, as expected" if differ == 0 else f"{differ} differ"
    print(f"| {hosts} x 20 | {pm:.2f} | {max(x[1] for x in p):.0f} | {nm:.2f} | {max(x[1] for x in n):.0f} | {nm / pm:.1f} | {verdict} |")
if large:
    p = [timing(f"{out}/portolan-4096-{r}.jsonl") for r in range(1, runs + 1)]
    a = ours_jsonl(f"{out}/portolan-4096-1.jsonl")
    wrong = sum(1 for (addr, port), s in a.items() if s != ("LISTENING" if port in listen else "FILTERED"))
    print(f"| 4096 x 20 (jsonl) | {statistics.median(x[0] for x in p):.2f} | {max(x[1] for x in p):.0f} | - | - | - | {len(a)} results, {wrong} not as expected |")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); raw output in $OUT" >&2
