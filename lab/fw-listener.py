#!/usr/bin/env python3
"""Accept-and-close TCP listener for the firewall lab (fw-lab.sh).

Usage: fw-listener.py ADDRESS PORT...

Binds every PORT on ADDRESS only (the lab address inside namespace pl-fw,
so nothing outside the namespace's veth can reach it), accepts each
connection and closes it at once. That is all a port check needs: the
handshake completes, so the port is open. One process serves every port;
it runs in the foreground until SIGTERM or SIGINT.
"""

import selectors
import signal
import socket
import sys

MAX_PORTS = 256          # the truth file lists a few dozen
ACCEPTS_PER_WAKEUP = 64  # bounded work per readable socket


def _stop(_signum, _frame):
    raise SystemExit(0)


def main(argv):
    if len(argv) < 3:
        sys.exit("usage: fw-listener.py ADDRESS PORT...")
    address, ports = argv[1], argv[2:]
    if len(ports) > MAX_PORTS:
        sys.exit("too many ports (at most %d)" % MAX_PORTS)

    sel = selectors.DefaultSelector()
    for text in ports:
        port = int(text)
        if not 0 < port < 65536:
            sys.exit("bad port %r" % text)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(128)
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print("listening on %s tcp %s" % (address, " ".join(ports)), flush=True)

    while True:
        for key, _ in sel.select():
            for _ in range(ACCEPTS_PER_WAKEUP):
                try:
                    conn, _peer = key.fileobj.accept()
                except OSError:  # nothing more to accept right now
                    break
                conn.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
