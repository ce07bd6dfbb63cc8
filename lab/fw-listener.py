#!/usr/bin/env python3
"""Accept-and-close TCP listener for the firewall lab (fw-lab.sh).

Usage: fw-listener.py ADDRESS PORT...

Binds every PORT on ADDRESS only (the lab address inside namespace pl-fw,
so nothing outside the namespace's veth can reach it), accepts each
connection and closes it at once. That is all a port check needs: the
handshake completes, so the port is open. One process serves every port;
it runs in the foreground until SIGTERM or SIGINT.
"""

import sys

from listeners import bind_all, port_number, serve

MAX_PORTS = 256  # the truth file lists a few dozen


def main(argv):
    if len(argv) < 3:
        sys.exit("usage: fw-listener.py ADDRESS PORT...")
    address, ports = argv[1], argv[2:]
    sel = bind_all(address, [("tcp", port_number(text)) for text in ports], MAX_PORTS)
    serve(sel, lambda: print("listening on %s tcp %s" % (address, " ".join(ports)), flush=True))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
