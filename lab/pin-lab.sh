#!/usr/bin/env bash
# pin-lab.sh - a Samba AD domain controller whose RPC servers are pinned to
# fixed ports, and a client namespace that reaches only it: the lab of the
# pinned-RPC proof (crates/cli/tests/pin_lab.rs).
#
#   namespace pl-pin-dc  10.203.70.2/24  samba (dc1.lab.example, realm
#                                         LAB.EXAMPLE), with the smb.conf
#                                         lines of $PORTOLAN_PIN_LINES
#   namespace pl-pin-cl  10.203.70.3/24  nothing runs here: the tests probe
#                                         the DC from it
#   The two are joined by one veth pair (pl-pin-dc-v / pl-pin-cl-v) and not
#   linked to the host at all; neither has a default route.
#
# It shares the shared lab's Samba provisioning and start (lib.sh) but none of
# its namespaces, addresses or directories: the shared lab stays as it is.
#
# Usage (as root):  pin-lab.sh up | down | status | check | purge
#   up      install missing packages, create the namespaces, provision once
#           (kept in the lab dir), write the pin lines into smb.conf's
#           [global], start samba and wait (bounded) until TCP 135/389/445
#           answer from the client namespace. A running samba is restarted
#           when the lines changed.
#   down    stop samba and whatever else runs in the two namespaces, delete
#           them (the provisioned domain stays).
#   status  namespaces, samba, listening sockets; exit 1 unless up.
#   check   the mapper's TCP endpoints as rpcclient sees them; exit 1 when
#           it lists none.
#   purge   down, then delete the lab directory.
#
# Environment:
#   PORTOLAN_PIN_LAB_DIR   lab directory (default $PORTOLAN_LAB_ROOT/pin)
#   PORTOLAN_PIN_LINES     a file of smb.conf lines for [global] (what
#                          `portolan pin --for samba` prints); unset: none
#   PORTOLAN_LAB_TIMEOUT   seconds to wait for readiness (default 90)
#   PORTOLAN_LAB_NO_INSTALL, PORTOLAN_LAB_ADMINPASS: as for dc-lab.sh
set -euo pipefail

LAB_TAG=pin-lab
# shellcheck source=lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

# ----------------------------------------------------------------- settings
LAB_DIR="${PORTOLAN_PIN_LAB_DIR:-$LAB_ROOT/pin}"
READY_TIMEOUT="${PORTOLAN_LAB_TIMEOUT:-90}"
PIN_LINES="${PORTOLAN_PIN_LINES:-}"

NS_PIN_DC=pl-pin-dc; PIN_DC_IF=pl-pin-dc-v; PIN_DC_IP=10.203.70.2
NS_PIN_CL=pl-pin-cl; PIN_CL_IF=pl-pin-cl-v; PIN_CL_IP=10.203.70.3
READY_PORTS=(135 389 445)

SAMBA_DIR="$LAB_DIR/samba"
SMB_CONF="$SAMBA_DIR/etc/smb.conf"
RUN_DIR="$LAB_DIR/run"
LOG_DIR="$LAB_DIR/log"
PIDFILE="$RUN_DIR/lab.pids"
PIN_TAG=portolan-pin

# TCP connect from the client namespace (at most 1 s).
client_open() {
    ip netns exec "$NS_PIN_CL" timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

ready() {
    local p
    daemon_running samba
    for p in "${READY_PORTS[@]}"; do
        client_open "$PIN_DC_IP" "$p" || { WAITING_FOR="tcp $p"; return 1; }
    done
}

# The pin lines as smb.conf holds them now (empty when there are none).
current_lines() { sed -n "/^# begin $PIN_TAG\$/,/^# end $PIN_TAG\$/p" "$SMB_CONF"; }

cmd_up() {
    need_root
    local t0 before after; t0="$(now)"
    lab_install dc
    [ -z "$PIN_LINES" ] || [ -r "$PIN_LINES" ] || die "PORTOLAN_PIN_LINES=$PIN_LINES is not a readable file"
    mkdir -p "$LAB_DIR" "$RUN_DIR" "$LOG_DIR"
    link_netns "$NS_PIN_DC" "$PIN_DC_IF" "$PIN_DC_IP" "$NS_PIN_CL" "$PIN_CL_IF" "$PIN_CL_IP"
    samba_provision "$NS_PIN_DC" "$PIN_DC_IF" "$PIN_DC_IP" "$SAMBA_DIR"
    before="$(current_lines)"
    samba_global_lines "$SMB_CONF" "$PIN_TAG" "$PIN_LINES"
    after="$(current_lines)"
    # samba reads its ports once, at start: new lines need a new samba.
    if [ "$before" != "$after" ] && tracked_pid samba >/dev/null; then
        log "pin lines changed: restarting samba"
        stop_tracked ""
        remove_leftovers
    fi
    samba_start "$NS_PIN_DC" "$PIN_DC_IP" "$SAMBA_DIR"
    wait_ready_with ready 0.3
    log "up in $(since "$t0") s: DC $PIN_DC_IP, client namespace $NS_PIN_CL ($PIN_CL_IP)"
}

# samba's helpers outlive the master (see dc-lab.sh): stop what is left in
# the DC's namespace, by pid, without deleting it.
remove_leftovers() {
    local pid pids=()
    for pid in $(ip netns pids "$NS_PIN_DC" 2>/dev/null); do
        alive "$pid" && pids+=("$pid")
    done
    [ ${#pids[@]} -gt 0 ] && stop_pids "${pids[@]}"
    return 0
}

cmd_down() {
    need_root
    stop_tracked ""
    # The veth lives in the namespaces, not on the host: nothing to wait for
    # there (remove_netns waits for a host-side name that never exists).
    remove_netns "$NS_PIN_DC" "$PIN_DC_IF"
    remove_netns "$NS_PIN_CL" "$PIN_CL_IF"
    log "down (domain kept in $LAB_DIR; 'purge' removes it)"
}

cmd_purge() { cmd_down; remove_lab_dir; }

cmd_status() {
    local ns rc=0
    for ns in "$NS_PIN_DC" "$NS_PIN_CL"; do
        ns_status "$ns" || rc=1
    done
    print_pids || rc=1
    ns_exists "$NS_PIN_DC" && print_sockets "$NS_PIN_DC"
    return $rc
}

cmd_check() {
    ns_exists "$NS_PIN_CL" || die "namespace $NS_PIN_CL is absent: run '$0 up' first"
    run_check "epm tcp endpoints" sh -c "ip netns exec $NS_PIN_CL rpcclient -U% -N 'ncacn_ip_tcp:${PIN_DC_IP}[135]' -c epmlookup 2>/dev/null | grep -o 'ncacn_ip_tcp:[^ ]*' | sort -u | tr '\n' ' ' | grep ."
    [ $CHECK_FAILS -eq 0 ] || { log "$CHECK_FAILS check(s) failed"; return 1; }
}

lab_main "$@"
