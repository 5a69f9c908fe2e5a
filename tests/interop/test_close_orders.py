#!/usr/bin/python3
"""Close orders between Linux and `synack serve` over TUN: TIME-WAIT must be
on the side that closed first.

    test_close_orders.py PATH_TO_SYNACK [-v]      (as root)

In a private network namespace (see interop_lib.py):

    sk0  10.82.0.2:7   --app echo              Linux closes first
    sk1  10.82.1.2:19  --app source:1000       synack closes first (after sending)
    sk2  10.82.2.2:9   --app drop:200 --msl-ms 1000
                                               synack closes first (idle); an abortive
                                               close (unread data: RST, no TIME-WAIT);
                                               TIME-WAIT lasts 2*MSL
    sk3  10.82.3.2:13  --app drop:300 --impair delay=50ms
                                               both at once (the FINs cross)

The kernel's TCP states come from `ss -tan` in the namespace; synack's from
the table `synack serve` prints on stderr on SIGUSR1.  A sniffer on the TUN
records who sent which FIN.  Every capture is checked with tshark at the end.
"""
import os
import signal
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402
from interop_lib import Fail  # noqa: E402

ECHO = ("sk0", "10.82.0.2", "10.82.0.1", 7)
SOURCE = ("sk1", "10.82.1.2", "10.82.1.1", 19)
DROP = ("sk2", "10.82.2.2", "10.82.2.1", 9)
SIMUL = ("sk3", "10.82.3.2", "10.82.3.1", 13)
DROP_MS, MSL_MS = 200, 1000
SIMUL_DROP_MS, SIMUL_DELAY_MS = 300, 50
SERVES, SNIFF = {}, {}


def need(where):
    tun = where[0]
    p = SERVES.get(tun)
    if p is None:
        raise Fail(f"not run: the serve on {tun} did not start")
    if not p.running():
        raise Fail(f"not run: the serve on {tun} ended: {L.status(p.poll())}{p.tail()}")
    return p


def kernel_state(local, peer):
    """The kernel's state for one connection ('TIME-WAIT', 'FIN-WAIT-2', ...) or None."""
    for state, lo, pe in L.ss_states():
        if lo == local and pe == peer:
            return state
    return None


def synack_state(p, local, peer):
    for state, lo, pe in p.connection_table():
        if lo == local and pe == peer:
            return state
    return None


def settle(p, local, peer, want_kernel, want_synack, timeout=3.0):
    """Polls both tables until they show the wanted states (None: no such
    connection); returns the last (kernel, synack) states seen."""
    seen = (None, None)

    def ok():
        nonlocal seen
        seen = (kernel_state(local, peer), synack_state(p, peer, local))
        return seen == (want_kernel, want_synack)
    L.wait_until(ok, timeout, interval=0.1)
    return seen


def fin_order(where, local, peer):
    """Who sent the first FIN on this connection, from the sniffer: 'linux',
    'synack' or None; and the list of FIN segments."""
    fins = [s for s in SNIFF[where[0]].segments((local, peer)) if "F" in s.flags]
    if not fins:
        return None, fins
    return ("linux" if fins[0].src == local else "synack"), fins


def expect(states, want, what):
    kern, syn = states
    wk, ws = want
    if (kern, syn) != (wk, ws):
        raise Fail(f"{what}: the kernel's socket is {kern or 'gone'} (expected {wk or 'gone'}), "
                   f"synack's is {syn or 'gone'} (expected {ws or 'gone'})")


# ------------------------------------------------------------------- checks
def check_serves_ready():
    problems = []
    for where, app, extra in (
            (ECHO, "echo", []), (SOURCE, "source:1000", []),
            (DROP, f"drop:{DROP_MS}", ["--msl-ms", MSL_MS]),
            (SIMUL, f"drop:{SIMUL_DROP_MS}", ["--impair", f"delay={SIMUL_DELAY_MS}ms"])):
        tun, addr, host, port = where
        try:
            SERVES[tun] = L.serve(tun, addr, host, port, app, *extra)
            SNIFF[tun] = L.Sniffer(tun)
        except Fail as e:
            problems.append(str(e))
    if problems:
        raise Fail("; ".join(problems))
    return "4 serves ready"


def check_linux_closes_first():
    """The kernel sends 100 bytes, reads the echo and closes; the echo app
    closes on EOF.  TIME-WAIT: the kernel's; synack's connection is gone."""
    p = need(ECHO)
    _, addr, _, port = ECHO
    s = L.kernel_connect(addr, port)
    local, peer = "%s:%d" % s.getsockname(), f"{addr}:{port}"
    msg = os.urandom(100)
    s.sendall(msg)
    got = L.recv_all(s, limit=100, deadline=time.monotonic() + 5)
    if got != msg:
        s.close()
        raise Fail("echo: " + L.describe_mismatch(got, msg))
    s.close()
    states = settle(p, local, peer, "TIME-WAIT", None)
    first, fins = fin_order(ECHO, local, peer)
    if first != "linux":
        raise Fail(f"the first FIN came from {first}, expected linux (FINs: {fins})")
    expect(states, ("TIME-WAIT", None), "Linux closed first")
    return "FIN from Linux first; the kernel's socket in TIME-WAIT, synack's connection gone"


def synack_first(where, send=b""):
    p = need(where)
    _, addr, _, port = where
    s = L.kernel_connect(addr, port)
    local, peer = "%s:%d" % s.getsockname(), f"{addr}:{port}"
    if send:
        s.sendall(send)
    data = L.recv_all(s, deadline=time.monotonic() + 5)     # until synack's FIN
    s.close()
    return p, local, peer, data


def check_synack_closes_first_source():
    """--app source:1000 sends 1000 bytes and closes; the kernel reads to EOF
    and closes.  TIME-WAIT: synack's; the kernel's socket is gone."""
    p, local, peer, data = synack_first(SOURCE)
    if data != L.pattern(1000):
        raise Fail("source:1000: " + L.describe_mismatch(data, L.pattern(1000)))
    states = settle(p, local, peer, None, "TIME-WAIT")
    first, fins = fin_order(SOURCE, local, peer)
    if first != "synack":
        raise Fail(f"the first FIN came from {first}, expected synack (FINs: {fins})")
    expect(states, (None, "TIME-WAIT"), "synack closed first")
    return "FIN from synack first; synack's side in TIME-WAIT, the kernel's socket gone"


def check_synack_closes_first_drop():
    """--app drop:200 closes an idle connection after 200 ms (a FIN: nothing
    unread).  TIME-WAIT: synack's, for 2*MSL = 2 s (--msl-ms 1000)."""
    t0 = time.monotonic()
    p, local, peer, data = synack_first(DROP)
    waited = time.monotonic() - t0
    if data:
        raise Fail(f"{len(data)} unexpected bytes from drop:{DROP_MS}")
    if not 0.15 <= waited <= 2.0:
        raise Fail(f"EOF after {waited:.2f} s, expected about {DROP_MS / 1000} s")
    states = settle(p, local, peer, None, "TIME-WAIT")
    t_tw = time.monotonic()
    first, fins = fin_order(DROP, local, peer)
    if first != "synack":
        raise Fail(f"the first FIN came from {first}, expected synack (FINs: {fins})")
    expect(states, (None, "TIME-WAIT"), "synack closed first")
    # 2*MSL after entering TIME-WAIT the entry must be gone (and not much earlier).
    time.sleep(max(0.0, 2 * MSL_MS / 1000 * 0.6 - (time.monotonic() - t_tw)))
    mid = synack_state(p, peer, local)
    gone = L.wait_until(lambda: synack_state(p, peer, local) is None, 3.0, interval=0.1)
    t_gone = time.monotonic() - t_tw
    if mid != "TIME-WAIT":
        raise Fail(f"synack's TIME-WAIT ended before {2 * MSL_MS * 0.6 / 1000:.1f} s "
                   f"(2*MSL is {2 * MSL_MS / 1000} s): {mid or 'gone'}")
    if not gone:
        raise Fail(f"synack's TIME-WAIT still there {t_gone:.1f} s later (2*MSL is "
                   f"{2 * MSL_MS / 1000} s)")
    return (f"EOF after {waited:.2f} s; synack's side in TIME-WAIT, gone after about "
            f"{t_gone:.1f} s (2*MSL = {2 * MSL_MS / 1000:.0f} s)")


def check_synack_aborts_unread():
    """drop:200 with unread data: close() sends RST (RFC 1122 4.2.2.13, RFC 2525
    2.17); no TIME-WAIT anywhere, the kernel's recv() sees ECONNRESET."""
    p = need(DROP)
    _, addr, _, port = DROP
    s = L.kernel_connect(addr, port)
    local, peer = "%s:%d" % s.getsockname(), f"{addr}:{port}"
    s.sendall(b"unread by synack")
    s.settimeout(3)
    try:
        got = s.recv(100)
        outcome = f"recv returned {got!r}"
    except ConnectionResetError:
        outcome = "reset"
    except socket.timeout:
        outcome = "no answer within 3 s"
    s.close()
    states = settle(p, local, peer, None, None)
    segs = SNIFF[DROP[0]].segments((local, peer))
    rst = [x for x in segs if "R" in x.flags and x.src == peer]
    fins = [x for x in segs if "F" in x.flags and x.src == peer]
    if outcome != "reset" or not rst:
        raise Fail(f"the kernel's recv: {outcome}; {len(rst)} RST and {len(fins)} FIN from "
                   f"synack; expected a RST")
    if fins:
        raise Fail(f"synack sent a FIN as well as the RST: {fins[0]}")
    expect(states, (None, None), "abortive close")
    return "RST from synack, ECONNRESET in the kernel, no TIME-WAIT on either side"


def check_both_at_once():
    """A simultaneous close (RFC 9293 Figure 13): both sides send FIN before
    receiving the other's, both go through CLOSING to TIME-WAIT.

    Arranged with synack's --impair delay=50ms (each direction): synack closes
    300 ms after the final ACK reaches it, i.e. about 350 ms after the kernel's
    connect() returns, and the kernel closes at that moment too; each FIN then
    spends 50 ms in flight, so they cross with +-50 ms to spare (synack's app
    timer ticks every 10 ms).  The sniffer on the TUN confirms that they
    crossed: the kernel's FIN left before synack's arrived, and synack's FIN
    does not acknowledge the kernel's.  If they did not cross (a very loaded
    machine), up to three attempts are made; if none crossed, the check falls
    back to what can be said of a near-simultaneous close: exactly one side in
    TIME-WAIT — the one whose FIN went first — and both ends clean."""
    p = need(SIMUL)
    _, addr, _, port = SIMUL
    attempts = []
    for attempt in range(3):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect((addr, port))
        except OSError as e:
            raise Fail(f"the kernel's connect to {addr}:{port} failed: {e}") from None
        t0 = time.monotonic()
        local, peer = "%s:%d" % s.getsockname(), f"{addr}:{port}"
        time.sleep(max(0.0, t0 + (SIMUL_DELAY_MS + SIMUL_DROP_MS + 5) / 1000 - time.monotonic()))
        s.close()
        states = (None, None)

        def done():
            nonlocal states
            states = (kernel_state(local, peer), synack_state(p, peer, local))
            return all(x in (None, "TIME-WAIT") for x in states)
        L.wait_until(done, 3.0, interval=0.1)
        fins = [x for x in SNIFF[SIMUL[0]].segments((local, peer)) if "F" in x.flags]
        k_fin = next((x for x in fins if x.src == local), None)
        s_fin = next((x for x in fins if x.src == peer), None)
        if not k_fin or not s_fin:
            raise Fail(f"attempt {attempt + 1}: FIN from the kernel: {k_fin}, from synack: "
                       f"{s_fin}; expected both")
        # Crossed: the kernel sent its FIN before synack's arrived, and synack's
        # FIN does not acknowledge the kernel's (it left before that arrived).
        crossed = k_fin.t < s_fin.t and s_fin.ack == k_fin.seq
        attempts.append(f"FINs {'crossed' if crossed else 'did not cross'} "
                        f"({(s_fin.t - k_fin.t) * 1000:+.0f} ms), states {states}")
        if crossed:
            expect(states, ("TIME-WAIT", "TIME-WAIT"), "simultaneous close (FINs crossed)")
            return (f"attempt {attempt + 1}: FINs crossed ({(s_fin.t - k_fin.t) * 1000:.0f} ms "
                    f"apart at the kernel); both sides in TIME-WAIT")
    # Fallback: never crossed.  The one whose FIN went first holds TIME-WAIT.
    first = "linux" if k_fin.t < s_fin.t else "synack"
    want = ("TIME-WAIT", None) if first == "linux" else (None, "TIME-WAIT")
    expect(states, want, f"near-simultaneous close, {first} first")
    return (f"FINs never crossed in 3 attempts ({'; '.join(attempts)}); "
            f"{first} closed first and holds TIME-WAIT")


def check_sigterm_closes_gracefully():
    """SIGTERM to serve with an established connection: synack closes it with a
    FIN (the kernel reads EOF, not a reset), the kernel closes on EOF, and
    synack ACKs that FIN before it exits 0: the kernel's socket ends cleanly
    (not stuck in LAST-ACK)."""
    p = need(ECHO)
    _, addr, _, port = ECHO
    s = L.kernel_connect(addr, port)
    local, peer = "%s:%d" % s.getsockname(), f"{addr}:{port}"
    s.sendall(b"hello")
    if L.recv_all(s, limit=5, deadline=time.monotonic() + 3) != b"hello":
        raise Fail("no echo before SIGTERM")
    p.signal(signal.SIGTERM)
    try:
        s.settimeout(3)
        rest = s.recv(100)
    except OSError as e:
        rest = e
    s.close()                      # as a client does at EOF
    rc = p.wait(5)
    if rc is None:
        p.stop()
        raise Fail("serve still running 5 s after SIGTERM")
    if rest != b"":
        raise Fail(f"after SIGTERM the kernel's recv gave {rest!r}, expected EOF")
    if rc != 0:
        raise Fail(f"serve: {L.status(rc)} after SIGTERM, expected 0{p.tail()}")
    L.wait_until(lambda: kernel_state(local, peer) is None, 1.0, interval=0.1)
    state = kernel_state(local, peer)
    if state is not None:
        raise Fail(f"the kernel's socket is {state} after serve exited, expected gone "
                   f"(synack should ACK its FIN before exiting)")
    return "EOF at the kernel, its FIN ACKed, serve exited 0"


def check_all_ended():
    """No connection left behind in any state but TIME-WAIT (2*MSL is 60 s)."""
    left = [r for r in L.ss_states() if r[0] not in ("TIME-WAIT", "LISTEN")]
    for where in (SOURCE, DROP, SIMUL):
        p = SERVES.get(where[0])
        if p is not None and p.running():
            left += [(where[0],) + r for r in p.connection_table()
                     if r[0] not in ("LISTEN", "TIME-WAIT")]
    if left:
        raise Fail(f"connections still open: {left[:4]}")
    return "nothing open on either side"


CHECKS = [
    ("serves-ready", check_serves_ready),
    ("linux-closes-first", check_linux_closes_first),
    ("synack-closes-first-source", check_synack_closes_first_source),
    ("synack-closes-first-drop", check_synack_closes_first_drop),
    ("synack-aborts-with-unread-data", check_synack_aborts_unread),
    ("both-close-at-once", check_both_at_once),
    ("sigterm-closes-gracefully", check_sigterm_closes_gracefully),
    ("all-ended", check_all_ended),
    ("pcaps", None),
]

if __name__ == "__main__":
    sys.exit(L.main("sk-close", CHECKS, tools=["tshark", "ss"]))
