#!/usr/bin/env python3
"""Independent conformance client for ccbus-msgq.

Written from PROTOCOL.md ("ccbus wire protocol, version 1") alone, with
the Python standard library only: it carries its own msgpack codec and its
own framing, starts a private ccbus-msgq on a temporary socket and checks
what the broker answers against what the specification says, section by
section.

Environment: CCBUS_BUILDDIR (the build tree; msgq/ccbus-msgq is under it),
optionally CCBUS_TEST_WRAPPER (a command prefix for the daemon, e.g.
valgrind).

Output: one "ok - NAME" / "not ok - NAME: REASON" line per check, then
"N passed, M failed". Exit status 0 if every check passed, 1 otherwise.
"""

import os
import select
import shlex
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time

DEADLINE = 5.0          # seconds allowed for any single read
START_DEADLINE = 20.0   # seconds allowed for the broker to become ready
EXIT_DEADLINE = 10.0    # seconds allowed for the broker to exit

DEFAULT_MAX_FRAME = 16 * 1024 * 1024
DEFAULT_MAX_QUEUE = 64 * 1024 * 1024

CC_MEMBERS = "notifications/cc_members"


# --------------------------------------------------------------------------
# msgpack: a small encoder and decoder (nil, bool, int of every width,
# float64 (float32 decoded too), str, bin, array, map). The encoder always
# chooses the shortest form, as the golden vectors of section 2 require.
# --------------------------------------------------------------------------

class MsgpackError(Exception):
    pass


def mp_encode(obj):
    out = bytearray()
    _mp_enc(obj, out)
    return bytes(out)


def _mp_enc(obj, out):
    if obj is None:
        out.append(0xC0)
    elif obj is False:
        out.append(0xC2)
    elif obj is True:
        out.append(0xC3)
    elif isinstance(obj, int):
        _mp_enc_int(obj, out)
    elif isinstance(obj, float):
        out.append(0xCB)
        out += struct.pack(">d", obj)
    elif isinstance(obj, str):
        raw = obj.encode("utf-8")
        n = len(raw)
        if n < 32:
            out.append(0xA0 | n)
        elif n <= 0xFF:
            out += struct.pack(">BB", 0xD9, n)
        elif n <= 0xFFFF:
            out += struct.pack(">BH", 0xDA, n)
        elif n <= 0xFFFFFFFF:
            out += struct.pack(">BI", 0xDB, n)
        else:
            raise MsgpackError("str too long")
        out += raw
    elif isinstance(obj, (bytes, bytearray, memoryview)):
        raw = bytes(obj)
        n = len(raw)
        if n <= 0xFF:
            out += struct.pack(">BB", 0xC4, n)
        elif n <= 0xFFFF:
            out += struct.pack(">BH", 0xC5, n)
        elif n <= 0xFFFFFFFF:
            out += struct.pack(">BI", 0xC6, n)
        else:
            raise MsgpackError("bin too long")
        out += raw
    elif isinstance(obj, (list, tuple)):
        n = len(obj)
        if n < 16:
            out.append(0x90 | n)
        elif n <= 0xFFFF:
            out += struct.pack(">BH", 0xDC, n)
        elif n <= 0xFFFFFFFF:
            out += struct.pack(">BI", 0xDD, n)
        else:
            raise MsgpackError("array too long")
        for item in obj:
            _mp_enc(item, out)
    elif isinstance(obj, dict):
        n = len(obj)
        if n < 16:
            out.append(0x80 | n)
        elif n <= 0xFFFF:
            out += struct.pack(">BH", 0xDE, n)
        elif n <= 0xFFFFFFFF:
            out += struct.pack(">BI", 0xDF, n)
        else:
            raise MsgpackError("map too long")
        for key, value in obj.items():
            _mp_enc(key, out)
            _mp_enc(value, out)
    else:
        raise MsgpackError("cannot encode %r" % type(obj).__name__)


def _mp_enc_int(v, out):
    if 0 <= v <= 0x7F:
        out.append(v)
    elif -32 <= v < 0:
        out.append(v & 0xFF)
    elif 0 <= v <= 0xFF:
        out += struct.pack(">BB", 0xCC, v)
    elif 0 <= v <= 0xFFFF:
        out += struct.pack(">BH", 0xCD, v)
    elif 0 <= v <= 0xFFFFFFFF:
        out += struct.pack(">BI", 0xCE, v)
    elif 0 <= v <= 0xFFFFFFFFFFFFFFFF:
        out += struct.pack(">BQ", 0xCF, v)
    elif -0x80 <= v < 0:
        out += struct.pack(">Bb", 0xD0, v)
    elif -0x8000 <= v < 0:
        out += struct.pack(">Bh", 0xD1, v)
    elif -0x80000000 <= v < 0:
        out += struct.pack(">Bi", 0xD2, v)
    elif -0x8000000000000000 <= v < 0:
        out += struct.pack(">Bq", 0xD3, v)
    else:
        raise MsgpackError("int out of range: %d" % v)


def mp_decode(data):
    """Decode exactly one msgpack value that fills all of data."""
    data = bytes(data)
    obj, pos = _mp_dec(data, 0)
    if pos != len(data):
        raise MsgpackError("%d trailing bytes" % (len(data) - pos))
    return obj


def _take(data, pos, n):
    if n < 0 or pos + n > len(data):
        raise MsgpackError("truncated")
    return data[pos:pos + n], pos + n


def _unpack(fmt, data, pos):
    size = struct.calcsize(fmt)
    raw, pos = _take(data, pos, size)
    return struct.unpack(fmt, raw)[0], pos


def _mp_dec(data, pos):
    if pos >= len(data):
        raise MsgpackError("truncated")
    b = data[pos]
    pos += 1
    if b <= 0x7F:
        return b, pos
    if b >= 0xE0:
        return b - 0x100, pos
    if 0x80 <= b <= 0x8F:
        return _mp_dec_map(data, pos, b & 0x0F)
    if 0x90 <= b <= 0x9F:
        return _mp_dec_array(data, pos, b & 0x0F)
    if 0xA0 <= b <= 0xBF:
        return _mp_dec_str(data, pos, b & 0x1F)
    if b == 0xC0:
        return None, pos
    if b == 0xC2:
        return False, pos
    if b == 0xC3:
        return True, pos
    if b in (0xC4, 0xC5, 0xC6):
        n, pos = _unpack({0xC4: ">B", 0xC5: ">H", 0xC6: ">I"}[b], data, pos)
        raw, pos = _take(data, pos, n)
        return raw, pos
    if b == 0xCA:
        return _unpack(">f", data, pos)
    if b == 0xCB:
        return _unpack(">d", data, pos)
    ints = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q",
            0xD0: ">b", 0xD1: ">h", 0xD2: ">i", 0xD3: ">q"}
    if b in ints:
        return _unpack(ints[b], data, pos)
    if b in (0xD9, 0xDA, 0xDB):
        n, pos = _unpack({0xD9: ">B", 0xDA: ">H", 0xDB: ">I"}[b], data, pos)
        return _mp_dec_str(data, pos, n)
    if b in (0xDC, 0xDD):
        n, pos = _unpack(">H" if b == 0xDC else ">I", data, pos)
        return _mp_dec_array(data, pos, n)
    if b in (0xDE, 0xDF):
        n, pos = _unpack(">H" if b == 0xDE else ">I", data, pos)
        return _mp_dec_map(data, pos, n)
    raise MsgpackError("unsupported msgpack byte 0x%02x" % b)


def _mp_dec_str(data, pos, n):
    raw, pos = _take(data, pos, n)
    try:
        return raw.decode("utf-8"), pos
    except UnicodeDecodeError as e:
        raise MsgpackError("invalid utf-8 in str: %s" % e)


def _mp_dec_array(data, pos, n):
    items = []
    for _ in range(n):
        item, pos = _mp_dec(data, pos)
        items.append(item)
    return items, pos


def _mp_dec_map(data, pos, n):
    result = {}
    for _ in range(n):
        key, pos = _mp_dec(data, pos)
        value, pos = _mp_dec(data, pos)
        try:
            result[key] = value
        except TypeError:
            raise MsgpackError("unhashable map key %r" % (key,))
    return result, pos


def strict_eq(a, b):
    """Equality that also compares types (True != 1, b'a' != 'a')."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        if set(a.keys()) != set(b.keys()):
            return False
        return all(strict_eq(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(strict_eq(x, y) for x, y in zip(a, b))
    return a == b


# --------------------------------------------------------------------------
# Framing (section 2) and connections
# --------------------------------------------------------------------------

class NoBody:
    """Marker for a frame whose body is empty (distinct from a nil body)."""

    def __repr__(self):
        return "<no body>"


NOBODY = NoBody()


class TimeoutErr(Exception):
    pass


class ClosedErr(Exception):
    pass


class CheckFailed(Exception):
    pass


def make_frame(header_bytes, body_bytes=b""):
    length = 2 + len(header_bytes) + len(body_bytes)
    return (struct.pack(">IH", length, len(header_bytes)) + header_bytes
            + body_bytes)


def encode_frame(header, body=NOBODY):
    hb = mp_encode(header)
    bb = b"" if body is NOBODY else mp_encode(body)
    return hb, bb, make_frame(hb, bb)


class Undecodable:
    """Marker for a body that is not one msgpack value (msgq never decodes
    bodies, so it forwards such bytes unchanged)."""

    def __repr__(self):
        return "<undecodable body>"


UNDECODABLE = Undecodable()


class Frame:
    def __init__(self, hb, bb):
        self.hb = hb
        self.bb = bb
        self.header = mp_decode(hb)
        if not bb:
            self.body = NOBODY
        else:
            try:
                self.body = mp_decode(bb)
            except MsgpackError:
                self.body = UNDECODABLE

    def __repr__(self):
        return "Frame(header=%r, body=%r)" % (self.header, self.body)


FRAMES_SENT = [0]    # every complete, well-framed frame written by any client
SYNC_COUNTER = [0]


class Conn:
    def __init__(self, path, name, timeout=DEADLINE):
        self.name = name
        self.lname = None
        self.buf = bytearray()
        self.nraw = 0       # send_raw calls
        self.nsent = 0      # complete frames written
        self.nrecv = 0      # complete frames read
        self.broken = None  # set when a read timed out: the stream is
                            # out of step, later reads fail at once
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError:
            self.sock.close()
            raise
        self.sock.setblocking(False)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send_raw(self, data):
        self.nraw += 1
        view = memoryview(data)
        deadline = time.monotonic() + DEADLINE
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutErr("%s: write timed out" % self.name)
            _, w, _ = select.select([], [self.sock], [], remaining)
            if not w:
                continue
            try:
                n = self.sock.send(view)
            except BlockingIOError:
                continue
            view = view[n:]

    def send(self, header, body=NOBODY):
        hb, bb, frame = encode_frame(header, body)
        self.send_raw(frame)
        FRAMES_SENT[0] += 1
        self.nsent += 1
        return hb, bb

    def send_hb(self, hb, bb=b""):
        """Send a frame whose header bytes are given verbatim."""
        self.send_raw(make_frame(hb, bb))
        FRAMES_SENT[0] += 1
        self.nsent += 1

    def _fill(self, n, deadline):
        while len(self.buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutErr("%s: no complete frame within %.0f s "
                                 "(have %d bytes)" % (self.name, DEADLINE,
                                                      len(self.buf)))
            r, _, _ = select.select([self.sock], [], [], remaining)
            if not r:
                continue
            try:
                chunk = self.sock.recv(65536)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                raise ClosedErr("%s: connection reset" % self.name)
            if not chunk:
                raise ClosedErr("%s: connection closed by msgq" % self.name)
            self.buf += chunk

    def recv(self, timeout=DEADLINE):
        if self.broken:
            raise TimeoutErr("%s: unusable after an earlier failure (%s)"
                             % (self.name, self.broken))
        try:
            return self._recv(timeout)
        except TimeoutErr as e:
            self.broken = str(e)
            raise

    def _recv(self, timeout):
        deadline = time.monotonic() + timeout
        self._fill(6, deadline)
        length, hlen = struct.unpack(">IH", bytes(self.buf[:6]))
        if hlen < 1 or 2 + hlen > length:
            raise CheckFailed("%s: msgq sent a bad frame prefix length=%d "
                              "hlen=%d" % (self.name, length, hlen))
        self._fill(4 + length, deadline)
        hb = bytes(self.buf[6:6 + hlen])
        bb = bytes(self.buf[6 + hlen:4 + length])
        del self.buf[:4 + length]
        self.nrecv += 1
        return Frame(hb, bb)

    def expect_closed(self, timeout=DEADLINE):
        """The connection must end (EOF or reset) with no data first."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CheckFailed("%s: still open after %.0f s"
                                  % (self.name, timeout))
            r, _, _ = select.select([self.sock], [], [], remaining)
            if not r:
                continue
            try:
                chunk = self.sock.recv(65536)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                return
            if not chunk:
                return
            raise CheckFailed("%s: got %d bytes instead of the connection "
                              "closing: %r" % (self.name, len(chunk),
                                               chunk[:64]))

    def getlname(self):
        self.send({"type": "getlname"})
        f = self.recv()
        if not strict_eq(f.header, {"type": "getlname"}):
            raise CheckFailed("getlname answer header %r" % (f.header,))
        if not (isinstance(f.body, dict) and list(f.body) == ["lname"]
                and isinstance(f.body["lname"], str)):
            raise CheckFailed("getlname answer body %r" % (f.body,))
        self.lname = f.body["lname"]
        return self.lname

    def subscribe(self, group, instance="*"):
        self.send({"type": "subscribe", "group": group, "instance": instance})

    def unsubscribe(self, group, instance="*"):
        self.send({"type": "unsubscribe", "group": group,
                   "instance": instance})

    def sync(self):
        """Ping barrier: return every frame that arrives before our pong."""
        SYNC_COUNTER[0] += 1
        token = {"sync": SYNC_COUNTER[0], "who": self.name}
        _, bb = self.send({"type": "ping"}, token)
        before = []
        while True:
            f = self.recv()
            if f.bb == bb and strict_eq(f.header, {"type": "pong"}):
                return before
            before.append(f)

    def quiet(self, what="nothing"):
        """Ping barrier that must find nothing in front of the pong."""
        extra = self.sync()
        if extra:
            raise CheckFailed("%s: expected %s, but received %r"
                              % (self.name, what, extra))


# --------------------------------------------------------------------------
# Check bookkeeping
# --------------------------------------------------------------------------

RESULTS = []


def report(name, ok, reason=""):
    RESULTS.append(ok)
    if ok:
        print("ok - %s" % name)
    else:
        print("not ok - %s: %s" % (name, reason))
    sys.stdout.flush()


def check(name):
    """Decorator: run the function now; ok unless it raises."""
    def run(fn):
        try:
            fn()
        except (CheckFailed, AssertionError, TimeoutErr, ClosedErr,
                MsgpackError) as e:
            report(name, False, str(e) or type(e).__name__)
        except Exception as e:  # a broken broker must not crash the run
            report(name, False, "%s: %s" % (type(e).__name__, e))
        else:
            report(name, True)
        return fn
    return run


def expect(cond, msg):
    if not cond:
        raise CheckFailed(msg)


def expect_eq(got, want, what):
    if not strict_eq(got, want):
        raise CheckFailed("%s: got %r, want %r" % (what, got, want))


# --------------------------------------------------------------------------
# The broker
# --------------------------------------------------------------------------

def msgq_command(sock_path, extra=()):
    builddir = os.environ.get("CCBUS_BUILDDIR")
    if not builddir:
        here = os.path.dirname(os.path.abspath(__file__))
        builddir = os.path.normpath(os.path.join(here, "..", ".."))
    binary = os.path.join(builddir, "msgq", "ccbus-msgq")
    wrapper = shlex.split(os.environ.get("CCBUS_TEST_WRAPPER", ""))
    return wrapper + [binary, "-s", sock_path] + list(extra)


class Broker:
    def __init__(self, sock_path, log_path, extra=()):
        self.path = sock_path
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(msgq_command(sock_path, extra),
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)

    def wait_ready(self):
        """Poll until the socket accepts a connection and answers getlname."""
        deadline = time.monotonic() + START_DEADLINE
        last = "never tried"
        delay = 0.005
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise CheckFailed("msgq exited with status %d before it was "
                                  "ready" % rc)
            if os.path.exists(self.path):
                try:
                    probe = Conn(self.path, "probe", timeout=1.0)
                except OSError as e:
                    last = "connect: %s" % e
                else:
                    try:
                        probe.getlname()
                        return
                    except (TimeoutErr, ClosedErr, CheckFailed,
                            MsgpackError, OSError) as e:
                        last = "getlname: %s" % e
                    finally:
                        probe.close()
            else:
                last = "socket %s not there yet" % self.path
            # Readiness cannot be observed before the socket exists; back
            # off briefly between polls.
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
        raise CheckFailed("msgq not ready after %.0f s (%s)"
                          % (START_DEADLINE, last))

    def terminate(self):
        """SIGTERM, then wait; returns the exit status (None on timeout)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=EXIT_DEADLINE)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=EXIT_DEADLINE)
            except subprocess.TimeoutExpired:
                pass
        self.log.close()

    def log_text(self):
        self.log.flush()
        with open(self.log_path, "rb") as fh:
            return fh.read().decode("utf-8", "replace")


def run_to_exit(cmd, timeout=EXIT_DEADLINE):
    """Run a short-lived msgq; returns (status or None, output)."""
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
    except subprocess.TimeoutExpired as e:
        # subprocess.run kills the child on timeout.
        out = e.output or b""
        return None, out.decode("utf-8", "replace")
    return p.returncode, p.stdout.decode("utf-8", "replace")


# --------------------------------------------------------------------------
# Expected shapes
# --------------------------------------------------------------------------

def error_answer_header(lname, seq, group=""):
    """Section 5.9."""
    return {"type": "send", "from": "msgq", "to": lname, "group": group,
            "instance": "*", "reply": seq}


def check_msgq_answer_header(f, lname, seq, what):
    """Section 7 + 9: an answer from msgq to a command sent to group Msgq."""
    h = f.header
    expect(isinstance(h, dict), "%s: header is not a map: %r" % (what, h))
    allowed = {"type", "from", "to", "group", "instance", "reply", "seq"}
    extra = set(h) - allowed
    expect(not extra, "%s: unexpected header keys %r in %r"
           % (what, sorted(extra), h))
    expect_eq(h.get("type"), "send", "%s: type" % what)
    expect_eq(h.get("from"), "msgq", "%s: from" % what)
    expect_eq(h.get("to"), lname, "%s: to" % what)
    expect_eq(h.get("group"), "Msgq", "%s: group" % what)
    expect_eq(h.get("instance"), "*", "%s: instance" % what)
    expect_eq(h.get("reply"), seq, "%s: reply" % what)
    if "seq" in h:
        expect(type(h["seq"]) is int, "%s: seq is not an int: %r"
               % (what, h["seq"]))


def notification_body(event, params):
    return {"notification": [event, params]}


def check_notification(f, what):
    h = f.header
    expect_eq(h.get("type"), "send", "%s: type" % what)
    expect_eq(h.get("from"), "msgq", "%s: from" % what)
    expect_eq(h.get("to"), "*", "%s: to" % what)
    expect_eq(h.get("group"), CC_MEMBERS, "%s: group" % what)
    if "instance" in h:
        expect_eq(h["instance"], "*", "%s: instance" % what)
    expect("want_answer" not in h or h["want_answer"] is False,
           "%s: notification carries want_answer: %r" % (what, h))
    expect("reply" not in h, "%s: notification carries reply: %r"
           % (what, h))


# --------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------

def codec_checks():
    @check("golden vector: header {} body {\"hello\": \"a\"}")
    def _():
        want = bytes.fromhex("0000000c000180" "81a568656c6c6fa161")
        _, _, got = encode_frame({}, {"hello": "a"})
        expect(got == want, "got %s want %s" % (got.hex(), want.hex()))
        f = Frame(got[6:7], got[7:])
        expect_eq(f.header, {}, "decoded header")
        expect_eq(f.body, {"hello": "a"}, "decoded body")

    @check("golden vector: header {\"type\": \"getlname\"}, no body")
    def _():
        want = bytes.fromhex("00000011000f81a474797065a8676574"
                             "6c6e616d65")
        _, _, got = encode_frame({"type": "getlname"})
        expect(got == want, "got %s want %s" % (got.hex(), want.hex()))
        length, hlen = struct.unpack(">IH", got[:6])
        expect(length == len(got) - 4 and hlen == len(got) - 6,
               "length/hlen %d/%d" % (length, hlen))

    @check("msgpack codec: every width encodes minimally and round-trips")
    def _():
        vectors = [
            (None, "c0"), (False, "c2"), (True, "c3"),
            (0, "00"), (127, "7f"), (128, "cc80"), (255, "ccff"),
            (256, "cd0100"), (65535, "cdffff"), (65536, "ce00010000"),
            (0xFFFFFFFF, "ceffffffff"),
            (0x100000000, "cf0000000100000000"),
            (0xFFFFFFFFFFFFFFFF, "cfffffffffffffffff"),
            (-1, "ff"), (-32, "e0"), (-33, "d0df"), (-128, "d080"),
            (-129, "d1ff7f"), (-32768, "d18000"), (-32769, "d2ffff7fff"),
            (-0x80000000, "d280000000"),
            (-0x80000001, "d3ffffffff7fffffff"),
            (-0x8000000000000000, "d38000000000000000"),
            (1.5, "cb3ff8000000000000"),
            ("", "a0"), ("a" * 31, "bf" + "61" * 31),
            ("a" * 32, "d920" + "61" * 32),
            ("a" * 256, "da0100" + "61" * 256),
            ("a" * 65536, "db00010000" + "61" * 65536),
            ("\u00e9", "a2c3a9"),
            (b"", "c400"), (b"\x00\xff", "c40200ff"),
            (b"x" * 256, "c50100" + "78" * 256),
            (b"x" * 65536, "c600010000" + "78" * 65536),
            ([], "90"), ([1, "a"], "9201a161"),
            (list(range(16)), "dc0010" + "".join("%02x" % i
                                                 for i in range(16))),
            ({}, "80"), ({"a": None}, "81a161c0"),
            ({"k%02d" % i: i for i in range(16)},
             "de0010" + "".join("a36b%02x%02x%02x" % (0x30 + i // 10,
                                                     0x30 + i % 10, i)
                                for i in range(16))),
        ]
        for value, hexwant in vectors:
            got = mp_encode(value)
            expect(got.hex() == hexwant, "encode %r: got %s want %s"
                   % (str(value)[:40], got.hex()[:80], hexwant[:80]))
            back = mp_decode(got)
            expect(strict_eq(back, value), "round trip %r -> %r"
                   % (str(value)[:40], str(back)[:40]))
        # Forms the encoder never emits but a peer may send.
        extra = [("ca3fc00000", 1.5), ("dd00000001c3", [True]),
                 ("df00000001a161a162", {"a": "b"}),
                 ("cd0001", 1), ("d0ff", -1), ("d900", "")]
        for hexdata, value in extra:
            expect(strict_eq(mp_decode(bytes.fromhex(hexdata)), value),
                   "decode %s" % hexdata)
        for bad in ("", "c1", "a3616263" "00", "cd00", "92c0"):
            try:
                mp_decode(bytes.fromhex(bad))
            except MsgpackError:
                pass
            else:
                raise CheckFailed("decoding %r should fail" % bad)


class Ctx:
    pass


def broker_checks(ctx):
    path = ctx.path

    @check("section 1: socket file has mode 0660")
    def _():
        st = os.stat(path)
        expect(stat.S_ISSOCK(st.st_mode), "%s is not a socket" % path)
        expect(stat.S_IMODE(st.st_mode) == 0o660,
               "mode %o" % stat.S_IMODE(st.st_mode))

    ctx.A = ctx.B = None

    @check("getlname: answer is header {\"type\": \"getlname\"}, "
           "body {\"lname\": str}, lnames unique and not \"msgq\"")
    def _():
        ctx.A = Conn(path, "A")
        ctx.B = Conn(path, "B")
        a = ctx.A.getlname()
        b = ctx.B.getlname()
        expect(a and b, "empty lname")
        expect(a != b, "A and B got the same lname %r" % a)
        expect("msgq" not in (a, b), "lname \"msgq\" handed to a client")
        expect(a != ctx.probe_lname and b != ctx.probe_lname,
               "lname of the closed probe connection reused")

    A, B = ctx.A, ctx.B
    if A is None or B is None or A.lname is None or B.lname is None:
        return

    @check("section 2: a frame delivered in fragments is read whole")
    def _():
        _, _, frame = encode_frame({"type": "getlname"})
        for part in (frame[:3], frame[3:8], frame[8:]):
            A.send_raw(part)
            time.sleep(0.02)    # deliberately split the frame on the wire
        FRAMES_SENT[0] += 1
        A.nsent += 1
        f = A.recv()
        expect_eq(f.header, {"type": "getlname"}, "header")
        expect_eq(f.body, {"lname": A.lname}, "body (same lname again)")

    @check("section 4: ping with a body -> pong, body bytes echoed exactly")
    def _():
        body = {"blob": b"\x00\x01\xff", "n": -70000, "f": 0.25,
                "l": [None, True, False, 2 ** 40]}
        _, bb = A.send({"type": "ping"}, body)
        f = A.recv()
        expect_eq(f.header, {"type": "pong"}, "pong header")
        expect(f.bb == bb, "body bytes %s want %s" % (f.bb.hex(), bb.hex()))

    @check("section 4: ping without a body -> pong without a body")
    def _():
        A.send({"type": "ping"})
        f = A.recv()
        expect_eq(f.header, {"type": "pong"}, "pong header")
        expect(f.bb == b"", "pong carries body %r" % f.bb)

    G = "IndepTest"

    @check("section 4: subscribe + ping barrier (A and B in group %s)" % G)
    def _():
        B.subscribe(G, "*")
        B.subscribe(G, "*")     # twice: a no-op
        B.quiet("only the pong after subscribe")
        A.subscribe(G)
        A.quiet("only the pong after subscribe")

    ctx.echo_seq = 2 ** 33 + 7
    state = {}

    @check("section 5.1/5.4: command to the group reaches B byte for byte, "
           "A's header fields intact")
    def _():
        header = {"type": "send", "from": A.lname, "to": "*", "group": G,
                  "instance": "*", "seq": ctx.echo_seq, "want_answer": True,
                  "x-indep-extra": ["kept", 1]}
        hb, bb = A.send(header, {"command": ["echo", {"x": 1}]})
        state["cmd"] = (hb, bb)
        f = B.recv()
        expect(f.hb == hb, "header bytes changed: sent %s got %s"
               % (hb.hex(), f.hb.hex()))
        expect(f.bb == bb, "body bytes changed: sent %s got %s"
               % (bb.hex(), f.bb.hex()))
        expect_eq(f.header, header, "decoded header")
        expect_eq(f.body, {"command": ["echo", {"x": 1}]}, "decoded body")

    @check("section 7: B's answer (reply = seq, to = A) reaches A")
    def _():
        expect("cmd" in state, "command not received by B")
        answer_header = {"type": "send", "from": B.lname, "to": A.lname,
                         "group": G, "instance": "*",
                         "reply": ctx.echo_seq}
        hb, bb = B.send(answer_header, {"result": [0, {"x": 1}]})
        f = A.recv()
        expect(f.hb == hb and f.bb == bb, "A got %r instead of B's answer"
               % (f,))
        expect_eq(f.header["reply"], ctx.echo_seq, "reply")

    @check("section 5.3: the sender (also a subscriber) does not get its "
           "own group message")
    def _():
        A.quiet("nothing (its own command must not come back)")
        B.quiet("nothing more")

    @check("section 5.1: instance routing (G,i) reaches (G,i) and (G,*) "
           "subscribers once each; (G,*) does not reach (G,x)")
    def _():
        C = Conn(path, "C-inst")
        try:
            C.getlname()
            B.subscribe("IndepInst", "i1")
            B.subscribe("IndepInst", "*")
            B.quiet()
            C.subscribe("IndepInst", "i2")
            C.quiet()
            # (IndepInst, i1): B once (subscribed twice), not C.
            hb, bb = A.send({"type": "send", "from": A.lname, "to": "*",
                             "group": "IndepInst", "instance": "i1",
                             "seq": 11}, {"data": 1})
            A.quiet()
            got = B.sync()
            expect(len(got) == 1 and got[0].hb == hb,
                   "B (subscribed (IndepInst,i1) and (IndepInst,*)) got %r"
                   % (got,))
            C.quiet("nothing (subscribed to instance i2 only)")
            # (IndepInst, *): B (via *), not C (instance i2).
            hb, bb = A.send({"type": "send", "from": A.lname, "to": "*",
                             "group": "IndepInst", "instance": "*",
                             "seq": 12}, {"data": 2})
            A.quiet()
            got = B.sync()
            expect(len(got) == 1 and got[0].hb == hb, "B got %r" % (got,))
            C.quiet("nothing: a send to (G,*) must not reach (G,i2)")
            # (IndepInst, i2): C and B (via *).
            hb, bb = A.send({"type": "send", "from": A.lname, "to": "*",
                             "group": "IndepInst", "instance": "i2",
                             "seq": 13}, {"data": 3})
            A.quiet()
            got = C.sync()
            expect(len(got) == 1 and got[0].hb == hb, "C got %r" % (got,))
            got = B.sync()
            expect(len(got) == 1 and got[0].hb == hb, "B got %r" % (got,))
            B.unsubscribe("IndepInst", "i1")
            B.unsubscribe("IndepInst", "*")
            B.unsubscribe("IndepInst", "never")     # no-op
            B.quiet()
        finally:
            C.close()

    @check("section 3: missing instance and missing to mean \"*\"")
    def _():
        hb, _ = A.send({"type": "send", "from": A.lname, "to": "*",
                        "group": G, "seq": 14}, {"data": "no instance"})
        hb2, _ = A.send({"type": "send", "from": A.lname, "group": G,
                         "instance": "*", "seq": 15}, {"data": "no to"})
        A.quiet()
        got = B.sync()
        expect([f.hb for f in got] == [hb, hb2], "B got %r" % (got,))

    @check("section 5.2/5.5: direct sends to B's lname arrive in order, "
           "group not used for routing")
    def _():
        sent = []
        for i in range(20):
            hb, bb = A.send({"type": "send", "from": A.lname,
                             "to": B.lname, "group": "IndepNobodyHere",
                             "instance": "zz", "seq": 100 + i},
                            {"data": i, "pad": "p" * (i * 50)})
            sent.append((hb, bb))
        A.quiet()
        got = B.sync()
        expect([(f.hb, f.bb) for f in got] == sent,
               "B got %d frames, seqs %r" % (
                   len(got), [f.header.get("seq") for f in got]))

    @check("section 2: several frames in one write are all handled, in "
           "order")
    def _():
        _, b1, f1 = encode_frame({"type": "ping"}, 1)
        _, b2, f2 = encode_frame({"type": "ping"}, [2])
        _, _, f3 = encode_frame({"type": "getlname"})
        A.send_raw(f1 + f2 + f3)
        FRAMES_SENT[0] += 3
        A.nsent += 3
        got = [A.recv() for _ in range(3)]
        expect([(g.header, g.bb) for g in got[:2]]
               == [({"type": "pong"}, b1), ({"type": "pong"}, b2)]
               and strict_eq(got[2].body, {"lname": A.lname}),
               "got %r" % (got,))

    @check("section 5.2/5.3/5.6: a send to one's own lname reaches nobody "
           "-> No such recipient")
    def _():
        header = {"type": "send", "from": A.lname, "to": A.lname,
                  "group": G, "instance": "*", "seq": 170,
                  "want_answer": True}
        A.send(header, {"command": ["echo"]})
        f = A.recv()
        want = dict(header, reply=170, **{"from": "msgq", "to": A.lname})
        expect_eq(f.header, want, "header")
        expect_eq(f.body, {"result": [-1, "No such recipient"]}, "body")
        A.quiet()
        B.quiet("nothing")

    @check("section 4: other messages before getlname are allowed")
    def _():
        C = Conn(path, "C-early")
        try:
            C.subscribe("IndepEarly")
            _, bb = C.send({"type": "ping"}, None)      # nil body
            f = C.recv()
            expect_eq(f.header, {"type": "pong"}, "pong header")
            expect(f.bb == bb, "pong body %r, want %r" % (f.bb, bb))
            c = C.getlname()
            expect(c not in (A.lname, B.lname), "lname %r reused" % c)
        finally:
            C.close()

    @check("section 5.4: a body that is not msgpack is forwarded unchanged")
    def _():
        hb = mp_encode({"type": "send", "from": A.lname, "to": B.lname,
                        "group": G, "instance": "*", "seq": 150})
        bb = b"\xc1 not msgpack \xff"
        A.send_hb(hb, bb)
        A.quiet()
        got = B.sync()
        expect(len(got) == 1 and got[0].hb == hb and got[0].bb == bb,
               "B got %r" % (got,))

    @check("section 5.4: a non-canonical header is forwarded byte for byte "
           "(not re-encoded)")
    def _():
        hb = (b"\xde\x00\x06"                       # map16, 6 pairs
              + b"\xd9\x04type" + b"\xda\x00\x04send"  # str8 / str16
              + b"\xa4from" + mp_encode(A.lname)
              + b"\xa2to" + b"\xdb\x00\x00\x00\x01*"  # str32
              + b"\xa5group" + mp_encode(G)
              + b"\xa3seq" + b"\xce\x00\x00\x00\x97"  # uint32 151
              + b"\xa8instance" + b"\xa1*")
        expect_eq(mp_decode(hb)["seq"], 151, "test vector")
        bb = b"\xdf\x00\x00\x00\x00"               # map32, empty
        A.send_hb(hb, bb)
        A.quiet()
        got = B.sync()
        expect(len(got) == 1 and got[0].hb == hb and got[0].bb == bb,
               "B got %r" % (got,))

    @check("section 5.3/5.6: the sender as the only subscriber -> No such "
           "recipient")
    def _():
        A.subscribe("IndepSolo")
        A.quiet()
        header = {"type": "send", "from": A.lname, "to": "*",
                  "group": "IndepSolo", "instance": "*", "seq": 160,
                  "want_answer": True}
        A.send(header, {"command": ["echo"]})
        f = A.recv()
        want = dict(header, reply=160, **{"from": "msgq", "to": A.lname})
        expect_eq(f.header, want, "header")
        expect_eq(f.body, {"result": [-1, "No such recipient"]}, "body")
        A.unsubscribe("IndepSolo")
        A.quiet()

    @check("section 5.6: no recipient with a negative seq")
    def _():
        header = {"type": "send", "from": A.lname, "to": "*",
                  "group": "IndepNoSuchGroup", "instance": "*", "seq": -42,
                  "want_answer": True}
        A.send(header, {"command": ["echo"]})
        f = A.recv()
        want = dict(header, reply=-42, **{"from": "msgq", "to": A.lname})
        expect_eq(f.header, want, "header")
        expect_eq(f.body, {"result": [-1, "No such recipient"]}, "body")
        A.quiet()

    @check("section 5.6: no recipient (group) -> original header with "
           "reply/from/to set, body [-1, \"No such recipient\"]")
    def _():
        header = {"type": "send", "from": A.lname, "to": "*",
                  "group": "IndepNoSuchGroup", "instance": "*", "seq": 1,
                  "want_answer": True}
        A.send(header, {"command": ["echo"]})
        f = A.recv()
        want = dict(header, reply=1, **{"from": "msgq", "to": A.lname})
        expect_eq(f.header, want, "header")
        expect_eq(f.body, {"result": [-1, "No such recipient"]}, "body")
        A.quiet()

    @check("section 5.6: no recipient (unknown lname) -> to = sender")
    def _():
        header = {"type": "send", "from": A.lname,
                  "to": "no-such-lname@nowhere", "group": G,
                  "instance": "*", "seq": 300, "want_answer": True}
        A.send(header, {"command": ["echo"]})
        f = A.recv()
        want = dict(header, reply=300, **{"from": "msgq", "to": A.lname})
        expect_eq(f.header, want, "header")
        expect_eq(f.body, {"result": [-1, "No such recipient"]}, "body")
        A.quiet()
        B.quiet("nothing (addressed to another lname)")

    @check("section 5.6: no recipient keeps header keys msgq does not know")
    def _():
        header = {"type": "send", "from": A.lname, "to": "*",
                  "group": "IndepNoSuchGroup", "instance": "x",
                  "seq": 70000, "want_answer": True, "x-indep": {"k": [1]}}
        A.send(header, {"command": ["echo"]})
        f = A.recv()
        want = dict(header, reply=70000, **{"from": "msgq",
                                            "to": A.lname})
        expect_eq(f.header, want, "header")
        expect_eq(f.body, {"result": [-1, "No such recipient"]}, "body")
        A.quiet()

    @check("section 5.6: no answer without want_answer, nor for an answer "
           "(reply present), nor for to=\"msgq\"")
    def _():
        A.send({"type": "send", "from": A.lname, "to": "*",
                "group": "IndepNoSuchGroup", "instance": "*", "seq": 2},
               {"command": ["echo"]})
        A.send({"type": "send", "from": A.lname, "to": "*",
                "group": "IndepNoSuchGroup", "instance": "*", "seq": 3,
                "want_answer": False}, {"command": ["echo"]})
        A.send({"type": "send", "from": A.lname, "to": "gone@nowhere",
                "group": "IndepNoSuchGroup", "instance": "*", "seq": 4,
                "want_answer": True, "reply": 3}, {"result": [0]})
        A.send({"type": "send", "from": A.lname, "to": "msgq",
                "group": "IndepToMsgq", "instance": "*", "seq": 5,
                "want_answer": True}, {"data": "for msgq"})
        A.quiet("nothing (no No-such-recipient answer)")
        # Certainly counted: the answered no-recipient sends above.
        # Whether sends without want_answer, answers and msgq's own
        # notifications to an empty group count is not specified.
        state["no_recipient_min"] = 6

    @check("section 5.7: foreign from -> [1, \"sender mismatch\"] with the "
           "5.9 header, frame dropped")
    def _():
        A.send({"type": "send", "from": B.lname, "to": "*", "group": G,
                "instance": "*", "seq": 400, "want_answer": True},
               {"command": ["echo"]})
        f = A.recv()
        expect_eq(f.header, error_answer_header(A.lname, 400, G), "header")
        expect_eq(f.body, {"result": [1, "sender mismatch"]}, "body")
        A.quiet()
        B.quiet("nothing (the forged frame must be dropped)")
    state["dropped"] = state.get("dropped", 0) + 1

    @check("section 5.7: missing from -> [1, \"sender mismatch\"]")
    def _():
        A.send({"type": "send", "to": "*", "group": G, "instance": "*",
                "seq": 401, "want_answer": True}, {"command": ["echo"]})
        f = A.recv()
        expect_eq(f.header, error_answer_header(A.lname, 401, G), "header")
        expect_eq(f.body, {"result": [1, "sender mismatch"]}, "body")
        A.quiet()
        B.quiet("nothing (the frame must be dropped)")
    state["dropped"] += 1

    @check("section 5.7: foreign from without want_answer -> dropped "
           "silently")
    def _():
        A.send({"type": "send", "from": "msgq", "to": B.lname, "group": G,
                "instance": "*", "seq": 402}, {"data": 1})
        A.quiet()
        B.quiet("nothing (the forged frame must be dropped)")
    state["dropped"] += 1

    def bad_header(name, header, answered, group="", body=None):
        @check("section 5.8: bad header (%s) -> %s, connection stays open"
               % (name, "[1, \"bad header: ...\"] with the 5.9 header"
                  if answered else "dropped, no answer"))
        def _():
            if isinstance(header, bytes):
                A.send_hb(header, b"" if body is None else mp_encode(body))
            else:
                A.send(header, {"command": ["echo"]} if body is None
                       else body)
            if answered:
                f = A.recv()
                expect_eq(f.header, error_answer_header(A.lname, answered,
                                                        group), "header")
                body_ok = (isinstance(f.body, dict)
                           and list(f.body) == ["result"]
                           and isinstance(f.body["result"], list)
                           and len(f.body["result"]) == 2
                           and strict_eq(f.body["result"][0], 1)
                           and isinstance(f.body["result"][1], str)
                           and f.body["result"][1].startswith("bad header: ")
                           and len(f.body["result"][1]) > len("bad header: "))
                expect(body_ok, "body %r, want {\"result\": [1, \"bad "
                       "header: <reason>\"]}" % (f.body,))
            A.quiet("nothing more")
            B.quiet("nothing (the bad frame must be dropped)")
        state["dropped"] = state.get("dropped", 0) + 1

    base = {"type": "send", "from": A.lname, "to": "*", "instance": "*",
            "want_answer": True}
    bad_header("group is an int", dict(base, group=42, seq=500), 500, "")
    bad_header("group missing on a group send", dict(base, seq=501), 501, "")
    noty = dict(base, group=G, seq=502)
    del noty["type"]
    bad_header("type missing", noty, 502, G)
    bad_header("instance is an int", dict(base, group=G, instance=7,
                                          seq=503), 503, G)
    bad_header("to is an int", dict(base, group=G, to=1, seq=504), 504, G)
    bad_header("type is an int", dict(base, type=3, group=G, seq=505),
               505, G)
    bad_header("seq is a string", dict(base, group=G, seq="506"), None)
    bad_header("group is an int, no seq", dict(base, group=42), None)
    bad_header("undecodable bytes", b"\xc1\xc1\xc1", None)
    bad_header("truncated msgpack", mp_encode(dict(base, group=G,
                                                   seq=507))[:-3], None)
    bad_header("not a map", mp_encode(["send", A.lname, G]), None)
    # Section 2: the header is a map *with string keys*.
    bad_header("a key that is not a string",
               mp_encode(dict({5: "x"}, **dict(base, group=G, seq=508))),
               508, G)

    @check("section 4: unknown type with want_answer -> [1, \"unknown "
           "message type: X\"] with the 5.9 header")
    def _():
        A.send({"type": "frobnicate", "seq": 600, "want_answer": True})
        f = A.recv()
        expect_eq(f.header, error_answer_header(A.lname, 600, ""), "header")
        expect_eq(f.body, {"result": [1, "unknown message type: "
                                         "frobnicate"]}, "body")
        A.quiet()
    state["dropped"] += 1

    @check("section 4/5.9: unknown type answer carries the frame's group")
    def _():
        A.send({"type": "frobnicate", "from": A.lname, "group": G,
                "instance": "*", "seq": 601, "want_answer": True},
               {"command": ["echo"]})
        f = A.recv()
        expect_eq(f.header, error_answer_header(A.lname, 601, G), "header")
        expect_eq(f.body, {"result": [1, "unknown message type: "
                                         "frobnicate"]}, "body")
        A.quiet()
        B.quiet("nothing")
    state["dropped"] += 1

    @check("section 4: unknown type without want_answer is ignored")
    def _():
        A.send({"type": "frobnicate", "seq": 602})
        A.send({"type": "frobnicate"})
        A.quiet("nothing")
    state["dropped"] += 2

    # ---- section 9 -------------------------------------------------------

    def msgq_cmd(conn, seq, body, want_answer=True):
        header = {"type": "send", "from": conn.lname, "to": "*",
                  "group": "Msgq", "instance": "*", "seq": seq}
        if want_answer:
            header["want_answer"] = True
        conn.send(header, body)
        f = conn.recv()
        check_msgq_answer_header(f, conn.lname, seq, "answer header")
        expect(isinstance(f.body, dict) and list(f.body) == ["result"]
               and isinstance(f.body["result"], list),
               "answer body %r" % (f.body,))
        return f.body["result"]

    @check("section 9: members (no args) -> [0, every client]")
    def _():
        r = msgq_cmd(A, 700, {"command": ["members"]})
        expect(len(r) == 2 and strict_eq(r[0], 0)
               and isinstance(r[1], list), "result %r" % (r,))
        expect(sorted(r[1]) == sorted([A.lname, B.lname]),
               "members %r, want exactly A and B %r"
               % (r[1], [A.lname, B.lname]))
        A.quiet()

    @check("section 9: members {\"group\": G} -> [0, subscribers of G]")
    def _():
        r = msgq_cmd(A, 701, {"command": ["members", {"group": G}]})
        expect(len(r) == 2 and strict_eq(r[0], 0)
               and isinstance(r[1], list), "result %r" % (r,))
        expect(sorted(r[1]) == sorted([A.lname, B.lname]),
               "members of %s: %r" % (G, r[1]))
        A.quiet()

    @check("section 9: members of a group subscribed by instance only "
           "(any instance counts)")
    def _():
        B.subscribe("IndepOnlyInstance", "inst-7")
        B.quiet()
        r = msgq_cmd(A, 702, {"command": ["members",
                                          {"group": "IndepOnlyInstance"}]})
        expect_eq(r, [0, [B.lname]], "result")
        B.unsubscribe("IndepOnlyInstance", "inst-7")
        B.quiet()
        A.quiet()

    @check("section 9: members of an unknown group -> [0, []]")
    def _():
        r = msgq_cmd(A, 703, {"command": ["members",
                                          {"group": "IndepNoSuchGroup"}]})
        expect_eq(r, [0, []], "result")
        A.quiet()

    @check("section 7: a command to Msgq without want_answer is answered")
    def _():
        r = msgq_cmd(B, 704, {"command": ["members"]}, want_answer=False)
        expect(len(r) == 2 and strict_eq(r[0], 0), "result %r" % (r,))
        B.quiet()

    @check("section 9: unknown command -> [1, \"unknown command: X\"]")
    def _():
        r = msgq_cmd(A, 705, {"command": ["frobnicate"]})
        expect_eq(r, [1, "unknown command: frobnicate"], "result")
        A.quiet()

    @check("section 9: clients -> [0, [{lname, pid, uid, groups, queued, "
           "sent, received}, ...]]")
    def _():
        r = msgq_cmd(A, 706, {"command": ["clients"]})
        expect(len(r) == 2 and strict_eq(r[0], 0)
               and isinstance(r[1], list), "result %r" % (r,))
        by_lname = {}
        for c in r[1]:
            expect(isinstance(c, dict), "entry %r" % (c,))
            missing = {"lname", "pid", "uid", "groups", "queued", "sent",
                       "received"} - set(c)
            expect(not missing, "entry %r lacks %r" % (c, sorted(missing)))
            for k in ("pid", "uid", "queued", "sent", "received"):
                expect(type(c[k]) is int, "%s not an int in %r" % (k, c))
            expect(isinstance(c["groups"], list), "groups in %r" % (c,))
            by_lname[c["lname"]] = c
        expect(sorted(by_lname) == sorted([A.lname, B.lname]),
               "lnames %r" % sorted(by_lname))
        for c in by_lname.values():
            expect(c["pid"] == os.getpid(), "pid %r want %d"
                   % (c["pid"], os.getpid()))
            expect(c["uid"] == os.getuid(), "uid %r want %d"
                   % (c["uid"], os.getuid()))
        cb = by_lname[B.lname]
        expect(G in cb["groups"],
               "B's groups %r lack %s" % (cb["groups"], G))
        # B is idle and synced: every frame it sent has been read, every
        # frame written to it has been received.
        expect(cb["received"] == B.nsent and cb["sent"] == B.nrecv
               and cb["queued"] == 0,
               "B: received %r sent %r queued %r, want %d, %d, 0"
               % (cb["received"], cb["sent"], cb["queued"], B.nsent,
                  B.nrecv))
        A.quiet()

    @check("section 9: stats -> [0, {clients, frames_in, deliveries, "
           "no_recipient, dropped, disconnects, max_frame, max_queue}]")
    def _():
        before = FRAMES_SENT[0]
        r = msgq_cmd(A, 707, {"command": ["stats"]})
        expect(len(r) == 2 and strict_eq(r[0], 0)
               and isinstance(r[1], dict), "result %r" % (r,))
        s = r[1]
        missing = {"clients", "frames_in", "deliveries", "no_recipient",
                   "dropped", "disconnects", "max_frame", "max_queue"} \
            - set(s)
        expect(not missing, "stats %r lack %r" % (s, sorted(missing)))
        for k in ("clients", "frames_in", "deliveries", "no_recipient",
                  "dropped", "max_frame", "max_queue"):
            expect(type(s[k]) is int, "%s is not an int: %r" % (k, s[k]))
        expect(isinstance(s["disconnects"], dict)
               and all(isinstance(k, str) and type(v) is int
                       for k, v in s["disconnects"].items()),
               "disconnects %r" % (s["disconnects"],))
        errs = []
        if s["clients"] != 2:
            errs.append("clients %d, want 2 (A, B)" % s["clients"])
        if not before <= s["frames_in"] <= before + 1:
            errs.append("frames_in %d, want %d (or %d counting the stats "
                        "command)" % (s["frames_in"], before, before + 1))
        if s["dropped"] != state.get("dropped"):
            errs.append("dropped %d, want %r (bad headers + sender "
                        "mismatch + unknown types sent)"
                        % (s["dropped"], state.get("dropped")))
        lo = state.get("no_recipient_min", 0)
        if s["no_recipient"] < lo:
            errs.append("no_recipient %d, want at least %d"
                        % (s["no_recipient"], lo))
        if s["max_frame"] != DEFAULT_MAX_FRAME:
            errs.append("max_frame %d, want default %d"
                        % (s["max_frame"], DEFAULT_MAX_FRAME))
        if s["max_queue"] != DEFAULT_MAX_QUEUE:
            errs.append("max_queue %d, want default %d"
                        % (s["max_queue"], DEFAULT_MAX_QUEUE))
        expect(not errs, "; ".join(errs) + " (stats %r)" % (s,))
        A.quiet()

    @check("section 5.6/9: data (not a command) to group Msgq with "
           "want_answer counts as received: no answer")
    def _():
        A.send({"type": "send", "from": A.lname, "to": "*",
                "group": "Msgq", "instance": "*", "seq": 800,
                "want_answer": True}, {"data": "not a command"})
        A.quiet("nothing (no No-such-recipient, no answer owed)")

    @check("section 3: seq may be any msgpack int (uint64 above the int64 "
           "range is routed like any other)")
    def _():
        seq = 2 ** 63 + 5
        hb, bb = A.send({"type": "send", "from": A.lname, "to": "*",
                         "group": G, "instance": "*", "seq": seq,
                         "want_answer": True}, {"command": ["echo"]})
        errs = []
        got = A.sync()
        if got:
            errs.append("A got %r" % (got,))
        got = B.sync()
        if not (len(got) == 1 and got[0].hb == hb):
            errs.append("B (subscribed to %s) got %r" % (G, got))
        expect(not errs, "; ".join(errs))

    @check("section 3/5.6/5.9: a uint64 seq comes back unchanged as reply "
           "(no-recipient and error answers)")
    def _():
        seq = 2 ** 64 - 1
        header = {"type": "send", "from": A.lname, "to": "*",
                  "group": "IndepNoSuchGroup", "instance": "*", "seq": seq,
                  "want_answer": True}
        A.send(header, {"command": ["echo"]})
        f = A.recv()
        want = dict(header, reply=seq, **{"from": "msgq", "to": A.lname})
        expect_eq(f.header, want, "no-recipient header")
        expect(f.hb.count(b"\xcf" + b"\xff" * 8) == 2,
               "seq/reply not encoded as uint64 in %s" % f.hb.hex())
        A.send({"type": "send", "from": B.lname, "to": "*", "group": G,
                "instance": "*", "seq": seq - 1, "want_answer": True},
               {"command": ["echo"]})
        f = A.recv()
        expect_eq(f.header, error_answer_header(A.lname, seq - 1, G),
                  "sender-mismatch header")
        expect_eq(f.body, {"result": [1, "sender mismatch"]}, "body")
        A.quiet()
        B.quiet()

    @check("section 4: pong is ignored")
    def _():
        A.send({"type": "pong"})
        A.send({"type": "pong", "seq": 9, "want_answer": True})
        A.quiet("nothing")

    # ---- section 8 -------------------------------------------------------

    ctx.W = None

    @check("section 8: a watcher sees its own subscribed event")
    def _():
        W = ctx.W = Conn(path, "W")
        W.getlname()
        W.subscribe(CC_MEMBERS)
        got = W.sync()
        expect(len(got) == 1, "before the pong W got %r, want exactly its "
               "own subscribed event" % (got,))
        check_notification(got[0], "own subscribed event")
        expect_eq(got[0].body, notification_body(
            "subscribed", {"client": W.lname, "group": CC_MEMBERS}), "body")

    W = ctx.W
    if W is None or W.lname is None:
        return

    def watch(expected, what):
        """W must receive exactly the expected notifications, in order."""
        for i, (event, params) in enumerate(expected):
            f = W.recv()
            check_notification(f, "%s #%d" % (what, i + 1))
            expect_eq(f.body, notification_body(event, params),
                      "%s #%d body" % (what, i + 1))

    @check("section 8: connected, subscribed, unsubscribed, disconnected "
           "in order (repeated subscribe and no-op unsubscribe send "
           "nothing)")
    def _():
        C = Conn(path, "C")
        try:
            c = C.getlname()
            C.subscribe("IndepM1", "*")
            C.subscribe("IndepM1", "other")   # same group: no event
            C.subscribe("IndepM1", "*")       # repeated: no event
            C.subscribe("IndepM2", "i")
            C.unsubscribe("IndepM2", "i")
            C.unsubscribe("IndepM3", "*")     # never subscribed: no event
            C.unsubscribe("IndepM1", "other")  # still in IndepM1 via "*"
            C.quiet()
        finally:
            C.close()
        watch([("connected", {"client": c}),
               ("subscribed", {"client": c, "group": "IndepM1"}),
               ("subscribed", {"client": c, "group": "IndepM2"}),
               ("unsubscribed", {"client": c, "group": "IndepM2"}),
               ("unsubscribed", {"client": c, "group": "IndepM1"}),
               ("disconnected", {"client": c})], "C")
        W.quiet("no further notification")

    # ---- section 2: framing errors ---------------------------------------

    def framing_error(name, payload, subscribe_to=None):
        @check("section 2: framing error (%s) closes only that connection"
               % name)
        def _():
            X = Conn(path, "X")
            try:
                x = X.getlname()
                if subscribe_to:
                    X.subscribe(subscribe_to)
                    X.quiet()
                X.send_raw(payload)
                X.expect_closed()
            finally:
                X.close()
            expected = [("connected", {"client": x})]
            if subscribe_to:
                expected += [
                    ("subscribed", {"client": x, "group": subscribe_to}),
                    ("unsubscribed", {"client": x, "group": subscribe_to})]
            expected.append(("disconnected", {"client": x}))
            watch(expected, "X")
            W.quiet("no further notification")
            A.quiet()
            B.quiet()
            state.setdefault("framing_lnames", []).append(x)

    framing_error("hlen 0", struct.pack(">IH", 2, 0), "IndepFraming")
    framing_error("2 + hlen > length",
                  struct.pack(">IH", 4, 10) + b"\x80\x80")
    framing_error("length > max_frame, only the prefix sent",
                  struct.pack(">IH", DEFAULT_MAX_FRAME + 1, 1))

    @check("section 2: framing error logs a warning naming lname and pid")
    def _():
        lnames = state.get("framing_lnames", [])
        expect(lnames, "no framing error test ran")
        pid = str(os.getpid())
        deadline = time.monotonic() + DEADLINE
        while True:
            lines = ctx.broker.log_text().splitlines()
            missing = [x for x in lnames
                       if not any(x in ln and pid in ln for ln in lines)]
            if not missing:
                return
            if time.monotonic() > deadline:
                raise CheckFailed("no log line names lname+pid %s for %r"
                                  % (pid, missing))
            time.sleep(0.05)

    W.close()


def lifecycle_checks(ctx):
    path = ctx.path

    @check("section 1: a second msgq on a live socket exits 1 with "
           "\"another msgq is already running\", touching nothing")
    def _():
        ino = os.stat(path).st_ino
        rc, out = run_to_exit(msgq_command(path))
        expect(rc == 1, "status %r, output %r" % (rc, out))
        expect("another msgq is already running" in out,
               "output %r" % out)
        expect(os.path.exists(path) and os.stat(path).st_ino == ino,
               "socket file replaced or removed")
        ctx.A.quiet()     # the first broker still serves

    @check("section 1: a path that is not a socket: status 1, file kept")
    def _():
        p = os.path.join(ctx.tmpdir, "not-a-socket")
        with open(p, "w") as fh:
            fh.write("keep me\n")
        rc, out = run_to_exit(msgq_command(p))
        expect(rc == 1, "status %r, output %r" % (rc, out))
        with open(p) as fh:
            expect(fh.read() == "keep me\n", "file changed")

    @check("section 1/4: a missing socket directory is created with mode "
           "0750; stop from our own uid -> exit 0, socket removed")
    def _():
        d = os.path.join(ctx.tmpdir, "newdir")
        p = os.path.join(d, "msgq.sock")
        b = Broker(p, os.path.join(ctx.tmpdir, "msgq-newdir.log"))
        try:
            b.wait_ready()
            mode = stat.S_IMODE(os.stat(d).st_mode)
            expect(mode == 0o750, "directory mode %o" % mode)
            c = Conn(p, "S")
            try:
                c.send({"type": "stop"})
                c.expect_closed(EXIT_DEADLINE)
            finally:
                c.close()
            try:
                rc = b.proc.wait(timeout=EXIT_DEADLINE)
            except subprocess.TimeoutExpired:
                rc = None
            expect(rc == 0, "exit status %r after stop" % rc)
            expect(not os.path.exists(p), "socket %s still exists" % p)
        finally:
            b.kill()

    @check("section 6: max_queue < max_frame -> msgq refuses to start")
    def _():
        p = os.path.join(ctx.tmpdir, "refused.sock")
        rc, out = run_to_exit(msgq_command(
            p, ["--max-frame", "131072", "--max-queue", "65536"]))
        expect(rc is not None and rc != 0, "status %r, output %r"
               % (rc, out))
        expect(not os.path.exists(p), "socket %s created" % p)

    limits_checks(ctx)

    @check("section 1: SIGINT -> exit status 0, socket removed")
    def _():
        p = os.path.join(ctx.tmpdir, "sigint.sock")
        b = Broker(p, os.path.join(ctx.tmpdir, "msgq-sigint.log"))
        try:
            b.wait_ready()
            b.proc.send_signal(signal.SIGINT)
            try:
                rc = b.proc.wait(timeout=EXIT_DEADLINE)
            except subprocess.TimeoutExpired:
                rc = None
            expect(rc == 0, "exit status %r" % rc)
            expect(not os.path.exists(p), "socket %s still exists" % p)
        finally:
            b.kill()


def limits_checks(ctx):
    """A second broker with small limits, started over a stale socket."""
    max_frame, max_queue = 65536, 131072
    p = os.path.join(ctx.tmpdir, "limits.sock")
    b = None
    lim = {}

    @check("section 1: a stale socket file is removed and msgq binds")
    def _():
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(p)
        stale.close()       # the file stays; connecting to it is refused
        expect(stat.S_ISSOCK(os.stat(p).st_mode), "no stale socket made")
        lim["b"] = Broker(p, os.path.join(ctx.tmpdir, "msgq-limits.log"),
                          ["--max-frame", str(max_frame),
                           "--max-queue", str(max_queue)])
        lim["b"].wait_ready()
        lim["ready"] = True

    b = lim.get("b")
    if b is None:
        return
    A = B = None
    try:
        if not lim.get("ready"):
            return
        A = Conn(p, "LA")
        B = Conn(p, "LB")
        A.getlname()
        B.getlname()

        @check("section 2: a frame of exactly max_frame bytes is delivered")
        def _():
            hb = mp_encode({"type": "send", "from": A.lname,
                            "to": B.lname, "group": "L", "seq": 1})
            room = max_frame - 2 - len(hb)
            bb = mp_encode(b"z" * (room - 3))       # bin16: 3-byte prefix
            expect(len(bb) == room, "test setup: body %d want %d"
                   % (len(bb), room))
            frame = make_frame(hb, bb)
            expect(struct.unpack(">I", frame[:4])[0] == max_frame,
                   "test setup")
            A.send_hb(hb, bb)
            A.quiet()
            got = B.sync()
            expect(len(got) == 1 and got[0].hb == hb and got[0].bb == bb,
                   "B got %d frames" % len(got))

        @check("section 9: stats reports the command-line max_frame and "
               "max_queue")
        def _():
            A.send({"type": "send", "from": A.lname, "to": "*",
                    "group": "Msgq", "instance": "*", "seq": 2},
                   {"command": ["stats"]})
            f = A.recv()
            check_msgq_answer_header(f, A.lname, 2, "stats answer header")
            r = f.body.get("result") if isinstance(f.body, dict) else None
            expect(isinstance(r, list) and len(r) == 2
                   and isinstance(r[1], dict), "result %r" % (r,))
            expect_eq([r[1].get("max_frame"), r[1].get("max_queue")],
                      [max_frame, max_queue], "max_frame, max_queue")

        @check("section 6: a client that does not read is disconnected at "
               "max_queue; the sender is never blocked")
        def _():
            n, size = 100, 30000
            seqs = list(range(1000, 1000 + n))
            for seq in seqs:
                A.send({"type": "send", "from": A.lname, "to": B.lname,
                        "group": "L", "instance": "*", "seq": seq,
                        "want_answer": True}, {"data": b"y" * size})
            answers = A.sync()
            got = []
            try:
                while True:
                    got.append(B.recv())
            except ClosedErr:
                pass
            b_seqs = [f.header.get("seq") for f in got]
            k = len(b_seqs)
            expect(b_seqs == seqs[:k], "B received seqs %r, want a prefix "
                   "of %d..%d in order" % (b_seqs, seqs[0], seqs[-1]))
            expect(k < n, "B received everything: not disconnected")
            for f in answers:
                want = {"type": "send", "from": "msgq", "to": A.lname,
                        "group": "L", "instance": "*",
                        "seq": f.header.get("seq"), "want_answer": True,
                        "reply": f.header.get("seq")}
                expect_eq(f.header, want, "no-recipient answer header")
                expect_eq(f.body, {"result": [-1, "No such recipient"]},
                          "no-recipient answer body")
            a_seqs = [f.header["reply"] for f in answers]
            expect(a_seqs, "the frame that overflowed B's queue was not "
                   "answered No such recipient")
            m = seqs.index(a_seqs[0]) if a_seqs[0] in seqs else -1
            expect(m >= k and a_seqs == seqs[m:],
                   "answered seqs %r, want every seq from the overflowing "
                   "frame on (B got up to %r)"
                   % (a_seqs, b_seqs[-1] if b_seqs else None))
            # Frames between B's last and the overflowing one were queued
            # for B and discarded when it was closed: they must fit in the
            # queue.
            expect((m - k) * size <= max_queue,
                   "%d frames neither received nor answered" % (m - k))

        @check("section 9: shutdown -> [0], then exit 0, socket removed")
        def _():
            A.send({"type": "send", "from": A.lname, "to": "*",
                    "group": "Msgq", "instance": "*", "seq": 3,
                    "want_answer": True}, {"command": ["shutdown"]})
            f = A.recv()
            check_msgq_answer_header(f, A.lname, 3, "shutdown answer")
            expect_eq(f.body, {"result": [0]}, "shutdown answer body")
            try:
                rc = b.proc.wait(timeout=EXIT_DEADLINE)
            except subprocess.TimeoutExpired:
                rc = None
            expect(rc == 0, "exit status %r after shutdown" % rc)
            expect(not os.path.exists(p), "socket %s still exists" % p)
    finally:
        for c in (A, B):
            if c:
                c.close()
        b.kill()


def main():
    codec_checks()
    ctx = Ctx()
    ctx.tmpdir = tempfile.mkdtemp(prefix="ccbus-indep-")
    ctx.path = os.path.join(ctx.tmpdir, "msgq.sock")
    ctx.broker = None
    ctx.A = ctx.B = ctx.W = None
    conns = []
    try:
        ctx.broker = Broker(ctx.path, os.path.join(ctx.tmpdir, "msgq.log"))
        started = {}

        @check("msgq starts and answers getlname on %s" % ctx.path)
        def _():
            ctx.broker.wait_ready()
            probe = Conn(ctx.path, "probe")
            try:
                ctx.probe_lname = probe.getlname()
            finally:
                probe.close()
            started["ok"] = True

        if started:
            try:
                broker_checks(ctx)
            except Exception as e:
                report("broker checks ran to the end", False,
                       "%s: %s" % (type(e).__name__, e))
            finally:
                conns = [c for c in (ctx.A, ctx.B, ctx.W) if c]
            if ctx.A and ctx.A.lname:
                try:
                    lifecycle_checks(ctx)
                except Exception as e:
                    report("lifecycle checks ran to the end", False,
                           "%s: %s" % (type(e).__name__, e))
            for c in conns:
                c.close()

            @check("section 1: SIGTERM -> exit status 0, socket removed")
            def _():
                rc = ctx.broker.terminate()
                expect(rc == 0, "exit status %r" % rc)
                expect(not os.path.exists(ctx.path),
                       "socket %s still exists" % ctx.path)
    finally:
        for c in conns:
            c.close()
        if ctx.broker is not None:
            if not all(RESULTS) and os.environ.get("CCBUS_TEST_VERBOSE"):
                sys.stdout.write(ctx.broker.log_text())
            ctx.broker.kill()
        shutil.rmtree(ctx.tmpdir, ignore_errors=True)

    passed = sum(1 for r in RESULTS if r)
    failed = len(RESULTS) - passed
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
