#!/usr/bin/env bash
# lab.sh - one entry point for portolan's lab of real peers.
#
#   dc    dc-lab.sh    Samba AD DC + chronyd in pl-dc (10.203.0.2);
#                      dnsmasq, tftpd-hpa, snmpd, freeradius in pl-svc (10.203.1.2)
#   apps  apps-lab.sh  fifteen application daemons in pl-apps (10.203.2.2)
#   fw    fw-lab.sh    nftables drop/reject cases in pl-fw (10.203.3.2),
#                      described port by port in fw-lab.truth
#
# Usage (as root, except env):
#   lab.sh install                       install every package all labs need
#   lab.sh up|down|status|check|purge [dc|apps|fw|all]...   (default: all)
#   lab.sh env                           print `export` lines for tests and
#                                        developers: eval "$(lab/lab.sh env)"
#
# up, down and purge run the labs in parallel (after one package check), so
# `lab.sh up` is one command; check runs them in parallel too and prints
# each lab's report in turn. Every verb is idempotent. See lab/README.md.
#
# Environment: PORTOLAN_LAB_ROOT (default /tmp/portolan-lab) and the
# variables of each lab script (PORTOLAN_LAB_DC_DIR, PORTOLAN_LAB_EXTRAS,
# PORTOLAN_LAB_APPS_SKIP, PORTOLAN_LAB_NO_INSTALL, PORTOLAN_LAB_TIMEOUT, ...).
set -euo pipefail

LAB_TAG=lab
# shellcheck source=lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

ALL_LABS=(dc apps fw)

# set_targets ARG...: LABS = the labs named (default all), in canonical order
set_targets() {
    local a chosen=" " t
    [ $# -eq 0 ] && set -- all
    for a in "$@"; do
        case "$a" in
            all) chosen=" ${ALL_LABS[*]} " ;;
            dc|apps|fw) chosen="$chosen$a " ;;
            *) die "unknown lab '$a' (dc, apps, fw or all)" ;;
        esac
    done
    LABS=()
    for t in "${ALL_LABS[@]}"; do [[ "$chosen" == *" $t "* ]] && LABS+=("$t"); done
    return 0
}

# package groups of the labs named
groups_of() {
    local t
    for t in "$@"; do
        case "$t" in
            dc) echo dc; [ "${PORTOLAN_LAB_EXTRAS:-1}" = 1 ] && echo svc ;;
            *)  echo "$t" ;;
        esac
    done
    return 0
}

# in_parallel VERB LAB...: run LAB-lab.sh VERB for each lab at once; their
# log lines carry the lab's name. Fails if one of them failed.
in_parallel() {
    local verb="$1" t pids=() failed=() i=0; shift
    for t in "$@"; do
        "$LAB_SCRIPTS/$t-lab.sh" "$verb" &
        pids+=("$!")
    done
    for t in "$@"; do
        wait "${pids[$i]}" || failed+=("$t")
        i=$((i + 1))
    done
    [ ${#failed[@]} -eq 0 ] || die "$verb failed for: ${failed[*]}"
}

cmd_up() {
    need_root
    local t0 groups; t0="$(now)"
    mapfile -t groups < <(groups_of "$@")
    lab_install "${groups[@]}"
    in_parallel up "$@"
    log "up in $(since "$t0") s: $*"
}

cmd_down() {
    need_root
    local t0; t0="$(now)"
    in_parallel down "$@"
    log "down in $(since "$t0") s: $*"
}

cmd_purge() {
    need_root
    in_parallel purge "$@"
    # the root dir only if the labs left it empty (apt.log aside)
    rm -f "$LAB_ROOT/apt.log"
    rmdir "$LAB_ROOT" 2>/dev/null || true
}

cmd_status() {
    local t rc=0
    for t in "$@"; do
        echo "== $t =="
        "$LAB_SCRIPTS/$t-lab.sh" status || rc=1
    done
    return $rc
}

# check: all labs at once, each into its own file, then the reports in order
cmd_check() {
    local t0 t tmp pids=() failed=() i=0; t0="$(now)"
    tmp="$(mktemp -d)"
    for t in "$@"; do
        "$LAB_SCRIPTS/$t-lab.sh" check >"$tmp/$t" 2>&1 &
        pids+=("$!")
    done
    for t in "$@"; do
        wait "${pids[$i]}" || failed+=("$t")
        i=$((i + 1))
        echo "== $t =="
        cat "$tmp/$t"
    done
    rm -rf "$tmp"
    if [ ${#failed[@]} -eq 0 ]; then
        echo "== checked $* in $(since "$t0") s: every check passed"
    else
        echo "== checked $* in $(since "$t0") s: FAILED in ${failed[*]}"
        return 1
    fi
}

cmd_install() {
    need_root
    lab_install dc svc apps fw
    log "every lab package is installed"
}

# env: shell lines for tests and developers (no root needed, no lab needed)
cmd_env() {
    local name
    for name in \
        "PORTOLAN_LAB_DC=$DC_IP" \
        "PORTOLAN_LAB_SVC=$SVC_IP" \
        "PORTOLAN_LAB_APPS=$APPS_IP" \
        "PORTOLAN_LAB_FW=$FW_IP" \
        "PORTOLAN_LAB_DC_HOST=$DC_HOST_IP" \
        "PORTOLAN_LAB_SVC_HOST=$SVC_HOST_IP" \
        "PORTOLAN_LAB_APPS_HOST=$APPS_HOST_IP" \
        "PORTOLAN_LAB_FW_HOST=$FW_HOST_IP" \
        "PORTOLAN_LAB_NET=$LAB_NET" \
        "PORTOLAN_LAB_REALM=$REALM" \
        "PORTOLAN_LAB_DOMAIN=$DNS_DOMAIN" \
        "PORTOLAN_LAB_NETBIOS=$NB_DOMAIN" \
        "PORTOLAN_LAB_DC_FQDN=$DC_NAME.$DNS_DOMAIN" \
        "PORTOLAN_LAB_SVC_FQDN=$SVC_FQDN" \
        "PORTOLAN_LAB_APPS_FQDN=$APPS_FQDN" \
        "PORTOLAN_LAB_FW_FQDN=$FW_FQDN" \
        "PORTOLAN_LAB_ADMIN=$ADMIN_USER" \
        "PORTOLAN_LAB_ADMINPASS=$ADMIN_PASS" \
        "PORTOLAN_LAB_SNMP_COMMUNITY=$SNMP_COMMUNITY" \
        "PORTOLAN_LAB_RADIUS_SECRET=$RADIUS_SECRET" \
        "PORTOLAN_LAB_USER=$LAB_USER" \
        "PORTOLAN_LAB_PASS=$LAB_PASS" \
        "PORTOLAN_LAB_IKE_PSK=$IKE_PSK" \
        "PORTOLAN_LAB_ROOT=$LAB_ROOT" \
        "PORTOLAN_LAB_DC_DIR=$LAB_DC_DIR" \
        "PORTOLAN_LAB_APPS_DIR=$LAB_APPS_DIR" \
        "PORTOLAN_LAB_FW_DIR=$LAB_FW_DIR" \
        "PORTOLAN_LAB_FW_TRUTH=$LAB_SCRIPTS/fw-lab.truth" \
        "KRB5_CONFIG=$LAB_DC_DIR/krb5.conf" \
        "KRB5CCNAME=FILE:$LAB_DC_DIR/krb5cc"; do
        printf 'export %s=%q\n' "${name%%=*}" "${name#*=}"
    done
}

COMMAND="${1:-}"
[ $# -gt 0 ] && shift
case "$COMMAND" in
    install) cmd_install ;;
    env)     cmd_env ;;
    up|down|status|check|purge)
        set_targets "$@"
        "cmd_$COMMAND" "${LABS[@]}" ;;
    *)       usage; exit 2 ;;
esac
