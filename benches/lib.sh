# benches/lib.sh - what the sweep benchmarks (scan.sh, syn.sh) share: the truth of the bench
# host, its namespace (wired by lab/lib.sh's make_netns, the project's one way), its nftables
# rules and its listener. Sourced with BENCH (the script's name) set; needs lab/lib.sh.
# shellcheck shell=bash

# ------------------------------------------------------------------- truth
# 50 accept-and-close listeners; nftables drops, resets and ICMP admin-prohibited rejects in
# front of some of them and of some closed ports; every other port is closed.
LISTEN=(20 21 22 25 53 80 88 110 111 135 139 143 389 443 445 464 465 587 593 636 993 995
        1433 1723 2049 3268 3269 3389 5722 5985 5986 8080 9389 47001 $(seq 49152 49167))
DROP=(135 139 5985 49152 49153 49154 49155 49156 7000 7001 7002 7003 7004)
RESET=(88 389 8000 8001)
REJECT=(3268 9000 9001 9002)
in_list() { local x="$1"; shift; for y in "$@"; do [ "$x" = "$y" ] && return 0; done; return 1; }
OPEN=()
for p in "${LISTEN[@]}"; do
    in_list "$p" "${DROP[@]}" "${RESET[@]}" "${REJECT[@]}" || OPEN+=("$p")
done
nft_set() { local IFS=,; echo "{ $* }"; }

step() { printf '\n=== %s ===\n' "$*" >&2; }

# bench_host NS HOST_IF NS_IF HOST_IP TARGET: the namespace host with the truth's rules.
bench_host() {
    local ns="$1"
    make_netns "$@"
    ip netns exec "$ns" nft -f - <<NFT
table inet bench {
    chain input {
        type filter hook input priority filter; policy accept;
        tcp dport $(nft_set "${DROP[@]}") drop
        tcp dport $(nft_set "${RESET[@]}") reject with tcp reset
        tcp dport $(nft_set "${REJECT[@]}") reject with icmpx type admin-prohibited
    }
}
NFT
}

# bench_listener NS OUT: starts the truth's listeners in NS (every address); sets
# LISTENER_PID and waits (bounded) until they are ready.
bench_listener() {
    local ns="$1" out="$2"
    ip netns exec "$ns" python3 benches/scan-listener.py "${LISTEN[@]}" >"$out/listener.out" 2>&1 &
    LISTENER_PID=$!
    for _ in $(seq 1 100); do grep -q ready "$out/listener.out" 2>/dev/null && break; sleep 0.05; done
    grep -q ready "$out/listener.out" || { cat "$out/listener.out" >&2; exit 1; }
}

# bench_route_check TARGET HOST_IF: never measure against an address that would leave the
# machine.
bench_route_check() {
    ip -o route get "$1" | grep -q "dev $2 " || {
        echo "benches/$BENCH: $1 is not routed through $2; refusing to scan" >&2
        exit 2
    }
}
