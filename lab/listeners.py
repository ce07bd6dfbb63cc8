"""Shared by echo-listener.py and fw-listener.py: bind many TCP and UDP ports in one
process and answer on all of them until SIGTERM or SIGINT.

TCP connections are accepted and closed at once (the handshake is all a port check needs);
UDP datagrams are sent back to their sender. Work per readable socket is bounded.
"""

import selectors
import signal
import socket
import sys

WORK_PER_WAKEUP = 64  # bounded work per readable socket


def _stop(_signum, _frame):
    raise SystemExit(0)


def bind_all(address, specs, max_ports):
    """Binds every (proto, port) of specs on address; returns a selector over them."""
    if len(specs) > max_ports:
        sys.exit("too many ports (at most %d)" % max_ports)
    sel = selectors.DefaultSelector()
    for proto, port in specs:
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        sock = socket.socket(socket.AF_INET, kind)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        if proto == "tcp":
            sock.listen(128)
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ, proto)
    return sel


def port_number(text):
    """A port from the command line, or exit with why."""
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        sys.exit("bad port %r" % text)
    return port


def serve(sel, ready):
    """Installs the signal handlers, calls ready(), then answers until stopped."""
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    ready()
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
                except OSError:  # nothing more to read right now
                    break
