# lib.sh - shared part of portolan's lab scripts (sourced, never run).
#
# dc-lab.sh, apps-lab.sh, fw-lab.sh and lab.sh source this file. It holds:
#   * the fixed facts of the lab (names, addresses, credentials) that tests
#     and developers read back through `lab.sh env`;
#   * the single package installer for every lab (`lab_install`);
#   * the helpers for namespaces, daemons and pid tracking;
#   * what the three lab scripts do alike: waiting for readiness and the
#     command dispatch (`lab_main`).
#
# The project's lab lives on 10.203.0.0/16 with namespaces named pl-*, so it
# can run beside any other copy of the lab on 10.201.0.0/16 (portolan-*).
# The caller sets LAB_TAG (for log lines) and, before using the daemon
# helpers, LAB_DIR, LOG_DIR and PIDFILE.

# shellcheck shell=bash
# The settings below are used by the scripts that source this file.
# shellcheck disable=SC2034

# ------------------------------------------------------------ lab directories
LAB_ROOT="${PORTOLAN_LAB_ROOT:-/tmp/portolan-lab}"
LAB_DC_DIR="${PORTOLAN_LAB_DC_DIR:-$LAB_ROOT/dc}"
LAB_APPS_DIR="${PORTOLAN_LAB_APPS_DIR:-$LAB_ROOT/apps}"
LAB_FW_DIR="${PORTOLAN_LAB_FW_DIR:-$LAB_ROOT/fw}"
LAB_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

NO_INSTALL="${PORTOLAN_LAB_NO_INSTALL:-0}"

# ----------------------------------------------------------------- lab facts
REALM=LAB.EXAMPLE            # Kerberos realm / AD DNS domain (upper case)
DNS_DOMAIN=lab.example
NB_DOMAIN=LAB                # NetBIOS domain name
DC_NAME=dc1                  # dc1.lab.example, NetBIOS name DC1
APPS_FQDN=apps.lab.example
FW_FQDN=fw.lab.example
SVC_FQDN=svc1.lab.example
ADMIN_USER=administrator
ADMIN_PASS="${PORTOLAN_LAB_ADMINPASS:-Portolan-Lab-1}"
SNMP_COMMUNITY=public
RADIUS_SECRET=testing123
LAB_USER=labuser             # RADIUS, POP3/IMAP
LAB_PASS=labpass
IKE_PSK=portolan-lab-psk
LAB_NET=10.203.0.0/16        # every namespace of this lab is inside it

# Namespaces. Interface names must stay within 15 characters.
NS_DC=pl-dc;     DC_HOST_IF=pl-dc-host;     DC_NS_IF=pl-dc-ns
DC_HOST_IP=10.203.0.1;   DC_IP=10.203.0.2
NS_SVC=pl-svc;   SVC_HOST_IF=pl-svc-host;   SVC_NS_IF=pl-svc-ns
SVC_HOST_IP=10.203.1.1;  SVC_IP=10.203.1.2
NS_APPS=pl-apps; APPS_HOST_IF=pl-apps-host; APPS_NS_IF=pl-apps-ns
APPS_HOST_IP=10.203.2.1; APPS_IP=10.203.2.2
NS_FW=pl-fw;     FW_HOST_IF=pl-fw-host;     FW_NS_IF=pl-fw-ns
FW_HOST_IP=10.203.3.1;   FW_IP=10.203.3.2

# ------------------------------------------------------------------ packages
# Daemons and the clients that each lab's `check` uses. Everything is
# installed with --no-install-recommends, so packages that are only
# recommended but needed (samba-ad-provision: the provisioning templates)
# are named here.
PKGS_COMMON=(iproute2 procps util-linux python3)
PKGS_DC=(samba samba-ad-dc samba-ad-provision samba-dsdb-modules
         samba-vfs-modules winbind krb5-user smbclient ldb-tools
         bind9-dnsutils ldap-utils)
PKGS_SVC=(chrony snmpd snmp tftpd-hpa tftp-hpa dnsmasq freeradius
          freeradius-utils)
PKGS_APPS=(openbsd-inetd inetutils-telnetd vsftpd nginx postfix dovecot-imapd
           dovecot-pop3d inn2 lpr xrdp pptpd xl2tpd strongswan-charon
           strongswan-swanctl minissdpd dnsmasq snmptrapd openssl
           netcat-openbsd curl ike-scan snmp dhcping nmap)
PKGS_FW=(nftables dnsmasq bind9-dnsutils nmap)

# ------------------------------------------------------------------ helpers
log()  { printf '[%s] %s\n' "${LAB_TAG:-lab}" "$*" >&2; }
die()  {
    log "ERROR: $*"
    if [ "${COMMAND:-}" = up ] && [ -n "${LOG_DIR:-}" ]; then
        log "logs are in $LOG_DIR; '$0 down' stops what was started"
    fi
    exit 1
}
now()  { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

need_root() { [ "$(id -u)" = 0 ] || die "run as root (namespaces, veth, apt-get)"; }

# A process is alive if it exists and is not a zombie (a killed daemon is a
# zombie until PID 1 reaps it).
alive() {
    local st
    st="$(ps -o stat= -p "$1" 2>/dev/null || true)"
    [ -n "$st" ] && [ "${st:0:1}" != Z ]
}

ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }

# TCP connect from the host side (bash's /dev/tcp, at most 1 s).
tcp_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# ns_listens NS PROTO PORT: does a socket inside NS listen on PORT?
ns_listens() {
    local flag=-Hlnt
    [ "$2" = udp ] && flag=-Hlnu
    [ -n "$(ip netns exec "$1" ss "$flag" "sport = :$3" 2>/dev/null)" ]
}

# ------------------------------------------------------------ package install
# lab_packages GROUP...: the package names of the groups (dc svc apps fw).
lab_packages() {
    local g
    printf '%s\n' "${PKGS_COMMON[@]}"
    for g in "$@"; do
        case "$g" in
            dc)   printf '%s\n' "${PKGS_DC[@]}" ;;
            svc)  printf '%s\n' "${PKGS_SVC[@]}" ;;
            apps) printf '%s\n' "${PKGS_APPS[@]}" ;;
            fw)   printf '%s\n' "${PKGS_FW[@]}" ;;
            *)    die "unknown package group $g" ;;
        esac
    done | sort -u
}

# lab_install GROUP...: install what the groups need and is missing. The
# whole check is one dpkg-query call, so it costs next to nothing when all
# is there; `apt-get update` runs only when something is missing.
lab_install() {
    local want=() missing=() installed p
    mapfile -t want < <(lab_packages "$@")
    # (dpkg-query fails when it has never heard of a package: not an error here)
    installed=" $({ dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${want[@]}" 2>/dev/null || true; } \
                  | awk '$1 == "ii" { printf "%s ", $2 }') "
    for p in "${want[@]}"; do
        [[ "$installed" == *" $p "* ]] || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$NO_INSTALL" = 1 ] && die "missing packages: ${missing[*]} (PORTOLAN_LAB_NO_INSTALL=1)"
    need_root
    log "installing: ${missing[*]}"
    mkdir -p "$LAB_ROOT"
    local aptlog="$LAB_ROOT/apt.log" created_policy=0 rc=0 t0 innconf
    t0="$(now)"
    # Maintainer scripts must not start the packages' services (smbd, nginx,
    # postfix, dovecot, snmpd, ...) on the host: a policy-rc.d that answers
    # 101 ("action forbidden") stops invoke-rc.d. Ours only lives during
    # the install, and an existing one is left alone.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\n# portolan lab: no services during install\nexit 101\n' \
            >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
    fi
    # postfix asks what kind of mail host this is. "Local only" keeps it on
    # loopback and still writes the main.cf that inn2's postinst needs (it
    # runs newaliases); "No configuration" breaks inn2's postinst.
    echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
    # inn2's postinst runs innconfval, which gives up when the machine's
    # hostname has no domain. INNCONF points it at a throw-away inn.conf
    # with a domain, the keys innconfval requires and Debian's usual paths,
    # so the postinst still lays out /var/lib/news; /etc/news is untouched.
    innconf="$(mktemp)"
    cat >"$innconf" <<'EOF'
domain: lab.example
mta: "/usr/sbin/sendmail -oi -oem %s"
hismethod: hisv6
ovmethod: tradindexed
pathnews: /usr/lib/news
patharchive: /var/spool/news/archive
patharticles: /var/spool/news/articles
pathbin: /usr/lib/news/bin
pathcontrol: /usr/lib/news/bin/control
pathdb: /var/lib/news
pathetc: /etc/news
pathfilter: /etc/news/filter
pathhttp: /var/www/inn
pathincoming: /var/spool/news/incoming
pathlog: /var/log/news
pathoutgoing: /var/spool/news/outgoing
pathoverview: /var/spool/news/overview
pathrun: /run/news
pathspool: /var/spool/news
pathtmp: /var/spool/news/incoming/tmp
EOF
    chmod 644 "$innconf"
    export DEBIAN_FRONTEND=noninteractive
    {
        apt-get -o DPkg::Lock::Timeout=600 update -q || rc=$?
        # --no-install-recommends also keeps xrdp from pulling in an X server.
        [ $rc -eq 0 ] && { INNCONF="$innconf" apt-get -o DPkg::Lock::Timeout=600 \
            install -y --no-install-recommends "${missing[@]}" || rc=$?; }
    } >"$aptlog" 2>&1
    rm -f "$innconf"
    [ $created_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
    if [ $rc -ne 0 ]; then
        tail -15 "$aptlog" >&2
        die "apt-get failed (full log: $aptlog)"
    fi
    log "installed ${#missing[@]} package(s) in $(since "$t0") s (log: $aptlog)"
}

# ---------------------------------------------------------------- namespaces
# Creating and deleting namespaces is serialised across the lab scripts,
# because lab.sh runs them in parallel and the very first `ip netns add` on
# a machine also sets up the /run/netns mount.
netns_lock() {
    local d=/run/lock
    [ -d "$d" ] && [ -w "$d" ] || d="${TMPDIR:-/tmp}"
    exec 9>"$d/portolan-lab.netns.lock"
    flock -w 30 9 || die "could not take the namespace lock"
}
netns_unlock() { flock -u 9; exec 9>&-; }

# make_netns NS HOST_IF NS_IF HOST_IP NS_IP: a namespace joined to the host
# by a veth pair on a /24, loopback up, no default route (nothing inside can
# reach beyond its /24). Reuses a namespace that is already wired this way.
make_netns() {
    local ns="$1" hif="$2" nif="$3" hip="$4" nip="$5"
    netns_lock
    if ns_exists "$ns"; then
        if ip -n "$ns" -4 addr show dev "$nif" 2>/dev/null | grep -q "inet $nip/" \
           && ip -4 addr show dev "$hif" 2>/dev/null | grep -q "inet $hip/"; then
            netns_unlock; return 0
        fi
        netns_unlock
        die "namespace $ns exists but is not wired as expected; run '$0 down' first"
    fi
    if ip -4 -o addr show | grep -q "inet $hip/"; then
        netns_unlock
        die "$hip is already used on this machine; cannot create $ns"
    fi
    ip netns add "$ns"
    ip link add "$hif" type veth peer name "$nif"
    ip link set "$nif" netns "$ns"
    ip addr add "$hip/24" dev "$hif"
    ip link set "$hif" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$nip/24" dev "$nif"
    ip -n "$ns" link set "$nif" up
    # The kernel limits the ICMP errors it sends (per peer: icmp_ratelimit,
    # 1 s between messages after a burst of 6; per namespace: icmp_msgs_per_sec
    # and a burst of 50, for the types in icmp_ratemask). A scan of many closed
    # UDP ports, or of ports rejected with ICMP by nftables, would then see
    # some ports silent, i.e. "filtered", by chance. Inside our namespaces
    # only (these are per-namespace sysctls) ratelimit 0 lifts the per-peer
    # limit and an empty ratemask takes every type out of both limits.
    ip netns exec "$ns" sysctl -q -w net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_ratemask=0 \
        net.ipv6.icmp.ratelimit=0 >/dev/null
    netns_unlock
    log "namespace $ns: $nip (host side $hip on $hif)"
}

# remove_netns NS HOST_IF: stop whatever still runs inside NS (only our labs
# start processes there), delete it and its /etc/netns files, then wait
# until the kernel has removed the veth (it does so asynchronously), so an
# immediate `up` can create the same names again.
remove_netns() {
    local ns="$1" hif="$2" pid pids=()
    if ns_exists "$ns"; then
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            alive "$pid" || continue
            log "stopping leftover pid $pid ($(ps -o comm= -p "$pid" 2>/dev/null || true)) in $ns"
            pids+=("$pid")
        done
        [ ${#pids[@]} -gt 0 ] && stop_pids "${pids[@]}"
        netns_lock
        ip netns del "$ns"
        netns_unlock
        log "deleted namespace $ns"
    fi
    rm -rf "/etc/netns/$ns"
    rmdir /etc/netns 2>/dev/null || true     # only if nothing else uses it
    for _ in $(seq 1 50); do ip link show "$hif" >/dev/null 2>&1 || break; sleep 0.1; done
    if ip link show "$hif" >/dev/null 2>&1; then ip link del "$hif"; fi
}

# link_netns NS_A IF_A IP_A NS_B IF_B IP_B: two namespaces joined to each
# other (not to the host) by one veth pair on a /24, loopback up, no default
# route: traffic between them never touches the host's routing. Reuses the
# pair when it is already wired this way.
link_netns() {
    local nsa="$1" ifa="$2" ipa="$3" nsb="$4" ifb="$5" ipb="$6" ns
    netns_lock
    if ns_exists "$nsa" || ns_exists "$nsb"; then
        if ip -n "$nsa" -4 addr show dev "$ifa" 2>/dev/null | grep -q "inet $ipa/" \
           && ip -n "$nsb" -4 addr show dev "$ifb" 2>/dev/null | grep -q "inet $ipb/"; then
            netns_unlock; return 0
        fi
        netns_unlock
        die "namespace $nsa or $nsb exists but is not wired as expected; run '$0 down' first"
    fi
    ip netns add "$nsa"
    ip netns add "$nsb"
    ip -n "$nsa" link add "$ifa" type veth peer name "$ifb" netns "$nsb"
    ip -n "$nsa" addr add "$ipa/24" dev "$ifa"
    ip -n "$nsb" addr add "$ipb/24" dev "$ifb"
    for ns in "$nsa" "$nsb"; do
        ip -n "$ns" link set lo up
        # (see make_netns: no ICMP rate limits inside our namespaces)
        ip netns exec "$ns" sysctl -q -w net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_ratemask=0 \
            net.ipv6.icmp.ratelimit=0 >/dev/null
    done
    ip -n "$nsa" link set "$ifa" up
    ip -n "$nsb" link set "$ifb" up
    netns_unlock
    log "namespaces $nsa ($ipa) and $nsb ($ipb), joined by $ifa/$ifb"
}

# ------------------------------------------------------------------- daemons
# The pidfile has one line per started daemon: "name pid namespace".

# tracked_pid NAME: the recorded pid of NAME, if that process is alive and
# still in the namespace it was started in (guards against pid reuse).
tracked_pid() {
    local name pid ns
    [ -f "$PIDFILE" ] || return 1
    while read -r name pid ns; do
        if [ "$name" = "$1" ] && alive "$pid" \
           && [ "$(ip netns identify "$pid" 2>/dev/null)" = "$ns" ]; then
            echo "$pid"; return 0
        fi
    done < "$PIDFILE"
    return 1
}

record_pid() {  # NAME PID NS
    [ -f "$PIDFILE" ] && sed -i "/^$1 /d" "$PIDFILE"   # a stale entry
    echo "$1 $2 $3" >>"$PIDFILE"
}

# start_daemon NAME NS CMD...: run CMD, which must stay in the foreground,
# inside NS in the background of this script, and record its pid. `ip netns
# exec` and nohup both exec, so $! is the daemon itself.
start_daemon() {
    local name="$1" ns="$2" pid; shift 2
    if pid="$(tracked_pid "$name")"; then log "$name already running (pid $pid)"; return 0; fi
    nohup ip netns exec "$ns" "$@" >"$LOG_DIR/$name.log" 2>&1 </dev/null &
    record_pid "$name" "$!" "$ns"
    log "started $name (pid $!) in $ns"
}

# stop_pids PID...: SIGTERM to all at once, up to 10 s, then SIGKILL.
stop_pids() {
    local pid left=()
    for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 100); do
        left=()
        for pid in "$@"; do alive "$pid" && left+=("$pid"); done
        [ ${#left[@]} -eq 0 ] && return 0
        sleep 0.1
    done
    log "pid(s) ${left[*]} ignored SIGTERM, sending SIGKILL"
    kill -KILL "${left[@]}" 2>/dev/null || true
}

# stop_tracked HOOK: stop every recorded daemon that still lives in its
# namespace; unless HOOK is empty, HOOK NAME PID runs first for each (for
# daemons that need more than a signal). Then forget the pidfile.
stop_tracked() {
    local hook="$1" name pid ns pids=()
    [ -f "$PIDFILE" ] || return 0
    while read -r name pid ns; do
        if alive "$pid" && [ "$(ip netns identify "$pid" 2>/dev/null)" = "$ns" ]; then
            log "stopping $name (pid $pid)"
            pids+=("$pid")
            [ -n "$hook" ] && "$hook" "$name" "$pid"
        fi
    done < <(tac "$PIDFILE")
    [ ${#pids[@]} -gt 0 ] && stop_pids "${pids[@]}"
    rm -f "$PIDFILE"
}

# daemon_running NAME: die with the tail of NAME's log unless the recorded
# NAME still runs (a daemon that exited will not become ready).
daemon_running() {
    tracked_pid "$1" >/dev/null && return 0
    tail -20 "$LOG_DIR/$1.log" >&2 || true
    die "$1 exited"
}

# -------------------------------------------------------------------- samba
# An Active Directory DC of Samba inside a namespace, its state under one
# directory: samba-tool's --targetdir, with smb.conf in etc/ and every
# run-time path (pids, sockets, logs) inside it, never the host's /run/samba
# or /var/lib/samba. Provisioning logs to $LOG_DIR/provision.log.

# samba_provision NS NS_IF IP SAMBA_DIR: provision the domain once (a marker
# file makes later calls return at once).
samba_provision() {
    local ns="$1" nif="$2" ip="$3" dir="$4" conf="$4/etc/smb.conf" t0
    [ -f "$dir/.provisioned" ] && return 0
    t0="$(now)"
    rm -rf "$dir"
    mkdir -p "$dir/etc" "$dir/run" "$dir/log"
    # Given an empty smb.conf with -s, samba-tool does not merge the
    # distribution's /etc/samba/smb.conf ([homes], [printers], log paths).
    : >"$conf"
    # Provisioning needs no network; inside the namespace it cannot reach
    # any. An empty "dns forwarder" keeps the host's resolver out of
    # smb.conf: the DC answers for its own zones only.
    ip netns exec "$ns" samba-tool domain provision \
        -s "$conf" --targetdir="$dir" \
        --realm="$REALM" --domain="$NB_DOMAIN" --server-role=dc \
        --dns-backend=SAMBA_INTERNAL --adminpass="$ADMIN_PASS" \
        --host-name="$DC_NAME" --host-ip="$ip" \
        --option="interfaces=lo $nif" \
        --option="bind interfaces only=yes" \
        --option="dns forwarder=" \
        --option="log file=$dir/log/samba.log" \
        --option="pid directory=$dir/run" \
        --option="ncalrpc dir=$dir/run/ncalrpc" \
        --option="winbindd socket directory=$dir/run/winbindd" \
        --option="ntp signd socket directory=$dir/run/ntp_signd" \
        >"$LOG_DIR/provision.log" 2>&1 \
        || { tail -20 "$LOG_DIR/provision.log" >&2; die "provision failed"; }
    # The domain's default maximum password age is 42 days; a lab that is
    # provisioned once and reused must not expire.
    samba-tool user setexpiry "$ADMIN_USER" --noexpiry \
        -H "$dir/private/sam.ldb" -s "$conf" >>"$LOG_DIR/provision.log" 2>&1
    touch "$dir/.provisioned"
    log "provisioned $REALM in $(since "$t0") s"
}

# samba_global_lines CONF TAG [FILE]: put FILE's lines at the top of CONF's
# [global] section between "# begin TAG" and "# end TAG" markers, replacing
# what an earlier call put there; without FILE, only remove that block.
samba_global_lines() {
    local conf="$1" tag="$2" file="${3:-}" tmp
    sed -i "/^# begin $tag\$/,/^# end $tag\$/d" "$conf"
    [ -n "$file" ] || return 0
    tmp="$(mktemp)"
    { echo "# begin $tag"; sed 's/^[[:space:]]*/\t/' "$file"; echo "# end $tag"; } >"$tmp"
    sed -i "/^\[global\]\$/r $tmp" "$conf"
    rm -f "$tmp"
}

# samba_start NS IP SAMBA_DIR: start samba in the foreground inside NS,
# tracked as "samba" (see start_daemon).
samba_start() {
    local ns="$1" ip="$2" dir="$3" pid
    if pid="$(tracked_pid samba)"; then log "samba already running (pid $pid)"; return 0; fi
    # samba_dnsupdate (run by samba) must ask the DC itself, not the host's
    # resolver; `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf.
    mkdir -p "/etc/netns/$ns"
    echo "nameserver $ip" >"/etc/netns/$ns/resolv.conf"
    # libwbclient (used by smbd to reach winbindd) has the socket path
    # /run/samba/winbindd compiled in and ignores smb.conf. So the lab's run
    # dir is bind-mounted over /run/samba in the private mount namespace
    # that `ip netns exec` makes; the host never sees it. Without this every
    # SMB session setup fails with NT_STATUS_INTERNAL_ERROR.
    mkdir -p /run/samba
    # shellcheck disable=SC2016  # $1/$@ belong to the inner sh
    start_daemon samba "$ns" sh -c 'mount --bind "$1" /run/samba && shift && exec "$@"' \
        sh "$dir/run" samba -s "$dir/etc/smb.conf" --foreground
}

# ----------------------------------------------------------------- readiness
# wait_ready_with CHECK PAUSE: run CHECK every PAUSE seconds until it returns
# 0 (everything listens), for at most READY_TIMEOUT seconds. CHECK dies by
# itself when a daemon has exited, and may name what it still waits for in
# WAITING_FOR for the timeout message.
WAITING_FOR=""
wait_ready_with() {
    local t0 deadline
    t0="$(now)"; deadline=$(( $(date +%s) + READY_TIMEOUT ))
    until "$1"; do
        [ "$(date +%s)" -lt "$deadline" ] \
            || die "not ready after ${READY_TIMEOUT} s${WAITING_FOR:+ ($WAITING_FOR)}"
        sleep "$2"
    done
    log "ready in $(since "$t0") s"
}

# ns_status NS [ADDRESS]: one line saying whether namespace NS is there (with
# its ADDRESS); 1 if it is not.
ns_status() {
    if ns_exists "$1"; then echo "namespace $1: present${2:+ ($2)}"; else echo "namespace $1: absent"; return 1; fi
}

# print_pids: the recorded daemons and whether they run; 1 if one is dead.
print_pids() {
    local name pid ns st rc=0
    if [ ! -f "$PIDFILE" ]; then echo "  no daemons recorded"; return 1; fi
    while read -r name pid ns; do
        if alive "$pid"; then st=running; else st=DEAD; rc=1; fi
        printf '  %-11s pid %-7s %-8s %s\n' "$name" "$pid" "$ns" "$st"
    done < "$PIDFILE"
    return $rc
}

# print_sockets NS: listening sockets inside NS, one line per proto+address.
print_sockets() {
    echo "listening sockets in $1 (proto address: ports):"
    ip netns exec "$1" ss -Hlntu | awk '{print $1, $5}' \
        | sed -E 's/:([0-9]+)$/ \1/' | sort -u -k1,1 -k2,2 -k3,3n \
        | awk '{ k = $1 " " $2
                 if (k != prev) { if (prev != "") print line; line = "  " k ":"; prev = k }
                 line = line " " $3 }
               END { if (prev != "") print line }'
}

# run_check NAME CMD...: one OK/FAIL line; counts failures in CHECK_FAILS.
CHECK_FAILS=0
run_check() {
    local name="$1" out; shift
    if out="$("$@" 2>&1)"; then
        printf 'OK    %-28s %s\n' "$name" "$(echo "$out" | grep -v '^$' | head -1 | cut -c1-100)"
    else
        printf 'FAIL  %-28s %s\n' "$name" "$(echo "$out" | grep -v '^$' | tail -1 | cut -c1-100)"
        CHECK_FAILS=$((CHECK_FAILS + 1))
    fi
}

# usage: print the script's header comment (from line 2 to `set -euo`).
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

# ------------------------------------------------------------------ commands
# remove_lab_dir: the lab's directory (its configs and logs) goes; `purge`
# runs it after `down`.
remove_lab_dir() {
    rm -rf "$LAB_DIR"
    log "removed $LAB_DIR"
}

# lab_main COMMAND: run one of a lab script's commands (its cmd_* functions,
# without arguments).
lab_main() {
    COMMAND="${1:-}"
    case "$COMMAND" in
        up|down|purge|status|check) "cmd_$COMMAND" ;;
        *) usage; exit 2 ;;
    esac
}
