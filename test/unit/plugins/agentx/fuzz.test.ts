import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
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

/** mulberry32: a tiny deterministic PRNG, so a failure reproduces from the seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 0x5eed_2741;
const CASES = 24_000;

const ids = { sessionId: 1, transactionId: 2, packetId: 3 };
const ascii = (s: string) => new TextEncoder().encode(s);
const L = [1, 3, 6, 1, 4, 1, 23302];
/** Valid PDUs of every type, covering every value type, contexts and ranges. */
const SAMPLES: Pdu[] = [
  { type: PduType.Open, flags: 0, ...ids, timeout: 60, id: L, description: ascii("fuzz") },
  { type: PduType.Close, flags: 0, ...ids, reason: 2 },
  { type: PduType.Register, flags: Flags.NonDefaultContext, ...ids, context: ascii("c"), timeout: 0, priority: 127, rangeSubid: 7, subtree: L, upperBound: 9 },
  { type: PduType.Unregister, flags: 0, ...ids, priority: 1, rangeSubid: 0, subtree: [1, 3] },
  { type: PduType.Get, flags: 0, ...ids, ranges: [{ start: [...L, 1], include: false, end: [] }, { start: [2], include: false, end: [] }] },
  { type: PduType.GetNext, flags: 0, ...ids, ranges: [{ start: L, include: true, end: [...L.slice(0, 6), 23303] }] },
  { type: PduType.GetBulk, flags: Flags.NonDefaultContext, ...ids, context: ascii("bulk"), nonRepeaters: 1, maxRepetitions: 5, ranges: [{ start: L, include: false, end: [] }] },
  { type: PduType.TestSet, flags: 0, ...ids, varbinds: [{ name: [...L, 1], value: { type: ValueType.OctetString, value: ascii("r9") } }] },
  { type: PduType.CommitSet, flags: 0, ...ids },
  { type: PduType.UndoSet, flags: 0, ...ids },
  { type: PduType.CleanupSet, flags: 0, ...ids },
  { type: PduType.Notify, flags: 0, ...ids, varbinds: [{ name: [1, 3, 6, 1, 2, 1, 1, 3, 0], value: { type: ValueType.TimeTicks, value: 5 } }] },
  { type: PduType.Ping, flags: Flags.NonDefaultContext, ...ids, context: ascii("ping") },
  { type: PduType.IndexAllocate, flags: Flags.AnyIndex, ...ids, varbinds: [{ name: [...L, 5], value: { type: ValueType.Integer, value: -5 } }] },
  { type: PduType.IndexDeallocate, flags: 0, ...ids, varbinds: [{ name: [...L, 5], value: { type: ValueType.Gauge32, value: 7 } }] },
  { type: PduType.AddAgentCaps, flags: 0, ...ids, id: [...L, 9], description: ascii("caps!") },
  { type: PduType.RemoveAgentCaps, flags: 0, ...ids, id: [] },
  {
    type: PduType.Response,
    flags: 0,
    ...ids,
    sysUpTime: 77,
    error: 0,
    index: 0,
    varbinds: [
      { name: [...L, 1], value: { type: ValueType.Integer, value: 42 } },
      { name: [...L, 2], value: { type: ValueType.OctetString, value: ascii("abc") } },
      { name: [...L, 3], value: { type: ValueType.Null } },
      { name: [...L, 4], value: { type: ValueType.ObjectIdentifier, value: L } },
      { name: [...L, 5], value: { type: ValueType.IpAddress, value: Uint8Array.of(10, 0, 0, 1) } },
      { name: [...L, 6], value: { type: ValueType.Counter32, value: 1 } },
      { name: [...L, 7], value: { type: ValueType.Gauge32, value: 2 } },
      { name: [...L, 8], value: { type: ValueType.TimeTicks, value: 3 } },
      { name: [...L, 9], value: { type: ValueType.Opaque, value: Uint8Array.of(1) } },
      { name: [...L, 10], value: { type: ValueType.Counter64, value: 2n ** 63n } },
      { name: [...L, 11], value: { type: ValueType.NoSuchObject } },
      { name: [...L, 12], value: { type: ValueType.NoSuchInstance } },
      { name: [...L, 13], value: { type: ValueType.EndOfMibView } },
    ],
  },
];

function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const last = SAMPLES[SAMPLES.length - 1]!;
  // One Response per value type, so a truncation often lands inside that value.
  const singles: Pdu[] = last.type === PduType.Response ? last.varbinds.map((vb) => ({ ...last, varbinds: [vb] })) : [];
  for (const pdu of [...SAMPLES, ...singles]) {
    out.push(encodePdu(pdu));
    out.push(encodePdu({ ...pdu, flags: pdu.flags | Flags.NetworkByteOrder }));
  }
  const dir = join(import.meta.dir, "../../../fixtures/agentx");
  for (const f of readdirSync(dir).filter((name) => name.endsWith(".hex"))) out.push(parseHex(readFileSync(join(dir, f), "utf8")));
  return out;
}

/** Make payload_length match the bytes (in the PDU's own order), so mutations reach the payload parser. */
function fixLength(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 20) return bytes;
  const aligned = bytes.length - ((bytes.length - 20) % 4);
  const out = bytes.slice(0, aligned);
  new DataView(out.buffer).setUint32(16, aligned - 20, (out[2]! & Flags.NetworkByteOrder) === 0);
  out[0] = 1;
  out[2] = out[2]! & 0x1f;
  return out;
}

function mutate(rand: () => number, corpus: Uint8Array[]): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  const choice = int(10);
  if (choice === 0) {
    // Pure noise of any length.
    return Uint8Array.from({ length: int(120) }, () => int(256));
  }
  let bytes = corpus[int(corpus.length)]!.slice();
  const edits = 1 + int(4);
  for (let e = 0; e < edits; e++) {
    const kind = int(6);
    if (kind <= 1 && bytes.length > 0) {
      bytes[int(bytes.length)] = int(256); // overwrite a byte
    } else if (kind === 2 && bytes.length > 0) {
      const i = int(bytes.length);
      bytes[i] = bytes[i]! ^ (1 << int(8)); // flip a bit
    } else if (kind === 3) {
      // Truncate anywhere, or just a little at the end (inside the last field).
      bytes = bytes.slice(0, rand() < 0.5 ? int(bytes.length + 1) : Math.max(0, bytes.length - 1 - int(12)));
    } else if (kind === 4) {
      const extra = Uint8Array.from({ length: int(16) }, () => int(256)); // extend
      const out = new Uint8Array(bytes.length + extra.length);
      out.set(bytes);
      out.set(extra, bytes.length);
      bytes = out;
    } else if (bytes.length > 24) {
      // Small numbers in count/length positions hit the interesting branches.
      bytes[20 + int(bytes.length - 20)] = [0, 1, 4, 5, 127, 128, 129, 255][int(8)]!;
    }
  }
  return rand() < 0.6 ? fixLength(bytes) : bytes;
}

test(`fuzz: ${CASES} mutated and random PDUs through PduFramer + decodePdu (seed 0x${SEED.toString(16)})`, () => {
  const rand = mulberry32(SEED);
  const corpus = seeds();
  const failures: string[] = [];
  let decoded = 0;
  let rejected = 0;
  const started = performance.now();

  const check = (bytes: Uint8Array, where: string): void => {
    let pdu: Pdu;
    try {
      pdu = decodePdu(bytes);
    } catch (e) {
      if (!(e instanceof AgentxDecodeError) || e.message.startsWith("internal")) {
        failures.push(`${where}: ${String(e)} for ${Buffer.from(bytes).toString("hex")}`);
      }
      rejected++;
      return;
    }
    decoded++;
    try {
      const again = decodePdu(encodePdu(pdu));
      if (!Bun.deepEquals(again, pdu, true)) failures.push(`${where}: round trip differs for ${Buffer.from(bytes).toString("hex")}`);
    } catch (e) {
      failures.push(`${where}: re-encoding failed (${String(e)}) for ${Buffer.from(bytes).toString("hex")}`);
    }
  };

  for (let i = 0; i < CASES && failures.length < 5; i++) {
    const bytes = mutate(rand, corpus);
    check(bytes, `case ${i} direct`);

    // The same bytes as a stream in random chunks (plus a valid PDU behind them).
    const framer = new PduFramer({ maxPayload: 4096 });
    const stream = new Uint8Array(bytes.length + corpus[0]!.length);
    stream.set(bytes);
    stream.set(corpus[0]!, bytes.length);
    let at = 0;
    let frames = 0;
    try {
      while (at < stream.length) {
        const size = 1 + Math.floor(rand() * 64);
        framer.push(stream.subarray(at, at + size));
        at += size;
        for (let f = framer.next(); f !== null; f = framer.next()) {
          // Every frame consumes at least a header, so this bounds the loop.
          if (++frames > stream.length / 20 + 1) throw new Error("framer produced more frames than the stream can hold");
          check(f, `case ${i} framed`);
        }
      }
    } catch (e) {
      if (!(e instanceof AgentxDecodeError)) failures.push(`case ${i} framer: ${String(e)}`);
    }
  }

  expect(failures).toEqual([]);
  // The mix must exercise both outcomes substantially, or the fuzzer is not testing much.
  expect(decoded).toBeGreaterThan(CASES / 10);
  expect(rejected).toBeGreaterThan(CASES / 4);
  expect(performance.now() - started).toBeLessThan(5000);
});
