#!/usr/bin/python3
"""Bulk transfers against the Linux kernel with virtio-net offloads on TUN
(the default) and with --no-offload, each byte for byte (SHA-256), and the
device's own counters showing that the offload was really used, or not.

    test_offload.py PATH_TO_SYNACK [-v]                             (as root)

For each mode:
  linux->synack->linux  the kernel sends 32 MiB to `synack serve --app echo`
                        and reads the echo back, hashing it; SIGUSR1's
                        `device ...` line must show GSO frames received (the
                        kernel's unsegmented TSO segments) and sent (synack's
                        own large segments), more than one wire segment per
                        read and per write, and with --no-offload none of that.
  linux->synack->linux over TAP (--tap): the same echo with offloads, the
                        virtio-net header after the Ethernet header's 14 bytes.
  synack->linux         `synack connect --send FILE --stats` to a kernel
                        server that hashes what it reads; the --stats line
                        must show GSO frames sent (none with --no-offload).
Every capture (--pcap, large segments and all) must read clean in tshark,
with checksums checked.
"""
import hashlib
import os
import re
import socket
import sys
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail, MiB  # noqa: E402

SIZE = 32 * MiB
# This test chooses the mode itself: the suite's SYNACK_NO_OFFLOAD=1 run
# (README) must not turn the "offload on" half off.
os.environ.pop("SYNACK_NO_OFFLOAD", None)


def device_counters(text):
    """The last `device ...` line in `text` as {'rx_reads': n, ...}."""
    lines = [x for x in text.splitlines() if x.startswith("device ")]
    if not lines:
        raise Fail(f"no `device ...` line in {text[-300:]!r}")
    line = lines[-1]
    m = re.search(r"offload (on|off)", line)
    out = {"offload": m.group(1) if m else "?"}
    for side in ("rx", "tx"):
        part = re.search(rf"\b{side} (.*?)(;|$)", line).group(1)
        for num, name in re.findall(r"([\d.]+) \(?([a-z_/]+)", part):
            out[f"{side}_{name}"] = float(num)
    out["line"] = line
    return out


def echo_check(idx, offload, tap=False):
    def check():
        # Port 7 (echo): tshark reads the payload as its own protocol there
        # (port 7000 would be Gryphon, whose dissector calls the zeros bad).
        tun, net, port = f"of{idx}e", f"10.87.{2 * idx}", 7
        extra = ([] if offload else ["--no-offload"]) + (["--tap"] if tap else [])
        label = f"serve-echo-{'offload' if offload else 'no-offload'}{'-tap' if tap else ''}"
        p = L.serve(tun, f"{net}.2", f"{net}.1", port, "echo", *extra, label=label)
        data = L.pattern(SIZE)
        want = L.sha256(data)
        s = L.kernel_connect(f"{net}.2", port)
        s.settimeout(30)
        got = hashlib.sha256()
        received = [0]

        def reader():
            while received[0] < SIZE:
                b = s.recv(1 << 20)
                if not b:
                    break
                got.update(b)
                received[0] += len(b)
        th = threading.Thread(target=reader)
        th.start()
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        th.join(120)
        p.connection_table()
        c = device_counters(p.last_table_text)
        s.close()
        L.stop_serve(p)
        if received[0] != SIZE or got.hexdigest() != want:
            raise Fail(f"echo: {received[0]} of {SIZE} bytes, SHA-256 "
                       f"{'matches' if got.hexdigest() == want else 'differs'}")
        expect_counters(c, offload, rx=True)
        return (f"{SIZE} bytes echoed; rx {c['rx_segments/read']:.1f} segments/read, "
                f"tx {c['tx_segments/write']:.1f} segments/write, "
                f"{int(c['rx_gso_frames'])} GSO frames in, {int(c['tx_gso_frames'])} out")
    return check


def send_check(idx, offload):
    def check():
        tun, net, port = f"of{idx}s", f"10.87.{2 * idx + 1}", 7100 + idx
        path = L.ENV.path(f"send-{idx}.bin")
        want = L.random_file(path, SIZE, seed=idx + 1)
        srv = socket.create_server(("0.0.0.0", port))
        srv.settimeout(10)
        extra = [] if offload else ["--no-offload"]
        label = f"connect-send-{'offload' if offload else 'no-offload'}"
        p = L.connect(tun, f"{net}.2", f"{net}.1", f"{net}.1:{port}", "--send", path,
                      "--shutdown-after-send", "--out", "/dev/null", "--stats", *extra,
                      label=label)
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            raise Fail(f"no connection from synack connect{p.tail()}") from None
        conn.settimeout(30)
        h = hashlib.sha256()
        n = 0
        while True:
            b = conn.recv(1 << 20)
            if not b:
                break
            h.update(b)
            n += len(b)
        conn.close()
        srv.close()
        rc = p.wait(30)
        if rc != 0:
            raise Fail(f"synack connect: {L.status(rc)}{p.tail()}")
        if n != SIZE or h.hexdigest() != want:
            raise Fail(f"received {n} of {SIZE} bytes, SHA-256 "
                       f"{'matches' if h.hexdigest() == want else 'differs'}")
        c = device_counters(p.stderr())
        expect_counters(c, offload, rx=False)
        return (f"{SIZE} bytes; tx {c['tx_segments/write']:.1f} segments/write, "
                f"{int(c['tx_gso_frames'])} GSO frames sent")
    return check


def expect_counters(c, offload, rx):
    if c["offload"] != ("on" if offload else "off"):
        raise Fail(f"offload should be {'on' if offload else 'off'}: {c['line']}")
    if offload:
        # 32 MiB in 64 KiB frames: far more than one wire segment per write.
        if c["tx_gso_frames"] < 10 or c["tx_segments/write"] < 2:
            raise Fail(f"no large segments sent: {c['line']}")
        if rx and (c["rx_gso_frames"] < 10 or c["rx_segments/read"] < 2):
            raise Fail(f"no large segments received: {c['line']}")
        if rx and c["rx_csum_trusted"] == 0:
            raise Fail(f"no partial or verified checksum from the kernel: {c['line']}")
    else:
        if c["tx_gso_frames"] or c["rx_gso_frames"] or c["rx_csum_trusted"]:
            raise Fail(f"--no-offload, yet offload counters moved: {c['line']}")
        if c["tx_segments/write"] != 1.0:
            raise Fail(f"--no-offload: not one segment per write: {c['line']}")


CHECKS = [("echo-offload", echo_check(0, True)),
          ("echo-no-offload", echo_check(1, False)),
          ("send-offload", send_check(2, True)),
          ("send-no-offload", send_check(3, False)),
          ("echo-offload-tap", echo_check(4, True, tap=True)),
          ("pcaps", None)]


if __name__ == "__main__":
    sys.exit(L.main("sk-offload", CHECKS))
