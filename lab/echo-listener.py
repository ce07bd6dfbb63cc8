#!/usr/bin/env python3
"""Listen on many TCP and UDP ports at once, for the plan end-to-end test.

Usage: echo-listener.py ADDRESS READY_FILE [tcp|udp]/PORT...

Binds every given port on ADDRESS (inside a test's own network namespace), accepts TCP
connections and closes them at once, and sends every UDP datagram back to its sender, so a
port check sees an open TCP port as LISTENING and an open UDP port as LISTENING too. Writes
READY_FILE once every socket is bound, then serves until SIGTERM or SIGINT.
"""

import selectors
import signal
import socket
import sys

MAX_PORTS = 1024
WORK_PER_WAKEUP = 64  # bounded work per readable socket


def _stop(_signum, _frame):
    raise SystemExit(0)


def main(argv):
    if len(argv) < 4:
        sys.exit("usage: echo-listener.py ADDRESS READY_FILE tcp/PORT|udp/PORT...")
    address, ready, specs = argv[1], argv[2], argv[3:]
    if len(specs) > MAX_PORTS:
        sys.exit("too many ports (at most %d)" % MAX_PORTS)
    sel = selectors.DefaultSelector()
    for spec in specs:
        proto, _, text = spec.partition("/")
        port = int(text)
        if proto not in ("tcp", "udp") or not 0 < port < 65536:
            sys.exit("bad port %r" % spec)
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        sock = socket.socket(socket.AF_INET, kind)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        if proto == "tcp":
            sock.listen(128)
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ, proto)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with open(ready, "w") as f:
        f.write("ready\n")
    while True:
        for key, _ in sel.select():
            sock, proto = key.fileobj, key.data
            for _ in range(WORK_PER_WAKEUP):
                try:
                    if proto == "tcp":
                        conn, _ = sock.accept()
                        conn.close()
                    else:
                        data, peer = sock.recvfrom(65535)
                        sock.sendto(data, peer)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break


if __name__ == "__main__":
    main(sys.argv)
