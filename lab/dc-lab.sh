#!/usr/bin/env bash
# dc-lab.sh - a Windows-domain-controller-like peer for portolan's tests.
#
# Real third-party daemons in private network namespaces of this machine;
# no namespace has a default route, so nothing can leave its /24:
#
#   namespace pl-dc   10.203.0.2/24  (host side of the veth: 10.203.0.1)
#     samba (Active Directory DC dc1.lab.example, realm LAB.EXAMPLE,
#       NetBIOS domain LAB): DNS 53, Kerberos 88/464, EPM 135,
#       NetBIOS 137/138 udp + 139, LDAP/CLDAP 389, SMB 445, LDAPS 636,
#       GC 3268/3269, dynamic RPC 49152-49154
#     chronyd: NTP 123/udp (a DC serves time)                    [extras]
#   namespace pl-svc  10.203.1.2/24  (host side: 10.203.1.1)       [extras]
#     dnsmasq 53 udp/tcp, tftpd-hpa 69/udp, snmpd 161/udp,
#     freeradius 1812/1813 udp
#
# Usage (as root):  dc-lab.sh up | down | status | check | purge
#   up      install missing packages, create the namespaces, provision the
#           domain once (kept in the lab dir, so later ups are fast), start
#           the daemons and wait (bounded) until TCP 53/88/135/389/445
#           answer, DNS answers, the NetBIOS names are registered and the
#           extras listen. Idempotent: running daemons are left alone.
#   down    stop only what this script started (its pidfile, then whatever
#           is left inside its namespaces), delete the namespaces. The
#           provisioned domain stays for a fast next `up`.
#   status  namespaces, tracked processes, listening sockets; exit 1 unless up.
#   check   ask every service with a real client (dig, kinit, ldapsearch,
#           smbclient, net ads lookup, rpcclient, nmblookup, chronyd -Q,
#           tftp, snmpget, radclient); exit 1 on any FAIL.
#   purge   down, then delete the lab directory (the next up provisions).
#
# Environment:
#   PORTOLAN_LAB_DC_DIR     lab directory (default $PORTOLAN_LAB_ROOT/dc,
#                           PORTOLAN_LAB_ROOT defaults to /tmp/portolan-lab)
#   PORTOLAN_LAB_EXTRAS     1 = also NTP and the pl-svc daemons (default 1)
#   PORTOLAN_LAB_ADMINPASS  administrator's password, used when provisioning
#                           (default Portolan-Lab-1; `purge` to change it)
#   PORTOLAN_LAB_SMB1       1 = samba also accepts SMB1/NT1 (default 0)
#   PORTOLAN_LAB_NO_INSTALL 1 = never run apt-get (fail if something is missing)
#   PORTOLAN_LAB_TIMEOUT    seconds to wait for readiness (default 90)
set -euo pipefail

LAB_TAG=dc-lab
# shellcheck source=lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

# ----------------------------------------------------------------- settings
LAB_DIR="$LAB_DC_DIR"
EXTRAS="${PORTOLAN_LAB_EXTRAS:-1}"
READY_TIMEOUT="${PORTOLAN_LAB_TIMEOUT:-90}"
SMB1="${PORTOLAN_LAB_SMB1:-0}"

DC_TCP_READY_PORTS=(53 88 135 389 445)

SAMBA_DIR="$LAB_DIR/samba"   # samba-tool --targetdir (smb.conf in etc/)
SMB_CONF="$SAMBA_DIR/etc/smb.conf"
RUN_DIR="$LAB_DIR/run"
LOG_DIR="$LAB_DIR/log"
PIDFILE="$RUN_DIR/lab.pids"

package_groups() { if [ "$EXTRAS" = 1 ]; then echo dc svc; else echo dc; fi; }

# ------------------------------------------------------------------- samba
provision_dc() { samba_provision "$NS_DC" "$DC_NS_IF" "$DC_IP" "$SAMBA_DIR"; }

start_samba() {
    local pid
    if pid="$(tracked_pid samba)"; then log "samba already running (pid $pid)"; return 0; fi
    # SMB1 stays off unless asked for (as on current Windows servers).
    sed -i '/^[[:space:]]*server min protocol = /d' "$SMB_CONF"
    if [ "$SMB1" = 1 ]; then
        sed -i 's/^\[global\]$/&\n\tserver min protocol = NT1/' "$SMB_CONF"
    fi
    samba_start "$NS_DC" "$DC_IP" "$SAMBA_DIR"
}

# ------------------------------------------------------------------ extras
start_chrony() {
    local d="$LAB_DIR/chrony"; mkdir -p "$d"
    cat >"$d/chrony.conf" <<EOF
# NTP server of the lab DC (written by dc-lab.sh). No upstream: it serves its
# own clock at stratum 10 and, run with -x, never sets the machine's clock.
local stratum 10
allow all
bindaddress $DC_IP
port 123
cmdport 0
bindcmdaddress /
pidfile $d/chronyd.pid
# MS-SNTP signing through samba's ntp_signd socket, as on a Windows DC.
ntpsigndsocket $SAMBA_DIR/run/ntp_signd
EOF
    start_daemon chronyd "$NS_DC" chronyd -4 -d -x -u root -f "$d/chrony.conf"
}

start_dnsmasq() {
    local d="$LAB_DIR/dnsmasq"; mkdir -p "$d"
    start_daemon dnsmasq "$NS_SVC" dnsmasq --keep-in-foreground --conf-file=/dev/null \
        --no-resolv --no-hosts --no-poll --bind-interfaces \
        --listen-address="$SVC_IP" --port=53 --user=root --pid-file="$d/dnsmasq.pid" \
        --host-record="$SVC_FQDN,$SVC_IP" \
        --txt-record="portolan.$DNS_DOMAIN,portolan lab dnsmasq" \
        --log-facility=-
}

start_tftpd() {
    local d="$LAB_DIR/tftp"; mkdir -p "$d/files"
    echo "portolan lab tftp file" >"$d/files/hello.txt"
    chmod 755 "$LAB_DIR" "$d" "$d/files"; chmod 644 "$d/files/hello.txt"
    start_daemon tftpd "$NS_SVC" in.tftpd --foreground --listen --address "$SVC_IP:69" \
        --secure --pidfile "$d/tftpd.pid" "$d/files"
}

start_snmpd() {
    local d="$LAB_DIR/snmp"; mkdir -p "$d/persist"
    cat >"$d/snmpd.conf" <<EOF
# snmpd of the lab (written by dc-lab.sh): v1/v2c, read-only community.
agentaddress udp:$SVC_IP:161
rocommunity $SNMP_COMMUNITY default
sysname $SVC_FQDN
syslocation portolan lab namespace $NS_SVC
syscontact lab@$DNS_DOMAIN
EOF
    # -C only this config; -Lo log to stdout; -I -smux no SMUX listener on
    # tcp 199; SNMP_PERSISTENT_DIR keeps it out of /var/lib/snmp; no MIBs.
    start_daemon snmpd "$NS_SVC" env SNMP_PERSISTENT_DIR="$d/persist" MIBS= \
        snmpd -f -Lo -C -I -smux -c "$d/snmpd.conf" -p "$d/snmpd.pid"
}

start_radiusd() {
    local d="$LAB_DIR/radius"; mkdir -p "$d"
    # A small self-contained FreeRADIUS 3 config: the packaged one wants EAP
    # certificates that a fresh install may not have made.
    cat >"$d/radiusd.conf" <<EOF
# FreeRADIUS of the lab (written by dc-lab.sh).
prefix = /usr
localstatedir = $d
raddbdir = $d
confdir = $d
logdir = $d
run_dir = $d
libdir = /usr/lib/freeradius
name = freeradius
pidfile = $d/freeradius.pid
hostname_lookups = no
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
log {
    destination = stdout
    colourise = no
    auth = yes
}
security {
    allow_core_dumps = no
    max_attributes = 200
    reject_delay = 0
    status_server = yes
}
thread pool {
    start_servers = 1
    max_servers = 4
    min_spare_servers = 1
    max_spare_servers = 2
}
# the host side and every namespace of the lab may ask
client lab {
    ipaddr = $LAB_NET
    secret = $RADIUS_SECRET
}
modules {
    always ok {
        rcode = ok
    }
    pap {
    }
    files {
        filename = $d/users
    }
}
server default {
    listen {
        type = auth
        ipaddr = $SVC_IP
        port = 1812
    }
    listen {
        type = acct
        ipaddr = $SVC_IP
        port = 1813
    }
    authorize {
        files
        pap
    }
    authenticate {
        Auth-Type PAP {
            pap
        }
    }
    accounting {
        ok
    }
}
EOF
    printf '%s Cleartext-Password := "%s"\n' "$LAB_USER" "$LAB_PASS" >"$d/users"
    start_daemon freeradius "$NS_SVC" freeradius -f -P -l stdout -d "$d"
}

# --------------------------------------------------------------- readiness
# ready: 0 when every daemon listens (see wait_ready_with).
ready() {
    local p entry
    tracked_pid samba >/dev/null || {
        tail -30 "$LOG_DIR/samba.log" >&2 || true
        tail -30 "$SAMBA_DIR/log/samba.log" >&2 || true
        die "samba exited"; }
    for p in "${DC_TCP_READY_PORTS[@]}"; do
        tcp_open "$DC_IP" "$p" || return 1
    done
    # UDP side: DNS answers, and the NetBIOS names are registered (samba
    # claims them by broadcast, some 4 s after the TCP ports open).
    [ -n "$(dig +short +time=1 +tries=1 @"$DC_IP" -t SOA "$DNS_DOMAIN" 2>/dev/null)" ] \
        && nmblookup -A "$DC_IP" 2>/dev/null | grep -q '<1c>' || return 1
    if [ "$EXTRAS" = 1 ]; then
        for entry in "chronyd $NS_DC 123" "dnsmasq $NS_SVC 53" "tftpd $NS_SVC 69" \
                     "snmpd $NS_SVC 161" "freeradius $NS_SVC 1812"; do
            # shellcheck disable=SC2086
            set -- $entry
            daemon_running "$1"
            ns_listens "$2" udp "$3" || return 1
        done
    fi
}

# Client-side files for developers and tests: a Kerberos config that needs
# no DNS, and an env file (lab.sh env prints the same and more).
write_client_env() {
    cat >"$LAB_DIR/krb5.conf" <<EOF
[libdefaults]
    default_realm = $REALM
    dns_lookup_realm = false
    dns_lookup_kdc = false
    rdns = false
[realms]
    $REALM = {
        kdc = $DC_IP
        admin_server = $DC_IP
        kpasswd_server = $DC_IP
    }
[domain_realm]
    .$DNS_DOMAIN = $REALM
    $DNS_DOMAIN = $REALM
EOF
    cat >"$LAB_DIR/env.sh" <<EOF
# source this file to use the usual clients against the lab DC
export KRB5_CONFIG="$LAB_DIR/krb5.conf"
export KRB5CCNAME="FILE:$LAB_DIR/krb5cc"
export PORTOLAN_LAB_DC=$DC_IP
export PORTOLAN_LAB_SVC=$SVC_IP
export PORTOLAN_LAB_REALM=$REALM
export PORTOLAN_LAB_ADMIN=$ADMIN_USER
export PORTOLAN_LAB_ADMINPASS='$ADMIN_PASS'
EOF
}

# ---------------------------------------------------------------- commands
cmd_up() {
    need_root
    local t0 groups; t0="$(now)"
    read -r -a groups <<<"$(package_groups)"
    lab_install "${groups[@]}"
    mkdir -p "$LAB_DIR" "$RUN_DIR" "$LOG_DIR"
    make_netns "$NS_DC" "$DC_HOST_IF" "$DC_NS_IF" "$DC_HOST_IP" "$DC_IP"
    provision_dc
    start_samba
    if [ "$EXTRAS" = 1 ]; then
        make_netns "$NS_SVC" "$SVC_HOST_IF" "$SVC_NS_IF" "$SVC_HOST_IP" "$SVC_IP"
        start_chrony
        start_dnsmasq
        start_tftpd
        start_snmpd
        start_radiusd
    fi
    write_client_env
    wait_ready_with ready 0.3
    log "up in $(since "$t0") s: DC $DC_IP ($DC_NAME.$DNS_DOMAIN, realm $REALM)"
    [ "$EXTRAS" = 1 ] && log "NTP on the DC; DNS/TFTP/SNMP/RADIUS on $SVC_IP"
    return 0
}

cmd_down() {
    need_root
    local t0; t0="$(now)"
    stop_tracked ""
    # samba's helpers (tfork children, samba-dcerpcd and its rpcd_* workers,
    # started on demand by smbd) outlive the samba master: remove_netns
    # sweeps whatever is left inside the namespace.
    remove_netns "$NS_DC" "$DC_HOST_IF"
    remove_netns "$NS_SVC" "$SVC_HOST_IF"
    log "down in $(since "$t0") s (domain kept in $LAB_DIR; 'purge' removes it)"
}

cmd_purge() { cmd_down; remove_lab_dir; }

cmd_status() {
    local ns p rc=0
    for ns in "$NS_DC" "$NS_SVC"; do
        [ "$ns" = "$NS_SVC" ] && [ "$EXTRAS" != 1 ] && continue
        ns_status "$ns" || rc=1
    done
    print_pids || rc=1
    if ns_exists "$NS_DC"; then
        printf 'connect from host to %s tcp:' "$DC_IP"
        for p in "${DC_TCP_READY_PORTS[@]}" 139 464 636 3268 3269; do
            if tcp_open "$DC_IP" "$p"; then printf ' %s' "$p"; else printf ' %s(closed)' "$p"; rc=1; fi
        done
        echo
    fi
    for ns in "$NS_DC" "$NS_SVC"; do
        ns_exists "$ns" && print_sockets "$ns"
    done
    return $rc
}

cmd_check() {
    ns_exists "$NS_DC" || die "namespace $NS_DC is absent: run '$0 up' first"
    export KRB5_CONFIG="$LAB_DIR/krb5.conf" KRB5CCNAME="FILE:$LAB_DIR/krb5cc"
    run_check "dns srv (udp 53)" sh -c "dig +short +time=2 +tries=1 @$DC_IP -t SRV _ldap._tcp.$DNS_DOMAIN | grep ' 389 '"
    run_check "dns a (tcp 53)" sh -c "dig +short +tcp +time=2 @$DC_IP $DC_NAME.$DNS_DOMAIN | grep -x $DC_IP"
    run_check "kerberos (88)" sh -c "echo '$ADMIN_PASS' | kinit $ADMIN_USER@$REALM >/dev/null && klist | grep krbtgt/"
    run_check "ldap rootdse (tcp 389)" sh -c "ldapsearch -x -LLL -H ldap://$DC_IP -b '' -s base dnsHostName | grep dnsHostName"
    run_check "ldaps (636)" sh -c "LDAPTLS_REQCERT=never ldapsearch -x -LLL -H ldaps://$DC_IP -b '' -s base dnsHostName | grep dnsHostName"
    run_check "global catalog (3268)" sh -c "ldapsearch -x -LLL -H ldap://$DC_IP:3268 -b '' -s base dnsHostName | grep dnsHostName"
    run_check "cldap netlogon (udp 389)" sh -c "net ads lookup -S $DC_IP --realm=$REALM | grep '^Domain Controller:'"
    run_check "smb shares (445)" sh -c "smbclient -L //$DC_IP -U '$ADMIN_USER%$ADMIN_PASS' -W $NB_DOMAIN 2>&1 | grep -w netlogon"
    run_check "netbios nbstat (udp 137)" sh -c "nmblookup -A $DC_IP | grep '<1c>'"
    run_check "epm lookup (135)" sh -c "n=\$(rpcclient -U% -N 'ncacn_ip_tcp:${DC_IP}[135]' -c epmlookup 2>/dev/null | grep -c ncacn_ip_tcp); echo \"\$n tcp endpoints\"; [ \"\$n\" -gt 0 ]"
    run_check "closed tcp 3389 (RST)" sh -c "timeout 2 bash -c 'exec 3<>/dev/tcp/$DC_IP/3389' 2>&1 | grep -o 'Connection refused'"
    if [ "$EXTRAS" = 1 ]; then
        ns_exists "$NS_SVC" || die "namespace $NS_SVC is absent: run '$0 up' first"
        run_check "ntp (udp 123)" sh -c "timeout 20 chronyd -Q -t 15 -f /dev/null -u root 'server $DC_IP iburst maxsamples 2' 2>&1 | grep -i 'offset\|wrong'"
        run_check "dnsmasq (udp 53)" sh -c "dig +short +time=2 +tries=1 @$SVC_IP $SVC_FQDN | grep -x $SVC_IP"
        mkdir -p "$LAB_DIR/tftp-client"
        run_check "tftp (udp 69)" sh -c "cd '$LAB_DIR/tftp-client' && rm -f hello.txt && tftp $SVC_IP -c get hello.txt && cat hello.txt"
        run_check "snmp (udp 161)" sh -c "SNMP_PERSISTENT_DIR='$LAB_DIR/snmp/client' snmpget -v2c -c $SNMP_COMMUNITY -t 2 -r 1 $SVC_IP 1.3.6.1.2.1.1.5.0 2>/dev/null | grep svc1"
        run_check "radius (udp 1812)" sh -c "echo 'User-Name=$LAB_USER,User-Password=$LAB_PASS' | radclient -r 1 -t 2 $SVC_IP:1812 auth $RADIUS_SECRET | grep Access-Accept"
    fi
    [ $CHECK_FAILS -eq 0 ] || { log "$CHECK_FAILS check(s) failed"; return 1; }
}

lab_main "$@"
