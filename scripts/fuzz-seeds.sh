#!/usr/bin/env bash
# fuzz-seeds.sh - rebuilds the committed seed corpus fuzz/corpus/<target>/ from the bytes the
# project already holds: replies captured from the lab's real daemons and the requests portolan
# sends (crates/wire/tests/fixtures), the audit parsers' real and field files
# (crates/audit/tests/fixtures), the catalog's own data, and hand-written grammar samples.
#
# Seeds are named by the SHA-1 of their content, as libFuzzer names its own finds, so a rebuild
# is idempotent and a seed reachable from two fixtures is stored once. The fuzz runs
# (scripts/fuzz-all.sh, scripts/fuzz-long.sh) read this corpus and write what they find to
# fuzz/corpus-work/, which git ignores: the committed corpus changes only through this script.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
corpus="$root/fuzz/corpus"
wire="$root/crates/wire/tests/fixtures"
audit="$root/crates/audit/tests/fixtures"

# seed TARGET FILE...: copy each file into TARGET's corpus under its content hash.
seed() {
    local target="$1"
    shift
    mkdir -p "$corpus/$target"
    local file
    for file in "$@"; do
        [ -f "$file" ] || continue
        cp "$file" "$corpus/$target/$(sha1sum "$file" | cut -c1-40)"
    done
}

# seed_text TARGET: each line of standard input becomes one seed (grammar samples).
seed_text() {
    local target="$1" line tmp
    tmp="$(mktemp)"
    while IFS= read -r line; do
        printf '%s' "$line" >"$tmp"
        seed "$target" "$tmp"
    done
    rm -f "$tmp"
}

rm -rf "$corpus"
mkdir -p "$corpus"

# One target per wire module, seeded with that module's captures and requests.
for module in dhcp dns greeting http isakmp kerberos l2tp ldap nbns ntp radius rdp simple \
    smb2 snmp ssdp ssrp tftp x509; do
    seed "wire_$module" "$wire/$module"/*.bin "$wire/$module"/*.der
done
# BER underlies LDAP, SNMP, Kerberos and X.509.
seed wire_ber "$wire"/{ldap,snmp,kerberos}/*.bin "$wire"/x509/*.der
seed wire_ber_differential "$wire"/{ldap,snmp,kerberos}/*.bin "$wire"/x509/*.der
seed wire_dcerpc_pdu "$wire"/dcerpc/*.bin
# IPv4/TCP/ICMP datagrams of the half-open sweep: its SYN and every kind of answer.
seed wire_tcpip "$wire"/tcpip/*.bin
# Round trips (parse, emit, parse, equal) of the messages portolan both writes and reads:
# the requests it sends and the real daemons' answers (the DCE/RPC stubs are added below).
for module in ntp kerberos l2tp dcerpc tftp ssdp dhcp isakmp ldap radius snmp; do
    seed "wire_${module}_roundtrip" "$wire/$module"/*.bin
done
# The portolan hello has no capture: the ping and pong lines as check and listen write them.
seed_text wire_hello_roundtrip <<'EOF'
PORTOLAN/1 PING 0123456789abcdef0123456789abcdef
PORTOLAN/1 PONG 0123456789abcdef0123456789abcdef
PORTOLAN/1 PING 0123456789ABCDEF0123456789ABCDEF
EOF

# The endpoint-mapper and reassembly targets read what lies inside or across PDUs: the stub of
# each ept_lookup/ept_map response, and whole responses prefixed by their call id.
python3 - "$wire/dcerpc" "$corpus" <<'PY'
import hashlib, os, re, struct, sys

source, corpus = sys.argv[1], sys.argv[2]

def store(target, data):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(corpus, target, name), "wb") as out:
        out.write(data)

pdus = []
for name in sorted(os.listdir(source)):
    if not name.endswith(".bin"):
        continue
    with open(os.path.join(source, name), "rb") as f:
        data = f.read()
    if len(data) < 24 or data[0] != 5:
        continue
    little = data[4] & 0x10
    order = "<" if little else ">"
    frag_len, auth_len, call_id = struct.unpack(order + "HHI", data[8:16])
    pdus.append((name, data, call_id))
    # A response (type 2) carries its stub after a 24-byte header.
    if data[2] == 2 and "ept" in name and frag_len <= len(data):
        store("wire_dcerpc_epm", data[24:frag_len - (auth_len + 8 if auth_len else 0)])
    # The round trip also reads the mapper's arguments and answers: every request (type 0)
    # and response stub.
    if data[2] in (0, 2) and frag_len <= len(data):
        store("wire_dcerpc_roundtrip", data[24:frag_len - (auth_len + 8 if auth_len else 0)])

# Fragmented answers, in order, behind their call id: what the reassembler sees on the wire.
for prefix in ("samba-4.17-ept-lookup-1-frag", "samba-4.17-ept-lookup-page20-"):
    parts = [(n, d, c) for n, d, c in pdus if n.startswith(prefix)]
    if parts:
        store("wire_dcerpc_reassembly",
              struct.pack("<I", parts[0][2]) + b"".join(d for _, d, _ in parts))
for name, data, call_id in pdus:
    store("wire_dcerpc_reassembly", struct.pack("<I", call_id) + data)

# Towers: every tower octet string inside the requests and answers. NDR writes a tower as its
# length (u32) and then the octets, which start with the floor count (u16) and a first floor
# whose 19-byte left side holds the interface UUID (protocol id 0x0d).
for name, data, _ in pdus:
    for match in re.finditer(rb"\x13\x00\x0d", data):
        start = match.start() - 2
        if start < 4 or not (1 <= data[start] <= 8 and data[start + 1] == 0):
            continue
        (length,) = struct.unpack("<I", data[start - 4:start])
        if 0 < length <= len(data) - start:
            store("wire_dcerpc_tower", data[start:start + length])
PY

# The listener's responders: each request portolan's check sends (and the lab's captured
# requests), behind the byte that selects its port in portolan_listen::respond::UDP_RESPONDERS.
python3 - "$wire" "$corpus" "$root/crates/listen/src/respond.rs" <<'PY'
import hashlib, os, re, sys

wire, corpus, respond = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(respond).read()
ports = [int(p) for p in re.search(r"UDP_RESPONDERS: &\[u16\] = &\[([^\]]*)\]", text).group(1).replace("\n", " ").split(",") if p.strip()]
by_dir = {"dns": 53, "dhcp": 67, "tftp": 69, "kerberos": 88, "ntp": 123, "nbns": 137,
          "snmp": 161, "ldap": 389, "isakmp": 500, "l2tp": 1701, "radius": 1812,
          "ssdp": 1900, "simple": 7, "dcerpc": 7}
os.makedirs(os.path.join(corpus, "listen_respond"), exist_ok=True)
for directory, port in by_dir.items():
    for name in sorted(os.listdir(os.path.join(wire, directory))):
        if "request" not in name or not name.endswith(".bin"):
            continue
        data = open(os.path.join(wire, directory, name), "rb").read()
        seed = bytes([ports.index(port)]) + data
        with open(os.path.join(corpus, "listen_respond", hashlib.sha1(seed).hexdigest()), "wb") as out:
            out.write(seed)
PY

# Audit parsers: every listener file, real and field, by the format it is in.
seed audit_netstat "$audit"/windows-dc/netstat-*.txt "$audit"/samba-dc/netstat-*.txt \
    "$audit"/field/jc-*netstat*.txt
seed audit_ss "$audit"/*/ss-*.txt "$audit"/field/jc-*-ss-*.txt
seed audit_proc "$audit"/*/proc-net-*.txt
seed audit_nmap "$audit"/*/nmap-*.xml "$audit"/field/libnmap-*.xml
seed audit_powershell "$audit"/powershell/*.json
seed_text audit_check <<'EOF'
{"host":"dc1.example","address":"192.0.2.10","port":389,"transport":"tcp","verdict":"LISTENING","service":"local-security-authority"}
[{"host":"dc1","address":"192.0.2.10","port":53,"transport":"udp","verdict":"LISTENING OR FILTERED"}]
EOF

# Saved results the report and merge read: check, scan and audit output made on loopback.
seed report_read "$root"/crates/report/tests/fixtures/*.json "$root"/crates/report/tests/fixtures/*.jsonl

# The catalog's own data, and the grammars of ports, targets and plan requests.
# Small user catalogs (site services, an override, role filters, a refused filter), so that
# the long runs, whose inputs may be capped below the built-in catalog's size, start from
# whole files the loader accepts (fuzz/seeds/catalog_load/).
seed catalog_load "$root"/crates/catalog/data/catalog.toml "$root"/fuzz/seeds/catalog_load/*.toml
# The compiled catalog (crates/builtin/build.rs writes it): the small sharing decisions, the
# smallest view (split by service) and the layer (seed and modern), from a build of the data.
cargo build -q --manifest-path "$root/Cargo.toml" -p portolan-builtin
# Several builds of the script may lie in the target directory: the newest file is this
# build's (a directory's time does not change when a build writes its files again). The
# target's seeds all come from here, so those of an older form go.
out=""
for file in "${CARGO_TARGET_DIR:-$root/target}"/debug/build/portolan-builtin-*/out/view-2003.bin; do
    if [ -z "$out" ] || [ "$file" -nt "$out/view-2003.bin" ]; then out="$(dirname "$file")"; fi
done
rm -rf "$corpus/catalog_compiled"
seed catalog_compiled "$out/sharing.bin" "$out/view-2003.bin" "$out/layer.bin"
# Services files: Windows' (the audit's port names) and the IANA table (the scan's names).
seed catalog_services_file "$root"/crates/audit/data/windows-services.txt "$root"/crates/scan/data/iana-services.txt
seed_text catalog_query <<'EOF'
445
389/udp
2701-2704
tcp:135,445 udp:53
gre
-100
60000-
all
role:domain-controller
service:dns
EOF
seed_text scan_ports <<'EOF'
1-1024
tcp:22,80,443 udp:53,123
all
catalog
role:domain-controller
60000-
EOF
seed_text scan_targets <<'EOF'
127.0.0.1
127.0.0.0/30
127.0.0.1-4
::1
fe80::1%lo
[::1]
localhost
EOF
seed_text plan_request <<'EOF'
role:domain-controller
service:dns
from:10.0.0.0/8
to:192.0.2.10
rpc:49152-65535
ftp:50000-50100
nftables
EOF

count=$(find "$corpus" -type f | wc -l)
echo "fuzz-seeds: $count seeds in $(find "$corpus" -mindepth 1 -type d | wc -l) targets"
