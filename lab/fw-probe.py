#!/usr/bin/env python3
"""Prove fw-lab.truth against the live firewall lab (used by fw-lab.sh check).

Usage:
  fw-probe.py truth TRUTH-FILE TARGET   probe every listed port at once and
                                        print one OK/FAIL line per
                                        (proto, state) group
  fw-probe.py nmap TRUTH-FILE NMAP-XML  compare an nmap -sS -sU -oX report
                                        with the truth
  fw-probe.py burst TARGET TCP-PORT UDP-PORT COUNT
                                        COUNT concurrent probes each to a
                                        closed UDP port and to a TCP port
                                        rejected with ICMP; every one must
                                        get its ICMP error (no rate limit)

What a client observes, with plain sockets from the host side:
  TCP  connect succeeds          -> open
       ECONNREFUSED (RST)        -> closed or reset (the wire cannot tell)
       EHOSTUNREACH (ICMP 3/13)  -> admin-prohibited
       no answer within WAIT s   -> dropped
  UDP  a reply                   -> open
       ECONNREFUSED (ICMP 3/3)   -> closed
       EHOSTUNREACH (ICMP 3/13)  -> admin-prohibited
       no answer within WAIT s   -> dropped
Exit status 1 if anything differs from the truth.
"""

import errno
import os
import selectors
import socket
import struct
import sys
import time
import xml.etree.ElementTree as ET

WAIT = 2.0          # seconds; a SYN is retransmitted after 1 s, so 2 s is plenty
MAX_LINES = 1024    # bound on what we read from the truth file
MAX_BURST = 500     # bound on the burst size (file descriptors)
STATES = ("open", "closed", "dropped", "reset", "admin-prohibited")

# what each truth state looks like from the client side
EXPECTED = {
    "open": "open",
    "closed": "refused",
    "reset": "refused",
    "dropped": "silent",
    "admin-prohibited": "prohibited",
}


def read_truth(path):
    entries = []
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            if lineno > MAX_LINES:
                sys.exit("%s: more than %d lines" % (path, MAX_LINES))
            words = raw.split("#", 1)[0].split()
            if not words:
                continue
            if len(words) < 3:
                sys.exit("%s:%d: want PROTO PORT STATE" % (path, lineno))
            proto, port, state = words[0], words[1], words[2]
            if proto not in ("tcp", "udp") or state not in STATES \
                    or not port.isdigit() or not 0 < int(port) < 65536:
                sys.exit("%s:%d: bad line %r" % (path, lineno, raw.strip()))
            entries.append((proto, int(port), state))
    return entries


def dns_query(name):
    """A minimal DNS query (A record, recursion desired) for the UDP 53 probe."""
    header = struct.pack(">HHHHHH", int.from_bytes(os.urandom(2), "big"), 0x0100, 1, 0, 0, 0)
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return header + qname + struct.pack(">HH", 1, 1)


def classify_error(err):
    if err == errno.ECONNREFUSED:
        return "refused"
    if err == errno.EHOSTUNREACH:
        return "prohibited"
    return "error %s" % errno.errorcode.get(err, err)


def probe_all(target, probes):
    """probes: list of (proto, port). Returns {(proto, port): observation}."""
    sel = selectors.DefaultSelector()
    result = {}
    for proto, port in probes:
        if proto == "tcp":
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            rc = s.connect_ex((target, port))
            if rc not in (0, errno.EINPROGRESS):
                result[(proto, port)] = classify_error(rc)
                s.close()
                continue
            sel.register(s, selectors.EVENT_WRITE, (proto, port))
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setblocking(False)
            s.connect((target, port))
            s.send(dns_query("fw.lab.example") if port == 53 else b"portolan fw-lab probe\n")
            sel.register(s, selectors.EVENT_READ, (proto, port))

    deadline = time.monotonic() + WAIT
    while sel.get_map() and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=max(0.0, deadline - time.monotonic())):
            s, (proto, port) = key.fileobj, key.data
            if proto == "tcp":
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                result[(proto, port)] = "open" if err == 0 else classify_error(err)
            else:
                try:
                    s.recv(4096)
                    result[(proto, port)] = "open"
                except OSError as e:
                    result[(proto, port)] = classify_error(e.errno)
            sel.unregister(s)
            s.close()
    for key in list(sel.get_map().values()):
        result[key.data] = "silent"
        key.fileobj.close()
    sel.close()
    return result


def cmd_truth(path, target):
    entries = read_truth(path)
    seen = probe_all(target, [(p, n) for p, n, _ in entries])
    failures = 0
    groups = {}
    for proto, port, state in entries:
        groups.setdefault((proto, state), []).append(port)
    for (proto, state), ports in groups.items():
        want = EXPECTED[state]
        bad = ["%d=%s" % (p, seen[(proto, p)]) for p in ports if seen[(proto, p)] != want]
        label = "%s %s (%d)" % (proto, state, len(ports))
        if bad:
            failures += 1
            print("FAIL  %-28s want %s, got %s" % (label, want, " ".join(bad)))
        else:
            print("OK    %-28s %s: %s" % (label, want, " ".join(str(p) for p in ports)))
    return 1 if failures else 0


# nmap's name for each truth state: RST -> closed; drop and ICMP 3/13 ->
# filtered (tcp); udp: reply -> open, ICMP 3/3 -> closed, silence ->
# open|filtered, ICMP 3/13 -> filtered
def nmap_state(proto, state):
    return {
        "open": "open",
        "closed": "closed",
        "reset": "closed",
        "admin-prohibited": "filtered",
        "dropped": "filtered" if proto == "tcp" else "open|filtered",
    }[state]


def cmd_nmap(path, report):
    want = {(p, n): nmap_state(p, s) for p, n, s in read_truth(path)}
    got = {}
    for port in ET.parse(report).getroot().iter("port"):
        st = port.find("state")
        if st is not None:
            got[(port.get("protocol"), int(port.get("portid")))] = \
                (st.get("state"), st.get("reason"))
    bad = ["%s/%d want %s got %s" % (p, n, w, got.get((p, n), ("missing",))[0])
           for (p, n), w in sorted(want.items()) if got.get((p, n), ("missing",))[0] != w]
    if bad:
        print("differs: " + "; ".join(bad))
        return 1
    reasons = sorted({"%s=%s" % (s, r) for s, r in got.values()})
    print("%d ports as expected (%s)" % (len(want), ", ".join(reasons)))
    return 0


def cmd_burst(target, tcp_port, udp_port, count):
    if not 0 < count <= MAX_BURST:
        sys.exit("burst count must be 1..%d" % MAX_BURST)
    sel = selectors.DefaultSelector()
    got = {"udp": [], "tcp": []}
    socks = []
    for i in range(count):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.setblocking(False)
        u.connect((target, udp_port))
        u.send(b"burst")
        sel.register(u, selectors.EVENT_READ, "udp")
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setblocking(False)
        t.connect_ex((target, tcp_port))
        sel.register(t, selectors.EVENT_WRITE, "tcp")
        socks += [u, t]
    deadline = time.monotonic() + WAIT
    while sel.get_map() and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=max(0.0, deadline - time.monotonic())):
            s = key.fileobj
            if key.data == "tcp":
                got["tcp"].append(classify_error(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
            else:
                try:
                    s.recv(100)
                    got["udp"].append("open")
                except OSError as e:
                    got["udp"].append(classify_error(e.errno))
            sel.unregister(s)
    for s in socks:
        s.close()
    udp_ok = got["udp"].count("refused")
    tcp_ok = got["tcp"].count("prohibited")
    print("%d/%d udp/%d port unreachable, %d/%d tcp/%d admin-prohibited"
          % (udp_ok, count, udp_port, tcp_ok, count, tcp_port))
    return 0 if udp_ok == count and tcp_ok == count else 1


def main(argv):
    if len(argv) == 4 and argv[1] == "truth":
        return cmd_truth(argv[2], argv[3])
    if len(argv) == 4 and argv[1] == "nmap":
        return cmd_nmap(argv[2], argv[3])
    if len(argv) == 6 and argv[1] == "burst":
        return cmd_burst(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
