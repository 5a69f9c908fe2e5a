"""Small Python programs test_nat.py runs inside the network namespaces
(with `python3 -c`): a raw-socket ping, a spoofed SYN flood, a UDP echo
server and a big-datagram client, and two UDP peers punching through the
NAT's hairpin. Kept apart so that test_nat.py holds the checks."""

PING_SCRIPT = r"""
import os, socket, struct, sys, time
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
dst, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(2)
ident, ok = os.getpid() & 0xffff, 0
for seq in range(1, n + 1):
    body = struct.pack("!HH", ident, seq) + b"synack-nat-ping!"
    msg = struct.pack("!BBH", 8, 0, 0) + body
    msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
    s.sendto(msg, (dst, 0))
    end = time.time() + 2
    while time.time() < end:
        try:
            pkt, addr = s.recvfrom(2048)
        except socket.timeout:
            break
        icmp = pkt[(pkt[0] & 15) * 4:]
        if icmp[0] == 0 and icmp[4:8] == body[:4] and addr[0] == dst and csum(icmp) == 0:
            ok += 1
            break
print(ok)
"""

SYN_FLOOD = r"""
import socket, struct, sys
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
src, dst, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
for i in range(n):
    sport = 20000 + i
    hdr = struct.pack("!HHIIBBHHH", sport, port, 1000 + i, 0, 5 << 4, 0x02, 64240, 0, 0)
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(hdr))
    hdr = hdr[:16] + struct.pack("!H", csum(ph + hdr)) + hdr[18:]
    s.sendto(hdr, (dst, 0))
print(n)
"""

UDP_ECHO = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
print("listening", flush=True)
while True:
    d, a = s.recvfrom(65535)
    print(len(d), a[0], flush=True)
    s.sendto(d, a)
"""

UDP_BIG = r"""
import socket, sys
dst, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = bytes((i * 7 + 3) & 255 for i in range(n))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for attempt in range(3):
    s.sendto(data, (dst, port))
    try:
        d, a = s.recvfrom(65535)
    except socket.timeout:
        continue
    print(len(d), d == data, a[0])
    break
else:
    print("timeout")
"""

HOLE_PUNCH = r"""
import socket, sys
a_addr, b_addr, out, client = sys.argv[1:5]
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
a.bind((a_addr, 4000))
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
b.bind((b_addr, 4001))
for s in (a, b):
    s.settimeout(3)
    s.sendto(b"stun", (client, 9))      # each learns its external endpoint
print("mapped", flush=True)
pa, pb = map(int, sys.stdin.readline().split())
a.sendto(b"a1", (out, pb))              # filtered: B never sent to A
b.sendto(b"b1", (out, pa))              # A sent to B's: it gets in
d, src = a.recvfrom(100)
print("A got", d.decode(), "%s:%d" % src, flush=True)
a.sendto(b"a2", (out, pb))
d, src = b.recvfrom(100)
print("B got", d.decode(), "%s:%d" % src, flush=True)
"""
