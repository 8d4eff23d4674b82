import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  AgentxDecodeError,
  decodePdu,
  encodePdu,
  Flags,
  type Oid,
  parseOid,
  type Pdu,
  PduType,
  type Value,
  ValueType,
} from "../../../../plugins/agentx/protocol/index.ts";
import { parseHex } from "../../../helpers/agentx-capture.ts";

const BE = Flags.NetworkByteOrder;
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
/** Expected hex as written below (spaces, `|` and `"text"` allowed), normalised for comparison. */
const hex = (s: string): string => toHex(parseHex(s));
const LINBIT = parseOid("1.3.6.1.4.1.23302");
const ids = { sessionId: 7, transactionId: 9, packetId: 0x0102 };

/** decode(encode(pdu)) must give pdu back. */
function roundTrip(pdu: Pdu): void {
  expect(decodePdu(encodePdu(pdu))).toEqual(pdu);
}

function decodeError(bytes: Uint8Array): AgentxDecodeError {
  try {
    decodePdu(bytes);
  } catch (e) {
    if (e instanceof AgentxDecodeError) return e;
    throw e;
  }
  throw new Error(`decoded without error: ${toHex(bytes)}`);
}

// Every vector: header = version 1, type, flags, reserved 0, sessionID 7,
// transactionID 9, packetID 0x0102, payload_length; then the payload, field
// by field. OID = n_subid, prefix, include, reserved, sub-ids; 1.3.6.1.4.1.23302
// compresses to `02 04 00 00 | 1 | 23302 (0x5b06)`.
interface Vector {
  readonly name: string;
  readonly pdu: (order: number) => Pdu;
  readonly be: string;
  readonly le: string;
}

const VECTORS: Vector[] = [
  {
    name: "Open",
    pdu: (o) => ({ type: PduType.Open, flags: o, ...ids, timeout: 60, id: LINBIT, description: ascii("ab") }),
    //   hdr                  sid      tid      pid      len=24 | timeout 60, 3 reserved | id                          | descr len 2, "ab", 2 pad
    be: `01 01 10 00 00000007 00000009 00000102 00000018 | 3c 000000 | 02040000 00000001 00005b06 | 00000002 6162 0000`,
    le: `01 01 00 00 07000000 09000000 02010000 18000000 | 3c 000000 | 02040000 01000000 065b0000 | 02000000 6162 0000`,
  },
  {
    name: "Close",
    pdu: (o) => ({ type: PduType.Close, flags: o, ...ids, reason: 5 }),
    //                                              len=4  | reason 5 (shutdown), 3 reserved
    be: `01 02 10 00 00000007 00000009 00000102 00000004 | 05 000000`,
    le: `01 02 00 00 07000000 09000000 02010000 04000000 | 05 000000`,
  },
  {
    name: "Register (context, instance registration, range)",
    pdu: (o) => ({
      type: PduType.Register,
      flags: o | Flags.NonDefaultContext | Flags.InstanceRegistration,
      ...ids,
      context: ascii("ctx"),
      timeout: 0,
      priority: 127,
      rangeSubid: 10,
      subtree: parseOid("1.3.6.1.2.1.2.2.1.1"),
      upperBound: 22,
    }),
    // flags 0x19/0x09 | len=40 | context len 3 "ctx" pad | timeout 0, priority 127, range_subid 10, reserved
    // | subtree 1.3.6.1.2.1.2.2.1.1 = prefix 2 + 5 sub-ids | upper_bound 22
    be: `01 03 19 00 00000007 00000009 00000102 00000028 | 00000003 "ctx" 00 | 00 7f 0a 00
         | 05020000 00000001 00000002 00000002 00000001 00000001 | 00000016`,
    le: `01 03 09 00 07000000 09000000 02010000 28000000 | 03000000 "ctx" 00 | 00 7f 0a 00
         | 05020000 01000000 02000000 02000000 01000000 01000000 | 16000000`,
  },
  {
    name: "Unregister",
    pdu: (o) => ({ type: PduType.Unregister, flags: o, ...ids, priority: 127, rangeSubid: 0, subtree: LINBIT }),
    // len=16 | reserved, priority 127, range_subid 0, reserved | subtree
    be: `01 04 10 00 00000007 00000009 00000102 00000010 | 00 7f 00 00 | 02040000 00000001 00005b06`,
    le: `01 04 00 00 07000000 09000000 02010000 10000000 | 00 7f 00 00 | 02040000 01000000 065b0000`,
  },
  {
    name: "Get",
    pdu: (o) => ({ type: PduType.Get, flags: o, ...ids, ranges: [{ start: [...LINBIT, 1, 1, 1], include: false, end: [] }] }),
    // len=28 | start 1.3.6.1.4.1.23302.1.1.1 (5 sub-ids after prefix 4) | end = null OID
    be: `01 05 10 00 00000007 00000009 00000102 0000001c | 05040000 00000001 00005b06 00000001 00000001 00000001 | 00000000`,
    le: `01 05 00 00 07000000 09000000 02010000 1c000000 | 05040000 01000000 065b0000 01000000 01000000 01000000 | 00000000`,
  },
  {
    name: "GetNext",
    pdu: (o) => ({ type: PduType.GetNext, flags: o, ...ids, ranges: [{ start: LINBIT, include: true, end: [...LINBIT.slice(0, 6), 23303] }] }),
    // len=24 | start with include=1 (third OID byte) | end 1.3.6.1.4.1.23303 (0x5b07)
    be: `01 06 10 00 00000007 00000009 00000102 00000018 | 02040100 00000001 00005b06 | 02040000 00000001 00005b07`,
    le: `01 06 00 00 07000000 09000000 02010000 18000000 | 02040100 01000000 065b0000 | 02040000 01000000 075b0000`,
  },
  {
    name: "GetBulk",
    pdu: (o) => ({ type: PduType.GetBulk, flags: o, ...ids, nonRepeaters: 1, maxRepetitions: 10, ranges: [{ start: [1, 3], include: false, end: [] }] }),
    // len=20 | non_repeaters 1, max_repetitions 10 (u16 each) | start 1.3 (too short to compress) | null end
    be: `01 07 10 00 00000007 00000009 00000102 00000014 | 0001 000a | 02000000 00000001 00000003 | 00000000`,
    le: `01 07 00 00 07000000 09000000 02010000 14000000 | 0100 0a00 | 02000000 01000000 03000000 | 00000000`,
  },
  {
    name: "TestSet",
    pdu: (o) => ({ type: PduType.TestSet, flags: o, ...ids, varbinds: [{ name: [...LINBIT, 9], value: { type: ValueType.Integer, value: -1 } }] }),
    // len=24 | type 2 (u16), reserved | name 1.3.6.1.4.1.23302.9 | Integer -1
    be: `01 08 10 00 00000007 00000009 00000102 00000018 | 0002 0000 | 03040000 00000001 00005b06 00000009 | ffffffff`,
    le: `01 08 00 00 07000000 09000000 02010000 18000000 | 0200 0000 | 03040000 01000000 065b0000 09000000 | ffffffff`,
  },
  {
    name: "CommitSet",
    pdu: (o) => ({ type: PduType.CommitSet, flags: o, ...ids }),
    be: `01 09 10 00 00000007 00000009 00000102 00000000`,
    le: `01 09 00 00 07000000 09000000 02010000 00000000`,
  },
  {
    name: "UndoSet",
    pdu: (o) => ({ type: PduType.UndoSet, flags: o, ...ids }),
    be: `01 0a 10 00 00000007 00000009 00000102 00000000`,
    le: `01 0a 00 00 07000000 09000000 02010000 00000000`,
  },
  {
    name: "CleanupSet",
    pdu: (o) => ({ type: PduType.CleanupSet, flags: o, ...ids }),
    be: `01 0b 10 00 00000007 00000009 00000102 00000000`,
    le: `01 0b 00 00 07000000 09000000 02010000 00000000`,
  },
  {
    name: "Notify",
    pdu: (o) => ({
      type: PduType.Notify,
      flags: o,
      ...ids,
      varbinds: [
        { name: parseOid("1.3.6.1.2.1.1.3.0"), value: { type: ValueType.TimeTicks, value: 100 } },
        { name: parseOid("1.3.6.1.6.3.1.1.4.1.0"), value: { type: ValueType.ObjectIdentifier, value: [...LINBIT, 0, 1] } },
      ],
    }),
    // len=80 | TimeTicks(67) sysUpTime.0 (prefix 2) = 100
    // | ObjectIdentifier(6) snmpTrapOID.0 (prefix 6) = 1.3.6.1.4.1.23302.0.1 (value OID compressed too)
    be: `01 0c 10 00 00000007 00000009 00000102 00000050
         | 0043 0000 | 04020000 00000001 00000001 00000003 00000000 | 00000064
         | 0006 0000 | 06060000 00000003 00000001 00000001 00000004 00000001 00000000
                     | 04040000 00000001 00005b06 00000000 00000001`,
    le: `01 0c 00 00 07000000 09000000 02010000 50000000
         | 4300 0000 | 04020000 01000000 01000000 03000000 00000000 | 64000000
         | 0600 0000 | 06060000 03000000 01000000 01000000 04000000 01000000 00000000
                     | 04040000 01000000 065b0000 00000000 01000000`,
  },
  {
    name: "Ping (context)",
    pdu: (o) => ({ type: PduType.Ping, flags: o | Flags.NonDefaultContext, ...ids, context: ascii("drbd") }),
    // flags 0x18/0x08 | len=8 | context len 4 "drbd" (no padding needed)
    be: `01 0d 18 00 00000007 00000009 00000102 00000008 | 00000004 "drbd"`,
    le: `01 0d 08 00 07000000 09000000 02010000 08000000 | 04000000 "drbd"`,
  },
  {
    name: "IndexAllocate (NEW_INDEX)",
    pdu: (o) => ({
      type: PduType.IndexAllocate,
      flags: o | Flags.NewIndex,
      ...ids,
      varbinds: [{ name: [...LINBIT, 5], value: { type: ValueType.OctetString, value: ascii("x") } }],
    }),
    // flags 0x12/0x02 | len=28 | OctetString(4) name .23302.5 | len 1 "x" 3 pad
    be: `01 0e 12 00 00000007 00000009 00000102 0000001c | 0004 0000 | 03040000 00000001 00005b06 00000005 | 00000001 "x" 000000`,
    le: `01 0e 02 00 07000000 09000000 02010000 1c000000 | 0400 0000 | 03040000 01000000 065b0000 05000000 | 01000000 "x" 000000`,
  },
  {
    name: "IndexDeallocate",
    pdu: (o) => ({ type: PduType.IndexDeallocate, flags: o, ...ids, varbinds: [{ name: [...LINBIT, 5], value: { type: ValueType.Integer, value: 3 } }] }),
    // len=24 | Integer(2) name .23302.5 = 3
    be: `01 0f 10 00 00000007 00000009 00000102 00000018 | 0002 0000 | 03040000 00000001 00005b06 00000005 | 00000003`,
    le: `01 0f 00 00 07000000 09000000 02010000 18000000 | 0200 0000 | 03040000 01000000 065b0000 05000000 | 03000000`,
  },
  {
    name: "AddAgentCaps",
    pdu: (o) => ({ type: PduType.AddAgentCaps, flags: o, ...ids, id: [...LINBIT, 2], description: ascii("caps") }),
    // len=24 | id 1.3.6.1.4.1.23302.2 | descr len 4 "caps"
    be: `01 10 10 00 00000007 00000009 00000102 00000018 | 03040000 00000001 00005b06 00000002 | 00000004 "caps"`,
    le: `01 10 00 00 07000000 09000000 02010000 18000000 | 03040000 01000000 065b0000 02000000 | 04000000 "caps"`,
  },
  {
    name: "RemoveAgentCaps",
    pdu: (o) => ({ type: PduType.RemoveAgentCaps, flags: o, ...ids, id: [...LINBIT, 2] }),
    be: `01 11 10 00 00000007 00000009 00000102 00000010 | 03040000 00000001 00005b06 00000002`,
    le: `01 11 00 00 07000000 09000000 02010000 10000000 | 03040000 01000000 065b0000 02000000`,
  },
  {
    name: "Response",
    pdu: (o) => ({
      type: PduType.Response,
      flags: o,
      ...ids,
      sysUpTime: 1234,
      error: 17,
      index: 1,
      varbinds: [{ name: [...LINBIT, 9], value: { type: ValueType.EndOfMibView } }],
    }),
    // len=28 | sysUpTime 1234 (0x4d2) | error 17 notWritable, index 1 (u16 each) | endOfMibView(130) name .23302.9, no data
    be: `01 12 10 00 00000007 00000009 00000102 0000001c | 000004d2 | 0011 0001 | 0082 0000 | 03040000 00000001 00005b06 00000009`,
    le: `01 12 00 00 07000000 09000000 02010000 1c000000 | d2040000 | 1100 0100 | 8200 0000 | 03040000 01000000 065b0000 09000000`,
  },
];

describe("byte vectors for every PDU type", () => {
  test("all 18 types are covered", () => {
    const types = new Set(VECTORS.map((v) => v.pdu(0).type));
    expect([...types].sort((a, b) => a - b)).toEqual(Object.values(PduType).sort((a, b) => a - b));
  });
  for (const v of VECTORS) {
    for (const [order, flag, expected] of [["BE", BE, v.be], ["LE", 0, v.le]] as const) {
      test(`${v.name} ${order}`, () => {
        const pdu = v.pdu(flag);
        expect(toHex(encodePdu(pdu))).toBe(hex(expected));
        expect(decodePdu(parseHex(expected))).toEqual(pdu);
        roundTrip(pdu);
      });
    }
  }
});

describe("observed wire examples (spec §3.3, §4)", () => {
  test("net-snmp's BE GetNext", () => {
    const bytes = parseHex("01 06 10 00 | 00000006 00000003 00000004 00000018 | 02 04 00 00 00000001 00005b06 | 02 04 00 00 00000001 00005b07");
    const pdu = decodePdu(bytes);
    expect(pdu).toEqual({
      type: PduType.GetNext,
      flags: BE,
      sessionId: 6,
      transactionId: 3,
      packetId: 4,
      ranges: [{ start: LINBIT, include: false, end: parseOid("1.3.6.1.4.1.23303") }],
    });
    expect(encodePdu(pdu)).toEqual(bytes);
  });

  test("the BE Response with ModuleVersion", () => {
    const bytes = parseHex(
      `01 12 10 00 | 00000006 00000003 00000004 00000030 | 00000000 0000 0000 |
       0004 0000 05 04 00 00 00000001 00005b06 00000001 00000001 00000001 | 00000006 "9.2.12" 0000`,
    );
    const pdu: Pdu = {
      type: PduType.Response,
      flags: BE,
      sessionId: 6,
      transactionId: 3,
      packetId: 4,
      sysUpTime: 0,
      error: 0,
      index: 0,
      varbinds: [{ name: [...LINBIT, 1, 1, 1], value: { type: ValueType.OctetString, value: ascii("9.2.12") } }],
    };
    expect(decodePdu(bytes)).toEqual(pdu);
    expect(encodePdu(pdu)).toEqual(bytes);
  });

  test("the BE Counter64 varbind (5000001000 = 0x1_2a05f5e8, high word first)", () => {
    const varbind = "0046 0000 07 04 00 00 00000001 00005b06 00000001 00000002 00000001 00000010 000003e8 | 00000001 2a05f5e8";
    const bytes = parseHex(`01 12 10 00 | 00000006 00000003 00000004 00000034 | 00000000 0000 0000 | ${varbind}`);
    const pdu = decodePdu(bytes);
    expect(pdu).toMatchObject({
      varbinds: [{ name: [...LINBIT, 1, 2, 1, 16, 1000], value: { type: ValueType.Counter64, value: 5000001000n } }],
    });
    expect(encodePdu(pdu)).toEqual(bytes);
  });

  const upstreamOpen = parseHex(
    `01 01 00 00 00000000 00000000 00000000 44000000 | 3c000000 | 07 00 00 00 01000000 03000000 06000000 01000000 04000000
     01000000 065b0000 | 1c000000 "DRBD by drbd-reactor::agentx"`,
  );
  const upstreamRegister = parseHex(
    `01 03 00 00 07000000 00000000 00000000 24000000 | 00 00 00 00 |
     07 00 00 00 01000000 03000000 06000000 01000000 04000000 01000000 065b0000`,
  );

  test("upstream's LE Open (88 bytes, id not prefix-compressed)", () => {
    expect(upstreamOpen.length).toBe(88);
    const pdu = decodePdu(upstreamOpen);
    expect(pdu).toEqual({
      type: PduType.Open,
      flags: 0,
      sessionId: 0,
      transactionId: 0,
      packetId: 0,
      timeout: 60,
      id: LINBIT,
      description: ascii("DRBD by drbd-reactor::agentx"),
    });
    // We compress the id, so our encoding is 20 bytes shorter but means the same.
    const ours = encodePdu(pdu);
    expect(ours.length).toBe(68);
    expect(decodePdu(ours)).toEqual(pdu);
  });

  test("upstream's LE Register (56 bytes)", () => {
    expect(upstreamRegister.length).toBe(56);
    expect(decodePdu(upstreamRegister)).toEqual({
      type: PduType.Register,
      flags: 0,
      sessionId: 7,
      transactionId: 0,
      packetId: 0,
      timeout: 0,
      priority: 0,
      rangeSubid: 0,
      subtree: LINBIT,
    });
  });
});

/** A one-varbind LE/BE Response around `value`, for value-level checks. */
function response(flags: number, value: Value, name: Oid = [...LINBIT, 9]): Pdu {
  return { type: PduType.Response, flags, ...ids, sysUpTime: 0, error: 0, index: 0, varbinds: [{ name, value }] };
}
/** The bytes after the Response header + fixed fields + varbind type/name (name .23302.9 = 16 bytes). */
function valueBytes(pdu: Pdu): string {
  return toHex(encodePdu(pdu).subarray(20 + 8 + 4 + 16));
}

describe("varbind values", () => {
  const all: Value[] = [
    { type: ValueType.Integer, value: -2147483648 },
    { type: ValueType.Integer, value: 2147483647 },
    { type: ValueType.OctetString, value: new Uint8Array(0) },
    { type: ValueType.OctetString, value: ascii("four") },
    { type: ValueType.OctetString, value: ascii("fives") },
    { type: ValueType.Null },
    { type: ValueType.ObjectIdentifier, value: [] },
    { type: ValueType.ObjectIdentifier, value: LINBIT },
    { type: ValueType.IpAddress, value: Uint8Array.of(127, 0, 0, 1) },
    { type: ValueType.Counter32, value: 4294967295 },
    { type: ValueType.Gauge32, value: 1024 },
    { type: ValueType.TimeTicks, value: 0 },
    { type: ValueType.Opaque, value: Uint8Array.of(0x9f, 0x78, 0x04) },
    { type: ValueType.Counter64, value: 0n },
    { type: ValueType.Counter64, value: 2n ** 53n + 1n },
    { type: ValueType.Counter64, value: 2n ** 64n - 1n },
    { type: ValueType.NoSuchObject },
    { type: ValueType.NoSuchInstance },
    { type: ValueType.EndOfMibView },
  ];
  test("every type round-trips in both byte orders, all in one PDU", () => {
    for (const flags of [0, BE]) {
      const varbinds = all.map((value, i) => ({ name: [...LINBIT, i], value }));
      const pdu: Pdu = { type: PduType.Response, flags, ...ids, sysUpTime: 5, error: 0, index: 0, varbinds };
      roundTrip(pdu);
    }
  });

  test("data bytes per type (BE | LE)", () => {
    const cases: Array<[Value, string, string]> = [
      [{ type: ValueType.Integer, value: -2 }, "fffffffe", "feffffff"],
      [{ type: ValueType.Integer, value: -2147483648 }, "80000000", "00000080"],
      [{ type: ValueType.OctetString, value: ascii("fives") }, "00000005 6669766573 000000", "05000000 6669766573 000000"],
      [{ type: ValueType.OctetString, value: new Uint8Array(0) }, "00000000", "00000000"],
      [{ type: ValueType.Null }, "", ""],
      [{ type: ValueType.ObjectIdentifier, value: [] }, "00000000", "00000000"],
      [{ type: ValueType.ObjectIdentifier, value: [1, 3] }, "02000000 00000001 00000003", "02000000 01000000 03000000"],
      [{ type: ValueType.IpAddress, value: Uint8Array.of(10, 0, 0, 1) }, "00000004 0a000001", "04000000 0a000001"],
      [{ type: ValueType.Counter32, value: 0xfffffffe }, "fffffffe", "feffffff"],
      [{ type: ValueType.Gauge32, value: 0x01020304 }, "01020304", "04030201"],
      [{ type: ValueType.TimeTicks, value: 1 }, "00000001", "01000000"],
      [{ type: ValueType.Opaque, value: Uint8Array.of(1, 2) }, "00000002 0102 0000", "02000000 0102 0000"],
      // u64 in the PDU's order: BE high word first; LE the whole value little-endian.
      [{ type: ValueType.Counter64, value: 0x0102030405060708n }, "01020304 05060708", "08070605 04030201"],
      [{ type: ValueType.Counter64, value: 2n ** 53n + 1n }, "00200000 00000001", "01000000 00002000"],
      [{ type: ValueType.Counter64, value: 2n ** 64n - 1n }, "ffffffff ffffffff", "ffffffff ffffffff"],
      [{ type: ValueType.NoSuchObject }, "", ""],
      [{ type: ValueType.NoSuchInstance }, "", ""],
      [{ type: ValueType.EndOfMibView }, "", ""],
    ];
    for (const [value, be, le] of cases) {
      expect(valueBytes(response(BE, value))).toBe(hex(be));
      expect(valueBytes(response(0, value))).toBe(hex(le));
      roundTrip(response(BE, value));
      roundTrip(response(0, value));
    }
  });

  test("Counter64 above 2^53 survives exactly", () => {
    for (const value of [2n ** 53n + 1n, 2n ** 64n - 1n, 18446744073709551614n]) {
      for (const flags of [0, BE]) {
        const back = decodePdu(encodePdu(response(flags, { type: ValueType.Counter64, value })));
        expect(back.type === PduType.Response && back.varbinds[0]!.value).toEqual({ type: ValueType.Counter64, value });
      }
    }
  });

  test("the varbind type code is a u16 in the PDU's order", () => {
    const b = encodePdu(response(BE, { type: ValueType.EndOfMibView }));
    const l = encodePdu(response(0, { type: ValueType.EndOfMibView }));
    expect(toHex(b.subarray(28, 32))).toBe("00820000");
    expect(toHex(l.subarray(28, 32))).toBe("82000000");
  });
});

describe("OIDs on the wire", () => {
  const nameBytes = (name: Oid, flags = BE): string => toHex(encodePdu(response(flags, { type: ValueType.Null }, name)).subarray(32));

  test("null OID is four zero bytes", () => {
    expect(nameBytes([])).toBe("00000000");
    roundTrip(response(BE, { type: ValueType.Null }, []));
  });

  test("prefix compression edges", () => {
    // 1.3.6.1.4 (length 5): everything is prefix, n_subid 0 but prefix 4 — not the null OID.
    expect(nameBytes([1, 3, 6, 1, 4])).toBe(hex("00 04 00 00"));
    // length 4 cannot be compressed.
    expect(nameBytes([1, 3, 6, 1])).toBe(hex("04 00 00 00 00000001 00000003 00000006 00000001"));
    // X = 0 and X = 256 are outside 1..255: sent in full.
    expect(nameBytes([1, 3, 6, 1, 0, 7])).toBe(hex("06 00 00 00 00000001 00000003 00000006 00000001 00000000 00000007"));
    expect(nameBytes([1, 3, 6, 1, 256])).toBe(hex("05 00 00 00 00000001 00000003 00000006 00000001 00000100"));
    // X = 1 and X = 255 are the extremes that do compress.
    expect(nameBytes([1, 3, 6, 1, 1, 2])).toBe(hex("01 01 00 00 00000002"));
    expect(nameBytes([1, 3, 6, 1, 255])).toBe(hex("00 ff 00 00"));
    // Not under 1.3.6.1.
    expect(nameBytes([1, 3, 6, 2, 4, 1])).toBe(hex("06 00 00 00 00000001 00000003 00000006 00000002 00000004 00000001"));
    for (const name of [[1, 3, 6, 1, 4], [1, 3, 6, 1], [1, 3, 6, 1, 0, 7], [1, 3, 6, 1, 256], [1, 3, 6, 1, 255], [0], [4294967295]]) {
      roundTrip(response(BE, { type: ValueType.Null }, name));
      roundTrip(response(0, { type: ValueType.Null }, name));
    }
  });

  test("decoding accepts the uncompressed form and a prefix with zero sub-ids", () => {
    const full = parseHex("01 12 10 00 00000007 00000009 00000102 00000024 | 00000000 0000 0000 | 0005 0000 | 05 00 00 00 00000001 00000003 00000006 00000001 00000004");
    const short = parseHex("01 12 10 00 00000007 00000009 00000102 00000010 | 00000000 0000 0000 | 0005 0000 | 00 04 00 00");
    expect(decodePdu(full)).toEqual(response(BE, { type: ValueType.Null }, [1, 3, 6, 1, 4]));
    expect(decodePdu(short)).toEqual(response(BE, { type: ValueType.Null }, [1, 3, 6, 1, 4]));
  });

  test("the include byte is written only for SearchRange starts", () => {
    const pdu: Pdu = {
      type: PduType.GetNext,
      flags: BE,
      ...ids,
      ranges: [
        { start: [1, 3], include: true, end: [1, 4] },
        { start: [1, 5], include: false, end: [] },
      ],
    };
    expect(toHex(encodePdu(pdu).subarray(20))).toBe(
      hex("02 00 01 00 00000001 00000003 | 02 00 00 00 00000001 00000004 | 02 00 00 00 00000001 00000005 | 00000000"),
    );
    roundTrip(pdu);
  });

  test("a 128-sub-id OID is the longest accepted, also with a prefix", () => {
    const long = Array.from({ length: 128 }, (_, i) => i);
    roundTrip(response(0, { type: ValueType.Null }, long));
    roundTrip(response(0, { type: ValueType.Null }, [1, 3, 6, 1, 4, ...long.slice(5)]));
  });

  test("include byte values other than 1 read as true; stray include bytes elsewhere are ignored", () => {
    // GetNext start include=7, end include=1 (net-snmp ignores both oddities).
    const bytes = parseHex("01 06 10 00 00000007 00000009 00000102 00000010 | 01 00 07 00 00000005 | 01 00 01 00 00000006");
    expect(decodePdu(bytes)).toEqual({ type: PduType.GetNext, flags: BE, ...ids, ranges: [{ start: [5], include: true, end: [6] }] });
  });
});

describe("contexts", () => {
  test("present only with NON_DEFAULT_CONTEXT", () => {
    const withCtx: Pdu = { type: PduType.Get, flags: Flags.NonDefaultContext, ...ids, context: ascii("c1"), ranges: [{ start: [1], include: false, end: [] }] };
    const without: Pdu = { type: PduType.Get, flags: 0, ...ids, ranges: [{ start: [1], include: false, end: [] }] };
    expect(toHex(encodePdu(withCtx).subarray(20, 28))).toBe(hex(`02000000 "c1" 0000`));
    roundTrip(withCtx);
    roundTrip(without);
    const decoded = decodePdu(encodePdu(without));
    expect("context" in decoded).toBe(false);
  });

  test("a context given without the flag is not sent", () => {
    const pdu: Pdu = { type: PduType.Ping, flags: 0, ...ids, context: ascii("ignored") };
    expect(encodePdu(pdu).length).toBe(20);
  });

  test("PDU types without a context ignore the flag (e.g. Response echoing request flags)", () => {
    const pdu: Pdu = { type: PduType.Response, flags: Flags.NonDefaultContext | BE, ...ids, sysUpTime: 0, error: 0, index: 0, varbinds: [] };
    expect(toHex(encodePdu(pdu))).toBe(hex("01 12 18 00 00000007 00000009 00000102 00000008 | 00000000 0000 0000"));
    roundTrip(pdu);
  });

  test("contexts on every type that carries one", () => {
    const context = ascii("a-context");
    const flags = Flags.NonDefaultContext;
    const pdus: Pdu[] = [
      { type: PduType.Register, flags, ...ids, context, timeout: 1, priority: 2, rangeSubid: 0, subtree: LINBIT },
      { type: PduType.Unregister, flags, ...ids, context, priority: 2, rangeSubid: 7, subtree: LINBIT, upperBound: 23310 },
      { type: PduType.GetNext, flags, ...ids, context, ranges: [] },
      { type: PduType.GetBulk, flags, ...ids, context, nonRepeaters: 0, maxRepetitions: 0, ranges: [] },
      { type: PduType.TestSet, flags, ...ids, context, varbinds: [] },
      { type: PduType.Notify, flags, ...ids, context, varbinds: [] },
      { type: PduType.IndexAllocate, flags: flags | Flags.AnyIndex, ...ids, context, varbinds: [] },
      { type: PduType.IndexDeallocate, flags, ...ids, context, varbinds: [] },
      { type: PduType.AddAgentCaps, flags, ...ids, context, id: [], description: new Uint8Array(0) },
      { type: PduType.RemoveAgentCaps, flags, ...ids, context, id: [1] },
    ];
    for (const pdu of pdus) {
      roundTrip(pdu);
      roundTrip({ ...pdu, flags: pdu.flags | BE });
    }
  });
});

describe("Register and Unregister ranges", () => {
  test("range_subid 0 has no upper_bound; nonzero has one", () => {
    const plain: Pdu = { type: PduType.Register, flags: 0, ...ids, timeout: 0, priority: 127, rangeSubid: 0, subtree: LINBIT };
    expect(encodePdu(plain).length).toBe(20 + 4 + 12);
    const range: Pdu = { ...plain, rangeSubid: 7, upperBound: 23310 };
    const bytes = encodePdu(range);
    expect(bytes.length).toBe(20 + 4 + 12 + 4);
    expect(toHex(bytes.subarray(20, 24))).toBe("007f0700");
    expect(toHex(bytes.subarray(36))).toBe("0e5b0000");
    roundTrip(plain);
    roundTrip(range);
  });

  test("encoder refuses inconsistent ranges", () => {
    const base = { type: PduType.Register, flags: 0, ...ids, timeout: 0, priority: 127, subtree: LINBIT } as const;
    expect(() => encodePdu({ ...base, rangeSubid: 7 })).toThrow("rangeSubid 7 needs an upperBound");
    expect(() => encodePdu({ ...base, rangeSubid: 0, upperBound: 5 })).toThrow("upperBound 5 given but rangeSubid is 0");
    expect(() => encodePdu({ ...base, rangeSubid: 8, upperBound: 5 })).toThrow("rangeSubid 8 exceeds the subtree's 7 sub-identifiers");
  });
});

describe("encoder refuses what it cannot represent", () => {
  const cases: Array<[string, Pdu, string]> = [
    ["sub-id too large", response(0, { type: ValueType.Null }, [1, 4294967296]), "OID sub-identifier 4294967296 is outside 0..4294967295"],
    ["negative sub-id", response(0, { type: ValueType.Null }, [1, -1]), "OID sub-identifier -1 is outside 0..4294967295"],
    ["fractional sub-id", response(0, { type: ValueType.Null }, [1.5]), "OID sub-identifier 1.5 is outside 0..4294967295"],
    ["too many sub-ids", response(0, { type: ValueType.Null }, new Array<number>(129).fill(1)), "OID sub-identifier count 129 exceeds 128"],
    ["Integer above i32", response(0, { type: ValueType.Integer, value: 2147483648 }), "Integer value 2147483648 is outside -2147483648..2147483647"],
    ["Integer below i32", response(0, { type: ValueType.Integer, value: -2147483649 }), "Integer value -2147483649 is outside -2147483648..2147483647"],
    ["Counter32 negative", response(0, { type: ValueType.Counter32, value: -1 }), "Counter32 value -1 is outside 0..4294967295"],
    ["Gauge32 above u32", response(0, { type: ValueType.Gauge32, value: 2 ** 32 }), "Gauge32 value 4294967296 is outside 0..4294967295"],
    ["TimeTicks NaN", response(0, { type: ValueType.TimeTicks, value: Number.NaN }), "TimeTicks value NaN is outside 0..4294967295"],
    ["Counter64 above u64", response(0, { type: ValueType.Counter64, value: 2n ** 64n }), "Counter64 value 18446744073709551616 is outside 0..18446744073709551615"],
    ["Counter64 negative", response(0, { type: ValueType.Counter64, value: -1n }), "Counter64 value -1 is outside 0..18446744073709551615"],
    ["IpAddress of 5 octets", response(0, { type: ValueType.IpAddress, value: new Uint8Array(5) }), "IpAddress length 5 is not 4"],
    ["sessionId above u32", { ...response(0, { type: ValueType.Null }), sessionId: 2 ** 32 }, "sessionId 4294967296 is outside 0..4294967295"],
    ["error above u16", { ...response(0, { type: ValueType.Null }), error: 65536 } as Pdu, "error 65536 is outside 0..65535"],
    ["reserved flag bit", { ...response(0, { type: ValueType.Null }), flags: 0x20 }, "flags 0x20 set reserved bits"],
    ["flags above u8", { ...response(0, { type: ValueType.Null }), flags: 0x110 }, "flags 272 is outside 0..255"],
    ["timeout above u8", { type: PduType.Open, flags: 0, ...ids, timeout: 256, id: [], description: new Uint8Array(0) }, "timeout 256 is outside 0..255"],
    ["unknown value type", response(0, { type: 3 } as unknown as Value), "unknown VarBind type 3"],
    ["unknown PDU type", { ...response(0, { type: ValueType.Null }), type: 19 } as unknown as Pdu, "unknown PDU type 19"],
    ["context flag without context", { type: PduType.Ping, flags: Flags.NonDefaultContext, ...ids }, "NON_DEFAULT_CONTEXT flag set but no context given"],
  ];
  for (const [name, pdu, message] of cases) {
    test(name, () => {
      expect(() => encodePdu(pdu)).toThrow(message);
    });
  }
});

describe("decoder errors", () => {
  // A valid LE GetNext to break: header, start .23302 include 0, end .23303.
  const good = "01 06 00 00 05000000 08000000 09000000 18000000 | 02040000 01000000 065b0000 | 02040000 01000000 075b0000";
  const header = { type: PduType.GetNext, flags: 0, sessionId: 5, transactionId: 8, packetId: 9 };
  const vb = (typeAndData: string, len: string) => parseHex(`01 12 00 00 05000000 08000000 09000000 ${len} | 00000000 0000 0000 | ${typeAndData}`);

  test("the unbroken PDU decodes", () => {
    expect(decodePdu(parseHex(good))).toMatchObject(header);
  });

  const cases: Array<[string, Uint8Array, string, boolean]> = [
    ["short header", parseHex("01 06 00 00 05000000"), "PDU of 8 bytes is shorter than the 20-byte header", false],
    ["version 2", parseHex(good.replace(/^01/, "02")), "AgentX version 2 is not 1", true],
    ["type 0", parseHex(good.replace(/^01 06/, "01 00")), "unknown PDU type 0", true],
    ["type 19", parseHex(good.replace(/^01 06/, "01 13")), "unknown PDU type 19", true],
    ["reserved flag bit", parseHex(good.replace(/^01 06 00/, "01 06 40")), "flags 0x40 set reserved bits", true],
    ["payload_length too long", parseHex(good.replace("18000000 |", "1c000000 |")), "payload_length 28 does not match the 24 bytes after the header", true],
    ["payload_length too short", parseHex(good.replace("18000000 |", "14000000 |")), "payload_length 20 does not match the 24 bytes after the header", true],
    [
      "payload_length not a multiple of 4",
      parseHex("01 0d 00 00 05000000 08000000 09000000 02000000 0000"),
      "payload_length 2 is not a multiple of 4",
      true,
    ],
    [
      "truncated OID sub-ids",
      parseHex("01 06 00 00 05000000 08000000 09000000 08000000 | 03040000 01000000"),
      "truncated SearchRange start sub-identifiers: needs 12 bytes at offset 24, 4 left",
      true,
    ],
    ["missing range end", parseHex("01 06 00 00 05000000 08000000 09000000 0c000000 | 02040000 01000000 065b0000"), "truncated SearchRange end header: needs 4 bytes at offset 32, 0 left", true],
    ["n_subid 200", parseHex("01 06 00 00 05000000 08000000 09000000 04000000 | c8000000"), "OID sub-identifier count 200 exceeds 128", true],
    ["n_subid 129", parseHex("01 06 00 00 05000000 08000000 09000000 04000000 | 81000000"), "OID sub-identifier count 129 exceeds 128", true],
    ["124 sub-ids + prefix", parseHex(`01 06 00 00 05000000 08000000 09000000 f4010000 | 7c040000 ${"00000000".repeat(124)}`), "OID sub-identifier count 129 exceeds 128", true],
    ["OctetString beyond payload", vb(`0400 0000 | 00000000 | 00010000`, "14000000"), "OctetString length 256 exceeds the 0 bytes left", true],
    ["OctetString huge length", vb(`0400 0000 | 00000000 | ffffffff 00000000`, "18000000"), "OctetString length 4294967295 exceeds the 4 bytes left", true],
    // (Padding itself can never be short: lengths and positions are multiples of 4.)
    ["OctetString one byte too long", vb(`0400 0000 | 00000000 | 05000000 "abcd"`, "18000000"), "OctetString length 5 exceeds the 4 bytes left", true],
    ["unknown varbind type", vb(`0300 0000 | 00000000`, "10000000"), "unknown VarBind type 3", true],
    ["truncated Integer", vb(`0200 0000 | 00000000`, "10000000"), "truncated Integer value: needs 4 bytes at offset 36, 0 left", true],
    ["truncated Counter64", vb(`4600 0000 | 00000000 | 01000000`, "14000000"), "truncated Counter64 value: needs 8 bytes at offset 36, 4 left", true],
    ["IpAddress of 8 octets", vb(`4000 0000 | 00000000 | 08000000 7f000001 7f000001`, "1c000000"), "IpAddress length 8 is not 4", true],
    ["Response without fixed fields", parseHex("01 12 00 00 05000000 08000000 09000000 04000000 | 00000000"), "truncated Response fields: needs 8 bytes at offset 20, 4 left", true],
    ["Close with extra bytes", parseHex("01 02 00 00 05000000 08000000 09000000 08000000 | 05000000 00000000"), "4 unexpected bytes after the Close payload", true],
    ["Close without reason", parseHex("01 02 00 00 05000000 08000000 09000000 00000000"), "truncated Close reason: needs 4 bytes at offset 20, 0 left", true],
    ["CommitSet with a payload", parseHex("01 09 00 00 05000000 08000000 09000000 04000000 | 00000000"), "4 unexpected bytes after the CommitSet payload", true],
    [
      "range_subid beyond the subtree",
      parseHex("01 03 00 00 05000000 08000000 09000000 14000000 | 00 7f 09 00 | 02040000 01000000 065b0000 | 00000000"),
      "range_subid 9 exceeds the subtree's 7 sub-identifiers",
      true,
    ],
    ["range without upper_bound", parseHex("01 03 00 00 05000000 08000000 09000000 10000000 | 00 7f 07 00 | 02040000 01000000 065b0000"), "truncated upper_bound: needs 4 bytes at offset 36, 0 left", true],
    ["context beyond payload", parseHex("01 0d 08 00 05000000 08000000 09000000 04000000 | 09000000"), "context length 9 exceeds the 0 bytes left", true],
    ["Open without description", parseHex("01 01 00 00 05000000 08000000 09000000 08000000 | 3c000000 | 00000000"), "truncated Open description length: needs 4 bytes at offset 28, 0 left", true],
  ];
  for (const [name, bytes, message, hasHeader] of cases) {
    test(name, () => {
      const e = decodeError(bytes);
      expect(e.message).toBe(message);
      expect(e.name).toBe("AgentxDecodeError");
      if (hasHeader) expect(e.header).toMatchObject({ sessionId: 5, transactionId: 8, packetId: 9 });
      else expect(e.header).toBeUndefined();
    });
  }

  test("the error header keeps the raw type and flags, in the PDU's byte order", () => {
    const e = decodeError(parseHex("01 13 10 00 00000005 00000008 00000009 00000000"));
    expect(e.header).toEqual({ type: 19 as never, flags: 0x10, sessionId: 5, transactionId: 8, packetId: 9 });
  });

  test("lenient where net-snmp is: reserved bytes, padding contents, header reserved byte", () => {
    // Header reserved byte 0xff, OID reserved byte 0xee, varbind reserved 0xdddd, OctetString padding 0xcc.
    const bytes = parseHex("01 12 00 ff 05000000 08000000 09000000 18000000 | 00000000 0000 0000 | 0400 dddd | 000000ee | 01000000 61cccccc");
    expect(decodePdu(bytes)).toEqual({
      type: PduType.Response,
      flags: 0,
      sessionId: 5,
      transactionId: 8,
      packetId: 9,
      sysUpTime: 0,
      error: 0,
      index: 0,
      varbinds: [{ name: [], value: { type: ValueType.OctetString, value: ascii("a") } }],
    });
  });

  test("decoded strings are copies, not views of the input", () => {
    const bytes = parseHex(`01 12 00 00 05000000 08000000 09000000 18000000 | 00000000 0000 0000 | 0400 0000 | 00000000 | 01000000 61000000`);
    const buf = Buffer.from(bytes);
    const pdu = decodePdu(buf);
    buf.fill(0);
    expect(pdu.type === PduType.Response && pdu.varbinds[0]!.value).toEqual({ type: ValueType.OctetString, value: ascii("a") });
  });

  test("decodes from a view with a byteOffset", () => {
    const bytes = parseHex(good);
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(decodePdu(padded.subarray(3))).toMatchObject(header);
  });
});

describe("PDUs captured from net-snmp 5.9.3 (test/fixtures/agentx)", () => {
  const dir = join(import.meta.dir, "../../../fixtures/agentx");
  const load = (name: string): Pdu => decodePdu(parseHex(readFileSync(join(dir, name), "utf8")));
  const range = (start: Oid, end: Oid = [], include = false) => ({ start, include, end });
  const END = parseOid("1.3.6.1.4.1.23303");

  test("every fixture decodes and re-encodes to the same bytes", () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".hex"));
    expect(files.length).toBeGreaterThanOrEqual(30);
    for (const f of files) {
      const bytes = parseHex(readFileSync(join(dir, f), "utf8"));
      const pdu = decodePdu(bytes);
      expect(pdu.flags, f).toBe(f.startsWith("be-") ? BE : 0);
      // net-snmp compresses prefixes exactly like we do, so the bytes match too.
      expect(toHex(encodePdu(pdu)), f).toBe(toHex(bytes));
    }
  });

  for (const [order, flags, sid] of [["le", 0, 5], ["be", BE, 7]] as const) {
    test(`${order}: Open and Register Responses`, () => {
      expect(load(`${order}-open-response.hex`)).toEqual({
        type: PduType.Response,
        flags,
        sessionId: sid,
        transactionId: 0,
        packetId: 1,
        sysUpTime: expect.any(Number), // differs from capture to capture
        error: 0,
        index: 0,
        varbinds: [{ name: LINBIT, value: { type: ValueType.OctetString, value: ascii(`agentx-capture ${order}`) } }],
      });
      expect(load(`${order}-register-response.hex`)).toMatchObject({
        type: PduType.Response,
        sessionId: sid,
        packetId: 2,
        error: 0,
        varbinds: [{ name: LINBIT, value: { type: ValueType.Null } }],
      });
    });

    test(`${order}: Get with 4 ranges (the OID outside the region is not forwarded)`, () => {
      const pdu = load(`${order}-get.hex`);
      expect(pdu).toMatchObject({ type: PduType.Get, flags, sessionId: sid });
      expect(pdu.type === PduType.Get && pdu.ranges).toEqual([
        range([...LINBIT, 1, 1, 1]),
        range([...LINBIT, 1, 2, 1, 16, 1000]),
        range([...LINBIT, 1, 2, 1, 99, 1000]),
        range([...LINBIT, 1, 1, 1, 0]),
      ]);
    });

    test(`${order}: GetNexts of snmpgetnext`, () => {
      expect(load(`${order}-getnext-before-region.hex`)).toMatchObject({ type: PduType.GetNext, ranges: [range(LINBIT, END, true)] });
      expect(load(`${order}-getnext-two.hex`)).toMatchObject({
        type: PduType.GetNext,
        ranges: [range([...LINBIT, 1, 1, 1], END), range([...LINBIT, 1, 2, 1, 1, 1000], END)],
      });
    });

    const walk = [
      LINBIT,
      [...LINBIT, 1, 1, 1],
      [...LINBIT, 1, 1, 2],
      [...LINBIT, 1, 2, 1, 1, 1000],
      [...LINBIT, 1, 2, 1, 1, 1001],
      [...LINBIT, 1, 2, 1, 2, 1000],
      [...LINBIT, 1, 2, 1, 2, 1001],
      [...LINBIT, 1, 2, 1, 16, 1000],
      [...LINBIT, 1, 2, 1, 16, 1001],
    ];
    test(`${order}: snmpwalk GetNexts, one transaction each`, () => {
      const pdus = walk.map((_, i) => load(`${order}-walk-getnext-${i + 1}.hex`));
      expect(pdus.map((p) => p.type === PduType.GetNext && p.ranges)).toEqual(walk.map((start) => [range(start, END)]));
      expect(new Set(pdus.map((p) => p.transactionId)).size).toBe(9);
    });

    test(`${order}: snmpbulkwalk -Cr4 GetNexts share a transaction per GetBulk`, () => {
      const pdus = walk.map((_, i) => load(`${order}-bulkwalk-getnext-${i + 1}.hex`));
      expect(pdus.map((p) => p.type === PduType.GetNext && p.ranges)).toEqual(walk.map((start) => [range(start, END)]));
      const tids = pdus.map((p) => p.transactionId);
      expect(new Set(tids.slice(0, 4)).size).toBe(1);
      expect(new Set(tids.slice(4, 8)).size).toBe(1);
      expect(new Set(tids).size).toBe(3);
    });

    test(`${order}: TestSet, then CleanupSet in the same transaction`, () => {
      const testSet = load(`${order}-set-testset.hex`);
      expect(testSet).toMatchObject({
        type: PduType.TestSet,
        flags,
        sessionId: sid,
        varbinds: [{ name: [...LINBIT, 1, 2, 1, 2, 1000], value: { type: ValueType.OctetString, value: ascii("r9") } }],
      });
      const cleanup = load(`${order}-set-cleanupset.hex`);
      expect(cleanup).toEqual({ type: PduType.CleanupSet, flags, sessionId: sid, transactionId: testSet.transactionId, packetId: testSet.packetId + 1 });
    });

    test(`${order}: Response to our Close`, () => {
      expect(load(`${order}-close-response.hex`)).toMatchObject({ type: PduType.Response, flags, sessionId: sid, packetId: 3, error: 0, index: 0, varbinds: [] });
    });
  }

  test("raw header bytes of the LE Get match the spec's observation (len=132)", () => {
    const bytes = parseHex(readFileSync(join(dir, "le-get.hex"), "utf8"));
    expect(toHex(bytes.subarray(0, 4))).toBe("01050000");
    expect(toHex(bytes.subarray(16, 20))).toBe("84000000");
  });
});
