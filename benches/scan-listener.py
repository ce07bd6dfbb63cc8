#!/usr/bin/env python3
"""scan-listener.py - accept-and-close TCP listeners for benches/scan.sh.

Binds every port given on the command line on the IPv6 wildcard with IPV6_V6ONLY off, so
the namespace's every IPv4 and IPv6 address (veth, the /24 of extra addresses, 127.0.0.1,
::1) answers on those ports. Each accepted connection is closed at once. Prints "ready" when
every socket listens. Runs until killed.
"""
import selectors
import socket
import sys


def main() -> None:
    ports = [int(p) for p in sys.argv[1:]]
    selector = selectors.DefaultSelector()
    for port in ports:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", port))
        s.listen(4096)
        s.setblocking(False)
        selector.register(s, selectors.EVENT_READ)
    print("ready", flush=True)
    while True:
        for key, _ in selector.select():
            listener = key.fileobj
            while True:
                try:
                    conn, _ = listener.accept()
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
                conn.close()


if __name__ == "__main__":
    main()
