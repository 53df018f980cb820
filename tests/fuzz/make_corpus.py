#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets, tests/fuzz/corpus/<target>/.

The output is committed; run this again after changing it:

    python3 tests/fuzz/make_corpus.py

Seeds are small and chosen to reach the parsers' paths: the golden vectors
of PROTOCOL.md section 2 byte for byte, typical frames, headers and bodies
of every message type, each msgpack form, the limits (depth 32 and 33,
counts that overrun the bytes, 0xc1, u64 above INT64_MAX) and the spec
files of specs/ with a few specs that use every item type. Files this
script did not write (regression inputs) are left alone.
"""

import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


class Raw(bytes):
    """Bytes put into a value as they are (a hand-made encoding)."""


class Bin(bytes):
    """msgpack bin."""


class Ext:
    def __init__(self, typ, data):
        self.typ, self.data = typ, data


class F32(float):
    """A float packed as float32."""


class U64(int):
    """An integer packed as uint64 whatever its size."""


def pack(v):
    """msgpack, smallest forms, as msgpack-c writes it."""
    if isinstance(v, Raw):
        return bytes(v)
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, U64):
        return b"\xcf" + struct.pack(">Q", v)
    if isinstance(v, int):
        return pack_int(v)
    if isinstance(v, F32):
        return b"\xca" + struct.pack(">f", v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, Bin):
        return pack_len(len(v), None, 0xc4, 0xc5, 0xc6) + bytes(v)
    if isinstance(v, (str, bytes)):
        b = v.encode() if isinstance(v, str) else v
        return pack_len(len(b), 0xa0, 0xd9, 0xda, 0xdb, 31) + b
    if isinstance(v, Ext):
        fixed = {1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8}
        n = len(v.data)
        if n in fixed:
            head = bytes([fixed[n]])
        else:
            head = pack_len(n, None, 0xc7, 0xc8, 0xc9)
        return head + struct.pack(">b", v.typ) + v.data
    if isinstance(v, list):
        return (pack_len(len(v), 0x90, None, 0xdc, 0xdd, 15) +
                b"".join(pack(x) for x in v))
    if isinstance(v, dict):
        return (pack_len(len(v), 0x80, None, 0xde, 0xdf, 15) +
                b"".join(pack(k) + pack(x) for k, x in v.items()))
    raise TypeError(v)


def pack_int(n):
    if 0 <= n <= 0x7f:
        return bytes([n])
    if -32 <= n < 0:
        return struct.pack(">b", n)
    if n >= 0:
        for tag, fmt, top in ((0xcc, ">B", 0xff), (0xcd, ">H", 0xffff),
                              (0xce, ">I", 0xffffffff)):
            if n <= top:
                return bytes([tag]) + struct.pack(fmt, n)
        return b"\xcf" + struct.pack(">Q", n)
    for tag, fmt, low in ((0xd0, ">b", -0x80), (0xd1, ">h", -0x8000),
                          (0xd2, ">i", -0x80000000)):
        if n >= low:
            return bytes([tag]) + struct.pack(fmt, n)
    return b"\xd3" + struct.pack(">q", n)


def pack_len(n, fix, t8, t16, t32, fixmax=None):
    """The header of a str/bin/array/map of n."""
    if fix is not None and n <= fixmax:
        return bytes([fix | n])
    if t8 is not None and n <= 0xff:
        return bytes([t8, n])
    if n <= 0xffff:
        return bytes([t16]) + struct.pack(">H", n)
    return bytes([t32]) + struct.pack(">I", n)


def frame(header, body=b""):
    """length:u32be | hlen:u16be | header | body (PROTOCOL.md 2)."""
    return struct.pack(">IH", 2 + len(header) + len(body), len(header)) + \
        header + body


def nested(depth, inner=1):
    """depth arrays, one inside the other, around inner."""
    return b"\x91" * depth + pack(inner)


# PROTOCOL.md section 2, byte for byte.
GOLDEN1 = bytes.fromhex("0000000c00018081a568656c6c6fa161")
GOLDEN2 = bytes.fromhex("00000011000f81a474797065a8676574"
                        "6c6e616d65")
assert GOLDEN1 == frame(pack({}), pack({"hello": "a"}))
assert GOLDEN2 == frame(pack({"type": "getlname"}))

LNAME = "65a1b2c3_1f@host"
HEADERS = {
    "golden1-empty": pack({}),
    "golden2-getlname": pack({"type": "getlname"}),
    "send-command": pack({"type": "send", "from": LNAME, "to": "*",
                          "group": "Hello", "instance": "*", "seq": 7,
                          "want_answer": True}),
    "answer": pack({"type": "send", "from": "msgq", "to": LNAME,
                    "group": "Hello", "instance": "*", "reply": 7}),
    "subscribe": pack({"type": "subscribe", "group": "Hello",
                       "instance": "*"}),
    "ping": pack({"type": "ping"}),
    "seq-negative": pack({"type": "send", "group": "G", "seq": -2**63}),
    "seq-u64": pack({"type": "send", "group": "G", "seq": U64(2**64 - 1),
                     "reply": U64(2**63)}),
    "seq-int8": pack({"type": "send", "seq": Raw(b"\xd0\x80")}),
    "unknown-keys": pack({"type": "send", "x-trace": [1, {"a": None}],
                          "x-bin": Bin(b"\x00\xff"), "x-ext": Ext(5, b"ab"),
                          "x-f": 1.5}),
    "want-answer-false": pack({"type": "send", "want_answer": False}),
    "str16-type": Raw(b"\x81\xa4type\xda\x00\x04send"),
    "map16": Raw(b"\xde\x00\x01\xa4type\xa4ping"),
    "bad-duplicate": Raw(b"\x82" + pack("type") + pack("a") +
                         pack("type") + pack("b")),
    "bad-seq-string": pack({"type": "send", "seq": "7"}),
    "bad-want-answer-int": pack({"type": "send", "want_answer": 1}),
    "bad-type-bin": pack({"type": Bin(b"send")}),
    "bad-key-int": Raw(b"\x82" + pack("type") + pack("a") + b"\x01\x02"),
    "bad-key-bin": Raw(b"\x81" + pack(Bin(b"type")) + pack("a")),
    "bad-no-type": pack({"group": "G"}),
    "bad-not-map": pack(["type", "send"]),
    "bad-trailing": pack({"type": "a"}) + b"\xc0",
    "bad-truncated": pack({"type": "send", "group": "Hello"})[:-3],
    "bad-c1": Raw(b"\x81\xa4type\xc1"),
    "bad-count": Raw(b"\xdf\xff\xff\xff\xff"),
    "deep-31": Raw(b"\x82\xa4type\xa1x\xa1n" + nested(31)),
    "deep-32": Raw(b"\x82\xa4type\xa1x\xa1n" + nested(32)),
}

VALUES = {
    "golden1-body": pack({"hello": "a"}),
    "nil": pack(None),
    "bools": pack([True, False]),
    "ints": pack([0, 127, 128, 255, 256, 65535, 65536, 2**32, 2**63 - 1,
                  -1, -32, -33, -128, -129, -32768, -32769, -2**31 - 1,
                  -2**63]),
    "uint-above-int64": pack(U64(2**63)),
    "floats": pack([F32(1.5), 0.1, -0.0, 1e308]),
    "float-nan": Raw(b"\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00"),
    "float32-inf": Raw(b"\xca\x7f\x80\x00\x00"),
    "strings": pack(["", "a" * 31, "b" * 32, "c" * 256, "\u00e9\u4e2d"]),
    "str-nul-invalid-utf8": Raw(b"\xa4a\x00\xff\xfe"),
    "bin": pack([Bin(b""), Bin(b"\x00\x01\xff"), Bin(b"x" * 300)]),
    "ext": pack([Ext(1, b"a"), Ext(-1, b"abcd"), Ext(2, b"abc")]),
    "map-keys-bin-nul": Raw(b"\x82" + pack(Bin(b"k\x00")) + b"\x01" +
                            pack("k") + b"\x02"),
    "map-key-int": Raw(b"\x81\x01\x02"),
    "map-duplicate-keys": Raw(b"\x82\xa1a\x01\xa1a\x02"),
    "array16-map16": Raw(b"\xdc\x00\x02\xde\x00\x01\xa1k\xc0\x90"),
    "array32": Raw(b"\xdd\x00\x00\x00\x01\x80"),
    "depth-32": nested(32),
    "depth-33": nested(33),
    "mixed-deep": pack({"a": [{"b": [{"c": [1, 2.5, None, "x"]}]}]}),
    "hostile-count": Raw(b"\xdd\x0f\xff\xff\xff"),
    "hostile-str32": Raw(b"\xdb\xff\xff\xff\xff" + b"a"),
    "truncated": pack({"hello": "world"})[:-2],
    "trailing": pack(1) + pack(2),
    "c1": Raw(b"\xc1"),
    "empty": b"",
}

BODIES = {
    "command": pack({"command": ["greet"]}),
    "command-args": pack({"command": ["echo", {"text": "hi", "n": 3}]}),
    "command-extra-key": pack({"command": ["x", None], "other": 1}),
    "answer-ok": pack({"result": [0]}),
    "answer-value": pack({"result": [0, {"lname": LNAME}]}),
    "answer-error": pack({"result": [1, "unknown command: x"]}),
    "answer-no-recipient": pack({"result": [-1, "No such recipient"]}),
    "answer-error-not-string": pack({"result": [1, [1, 2]]}),
    "answer-rcode-big": pack({"result": [2**31, "x"]}),
    "answer-rcode-min": pack({"result": [-2**31]}),
    "answer-rcode-string": pack({"result": ["0"]}),
    "notification": pack({"notification": ["connected",
                                           {"client": LNAME}]}),
    "notification-bare": pack({"notification": ["tick"]}),
    "list-empty": pack({"command": []}),
    "list-three": pack({"result": [0, 1, 2]}),
    "not-a-list": pack({"command": "greet"}),
    "all-three": pack({"command": ["a"], "result": [0], "notification":
                       ["b"]}),
    "name-bin-invalid-utf8": pack({"command": [Bin(b"\xff\xfe")]}),
    "data": pack({"running": "ConfigManager"}),
}

FRAMES = {
    "golden1": GOLDEN1,
    "golden2": GOLDEN2,
    "golden-both": GOLDEN1 + GOLDEN2,
    "command": frame(HEADERS["send-command"], BODIES["command-args"]),
    "answer": frame(HEADERS["answer"], BODIES["answer-value"]),
    "notification": frame(pack({"type": "send", "from": "msgq", "to": "*",
                                "group": "notifications/cc_members",
                                "instance": "*"}),
                          BODIES["notification"]),
    "ping-pong": frame(pack({"type": "ping"}), pack({"x": 1})) +
    frame(pack({"type": "pong"}), pack({"x": 1})),
    "bad-header-frame": frame(HEADERS["bad-seq-string"], pack(1)),
    "partial": GOLDEN1 + GOLDEN2[:9],
    "bad-hlen-zero": GOLDEN1 + bytes.fromhex("000000020000"),
    "bad-hlen-over": bytes.fromhex("0000000300020000"),
    "bad-length-short": bytes.fromhex("000000010001"),
    "bad-length-huge": GOLDEN2 + bytes.fromhex("ffffffff0001"),
    "over-16mib": bytes.fromhex("010000010001") + b"\x80",
}
# The first byte of a decoder input chooses the feeds and max_frame
# (fuzz_decoder.c): all at once, a byte at a time, random chunks, a small
# max_frame, frames taken out only at the end.
DECODER_MODES = {"whole": 0x00, "bytes": 0x01, "chunks": 0x07,
                 "max32": 0x23, "late": 0x85}

SPECS = {
    "minimal": '{"module_spec": {"module_name": "M"}}',
    "inner": '{"module_name": "M", "module_description": "d", '
             '"config_data": [], "commands": [], "statistics": []}',
    "config-example": '''{"module_spec": {
  "module_name": "Hello",
  "module_description": "Example module",
  "config_data": [
    {"item_name": "greeting", "item_type": "string",
     "item_optional": false, "item_default": "hello"},
    {"item_name": "interval", "item_type": "real",
     "item_optional": false, "item_default": 1.0},
    {"item_name": "peers", "item_type": "list", "item_optional": true,
     "list_item_spec": {"item_name": "peer", "item_type": "string",
                        "item_optional": false, "item_default": ""}}
  ],
  "commands": [
    {"command_name": "echo", "command_description": "Answer with the args",
     "command_args": [{"item_name": "text", "item_type": "string",
                       "item_optional": false, "item_default": ""}]}
  ],
  "statistics": [
    {"item_name": "echoes", "item_type": "integer", "item_optional": false,
     "item_default": 0, "item_title": "Echoes",
     "item_description": "Echo commands answered"}
  ]
}}''',
    "every-type": '''{"module_spec": {"module_name": "T", "config_data": [
  {"item_name": "i", "item_type": "integer", "item_optional": false,
   "item_default": -3},
  {"item_name": "b", "item_type": "boolean", "item_optional": false,
   "item_default": true},
  {"item_name": "a", "item_type": "any", "item_optional": true},
  {"item_name": "when", "item_type": "string", "item_optional": false,
   "item_default": "2024-02-29T23:59:60Z", "item_format": "date-time"},
  {"item_name": "day", "item_type": "string", "item_optional": true,
   "item_format": "date"},
  {"item_name": "at", "item_type": "string", "item_optional": true,
   "item_default": "12:00:00", "item_format": "time"},
  {"item_name": "m", "item_type": "map", "item_optional": false,
   "item_default": {},
   "map_item_spec": [
     {"item_name": "x", "item_type": "real", "item_optional": false,
      "item_default": 2},
     {"item_name": "n", "item_type": "map", "item_optional": false,
      "item_default": {"y": 1},
      "map_item_spec": [{"item_name": "y", "item_type": "integer",
                         "item_optional": false, "item_default": 0}]}]},
  {"item_name": "set", "item_type": "named_set", "item_optional": false,
   "item_default": {"one": {}},
   "named_set_item_spec": {"item_name": "e", "item_type": "map",
     "item_optional": false, "item_default": {},
     "map_item_spec": [{"item_name": "k", "item_type": "string",
                        "item_optional": false, "item_default": "v"}]}},
  {"item_name": "l", "item_type": "list", "item_optional": false,
   "item_default": [[1], []],
   "list_item_spec": {"item_name": "row", "item_type": "list",
     "item_optional": false, "item_default": [],
     "list_item_spec": {"item_name": "c", "item_type": "integer",
                        "item_optional": false, "item_default": 0}}}
]}}''',
    "commands": '''{"module_spec": {"module_name": "C", "commands": [
  {"command_name": "none", "command_args": []},
  {"command_name": "need", "command_description": "x", "command_args": [
    {"item_name": "n", "item_type": "integer", "item_optional": false,
     "item_default": 1}]},
  {"command_name": "opt", "command_args": [
    {"item_name": "s", "item_type": "string", "item_optional": true}]}
]}}''',
    "statistics": '''{"module_spec": {"module_name": "S", "statistics": [
  {"item_name": "n", "item_type": "integer", "item_optional": false,
   "item_default": 0, "item_title": "N", "item_description": "count"},
  {"item_name": "t", "item_type": "string", "item_optional": false,
   "item_default": "2020-01-01", "item_format": "date",
   "item_title": "T", "item_description": "day"}
]}}''',
    "bad-unknown-field": '{"module_spec": {"module_name": "M", '
                         '"config_data": [{"item_name": "a", "item_type": '
                         '"integer", "item_optinal": true}]}}',
    "bad-default-type": '{"module_spec": {"module_name": "M", '
                        '"config_data": [{"item_name": "a", "item_type": '
                        '"real", "item_optional": false, '
                        '"item_default": "x"}]}}',
    "bad-no-name": '{"module_spec": {"module_name": ""}}',
    "bad-not-object": '["module_spec"]',
}


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    for name, b in HEADERS.items():
        write("fuzz_header", name, b)
    for name, b in VALUES.items():
        write("fuzz_codec", name, b)
    for name, b in BODIES.items():
        write("fuzz_message", name, b)
    for name, b in FRAMES.items():
        for mode, byte in DECODER_MODES.items():
            write("fuzz_decoder", "%s.%s" % (name, mode),
                  bytes([byte]) + b)
    for name, text in SPECS.items():
        write("fuzz_spec", name + ".json", text)
    for f in sorted(os.listdir(os.path.join(TOP, "specs"))):
        if f.endswith(".spec"):
            with open(os.path.join(TOP, "specs", f), "rb") as src:
                write("fuzz_spec", f, src.read())
    return 0


if __name__ == "__main__":
    sys.exit(main())
