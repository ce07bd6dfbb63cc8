#!/usr/bin/env bash
# apps-lab.sh - real application-server daemons for portolan's tests.
#
# Companion of dc-lab.sh. Real third-party daemons, each with a private
# minimal config, in one network namespace of this machine without a
# default route, so no packet can leave its /24:
#
#   namespace pl-apps  10.203.2.2/24  (host side of the veth: 10.203.2.1)
#     openbsd-inetd   echo 7, discard 9, daytime 13, chargen 19 (tcp+udp),
#                     qotd 17 (tcp only, /bin/cat)   [Simple TCP/IP Services]
#                     telnet 23 (inetutils-telnetd)  [Telnet]
#     vsftpd          ftp 21, active data from 20   [FTP Publishing Service]
#     nginx           http 80, https 443            [IIS, HTTP SSL, SharePoint]
#     postfix         smtp 25 (+STARTTLS)           [SMTP, Exchange]
#     dovecot         pop3 110, imap 143, imaps 993, pop3s 995  [Exchange]
#     innd / nnrpd    nntp 119, nntps 563           [NNTP]
#     lpd (BSD lpr)   printer 515                   [TCP/IP Print Server]
#     xrdp            rdp 3389                      [Terminal Services]
#     pptpd           pptp 1723                     [Routing and Remote Access]
#     xl2tpd          l2tp 1701/udp                 [L2TP]
#     charon          ike 500/udp, nat-t 4500/udp   [IPsec ISAKMP / NAT-T]
#     minissdpd       ssdp 1900/udp                 [SSDP Discovery]
#     dnsmasq         dhcp 67/udp, pxe/binl 4011/udp [DHCP Server, RIS/BINL]
#     snmptrapd       snmp-trap 162/udp             [SNMP Trap Service]
#   Not available: AFP 548 (no netatalk in Debian 12), qotd over UDP.
#   See lab/README.md.
#
# Usage (as root):  apps-lab.sh up | down | status | check | purge
#   up      install missing packages, create the namespace, write the configs
#           (and a self-signed certificate), start every daemon and wait
#           (bounded) until all its ports listen. Idempotent: a daemon that
#           runs already is left alone.
#   down    stop only what this script started (its pidfile, then whatever
#           is left inside the namespace), delete the namespace.
#   status  namespace, tracked processes, listening sockets; exit 1 unless up.
#   check   ask every service from the host side with a real client (nc,
#           curl, openssl s_client, ike-scan, snmpinform, dhcping, nmap,
#           small python probes); one OK/FAIL line each, exit 1 on a FAIL.
#   purge   down, then delete the lab directory.
#
# Every daemon runs in its own mount and UTS namespace (`ip netns exec` +
# `unshare --uts`): hostname "apps" (apps.lab.example through the
# namespace's /etc/hosts) and a private /run (the lab's run/ directory
# bind-mounted over it), so compiled-in paths such as /run/inetd.pid or
# /run/xrdp/xrdp.pid never touch the host's /run.
#
# Environment:
#   PORTOLAN_LAB_APPS_DIR   lab directory (default $PORTOLAN_LAB_ROOT/apps,
#                           PORTOLAN_LAB_ROOT defaults to /tmp/portolan-lab)
#   PORTOLAN_LAB_APPS_SKIP  daemons not to start, e.g. "xrdp innd nnrpd"
#                           (names as in `status`)
#   PORTOLAN_LAB_NO_INSTALL 1 = never run apt-get (fail if something is missing)
#   PORTOLAN_LAB_TIMEOUT    seconds to wait for readiness (default 60)
set -euo pipefail

LAB_TAG=apps-lab
# shellcheck source=lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

# ----------------------------------------------------------------- settings
LAB_DIR="$LAB_APPS_DIR"
SKIP=" ${PORTOLAN_LAB_APPS_SKIP:-} "
READY_TIMEOUT="${PORTOLAN_LAB_TIMEOUT:-60}"

NS="$NS_APPS"
NS_IF="$APPS_NS_IF"
HOST_IP="$APPS_HOST_IP"
IP="$APPS_IP"
NS_HOSTNAME=apps            # hostname inside (UTS namespace of each daemon)
FQDN="$APPS_FQDN"
NET24=10.203.2              # the namespace's /24, for address ranges

RUN_DIR="$LAB_DIR/run"      # bind-mounted over /run for every daemon
STATE_DIR="$LAB_DIR/state"
LOG_DIR="$LAB_DIR/log"
TLS_DIR="$LAB_DIR/tls"      # self-signed certificate shared by the TLS daemons
PIDFILE="$STATE_DIR/lab.pids"

# Daemons in start order, with the sockets that must listen before `up`
# returns ("proto/port ...").  The names are those of the pidfile and of
# PORTOLAN_LAB_APPS_SKIP.
DAEMONS=(
    "inetd      tcp/7 tcp/9 tcp/13 tcp/17 tcp/19 tcp/23 udp/7 udp/9 udp/13 udp/19"
    "vsftpd     tcp/21"
    "nginx      tcp/80 tcp/443"
    "postfix    tcp/25"
    "dovecot    tcp/110 tcp/143 tcp/993 tcp/995"
    "innd       tcp/119"
    "nnrpd      tcp/563"
    "lpd        tcp/515"
    "xrdp       tcp/3389"
    "pptpd      tcp/1723"
    "xl2tpd     udp/1701"
    "charon     udp/500 udp/4500"
    "minissdpd  udp/1900"
    "dnsmasq    udp/67 udp/4011"
    "snmptrapd  udp/162"
)

skipped() { [[ "$SKIP" == *" $1 "* ]]; }

# Run CMD inside the namespace, in a private UTS namespace (hostname "apps")
# and with the lab's run dir bind-mounted over /run (in the mount namespace
# that `ip netns exec` makes; the host sees nothing). ip, unshare and sh all
# exec, so the pid of this call is the pid of CMD.
# shellcheck disable=SC2016  # $1/$@ belong to the inner sh
NS_WRAP='hostname "$1" && mount --bind "$2" /run && shift 2 && exec "$@"'
ns_run() { ip netns exec "$NS" unshare --uts sh -c "$NS_WRAP" sh "$NS_HOSTNAME" "$RUN_DIR" "$@"; }

# start_app NAME CMD...: start_daemon with the wrapper above.
start_app() {
    local name="$1"; shift
    start_daemon "$name" "$NS" unshare --uts sh -c "$NS_WRAP" sh "$NS_HOSTNAME" "$RUN_DIR" "$@"
}

# start_forking NAME PIDFILE CMD...: for a daemon that always detaches (lpd):
# run CMD, then record the pid it wrote to PIDFILE.
start_forking() {
    local name="$1" pf="$2"; shift 2
    local pid
    if pid="$(tracked_pid "$name")"; then log "$name already running (pid $pid)"; return 0; fi
    rm -f "$pf"
    ns_run "$@" >"$LOG_DIR/$name.log" 2>&1 </dev/null || die "$name failed to start"
    for _ in $(seq 1 50); do
        [ -s "$pf" ] && pid="$(tr -dc 0-9 <"$pf")" && [ -n "$pid" ] && alive "$pid" && break
        sleep 0.1
    done
    if [ -z "${pid:-}" ] || ! alive "$pid"; then die "$name did not write $pf"; fi
    record_pid "$name" "$pid" "$NS"
    log "started $name (pid $pid, detached)"
}

# ---------------------------------------------------------------- namespace
# Files that `ip netns exec` bind-mounts over /etc/<name> for every process
# in the namespace: the names of the lab, and a resolver that answers nothing
# (127.0.0.1:53 is closed in the namespace, so lookups fail at once).
write_netns_etc() {
    mkdir -p "/etc/netns/$NS"
    cat >"/etc/netns/$NS/hosts" <<EOF
127.0.0.1   localhost
$IP  $FQDN $NS_HOSTNAME
$HOST_IP  labhost.lab.example labhost
EOF
    printf 'nameserver 127.0.0.1\nsearch lab.example\n' >"/etc/netns/$NS/resolv.conf"
}

# ------------------------------------------------------ shared files (certs)
make_cert() {
    mkdir -p "$TLS_DIR"
    [ -s "$TLS_DIR/cert.pem" ] && [ -s "$TLS_DIR/key.pem" ] && return 0
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
        -subj "/O=portolan lab/CN=$FQDN" \
        -addext "subjectAltName=DNS:$FQDN,IP:$IP" \
        -keyout "$TLS_DIR/key.pem" -out "$TLS_DIR/cert.pem" 2>"$LOG_DIR/openssl.log" \
        || die "openssl req failed"
    chmod 644 "$TLS_DIR/cert.pem"; chmod 600 "$TLS_DIR/key.pem"
    log "self-signed certificate for $FQDN in $TLS_DIR"
}

# ---------------------------------------------------------------- daemons
start_inetd() {
    local d="$LAB_DIR/inetd"; mkdir -p "$d"
    # openbsd-inetd's internal services, telnetd, and qotd over TCP served by
    # /bin/cat (inetd has no internal qotd; RFC 865 over TCP is "send a
    # message, close", which cat does; there is no UDP qotd here).
    # "address:service" binds each socket to the lab address only.
    echo "portolan lab quote of the day: ports are cheap, firewalls are not." >"$d/qotd.txt"
    chmod 755 "$d"; chmod 644 "$d/qotd.txt"
    cat >"$d/inetd.conf" <<EOF
# inetd for the lab (written by apps-lab.sh)
$IP:echo     stream tcp nowait root internal
$IP:echo     dgram  udp wait   root internal
$IP:discard  stream tcp nowait root internal
$IP:discard  dgram  udp wait   root internal
$IP:daytime  stream tcp nowait root internal
$IP:daytime  dgram  udp wait   root internal
$IP:chargen  stream tcp nowait root internal
$IP:chargen  dgram  udp wait   root internal
$IP:qotd     stream tcp nowait nobody /bin/cat cat $d/qotd.txt
$IP:telnet   stream tcp nowait root /usr/sbin/telnetd telnetd
EOF
    # -i: stay in the foreground; -d: debug messages to stderr (our log).
    start_app inetd inetd -i -d "$d/inetd.conf"
}

start_vsftpd() {
    local d="$LAB_DIR/vsftpd"; mkdir -p "$d/empty" "$d/pub"
    echo "portolan lab ftp file" >"$d/pub/hello.txt"
    chmod 755 "$d" "$d/empty" "$d/pub"; chmod 644 "$d/pub/hello.txt"
    cat >"$d/vsftpd.conf" <<EOF
# vsftpd for the lab (written by apps-lab.sh): anonymous, read only.
listen=YES
listen_ipv6=NO
listen_address=$IP
listen_port=21
background=NO
anonymous_enable=YES
no_anon_password=YES
anon_root=$d/pub
local_enable=NO
write_enable=NO
# active mode data connections come from port 20, as on IIS FTP
connect_from_port_20=YES
ftp_data_port=20
pasv_enable=YES
pasv_min_port=40000
pasv_max_port=40009
secure_chroot_dir=$d/empty
ftpd_banner=portolan lab vsftpd ready
xferlog_enable=NO
syslog_enable=NO
vsftpd_log_file=$LOG_DIR/vsftpd-xfer.log
EOF
    start_app vsftpd vsftpd "$d/vsftpd.conf"
}

start_nginx() {
    local d="$LAB_DIR/nginx"; mkdir -p "$d/html" "$d/tmp"
    echo "portolan lab nginx" >"$d/html/index.html"
    chmod 755 "$d" "$d/html"; chmod 644 "$d/html/index.html"
    cat >"$d/nginx.conf" <<EOF
# nginx for the lab (written by apps-lab.sh)
user www-data;
worker_processes 1;
pid $d/nginx.pid;
error_log stderr notice;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    server {
        listen $IP:80;
        listen $IP:443 ssl;
        server_name $FQDN;
        ssl_certificate $TLS_DIR/cert.pem;
        ssl_certificate_key $TLS_DIR/key.pem;
        root $d/html;
    }
}
EOF
    start_app nginx nginx -p "$d" -c "$d/nginx.conf" -e stderr -g 'daemon off;'
}

start_postfix() {
    local d="$LAB_DIR/postfix"; mkdir -p "$d/etc" "$d/spool" "$d/data"
    chown postfix "$d/data"
    # A private Postfix instance: own config dir, queue and data directories,
    # no chroot, logging to stdout (postlogd), no DNS, no aliases.
    cat >"$d/etc/main.cf" <<EOF
# postfix for the lab (written by apps-lab.sh)
compatibility_level = 3.6
queue_directory = $d/spool
data_directory = $d/data
myhostname = $FQDN
mydomain = lab.example
myorigin = \$myhostname
mydestination = \$myhostname, localhost
inet_interfaces = $IP
inet_protocols = ipv4
mynetworks = 127.0.0.0/8 $NET24.0/24
relayhost =
smtpd_banner = \$myhostname ESMTP portolan lab postfix
maillog_file = /dev/stdout
smtp_dns_support_level = disabled
alias_maps =
alias_database =
local_recipient_maps =
smtpd_tls_cert_file = $TLS_DIR/cert.pem
smtpd_tls_key_file = $TLS_DIR/key.pem
smtpd_tls_security_level = may
biff = no
EOF
    cat >"$d/etc/master.cf" <<'EOF'
# service type  private unpriv  chroot  wakeup  maxproc command
smtp      inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
    if ! tracked_pid postfix >/dev/null; then
        # creates the queue directories with the right owners. Inside the
        # namespace (it checks that inet_interfaces exist), under `script`
        # because postfix prints its errors only to syslog and a terminal.
        ns_run script -qec "postfix -c $d/etc check" /dev/null >"$LOG_DIR/postfix-check.log" 2>&1 \
            || { cat "$LOG_DIR/postfix-check.log" >&2; die "postfix check failed"; }
    fi
    # master -s: foreground, stdout kept for maillog_file (master.pid is
    # written under the queue directory)
    start_app postfix /usr/lib/postfix/sbin/master -s -c "$d/etc"
}

start_dovecot() {
    local d="$LAB_DIR/dovecot"; mkdir -p "$d/run" "$d/state" "$d/mail/$LAB_USER"
    chown nobody:nogroup "$d/mail/$LAB_USER"
    # one mail user (plain text over 110/143 is allowed in the lab)
    echo "$LAB_USER:{PLAIN}$LAB_PASS::::::" >"$d/users"
    cat >"$d/dovecot.conf" <<EOF
# dovecot for the lab (written by apps-lab.sh)
protocols = imap pop3
listen = $IP
base_dir = $d/run
state_dir = $d/state
instance_name = pl-apps
log_path = /dev/stderr
login_greeting = portolan lab dovecot ready.
ssl = yes
ssl_cert = <$TLS_DIR/cert.pem
ssl_key = <$TLS_DIR/key.pem
ssl_dh = </usr/share/dovecot/dh.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
passdb {
    driver = passwd-file
    args = scheme=PLAIN $d/users
}
userdb {
    driver = static
    args = uid=nobody gid=nogroup home=$d/mail/%u
}
mail_location = maildir:~/Maildir
service imap-login {
    inet_listener imap {
        port = 143
    }
    inet_listener imaps {
        port = 993
        ssl = yes
    }
}
service pop3-login {
    inet_listener pop3 {
        port = 110
    }
    inet_listener pop3s {
        port = 995
        ssl = yes
    }
}
EOF
    start_app dovecot dovecot -F -c "$d/dovecot.conf"
}

# INN: innd (119, hands reader connections to nnrpd) and a standalone nnrpd
# with implicit TLS on 563.  All paths point into the lab dir (INNCONF).
inn_setup() {
    local d="$LAB_DIR/inn"
    [ -f "$d/.ready" ] && return 0
    rm -rf "$d"
    mkdir -p "$d"/{etc,db,spool/articles,spool/overview,spool/incoming/tmp,spool/outgoing,spool/archive,log,run,tmp,http}
    cp -a /etc/news/. "$d/etc/"
    cat >"$d/etc/inn.conf" <<EOF
# INN for the lab (written by apps-lab.sh)
domain:         lab.example
fromhost:       $FQDN
pathhost:       $FQDN
server:         $FQDN
organization:   "portolan lab"
mta:            "/bin/true %s"
bindaddress:    $IP
port:           119
hismethod:      hisv6
ovmethod:       tradindexed
enableoverview: true
noreader:       false
pathnews:       /usr/lib/news
pathbin:        /usr/lib/news/bin
pathcontrol:    /usr/lib/news/bin/control
pathfilter:     /etc/news/filter
pathetc:        $d/etc
pathdb:         $d/db
pathrun:        $d/run
pathlog:        $d/log
pathhttp:       $d/http
pathspool:      $d/spool
patharticles:   $d/spool/articles
pathoverview:   $d/spool/overview
pathincoming:   $d/spool/incoming
pathtmp:        $d/spool/incoming/tmp
pathoutgoing:   $d/spool/outgoing
patharchive:    $d/spool/archive
tlscertfile:    $d/etc/cert.pem
tlskeyfile:     $d/etc/key.pem
EOF
    # readers: the host side and the namespace may read and post.
    cat >"$d/etc/readers.conf" <<EOF
auth "lab" {
    hosts: "localhost, 127.0.0.1, $NET24.0/24"
    default: "<lab>"
}
access "lab" {
    users: "<lab>"
    newsgroups: "*"
    access: RPA
}
EOF
    # no peers: every connection to 119 goes to nnrpd (reader)
    printf 'streaming: true\nmax-connections: 8\npeer ME {\n  hostname: "localhost, 127.0.0.1"\n}\n' \
        >"$d/etc/incoming.conf"
    cat >"$d/db/active" <<'EOF'
control 0000000000 0000000001 n
control.cancel 0000000000 0000000001 n
junk 0000000000 0000000001 n
lab.test 0000000000 0000000001 y
EOF
    printf 'lab.test\tportolan lab test group.\n' >"$d/db/newsgroups"
    : >"$d/db/history"; : >"$d/db/active.times"
    cp "$TLS_DIR/cert.pem" "$TLS_DIR/key.pem" "$d/etc/"
    chown -R news:news "$d"
    chmod 640 "$d/etc/key.pem"
    (cd "$d/db" && INNCONF="$d/etc/inn.conf" runuser -u news -- /usr/lib/news/bin/makedbz -i -o) \
        >"$LOG_DIR/inn-setup.log" 2>&1 || { cat "$LOG_DIR/inn-setup.log" >&2; die "makedbz failed"; }
    touch "$d/.ready"
}

start_innd() {
    inn_setup
    # -f: foreground. innd binds 119 as root, then runs as news.
    start_app innd env INNCONF="$LAB_DIR/inn/etc/inn.conf" /usr/lib/news/bin/innd -f
}

start_nnrpd() {
    inn_setup
    # standalone reader daemon: -D daemon, -f foreground, -S implicit TLS
    start_app nnrpd env INNCONF="$LAB_DIR/inn/etc/inn.conf" \
        /usr/lib/news/bin/nnrpd -D -f -S -b "$IP" -p 563
}

start_lpd() {
    local d="$LAB_DIR/lpd"; mkdir -p "$d/spool/lab" "$d/etc" "$d/etc-work"
    # BSD lpd has compiled-in paths: /etc/printcap, /etc/hosts.lpd (who may
    # use the queues, by reverse-resolved name), /var/spool/lpd (its lock) and
    # the socket /dev/printer. In the daemon's private mount namespace:
    # an overlay on /etc whose upper layer holds our printcap, hosts.lpd and
    # the namespace's hosts/resolv.conf (an overlay does not show the
    # bind mounts `ip netns exec` made over /etc/hosts), our spool over
    # /var/spool/lpd, and a fresh tmpfs with only /dev/null on /dev. The
    # host's files are never touched. lpd always detaches; its pid file is
    # /run/lpd.pid (= $RUN_DIR/lpd.pid).
    cat >"$d/etc/printcap" <<EOF
# printcap for the lab (written by apps-lab.sh): one queue that prints to a file
lab|portolan lab printer:\\
	:lp=$d/lab.out:sd=/var/spool/lpd/lab:lf=$LOG_DIR/lpd-lab.log:sh:mx#0:
EOF
    printf 'labhost.lab.example\n%s\nlocalhost\n' "$FQDN" >"$d/etc/hosts.lpd"
    cp "/etc/netns/$NS/hosts" "/etc/netns/$NS/resolv.conf" "$d/etc/"
    : >"$d/lab.out"; : >"$LOG_DIR/lpd-lab.log"
    chown -R daemon:lp "$d/spool" "$d/lab.out" "$LOG_DIR/lpd-lab.log"
    # shellcheck disable=SC2016
    start_forking lpd "$RUN_DIR/lpd.pid" sh -c '
        mount -t overlay lpd-etc -o "lowerdir=/etc,upperdir=$1/etc,workdir=$1/etc-work" /etc &&
        mount --bind "$1/spool" /var/spool/lpd &&
        mount -t tmpfs -o mode=755,size=64k lpd-dev /dev &&
        mknod -m 666 /dev/null c 1 3 && exec lpd -b "$2"' \
        sh "$d" "$IP"
}

start_xrdp() {
    local d="$LAB_DIR/xrdp"; mkdir -p "$d" "$RUN_DIR/xrdp/sockdir"
    cat >"$d/xrdp.ini" <<EOF
; xrdp for the lab (written by apps-lab.sh): only the RDP front end
; (X.224 / TLS / CredSSP negotiation); no session manager behind it.
[Globals]
ini_version=1
fork=true
port=tcp://$IP:3389
use_vsock=false
tcp_nodelay=true
tcp_keepalive=true
security_layer=negotiate
crypt_level=high
certificate=$TLS_DIR/cert.pem
key_file=$TLS_DIR/key.pem
ssl_protocols=TLSv1.2, TLSv1.3
autorun=
allow_channels=true
max_bpp=32
[Logging]
LogFile=$LOG_DIR/xrdp-file.log
LogLevel=INFO
EnableSyslog=false
EnableConsole=true
ConsoleLevel=INFO
[Channels]
rdpdr=false
rdpsnd=false
drdynvc=false
cliprdr=false
rail=false
xrdpvr=false
tcutils=false
[Xorg]
name=Xorg
lib=libxup.so
username=ask
password=ask
ip=127.0.0.1
port=-1
code=20
EOF
    start_app xrdp xrdp --nodaemon --config "$d/xrdp.ini"
}

start_pptpd() {
    local d="$LAB_DIR/pptpd"; mkdir -p "$d"
    printf '# pppd options for pptpd (written by apps-lab.sh)\nname pptpd\nrefuse-pap\nrefuse-chap\nrefuse-mschap\nrequire-mschap-v2\nnodefaultroute\nlock\nnobsdcomp\n' \
        >"$d/options.pptpd"
    cat >"$d/pptpd.conf" <<EOF
# pptpd for the lab (written by apps-lab.sh)
option $d/options.pptpd
localip $IP
remoteip $NET24.120-129
EOF
    start_app pptpd pptpd --fg --conf "$d/pptpd.conf" --option "$d/options.pptpd" \
        --listen "$IP" --pidfile "$d/pptpd.pid"
}

start_xl2tpd() {
    local d="$LAB_DIR/xl2tpd"; mkdir -p "$d"
    printf '# pppd options for xl2tpd (written by apps-lab.sh)\nname xl2tpd\nrequire-mschap-v2\nnodefaultroute\nlock\n' \
        >"$d/options.xl2tpd"
    : >"$d/l2tp-secrets"; chmod 600 "$d/l2tp-secrets"
    cat >"$d/xl2tpd.conf" <<EOF
; xl2tpd for the lab (written by apps-lab.sh): an LNS that answers any peer
[global]
listen-addr = $IP
port = 1701
access control = no
auth file = $d/l2tp-secrets
[lns default]
ip range = $NET24.130-$NET24.139
local ip = $IP
require authentication = no
hostname = $FQDN
pppoptfile = $d/options.xl2tpd
length bit = yes
EOF
    start_app xl2tpd xl2tpd -D -c "$d/xl2tpd.conf" -s "$d/l2tp-secrets" \
        -p "$d/xl2tpd.pid" -C "$d/l2tp-control"
}

start_charon() {
    local d="$LAB_DIR/strongswan"; mkdir -p "$d"
    # charon alone (no starter, no ipsec.conf), configured via vici/swanctl:
    # one IKEv2+IKEv1 PSK connection so that a proposal gets a real answer.
    cat >"$d/strongswan.conf" <<EOF
# strongswan for the lab (written by apps-lab.sh)
charon {
    port = 500
    port_nat_t = 4500
    interfaces_use = $NS_IF
    install_routes = no
    install_virtual_ip = no
    # Every probe leaves a half-open IKE_SA, kept 30 s by default. From 3
    # per peer IP, IKEv2 gets a COOKIE notify instead of an answer; from 5,
    # charon ignores the peer ("ignoring IKE_SA setup from ..., per-IP
    # half-open IKE_SA limit of 5 reached"): repeated checks would fail.
    block_threshold = 1000
    cookie_threshold = 1000
    cookie_threshold_ip = 1000
    half_open_timeout = 5
    filelog {
        stderr {
            default = 1
            ike = 1
        }
    }
    syslog {
        daemon {
            default = -1
        }
    }
    plugins {
        vici {
            socket = unix://$d/charon.vici
        }
        resolve {
            load = no
        }
        stroke {
            load = no
        }
    }
}
swanctl {
    socket = unix://$d/charon.vici
}
EOF
    cat >"$d/swanctl.conf" <<EOF
connections {
    lab {
        version = 0
        local_addrs = $IP
        proposals = aes256-sha256-modp2048, aes128-sha1-modp2048, aes128-sha1-modp1024, 3des-sha1-modp1024, default
        local {
            auth = psk
            id = $FQDN
        }
        remote {
            auth = psk
        }
        children {
            lab {
                local_ts = $IP/32
                mode = transport
            }
        }
    }
}
secrets {
    ike-lab {
        secret = $IKE_PSK
    }
}
EOF
    start_app charon env STRONGSWAN_CONF="$d/strongswan.conf" /usr/lib/ipsec/charon
}

# after charon's vici socket exists: load the connection (once per start)
load_charon_conns() {
    local d="$LAB_DIR/strongswan"
    [ -f "$STATE_DIR/charon.loaded" ] && [ "$(cat "$STATE_DIR/charon.loaded")" = "$(tracked_pid charon)" ] && return 0
    for _ in $(seq 1 50); do [ -S "$d/charon.vici" ] && break; sleep 0.1; done
    STRONGSWAN_CONF="$d/strongswan.conf" swanctl --load-all --file "$d/swanctl.conf" \
        >"$LOG_DIR/swanctl.log" 2>&1 || { cat "$LOG_DIR/swanctl.log" >&2; die "swanctl --load-all failed"; }
    tracked_pid charon >"$STATE_DIR/charon.loaded"
}

start_minissdpd() {
    local d="$LAB_DIR/minissdpd"; mkdir -p "$d"
    # -d: foreground + debug log. Listens on 0.0.0.0:1900 and joins
    # 239.255.255.250 on the namespace's interface.
    start_app minissdpd minissdpd -d -i "$NS_IF" -s "$d/minissdpd.sock" -p "$d/minissdpd.pid"
}

# Register one UPnP service with minissdpd (its unix socket, request type 4)
# so that it has something to answer M-SEARCH with.
register_ssdp() {
    local d="$LAB_DIR/minissdpd"
    [ -f "$STATE_DIR/ssdp.registered" ] && [ "$(cat "$STATE_DIR/ssdp.registered")" = "$(tracked_pid minissdpd)" ] && return 0
    for _ in $(seq 1 50); do [ -S "$d/minissdpd.sock" ] && break; sleep 0.1; done
    python3 - "$d/minissdpd.sock" "$IP" >"$LOG_DIR/ssdp-register.log" 2>&1 <<'EOF' || die "minissdpd registration failed"
import socket, sys
def enc(b):  # minissdpd length prefix: 7 bits per byte, high bit = more
    n, out = len(b), []
    out.append(n & 0x7f); n >>= 7
    while n:
        out.insert(0, 0x80 | (n & 0x7f)); n >>= 7
    return bytes(out) + b
st = b"urn:schemas-upnp-org:device:Basic:1"
usn = b"uuid:706f7274-6f6c-616e-2d6c-61622d617070::" + st
server = b"Linux/6 UPnP/1.1 portolan-lab/1.0"
loc = ("http://%s/description.xml" % sys.argv[2]).encode()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(bytes([4]) + enc(st) + enc(usn) + enc(server) + enc(loc))
s.close()
print("registered", st.decode())
EOF
    tracked_pid minissdpd >"$STATE_DIR/ssdp.registered"
}

start_dnsmasq() {
    local d="$LAB_DIR/dnsmasq"; mkdir -p "$d"
    # DHCP only (port=0: no DNS). PXE: a pxe-service line makes dnsmasq
    # also listen on 4011 (the proxy-DHCP/BINL port of RIS/WDS).
    start_app dnsmasq dnsmasq --keep-in-foreground --conf-file=/dev/null \
        --port=0 --no-resolv --no-hosts --no-poll --user=root \
        --interface="$NS_IF" --bind-interfaces \
        --pid-file="$d/dnsmasq.pid" --dhcp-leasefile="$d/leases" \
        --dhcp-range=$NET24.50,$NET24.99,255.255.255.0,1h \
        --dhcp-authoritative --domain=lab.example \
        --dhcp-option=option:router,"$IP" \
        --pxe-service=x86PC,"portolan lab PXE",pxelinux \
        --pxe-service=X86-64_EFI,"portolan lab PXE (EFI)",bootx64.efi \
        --log-dhcp --log-facility=-
}

start_snmptrapd() {
    local d="$LAB_DIR/snmptrapd"; mkdir -p "$d/persist"
    cat >"$d/snmptrapd.conf" <<EOF
# snmptrapd for the lab (written by apps-lab.sh): log traps/informs from
# community "$SNMP_COMMUNITY"
authCommunity log $SNMP_COMMUNITY
EOF
    # -f foreground, -Lo log to stdout, -C only our config, -n numeric
    start_app snmptrapd env SNMP_PERSISTENT_DIR="$d/persist" MIBS= \
        snmptrapd -f -Lo -C -n -c "$d/snmptrapd.conf" -p "$d/snmptrapd.pid" "udp:$IP:162"
}

# --------------------------------------------------------------- readiness
# ready: 0 when every daemon not skipped listens on its sockets (see
# wait_ready_with).
ready() {
    local entry name sock
    for entry in "${DAEMONS[@]}"; do
        # shellcheck disable=SC2086
        set -- $entry
        name="$1"; shift
        skipped "$name" && continue
        daemon_running "$name"
        for sock in "$@"; do
            WAITING_FOR="$name $sock"
            ns_listens "$NS" "${sock%/*}" "${sock#*/}" || return 1
        done
    done
}

# ---------------------------------------------------------------- commands
cmd_up() {
    need_root
    local t0 entry name; t0="$(now)"
    lab_install apps
    mkdir -p "$LAB_DIR" "$RUN_DIR" "$STATE_DIR" "$LOG_DIR"
    chmod 755 "$LAB_DIR"     # daemons drop to ftp/www-data/news/nobody
    make_netns "$NS" "$APPS_HOST_IF" "$NS_IF" "$HOST_IP" "$IP"
    write_netns_etc
    make_cert
    for entry in "${DAEMONS[@]}"; do
        name="${entry%% *}"
        skipped "$name" && { log "skipping $name (PORTOLAN_LAB_APPS_SKIP)"; continue; }
        "start_$name"
    done
    skipped charon || load_charon_conns
    skipped minissdpd || register_ssdp
    wait_ready_with ready 0.2
    log "up in $(since "$t0") s: $IP ($FQDN) in namespace $NS"
}

# innd acts on SIGTERM only when its select() timer next fires (measured:
# about 10 minutes later); ctlinnd makes it stop in about a second.
stop_hook() {
    if [ "$1" = innd ]; then
        INNCONF="$LAB_DIR/inn/etc/inn.conf" timeout 10 \
            /usr/lib/news/bin/ctlinnd -t 5 shutdown apps-lab.sh >/dev/null 2>&1 &
    fi
}

cmd_down() {
    need_root
    local t0; t0="$(now)"
    stop_tracked stop_hook
    wait   # for ctlinnd
    rm -f "$STATE_DIR/charon.loaded" "$STATE_DIR/ssdp.registered"
    # children that outlive their master (postfix's and dovecot's helpers,
    # telnetd, pptpctrl) are swept by remove_netns
    remove_netns "$NS" "$APPS_HOST_IF"
    log "down in $(since "$t0") s (configs kept in $LAB_DIR; 'purge' removes them)"
}

cmd_purge() { cmd_down; remove_lab_dir; }

cmd_status() {
    local rc=0
    ns_status "$NS" "$IP" || rc=1
    print_pids || rc=1
    ns_exists "$NS" && print_sockets "$NS"
    return $rc
}


# ------------------------------------------------------------------- check
# Small protocol probes for what has no stock command-line client. Each
# prints one line and exits non-zero on failure.
probe() { python3 - "$@" <<'PYEOF'
import socket, struct, sys, os, time
kind, host = sys.argv[1], sys.argv[2]
args = sys.argv[3:]

def tcp(port, send=b"", want=1, timeout=3.0):
    s = socket.create_connection((host, port), timeout=timeout)
    if send:
        s.sendall(send)
    data = b""
    try:
        while len(data) < want:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        if not data:
            raise
    s.close()
    return data

def udp(port, payload, timeout=2.0, any_port=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    if any_port:
        s.sendto(payload, (host, port))
        data, peer = s.recvfrom(65535)
    else:
        s.connect((host, port))
        s.send(payload)
        data = s.recv(65535)
        peer = (host, port)
    s.close()
    return data, peer

def line(b):
    return b.decode("latin-1").strip().splitlines()[0] if b.strip() else ""

if kind == "banner":            # banner HOST PORT [TEXT-TO-SEND]
    data = tcp(int(args[0]), (args[1].encode() + b"\r\n") if len(args) > 1 else b"", want=1)
    if not data:
        sys.exit("no banner")
    print(line(data))
elif kind == "udp-echo":        # a datagram is answered (echo, daytime, chargen)
    data, _ = udp(int(args[0]), b"portolan\r\n")
    print("%d bytes: %s" % (len(data), line(data)[:60]))
elif kind == "udp-silent":      # no reply, and no ICMP port unreachable
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    s.connect((host, int(args[0])))
    s.send(b"portolan")
    try:
        s.recv(100)
        print("answered (unexpected for discard)")
    except socket.timeout:
        print("no reply, no ICMP unreachable: open|filtered (discard)")
    except ConnectionRefusedError:
        sys.exit("ICMP port unreachable: closed")
elif kind == "tcp-silent":      # connect works, the server sends nothing
    s = socket.create_connection((host, int(args[0])), timeout=2)
    s.sendall(b"portolan\r\n")
    s.settimeout(0.5)
    try:
        d = s.recv(100)
        sys.exit("unexpected data: %r" % d[:20])
    except socket.timeout:
        print("connected, data swallowed (discard)")
elif kind == "telnet":          # telnetd starts with IAC option negotiation
    data = tcp(23, want=3)
    if not data.startswith(b"\xff"):
        sys.exit("no IAC: %r" % data[:20])
    print("IAC negotiation: " + data[:12].hex(" "))
elif kind == "ftp-active":      # PORT to us; the data connection must come from port 20
    c = socket.create_connection((host, 21), timeout=5)
    f = c.makefile("rb")
    def resp():
        l = f.readline().decode()
        while len(l) > 3 and l[3] == "-":
            l = f.readline().decode()
        return l.strip()
    greet = resp()
    c.sendall(b"USER anonymous\r\n"); resp()
    c.sendall(b"PASS lab@\r\n"); r = resp()
    if not r.startswith("230"):
        sys.exit("login: " + r)
    ls = socket.socket(); ls.bind((args[0], 0)); ls.listen(1); ls.settimeout(5)
    p = ls.getsockname()[1]
    c.sendall(("PORT %s,%d,%d\r\n" % (args[0].replace(".", ","), p >> 8, p & 255)).encode()); resp()
    c.sendall(b"RETR hello.txt\r\n"); resp()
    d, peer = ls.accept()
    body = d.recv(100); d.close(); resp()
    c.sendall(b"QUIT\r\n"); c.close()
    if peer[1] != 20:
        sys.exit("data connection came from port %d" % peer[1])
    print("data connection from %s:%d, got %r" % (peer[0], peer[1], body.strip().decode()))
elif kind == "nntp":            # greeting, then LIST of the lab group
    c = socket.create_connection((host, 119), timeout=5)
    f = c.makefile("rb")
    greet = f.readline().decode().strip()
    c.sendall(b"LIST ACTIVE lab.*\r\n")
    r = f.readline().decode().strip()
    groups = []
    while r.startswith("215"):
        l = f.readline().decode().strip()
        if l == ".":
            break
        groups.append(l.split()[0])
    c.sendall(b"QUIT\r\n"); c.close()
    if not greet.startswith("20") or "lab.test" not in groups:
        sys.exit("%s / %s" % (greet, groups))
    print("%s | groups %s" % (greet, groups))
elif kind == "lpd":             # RFC 1179 "send queue state (short)"
    data = tcp(515, b"\x03lab\n", want=4096)
    if not data:
        sys.exit("no answer")
    print(line(data))
elif kind == "rdp":             # X.224 Connection Request with RDP_NEG_REQ (TLS|CredSSP)
    neg = struct.pack("<BBHI", 1, 0, 8, 3)
    cookie = b"Cookie: mstshash=portolan\r\n"
    x224 = bytes([6 + len(cookie) + len(neg), 0xE0, 0, 0, 0, 0, 0]) + cookie + neg
    tpkt = struct.pack(">BBH", 3, 0, 4 + len(x224)) + x224
    data = tcp(3389, tpkt, want=19)
    if len(data) < 11 or data[0] != 3 or data[5] != 0xD0:
        sys.exit("no X.224 Connection Confirm: %r" % data[:20])
    msg = "X.224 Connection Confirm"
    if len(data) >= 19:
        t, fl, ln, val = struct.unpack("<BBHI", data[11:19])
        msg += {2: ", RDP_NEG_RSP selected protocol %d" % val,
                3: ", RDP_NEG_FAILURE code %d" % val}.get(t, "")
    print(msg)
elif kind == "pptp":            # Start-Control-Connection-Request -> Reply
    body = struct.pack(">HHIHHHHIIHH64s64s", 156, 1, 0x1A2B3C4D, 1, 0, 0x0100, 0,
                       1, 1, 1, 0, b"portolan", b"portolan")
    data = tcp(1723, body, want=156)
    if len(data) < 156 or struct.unpack(">H", data[8:10])[0] != 2:
        sys.exit("no SCCRP: %r" % data[:16])
    rc = data[14]
    host_name = data[28:92].split(b"\0")[0].decode(errors="replace")
    vendor = data[92:156].split(b"\0")[0].decode(errors="replace")
    print("Start-Control-Connection-Reply result %d, host %r, vendor %r" % (rc, host_name, vendor))
elif kind == "l2tp":            # SCCRQ -> SCCRP, then StopCCN to close the tunnel
    def avp(t, v):
        return struct.pack(">HHH", 0x8000 | (6 + len(v)), 0, t) + v
    def ctrl(tid, ns, nr, avps):
        return struct.pack(">HHHHHH", 0xC802, 12 + len(avps), tid, 0, ns, nr) + avps
    # a fresh Assigned Tunnel ID each time: xl2tpd answers a repeated one
    # from the same peer with a bare ZLB ack only
    mytid = int.from_bytes(os.urandom(2), "big") | 1
    data, peer = udp(1701, ctrl(0, 0, 0, avp(0, struct.pack(">H", 1)) +
                     avp(2, struct.pack(">H", 0x0100)) + avp(3, struct.pack(">I", 3)) +
                     avp(7, b"portolan") + avp(9, struct.pack(">H", mytid)) +
                     avp(10, struct.pack(">H", 4))), any_port=True)
    if len(data) < 12 or not data[0] & 0x80:
        sys.exit("not an L2TP control message: %r" % data[:16])
    a, o = {}, 12
    while o + 6 <= len(data):
        l = struct.unpack(">H", data[o:o + 2])[0] & 0x3ff
        if l < 6:
            break
        a[struct.unpack(">H", data[o + 4:o + 6])[0]] = data[o + 6:o + l]; o += l
    mtype = struct.unpack(">H", a[0])[0] if 0 in a else 0
    names = {0: "ZLB ack", 2: "SCCRP", 4: "StopCCN"}
    if mtype == 2 and 9 in a:
        srv_tid = struct.unpack(">H", a[9])[0]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(ctrl(srv_tid, 1, 1, avp(0, struct.pack(">H", 4)) +
                      avp(9, struct.pack(">H", mytid)) + avp(1, struct.pack(">H", 1))), peer)
        s.close()
    print("L2TP %s from port %d, host name %r, vendor %r" % (
        names.get(mtype, "type %d" % mtype), peer[1],
        a.get(7, b"").decode(errors="replace"), a.get(8, b"").decode(errors="replace")))
    if mtype != 2:
        sys.exit(1)
elif kind == "ssdp":            # unicast M-SEARCH
    msg = ("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
           "MAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n").encode()
    data, peer = udp(1900, msg, timeout=3, any_port=True)
    st = [l for l in data.decode(errors="replace").splitlines() if l.upper().startswith("ST:")]
    print("%s from port %d, %s" % (line(data), peer[1], st[0] if st else ""))
elif kind == "pxe":             # PXE client DHCPREQUEST to the proxy/BINL port
    mac = bytes.fromhex("02504f52544c")
    opts = (bytes([53, 1, 3]) + bytes([60, 32]) + b"PXEClient:Arch:00000:UNDI:002001" +
            bytes([93, 2, 0, 0]) + bytes([94, 3, 1, 2, 1]) +
            bytes([97, 17, 0]) + bytes(range(16)) +
            # option 43, PXE sub-option 71 (boot item): type 0x8000 (dnsmasq's
            # first pxe-service with a basename), layer 0
            bytes([43, 7, 71, 4, 0x80, 0, 0, 0, 255]) + b"\xff")
    pkt = struct.pack(">BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, 0x504f5254, 0, 0,
                      socket.inet_aton(args[0]), bytes(4), bytes(4), bytes(4),
                      mac + bytes(10), bytes(64), bytes(128)) + b"\x63\x82\x53\x63" + opts
    data, peer = udp(4011, pkt, timeout=3, any_port=True)
    if len(data) < 240 or data[0] != 2:
        sys.exit("not a BOOTREPLY")
    o, i, found = data[240:], 0, {}
    while i < len(o) and o[i] != 255:
        if o[i] == 0:
            i += 1; continue
        found[o[i]] = o[i + 2:i + 2 + o[i + 1]]; i += 2 + o[i + 1]
    mt = {5: "DHCPACK", 6: "DHCPNAK", 2: "DHCPOFFER"}.get(found.get(53, b"\0")[0], "?")
    file = data[108:236].split(b"\0")[0].decode()
    print("%s from port %d, vendor class %r, boot file %r" % (mt, peer[1], found.get(60, b"").decode(), file))
else:
    sys.exit("unknown probe " + kind)
PYEOF
}

cmd_check() {
    # app_check DAEMON NAME CMD...: run_check, or SKIP for a skipped daemon
    app_check() {
        if skipped "$1"; then
            printf 'SKIP  %-28s %s\n' "$2" "$1 is in PORTOLAN_LAB_APPS_SKIP"
        else
            shift; run_check "$@"
        fi
    }
    ns_exists "$NS" || die "namespace $NS is absent: run '$0 up' first"
    local c=(--connect-timeout 3 -m 5 -sS)
    app_check inetd "echo tcp/7" sh -c "printf 'portolan echo\n' | nc -N -w 3 $IP 7 | grep -x 'portolan echo'"
    app_check inetd "echo udp/7" probe udp-echo "$IP" 7
    app_check inetd "discard tcp/9" probe tcp-silent "$IP" 9
    app_check inetd "discard udp/9" probe udp-silent "$IP" 9
    app_check inetd "daytime tcp/13" sh -c "nc -d -w 3 $IP 13 | grep ."
    app_check inetd "daytime udp/13" probe udp-echo "$IP" 13
    app_check inetd "qotd tcp/17" sh -c "nc -d -w 3 $IP 17 | grep 'quote of the day'"
    app_check inetd "chargen tcp/19" sh -c "nc -d -w 3 $IP 19 | head -c 74 | head -1 | grep ."
    app_check inetd "chargen udp/19" probe udp-echo "$IP" 19
    app_check vsftpd "ftp tcp/21" sh -c "curl ${c[*]} ftp://$IP/hello.txt | grep 'portolan lab ftp'"
    app_check vsftpd "ftp-data tcp/20 (active)" probe ftp-active "$IP" "$HOST_IP"
    app_check inetd "telnet tcp/23" probe telnet "$IP"
    app_check postfix "smtp tcp/25" probe banner "$IP" 25
    app_check postfix "smtp starttls tcp/25" sh -c "openssl s_client -connect $IP:25 -starttls smtp -brief </dev/null 2>&1 | grep -m1 'Protocol version'"
    app_check nginx "http tcp/80" sh -c "curl ${c[*]} -i http://$IP/ | grep -E -m1 '^Server:'"
    app_check nginx "https tcp/443" sh -c "curl ${c[*]} -k https://$IP/ | grep 'portolan lab nginx'"
    app_check nginx "https cert tcp/443" sh -c "openssl s_client -connect $IP:443 -servername $FQDN </dev/null 2>/dev/null | grep -m1 '^subject='"
    app_check dovecot "pop3 tcp/110" sh -c "curl ${c[*]} -u $LAB_USER:$LAB_PASS pop3://$IP/ >/dev/null && echo 'USER/PASS + LIST ok (curl)'"
    app_check dovecot "pop3s tcp/995" sh -c "curl ${c[*]} -k -u $LAB_USER:$LAB_PASS pop3s://$IP/ >/dev/null && echo 'TLS + USER/PASS + LIST ok (curl)'"
    app_check dovecot "imap tcp/143" sh -c "curl ${c[*]} -u $LAB_USER:$LAB_PASS imap://$IP/ | grep INBOX"
    app_check dovecot "imaps tcp/993" sh -c "curl ${c[*]} -k -u $LAB_USER:$LAB_PASS imaps://$IP/ | grep INBOX"
    app_check dovecot "pop3 greeting tcp/110" probe banner "$IP" 110
    app_check innd "nntp tcp/119" probe nntp "$IP"
    app_check nnrpd "nntps tcp/563" sh -c "echo QUIT | openssl s_client -connect $IP:563 -quiet 2>/dev/null | grep -m1 '^20'"
    app_check lpd "lpd tcp/515" probe lpd "$IP"
    app_check xrdp "rdp tcp/3389" probe rdp "$IP"
    app_check pptpd "pptp tcp/1723" probe pptp "$IP"
    app_check xl2tpd "l2tp udp/1701" probe l2tp "$IP"
    app_check charon "ike udp/500 (v1)" sh -c "ike-scan -M $IP 2>&1 | grep -E -m1 'Handshake|Notify'"
    app_check charon "ike udp/500 (v2)" sh -c "ike-scan -2 --dhgroup=14 -M $IP 2>&1 | grep -E -m1 'Handshake|Notify'"
    app_check charon "ike nat-t udp/4500" sh -c "ike-scan --nat-t -M $IP 2>&1 | grep -E -m1 'Handshake|Notify'"
    app_check minissdpd "ssdp udp/1900" probe ssdp "$IP"
    app_check dnsmasq "dhcp udp/67 (inform)" sh -c "dhcping -i -s $IP -c $HOST_IP -t 3 | grep -i 'got answer'"
    app_check dnsmasq "pxe/binl udp/4011" probe pxe "$IP" "$HOST_IP"
    mkdir -p "$LAB_DIR/snmptrapd/client/cert_indexes"   # else snmpinform says "Created directory"
    app_check snmptrapd "snmp inform udp/162" sh -c "SNMP_PERSISTENT_DIR='$LAB_DIR/snmptrapd/client' MIBS= snmpinform -v2c -c $SNMP_COMMUNITY -t 2 -r 1 $IP:162 '' 1.3.6.1.6.3.1.1.5.1 && echo 'inform acknowledged'"
    # nmap's UDP payloads: 7 13 19 67 500 1701 1900 are "open"; 9 162 4011 get
    # no answer to nmap's probes ("open|filtered"). 4500 is left out: nmap's
    # IKE payload has no non-ESP marker, so the kernel takes it for ESP and
    # answers ICMP port unreachable ("closed"); see lab/README.md.
    local pair uports=""
    for pair in inetd:7,9,13,19 dnsmasq:67,4011 snmptrapd:162 charon:500 xl2tpd:1701 minissdpd:1900; do
        skipped "${pair%%:*}" || uports="$uports,${pair#*:}"
    done
    # every port must be listed, and none closed
    app_check - "nmap -sU (no closed)" sh -c "nmap -n -Pn -sU -p ${uports#,} --max-retries 1 $IP 2>&1 | awk -v want=$(echo "${uports#,}" | tr ',' '\n' | grep -c .) '/^[0-9]+\\/udp/ {sub(\"/udp\", \"\", \$1); printf \"%s=%s \", \$1, \$2; n++; if (\$2 == \"closed\") bad = 1} END {print \"\"; exit bad || n != want}'"
    [ $CHECK_FAILS -eq 0 ] || { log "$CHECK_FAILS check(s) failed"; return 1; }
}

lab_main "$@"
