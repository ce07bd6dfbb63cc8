#!/usr/bin/env python3
"""Listen on many TCP and UDP ports at once, for the plan end-to-end test.

Usage: echo-listener.py ADDRESS READY_FILE [tcp|udp]/PORT...

Binds every given port on ADDRESS (inside a test's own network namespace), accepts TCP
connections and closes them at once, and sends every UDP datagram back to its sender, so a
port check sees an open TCP port as LISTENING and an open UDP port as LISTENING too. Writes
READY_FILE once every socket is bound, then serves until SIGTERM or SIGINT.
"""

import sys

from listeners import bind_all, port_number, serve

MAX_PORTS = 1024


def main(argv):
    if len(argv) < 4:
        sys.exit("usage: echo-listener.py ADDRESS READY_FILE tcp/PORT|udp/PORT...")
    address, ready, specs = argv[1], argv[2], argv[3:]
    parsed = []
    for spec in specs:
        proto, _, text = spec.partition("/")
        if proto not in ("tcp", "udp"):
            sys.exit("bad port %r" % spec)
        parsed.append((proto, port_number(text)))
    sel = bind_all(address, parsed, MAX_PORTS)

    def write_ready():
        with open(ready, "w") as f:
            f.write("ready\n")

    serve(sel, write_ready)


if __name__ == "__main__":
    main(sys.argv)
