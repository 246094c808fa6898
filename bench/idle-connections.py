#!/usr/bin/env python3
"""Opens N mTLS keep-alive connections to the sidecar, one request on each, then holds them idle.

usage: idle-connections.py HOST PORT CA CERT KEY N PATH READY_FILE HOLD_SECONDS
Writes READY_FILE (count opened, failures) once all are open, holds them HOLD_SECONDS, then sends one more
request on every 100th connection to show they were kept, and prints the summary.
"""
import socket
import ssl
import sys
import time

host, port, ca, cert, key, n, path, ready_file, hold = sys.argv[1:10]
port, n, hold = int(port), int(n), float(hold)
context = ssl.create_default_context(cafile=ca)
context.check_hostname = False
context.load_cert_chain(cert, key)
request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()


def roundtrip(connection):
    connection.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = connection.recv(4096)
        if not chunk:
            return None
        body += chunk
    return int(head.split(b" ")[1])


connections, failures = [], 0
started = time.monotonic()
for i in range(n):
    try:
        raw = socket.create_connection((host, port), timeout=10)
        tls = context.wrap_socket(raw, server_hostname=host)
        if roundtrip(tls) != 200:
            failures += 1
        connections.append(tls)
    except OSError as error:
        failures += 1
        if failures <= 3:
            print(f"connection {i}: {error}", file=sys.stderr)
opened = time.monotonic() - started
with open(ready_file, "w") as ready:
    ready.write(f"{len(connections)} {failures} {opened:.1f}\n")
time.sleep(hold)
kept, lost = 0, 0
for connection in connections[::100]:
    try:
        if roundtrip(connection) == 200:
            kept += 1
        else:
            lost += 1
    except OSError:
        lost += 1
print(f"opened {len(connections)} of {n} in {opened:.1f} s ({failures} failed); after holding them {hold:.0f} s idle, "
      f"{kept} of {kept + lost} sampled connections (every 100th) still answered 200")
