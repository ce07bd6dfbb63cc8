#!/usr/bin/env bash
# fw-lab.sh - a filtered host for the negative cases of portolan's checker
# and scanner: ports that are open, closed, dropped and rejected, in one
# network namespace of this machine without a default route:
#
#   namespace pl-fw  10.203.3.2/24  (host side of the veth: 10.203.3.1)
#     dnsmasq         DNS 53 udp+tcp (fw.lab.example -> 10.203.3.2)
#     fw-listener.py  accept-and-close TCP listener on the other listed ports
#     nftables        table inet portolan_lab inside the namespace: drop,
#                     reject with tcp reset, reject with icmpx admin-prohibited
#
# lab/fw-lab.truth says, port by port, what a client sees (open, closed,
# dropped, reset, admin-prohibited); the rules and listeners are built from
# it, and tests read the same file. Inside pl-fw the kernel's ICMP rate
# limits are off (net.ipv4.icmp_ratelimit=0, icmp_ratemask=0), so every
# closed UDP port and every ICMP reject answers, however fast the probes.
#
# Usage (as root):  fw-lab.sh up | down | status | check | purge
#   up      install missing packages, create the namespace, load the rules,
#           start dnsmasq and the listener, wait (bounded) until every
#           listener is bound. Idempotent: rules are reloaded, running
#           daemons are left alone.
#   down    stop what this script started, delete the namespace (its rules
#           go with it).
#   status  namespace, processes, rules, listening sockets; exit 1 unless up.
#   check   prove every line of fw-lab.truth from the host side (python
#           sockets), dig for DNS, nmap -sS/-sU for a second opinion, and a
#           burst of ICMP-answered probes; exit 1 on any FAIL.
#   purge   down, then delete the lab directory.
#
# Environment:
#   PORTOLAN_LAB_FW_DIR     lab directory (default $PORTOLAN_LAB_ROOT/fw,
#                           PORTOLAN_LAB_ROOT defaults to /tmp/portolan-lab)
#   PORTOLAN_LAB_NO_INSTALL 1 = never run apt-get (fail if something is missing)
#   PORTOLAN_LAB_TIMEOUT    seconds to wait for readiness (default 30)
set -euo pipefail

LAB_TAG=fw-lab
# shellcheck source=lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

LAB_DIR="$LAB_FW_DIR"
READY_TIMEOUT="${PORTOLAN_LAB_TIMEOUT:-30}"
TRUTH="$LAB_SCRIPTS/fw-lab.truth"
RUN_DIR="$LAB_DIR/run"
LOG_DIR="$LAB_DIR/log"
PIDFILE="$RUN_DIR/lab.pids"
RULES="$LAB_DIR/rules.nft"
NFT_TABLE=portolan_lab
# Debian's python3 when present (it is in the package list); else PATH's.
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3

# ------------------------------------------------------------------- truth
# truth_entries: "proto port state listener(0|1)" for every line of the
# truth file, after checking that the lab can provide it.
truth_entries() {
    awk '
        { sub(/#.*/, "") }
        NF == 0 { next }
        NF < 3 || ($1 != "tcp" && $1 != "udp") || $2 !~ /^[0-9]+$/ || $2 < 1 || $2 > 65535 \
            || $3 !~ /^(open|closed|dropped|reset|admin-prohibited)$/ \
            || (NF >= 4 && $4 != "listener") {
            printf "fw-lab.truth:%d: bad line\n", NR > "/dev/stderr"; bad = 1; next
        }
        ($1 "/" $2) in seen { printf "fw-lab.truth:%d: %s/%s listed twice\n", NR, $1, $2 > "/dev/stderr"; bad = 1 }
        { seen[$1 "/" $2] = 1; print $1, $2, $3, (NF >= 4 ? 1 : 0) }
        END { exit bad }
    ' "$TRUTH" || die "fix $TRUTH"
}

# ports PROTO STATE: the ports of that kind, one per line
ports() { truth_entries | awk -v p="$1" -v s="$2" '$1 == p && $3 == s { print $2 }'; }

# tcp ports on which fw-listener.py listens: open ones and those marked
# "listener" behind a rule, except 53 (dnsmasq).
listener_ports() {
    truth_entries | awk '$1 == "tcp" && ($3 == "open" || $4 == 1) && $2 != 53 { print $2 }' | sort -n
}

check_truth_supported() {
    local bad
    # UDP can only be open on 53 (dnsmasq); no UDP listener hides behind rules.
    bad="$(truth_entries | awk '$1 == "udp" && (($3 == "open" && $2 != 53) || $4 == 1)')"
    [ -z "$bad" ] || die "fw-lab.truth asks for UDP listeners the lab does not have: $bad"
    # DNS on 53 comes from dnsmasq for TCP and UDP together
    if [ "$(ports tcp open | grep -cx 53)" != "$(ports udp open | grep -cx 53)" ]; then
        die "fw-lab.truth: 53 must be open for both tcp and udp, or for neither"
    fi
    return 0
}

# ------------------------------------------------------------------- rules
# nft_set PROTO STATE: "{ 1, 2, 3 }", or nothing when there is no such port
nft_set() {
    local list
    list="$(ports "$1" "$2" | paste -sd, - | sed 's/,/, /g')"
    [ -n "$list" ] && echo "{ $list }"
    return 0
}

write_rules() {
    local proto set
    {
        echo "# nftables rules of the fw lab (written by fw-lab.sh from fw-lab.truth)"
        # "add" then "delete" makes the load idempotent: the old table goes
        # and the new one comes in one atomic transaction.
        echo "table inet $NFT_TABLE"
        echo "delete table inet $NFT_TABLE"
        echo "table inet $NFT_TABLE {"
        echo "    chain input {"
        echo "        type filter hook input priority filter; policy accept;"
        for proto in tcp udp; do
            set="$(nft_set "$proto" dropped)"
            [ -n "$set" ] && echo "        $proto dport $set drop"
            set="$(nft_set "$proto" reset)"
            if [ -n "$set" ]; then
                [ "$proto" = tcp ] || die "fw-lab.truth: 'reset' is for tcp only"
                echo "        tcp dport $set reject with tcp reset"
            fi
            set="$(nft_set "$proto" admin-prohibited)"
            [ -n "$set" ] && echo "        $proto dport $set reject with icmpx type admin-prohibited"
        done
        echo "    }"
        echo "}"
    } >"$RULES"
}

load_rules() {
    write_rules
    ip netns exec "$NS_FW" nft -f "$RULES" 2>"$LOG_DIR/nft.log" \
        || { cat "$LOG_DIR/nft.log" >&2; die "nft could not load $RULES"; }
    log "nftables rules loaded in $NS_FW ($RULES)"
}

# ----------------------------------------------------------------- daemons
start_dnsmasq() {
    local d="$LAB_DIR/dnsmasq"; mkdir -p "$d"
    # DNS only (no dhcp-range), bound to the lab address, no upstream
    start_daemon dnsmasq "$NS_FW" dnsmasq --keep-in-foreground --conf-file=/dev/null \
        --no-resolv --no-hosts --no-poll --bind-interfaces \
        --listen-address="$FW_IP" --port=53 --user=root --pid-file="$d/dnsmasq.pid" \
        --host-record="$FW_FQDN,$FW_IP" \
        --txt-record="portolan.$DNS_DOMAIN,portolan fw lab dnsmasq" \
        --log-facility=-
}

start_listener() {
    local list=()
    mapfile -t list < <(listener_ports)
    [ ${#list[@]} -gt 0 ] || return 0
    start_daemon listener "$NS_FW" "$PYTHON" "$LAB_SCRIPTS/fw-listener.py" "$FW_IP" "${list[@]}"
}

# ready: 0 when dnsmasq and the listener listen on every port they serve
# (see wait_ready_with).
ready() {
    local p name
    for name in dnsmasq listener; do
        [ "$name" = dnsmasq ] && [ -z "$(ports udp open)" ] && continue
        [ "$name" = listener ] && [ -z "$(listener_ports)" ] && continue
        daemon_running "$name"
    done
    for p in $(ports udp open); do ns_listens "$NS_FW" udp "$p" || return 1; done
    for p in $(ports tcp open) $(listener_ports); do
        ns_listens "$NS_FW" tcp "$p" || return 1
    done
}

# ---------------------------------------------------------------- commands
cmd_up() {
    need_root
    local t0; t0="$(now)"
    check_truth_supported
    lab_install fw
    mkdir -p "$LAB_DIR" "$RUN_DIR" "$LOG_DIR"
    make_netns "$NS_FW" "$FW_HOST_IF" "$FW_NS_IF" "$FW_HOST_IP" "$FW_IP"
    load_rules
    [ -n "$(ports udp open)" ] && start_dnsmasq
    start_listener
    wait_ready_with ready 0.1
    log "up in $(since "$t0") s: $FW_IP ($FW_FQDN), truth in $TRUTH"
}

cmd_down() {
    need_root
    local t0; t0="$(now)"
    stop_tracked ""
    remove_netns "$NS_FW" "$FW_HOST_IF"
    log "down in $(since "$t0") s"
}

cmd_purge() { cmd_down; remove_lab_dir; }

cmd_status() {
    local rc=0
    ns_status "$NS_FW" "$FW_IP" || rc=1
    print_pids || rc=1
    if ns_exists "$NS_FW"; then
        echo "icmp in $NS_FW: $(ip netns exec "$NS_FW" sysctl -n net.ipv4.icmp_ratelimit) (ratelimit)," \
             "$(ip netns exec "$NS_FW" sysctl -n net.ipv4.icmp_ratemask) (ratemask)"
        echo "nftables in $NS_FW:"
        ip netns exec "$NS_FW" nft list table inet "$NFT_TABLE" 2>/dev/null | sed 's/^/  /' \
            || { echo "  table $NFT_TABLE missing"; rc=1; }
        print_sockets "$NS_FW"
    fi
    return $rc
}

# every listening socket in pl-fw is bound to the lab address (nothing on
# loopback or a wildcard)
sockets_on_lab_ip_only() {
    local socks
    socks="$(ip netns exec "$NS_FW" ss -Hlntu | awk '{ print $5 }')" || return 1
    [ -n "$socks" ] || { echo "no listening socket"; return 1; }
    if grep -v "^$FW_IP:" <<<"$socks"; then return 1; fi
    echo "$(wc -l <<<"$socks") sockets, all on $FW_IP"
}

cmd_check() {
    ns_exists "$NS_FW" || die "namespace $NS_FW is absent: run '$0 up' first"
    local out rc tcp_ports udp_ports one_closed_udp one_icmp_tcp
    run_check "icmp limits off in $NS_FW" sh -c "
        r=\$(ip netns exec $NS_FW sysctl -n net.ipv4.icmp_ratelimit)
        m=\$(ip netns exec $NS_FW sysctl -n net.ipv4.icmp_ratemask)
        echo \"icmp_ratelimit=\$r icmp_ratemask=\$m\"; [ \"\$r\" = 0 ] && [ \"\$m\" = 0 ]"
    run_check "nft table $NFT_TABLE" sh -c "n=\$(ip netns exec $NS_FW nft list table inet $NFT_TABLE | grep -c -E 'drop|reject'); echo \"\$n drop/reject rules\"; [ \"\$n\" -gt 0 ]"
    run_check "sockets only on $FW_IP" sockets_on_lab_ip_only
    run_check "dns udp/53 (dig)" sh -c "dig +short +time=2 +tries=1 @$FW_IP $FW_FQDN | grep -x $FW_IP"
    run_check "dns tcp/53 (dig)" sh -c "dig +short +tcp +time=2 +tries=1 @$FW_IP $FW_FQDN | grep -x $FW_IP"
    # every line of the truth file, all ports at once (python sockets)
    rc=0
    out="$("$PYTHON" "$LAB_SCRIPTS/fw-probe.py" truth "$TRUTH" "$FW_IP" 2>&1)" || rc=$?
    echo "$out"
    [ $rc -eq 0 ] || CHECK_FAILS=$((CHECK_FAILS + $(echo "$out" | grep -c '^FAIL' || echo 1)))
    # ICMP answers must not be rate limited: 200 at once of each kind
    one_closed_udp="$(ports udp closed | head -1)"
    one_icmp_tcp="$(ports tcp admin-prohibited | head -1)"
    if [ -n "$one_closed_udp" ] && [ -n "$one_icmp_tcp" ]; then
        run_check "icmp burst (200 + 200)" "$PYTHON" "$LAB_SCRIPTS/fw-probe.py" burst \
            "$FW_IP" "$one_icmp_tcp" "$one_closed_udp" 200
    fi
    # a second opinion: nmap's SYN and UDP scans against the same truth
    tcp_ports="$(truth_entries | awk '$1 == "tcp" { print $2 }' | paste -sd, -)"
    udp_ports="$(truth_entries | awk '$1 == "udp" { print $2 }' | paste -sd, -)"
    run_check "nmap -sS -sU agrees" sh -c "
        nmap -n -Pn -sS -sU -T4 --max-retries 1 --host-timeout 120s --reason \
            -p T:$tcp_ports,U:$udp_ports -oX '$RUN_DIR/nmap.xml' $FW_IP >/dev/null 2>&1 \
            || { echo 'nmap failed'; exit 1; }
        '$PYTHON' '$LAB_SCRIPTS/fw-probe.py' nmap '$TRUTH' '$RUN_DIR/nmap.xml'"
    [ $CHECK_FAILS -eq 0 ] || { log "$CHECK_FAILS check(s) failed"; return 1; }
}

lab_main "$@"
