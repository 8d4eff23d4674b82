import { describe, expect, test } from "bun:test";
import {
  AgentxDecodeError,
  decodePdu,
  encodePdu,
  Flags,
  type Pdu,
  PduFramer,
  PduType,
  ValueType,
} from "../../../../plugins/agentx/protocol/index.ts";
import { parseHex } from "../../../helpers/agentx-capture.ts";

const ids = { sessionId: 3, transactionId: 4, packetId: 5 };
const getNextBE: Pdu = {
  type: PduType.GetNext,
  flags: Flags.NetworkByteOrder,
  ...ids,
  ranges: [{ start: [1, 3, 6, 1, 4, 1, 23302], include: false, end: [1, 3, 6, 1, 4, 1, 23303] }],
};
const responseLE: Pdu = {
  type: PduType.Response,
  flags: 0,
  ...ids,
  sysUpTime: 9,
  error: 0,
  index: 0,
  varbinds: [{ name: [1, 3, 6, 1, 4, 1, 23302, 1, 1, 1], value: { type: ValueType.OctetString, value: new TextEncoder().encode("9.2.12") } }],
};
const cleanupLE: Pdu = { type: PduType.CleanupSet, flags: 0, ...ids };

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

function drain(framer: PduFramer): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let pdu = framer.next(); pdu !== null; pdu = framer.next()) out.push(pdu);
  return out;
}

describe("PduFramer", () => {
  const stream = concat(encodePdu(getNextBE), encodePdu(responseLE), encodePdu(cleanupLE));

  test("three PDUs of mixed byte order coalesced in one chunk", () => {
    const framer = new PduFramer();
    framer.push(stream);
    expect(drain(framer).map(decodePdu)).toEqual([getNextBE, responseLE, cleanupLE]);
    expect(framer.buffered).toBe(0);
    expect(framer.next()).toBeNull();
  });

  test("split at every byte position (two chunks)", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const framer = new PduFramer();
      const got: Uint8Array[] = [];
      framer.push(stream.subarray(0, cut));
      got.push(...drain(framer));
      framer.push(stream.subarray(cut));
      got.push(...drain(framer));
      expect(got.map(decodePdu)).toEqual([getNextBE, responseLE, cleanupLE]);
    }
  });

  test("one byte at a time", () => {
    const framer = new PduFramer();
    const got: Uint8Array[] = [];
    for (const b of stream) {
      framer.push(Uint8Array.of(b));
      got.push(...drain(framer));
    }
    expect(got.map(decodePdu)).toEqual([getNextBE, responseLE, cleanupLE]);
  });

  test("a header alone (payload still missing) is not a PDU", () => {
    const framer = new PduFramer();
    const bytes = encodePdu(getNextBE);
    framer.push(bytes.subarray(0, 20));
    expect(framer.next()).toBeNull();
    expect(framer.buffered).toBe(20);
    framer.push(bytes.subarray(20));
    expect(framer.next()).toEqual(bytes);
  });

  test("the payload length is read in each PDU's own byte order", () => {
    // 0x00000018 as LE would be 0x18000000 (402 MB) and exceed the limit.
    const framer = new PduFramer();
    framer.push(parseHex("01 06 10 00 00000003 00000004 00000005 00000018"));
    expect(framer.next()).toBeNull();
    const le = new PduFramer();
    le.push(parseHex("01 06 00 00 03000000 04000000 05000000 00000018"));
    expect(() => le.next()).toThrow("payload_length 402653184 exceeds the maximum of 1048576");
  });

  test("handed-out PDUs are not overwritten by later pushes", () => {
    const framer = new PduFramer();
    const first = encodePdu(responseLE);
    framer.push(first);
    const got = framer.next()!;
    for (let i = 0; i < 200; i++) {
      framer.push(encodePdu(getNextBE));
      framer.next();
    }
    expect(got).toEqual(first);
  });

  test("the pushed chunk may be reused by the caller", () => {
    const framer = new PduFramer();
    const chunk = encodePdu(responseLE);
    framer.push(chunk.subarray(0, 30));
    chunk.fill(0xff, 0, 30);
    framer.push(encodePdu(responseLE).subarray(30));
    expect(decodePdu(framer.next()!)).toEqual(responseLE);
  });

  test("many small PDUs in one chunk: linear time", () => {
    const one = encodePdu(cleanupLE);
    const count = 50_000;
    const big = new Uint8Array(one.length * count);
    for (let i = 0; i < count; i++) big.set(one, i * one.length);
    const framer = new PduFramer();
    const t0 = performance.now();
    framer.push(big);
    let n = 0;
    while (framer.next() !== null) n++;
    expect(n).toBe(count);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  test("payload_length not a multiple of 4 is fatal", () => {
    const framer = new PduFramer();
    framer.push(parseHex("01 0d 00 00 03000000 04000000 05000000 06000000"));
    expect(() => framer.next()).toThrow(new AgentxDecodeError("payload_length 6 is not a multiple of 4"));
  });

  test("payload_length above the maximum is fatal before the payload arrives", () => {
    const framer = new PduFramer();
    framer.push(parseHex("01 12 10 00 00000003 00000004 00000005 00100004"));
    expect(() => framer.next()).toThrow("payload_length 1048580 exceeds the maximum of 1048576");
    const small = new PduFramer({ maxPayload: 16 });
    small.push(encodePdu(getNextBE));
    let error: unknown;
    try {
      small.next();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AgentxDecodeError);
    expect((error as AgentxDecodeError).message).toBe("payload_length 24 exceeds the maximum of 16");
    expect((error as AgentxDecodeError).header).toBeUndefined();
  });

  test("exactly the maximum is accepted", () => {
    const framer = new PduFramer({ maxPayload: 24 });
    framer.push(encodePdu(getNextBE));
    expect(decodePdu(framer.next()!)).toEqual(getNextBE);
  });

  test("reset drops buffered bytes", () => {
    const framer = new PduFramer();
    framer.push(stream.subarray(0, 30));
    framer.reset();
    expect(framer.buffered).toBe(0);
    framer.push(encodePdu(cleanupLE));
    expect(decodePdu(framer.next()!)).toEqual(cleanupLE);
  });
});
