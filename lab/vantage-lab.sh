#!/usr/bin/env bash
# vantage-lab.sh - one server seen from two zones: the lab of the many-vantage-point proof
# (crates/cli/tests/ansible_lab.rs, deploy/ansible).
#
#   namespace pl-van-srv  10.203.103.1/32 on its loopback, the address both zones check;
#                         reached over 10.203.100.1 (from zone a) and 10.203.101.1 (zone b).
#                         Accept-and-close listeners on TCP $VANTAGE_PORTS
#                         (benches/scan-listener.py); nftables drops TCP $VANTAGE_BLOCKED
#                         from zone b only.
#   namespace pl-van-a    10.203.100.2/24, route to 10.203.103.1 via the server
#   namespace pl-van-b    10.203.101.2/24, route to 10.203.103.1 via the server
#   No namespace is linked to the host, and none has a default route.
#
# Usage (as root):  vantage-lab.sh up | down | status
# Environment: VANTAGE_PORTS (default "8081 8082"), VANTAGE_BLOCKED (default 8082).
set -euo pipefail
export LAB_TAG=vantage-lab
here="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"
# shellcheck source=lib.sh
. "$here/lib.sh"

SRV=pl-van-srv
ZONE_A=pl-van-a
ZONE_B=pl-van-b
TARGET=10.203.103.1
PORTS="${VANTAGE_PORTS:-8081 8082}"
BLOCKED="${VANTAGE_BLOCKED:-8082}"
PIDFILE=/run/portolan-vantage-lab.pid

up() {
    need_root
    # Two links from the server, one per zone (link_netns adds both namespaces, so the
    # second zone is wired by hand onto the existing server namespace).
    link_netns "$SRV" van-srv-a 10.203.100.1 "$ZONE_A" van-a 10.203.100.2
    if ! ns_exists "$ZONE_B"; then
        netns_lock
        ip netns add "$ZONE_B"
        ip -n "$SRV" link add van-srv-b type veth peer name van-b netns "$ZONE_B"
        ip -n "$SRV" addr add 10.203.101.1/24 dev van-srv-b
        ip -n "$ZONE_B" addr add 10.203.101.2/24 dev van-b
        ip -n "$SRV" link set van-srv-b up
        ip -n "$ZONE_B" link set lo up
        ip -n "$ZONE_B" link set van-b up
        netns_unlock
    fi
    ip -n "$SRV" addr replace "$TARGET/32" dev lo
    ip -n "$ZONE_A" route replace "$TARGET/32" via 10.203.100.1
    ip -n "$ZONE_B" route replace "$TARGET/32" via 10.203.101.1
    ip netns exec "$SRV" nft -f - <<NFT
table inet vantage_lab
delete table inet vantage_lab
table inet vantage_lab {
    chain input {
        type filter hook input priority 0; policy accept;
        ip saddr 10.203.101.0/24 tcp dport { ${BLOCKED// /, } } drop
    }
}
NFT
    if [ ! -f "$PIDFILE" ] || ! alive "$(cat "$PIDFILE")"; then
        # shellcheck disable=SC2086
        ip netns exec "$SRV" python3 "$here/../benches/scan-listener.py" $PORTS >/dev/null 2>&1 &
        echo $! >"$PIDFILE"
    fi
    for _ in $(seq 1 50); do
        ip netns exec "$ZONE_A" bash -c "exec 3<>/dev/tcp/$TARGET/${PORTS%% *}" 2>/dev/null && break
        sleep 0.1
    done
    log "up: $TARGET listens on $PORTS; $BLOCKED dropped from zone b"
}

down() {
    need_root
    if [ -f "$PIDFILE" ]; then
        pid="$(cat "$PIDFILE")"
        alive "$pid" && stop_pids "$pid"
        rm -f "$PIDFILE"
    fi
    for ns in "$ZONE_A" "$ZONE_B" "$SRV"; do
        if ns_exists "$ns"; then
            netns_lock
            ip netns del "$ns"
            netns_unlock
        fi
    done
    log "down"
}

status() {
    local ok=0 ns
    for ns in "$SRV" "$ZONE_A" "$ZONE_B"; do
        if ns_exists "$ns"; then echo "$ns: up"; else echo "$ns: missing"; ok=1; fi
    done
    return "$ok"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) usage; exit 2 ;;
esac
