"""A small scripted DHCP server for the interop tests (not a test itself):
answers on one interface with a mode the test sets at any time.

    normal   OFFER and ACK `offer` (lease, T1, T2 as configured); a REQUEST
             for another address (the test changed `offer`) is NAKed
    nak      OFFER, then NAK every REQUEST with the message "no way"
    garbage  before each OFFER, one malformed OFFER (an option running past
             the end); the good OFFER carries unknown options and padding
    badopts  before each good OFFER, four well-formed but unusable ones, in
             this order: no server identifier, lease time 0, subnet mask
             255.0.255.0, router 10.9.9.1 (outside the subnet)
    silent   answers nothing

Replies go to 255.255.255.255:68 out of the interface (SO_BINDTODEVICE).
Every request is recorded as (time, message type, ciaddr, source address,
destination address of its IP header) in `seen`.
"""
import socket
import struct
import threading
import time

SO_BINDTODEVICE = 25
IP_PKTINFO = 8  # <linux/in.h>: struct in_pktinfo with each datagram
DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE = 1, 2, 3, 4, 5, 6, 7


def ip_bytes(a):
    return socket.inet_aton(a)


class FakeDhcpServer:
    def __init__(self, ifname, server, offer, lease=30, t1=None, t2=None):
        self.ifname, self.server, self.offer = ifname, server, offer
        self.lease, self.t1, self.t2 = lease, t1, t2
        self.mode = "normal"
        self.seen = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, ifname.encode())
        self.sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        self.sock.bind(("0.0.0.0", 67))
        self.sock.settimeout(0.2)
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def close(self):
        self.stopped = True
        self.thread.join(2)
        self.sock.close()

    def types(self):
        with self.lock:
            return [s[1] for s in self.seen]

    def _run(self):
        while not self.stopped:
            try:
                data, anc, _flags, src = self.sock.recvmsg(2048, 256)
            except socket.timeout:
                continue
            except OSError:
                return
            dst = "?"
            for level, kind, blob in anc:
                # struct in_pktinfo { int ifindex; in_addr spec_dst; in_addr addr; }
                if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(blob) >= 12:
                    dst = socket.inet_ntoa(blob[8:12])
            self._handle(data, src, dst)

    @staticmethod
    def options(data):
        opts, i = {}, 240
        while i < len(data):
            code = data[i]
            if code == 0:
                i += 1
                continue
            if code == 255 or i + 1 >= len(data):
                break
            n = data[i + 1]
            opts.setdefault(code, data[i + 2:i + 2 + n])
            i += 2 + n
        return opts

    def _handle(self, data, src, dst="?"):
        if len(data) < 240 or data[0] != 1 or data[236:240] != b"\x63\x82\x53\x63":
            return
        opts = self.options(data)
        mtype = opts.get(53, b"\0")[0]
        ciaddr = socket.inet_ntoa(data[12:16])
        with self.lock:
            self.seen.append((time.monotonic(), mtype, ciaddr, src[0], dst))
        mode = self.mode
        if mode == "silent":
            return
        if mtype == DISCOVER:
            if mode == "garbage":
                self._send(data, OFFER, bad=True)
            if mode == "badopts":
                for defect in ("no-server-id", "lease-0", "mask", "router"):
                    self._send(data, OFFER, defect=defect)
            self._send(data, OFFER, extra=mode == "garbage")
        elif mtype == REQUEST:
            # Like an authoritative server: a REQUEST for another address
            # than the one on offer (renewing ciaddr or option 50) is NAKed.
            want = ciaddr if ciaddr != "0.0.0.0" else (
                socket.inet_ntoa(opts[50]) if len(opts.get(50, b"")) == 4 else self.offer)
            self._send(data, NAK if mode == "nak" or want != self.offer else ACK)

    def _send(self, req, mtype, bad=False, extra=False, defect=None):
        xid, flags, chaddr = req[4:8], req[10:12], req[28:44]
        yiaddr = b"\0\0\0\0" if mtype == NAK else ip_bytes(self.offer)
        head = struct.pack("!BBBB", 2, 1, 6, 0) + xid + b"\0\0" + flags
        head += b"\0" * 4 + yiaddr + ip_bytes(self.server) + b"\0" * 4 + chaddr + b"\0" * 192
        o = bytes([53, 1, mtype])
        if defect != "no-server-id":
            o += bytes([54, 4]) + ip_bytes(self.server)
        if mtype == NAK:
            o += bytes([56, 6]) + b"no way"
        else:
            if extra:
                o += bytes([0, 0, 0, 224, 5]) + b"\xde\xad\xbe\xef\x00" + bytes([43, 3, 1, 2, 3])
            o += bytes([51, 4]) + struct.pack("!I", 0 if defect == "lease-0" else self.lease)
            if self.t1:
                o += bytes([58, 4]) + struct.pack("!I", self.t1)
            if self.t2:
                o += bytes([59, 4]) + struct.pack("!I", self.t2)
            mask = bytes([255, 0, 255, 0] if defect == "mask" else [255, 255, 255, 0])
            router = ip_bytes("10.9.9.1" if defect == "router" else self.server)
            o += bytes([1, 4]) + mask + bytes([3, 4]) + router
            o += bytes([6, 4]) + ip_bytes(self.server)
        if bad:
            o += bytes([51, 200, 0, 0])  # runs past the end of the message
        else:
            o += b"\xff"
        msg = head + b"\x63\x82\x53\x63" + o
        if not bad:
            msg += b"\0" * max(0, 300 - len(msg))
        self.sock.sendto(msg, ("255.255.255.255", 68))
