/**
 * PDU → bytes. The payload is laid out once by a measuring pass and once by
 * a writing pass over the same description (`payload`), so the two can never
 * disagree and the output is a single exact-size allocation.
 *
 * @module
 */
import { MAX_SUBID, MAX_SUBIDS } from "./oid.ts";
import { type Oid, type Pdu, PduType, type SearchRange, type Value, type VarBind, ValueType } from "./types.ts";
import { AGENTX_VERSION, HEADER_SIZE, hasContext, isBigEndian, KNOWN_FLAGS, MAX_PDU_TYPE, pad4 } from "./wire.ts";

const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** Where the payload description goes: the measuring pass or the writing pass. */
interface Sink {
  u8(value: number, what: string): void;
  u16(value: number, what: string): void;
  u32(value: number, what: string): void;
  i32(value: number, what: string): void;
  u64(value: bigint, what: string): void;
  /** `count` zero bytes (reserved fields). */
  zeros(count: number): void;
  oid(oid: Oid, include: boolean): void;
  octets(bytes: Uint8Array): void;
}

function fail(what: string, value: unknown, range: string): never {
  throw new Error(`${what} ${String(value)} is outside ${range}`);
}

/** Whether `oid` may be sent as `prefix` + rest (RFC 2741 §5.1: 1.3.6.1.X, 1 ≤ X ≤ 255). */
function compressible(oid: Oid): boolean {
  if (oid.length < 5 || oid[0] !== 1 || oid[1] !== 3 || oid[2] !== 6 || oid[3] !== 1) return false;
  const x = oid[4]!;
  return x >= 1 && x <= 255;
}

function checkOidLength(oid: Oid): void {
  if (oid.length > MAX_SUBIDS) throw new Error(`OID sub-identifier count ${oid.length} exceeds ${MAX_SUBIDS}`);
}

class Measure implements Sink {
  size = 0;
  u8(): void {
    this.size += 1;
  }
  u16(): void {
    this.size += 2;
  }
  u32(): void {
    this.size += 4;
  }
  i32(): void {
    this.size += 4;
  }
  u64(): void {
    this.size += 8;
  }
  zeros(count: number): void {
    this.size += count;
  }
  oid(oid: Oid): void {
    checkOidLength(oid);
    this.size += 4 + 4 * (compressible(oid) ? oid.length - 5 : oid.length);
  }
  octets(bytes: Uint8Array): void {
    this.size += 4 + pad4(bytes.length);
  }
}

class Write implements Sink {
  private readonly view: DataView;
  private readonly le: boolean;
  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
    bigEndian: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.le = !bigEndian;
  }
  u8(value: number, what: string): void {
    if ((value & 0xff) !== value) fail(what, value, "0..255");
    this.bytes[this.pos++] = value;
  }
  u16(value: number, what: string): void {
    if ((value & 0xffff) !== value) fail(what, value, "0..65535");
    this.view.setUint16(this.pos, value, this.le);
    this.pos += 2;
  }
  u32(value: number, what: string): void {
    if (value >>> 0 !== value) fail(what, value, `0..${MAX_SUBID}`);
    this.view.setUint32(this.pos, value, this.le);
    this.pos += 4;
  }
  i32(value: number, what: string): void {
    if ((value | 0) !== value) fail(what, value, "-2147483648..2147483647");
    this.view.setInt32(this.pos, value, this.le);
    this.pos += 4;
  }
  u64(value: bigint, what: string): void {
    if (typeof value !== "bigint" || value < 0n || value > U64_MAX) fail(what, value, `0..${U64_MAX}`);
    // RFC 2741 §5.4: the whole 64-bit value in the PDU's byte order.
    this.view.setBigUint64(this.pos, value, this.le);
    this.pos += 8;
  }
  zeros(count: number): void {
    // The buffer is freshly allocated and therefore already zero.
    this.pos += count;
  }
  oid(oid: Oid, include: boolean): void {
    const skip = compressible(oid) ? 5 : 0;
    this.bytes[this.pos] = oid.length - skip;
    this.bytes[this.pos + 1] = skip ? oid[4]! : 0;
    this.bytes[this.pos + 2] = include ? 1 : 0;
    this.pos += 4;
    for (let i = skip; i < oid.length; i++) this.u32(oid[i]!, "OID sub-identifier");
  }
  octets(bytes: Uint8Array): void {
    this.view.setUint32(this.pos, bytes.length, this.le);
    this.bytes.set(bytes, this.pos + 4);
    this.pos += 4 + pad4(bytes.length);
  }
}

function value(sink: Sink, v: Value): void {
  switch (v.type) {
    case ValueType.Integer:
      return sink.i32(v.value, "Integer value");
    case ValueType.OctetString:
    case ValueType.Opaque:
      return sink.octets(v.value);
    case ValueType.IpAddress:
      if (v.value.length !== 4) throw new Error(`IpAddress length ${v.value.length} is not 4`);
      return sink.octets(v.value);
    case ValueType.ObjectIdentifier:
      return sink.oid(v.value, false);
    case ValueType.Counter32:
      return sink.u32(v.value, "Counter32 value");
    case ValueType.Gauge32:
      return sink.u32(v.value, "Gauge32 value");
    case ValueType.TimeTicks:
      return sink.u32(v.value, "TimeTicks value");
    case ValueType.Counter64:
      return sink.u64(v.value, "Counter64 value");
    case ValueType.Null:
    case ValueType.NoSuchObject:
    case ValueType.NoSuchInstance:
    case ValueType.EndOfMibView:
      return;
    default:
      throw new Error(`unknown VarBind type ${String((v as { type: unknown }).type)}`);
  }
}

function varbinds(sink: Sink, list: readonly VarBind[]): void {
  for (const vb of list) {
    sink.u16(vb.value.type, "VarBind type");
    sink.zeros(2);
    sink.oid(vb.name, false);
    value(sink, vb.value);
  }
}

function ranges(sink: Sink, list: readonly SearchRange[]): void {
  for (const r of list) {
    sink.oid(r.start, r.include);
    sink.oid(r.end, false);
  }
}

function registration(sink: Sink, rangeSubid: number, subtree: Oid, upperBound: number | undefined): void {
  sink.oid(subtree, false);
  if (rangeSubid === 0) {
    if (upperBound !== undefined) throw new Error(`upperBound ${upperBound} given but rangeSubid is 0`);
    return;
  }
  // The master replaces sub-identifier number rangeSubid (1-based) with the range.
  if (rangeSubid > subtree.length) {
    throw new Error(`rangeSubid ${rangeSubid} exceeds the subtree's ${subtree.length} sub-identifiers`);
  }
  if (upperBound === undefined) throw new Error(`rangeSubid ${rangeSubid} needs an upperBound`);
  sink.u32(upperBound, "upperBound");
}

/** Describe `pdu`'s payload (after the header) to `sink`. */
function payload(sink: Sink, pdu: Pdu): void {
  if (hasContext(pdu.type, pdu.flags)) {
    if (pdu.context === undefined) throw new Error("NON_DEFAULT_CONTEXT flag set but no context given");
    sink.octets(pdu.context);
  }
  switch (pdu.type) {
    case PduType.Open:
      sink.u8(pdu.timeout, "timeout");
      sink.zeros(3);
      sink.oid(pdu.id, false);
      sink.octets(pdu.description);
      return;
    case PduType.Close:
      sink.u8(pdu.reason, "Close reason");
      sink.zeros(3);
      return;
    case PduType.Register:
      sink.u8(pdu.timeout, "timeout");
      sink.u8(pdu.priority, "priority");
      sink.u8(pdu.rangeSubid, "rangeSubid");
      sink.zeros(1);
      registration(sink, pdu.rangeSubid, pdu.subtree, pdu.upperBound);
      return;
    case PduType.Unregister:
      sink.zeros(1);
      sink.u8(pdu.priority, "priority");
      sink.u8(pdu.rangeSubid, "rangeSubid");
      sink.zeros(1);
      registration(sink, pdu.rangeSubid, pdu.subtree, pdu.upperBound);
      return;
    case PduType.GetBulk:
      sink.u16(pdu.nonRepeaters, "nonRepeaters");
      sink.u16(pdu.maxRepetitions, "maxRepetitions");
      ranges(sink, pdu.ranges);
      return;
    case PduType.Get:
    case PduType.GetNext:
      ranges(sink, pdu.ranges);
      return;
    case PduType.TestSet:
    case PduType.Notify:
    case PduType.IndexAllocate:
    case PduType.IndexDeallocate:
      varbinds(sink, pdu.varbinds);
      return;
    case PduType.CommitSet:
    case PduType.UndoSet:
    case PduType.CleanupSet:
    case PduType.Ping:
      return;
    case PduType.AddAgentCaps:
      sink.oid(pdu.id, false);
      sink.octets(pdu.description);
      return;
    case PduType.RemoveAgentCaps:
      sink.oid(pdu.id, false);
      return;
    case PduType.Response:
      sink.u32(pdu.sysUpTime, "sysUpTime");
      sink.u16(pdu.error, "error");
      sink.u16(pdu.index, "index");
      varbinds(sink, pdu.varbinds);
      return;
  }
}

/**
 * Encode one PDU, header included. Every integer goes out big-endian when
 * `pdu.flags` has NETWORK_BYTE_ORDER, little-endian otherwise. OIDs are
 * prefix-compressed where RFC 2741 allows it; the context is written only
 * for PDU types that carry one and only when NON_DEFAULT_CONTEXT is set.
 * Throws an `Error` naming the field and value when something cannot be
 * represented (a sub-identifier or count out of range, an Integer outside
 * i32, a Counter64 outside u64, …).
 */
export function encodePdu(pdu: Pdu): Uint8Array {
  const type: number = pdu.type;
  if (!Number.isInteger(type) || type < 1 || type > MAX_PDU_TYPE) throw new Error(`unknown PDU type ${type}`);
  // The decoder refuses reserved flag bits, so never produce them.
  if ((pdu.flags & 0xff & ~KNOWN_FLAGS) !== 0) throw new Error(`flags 0x${pdu.flags.toString(16)} set reserved bits`);
  const measure = new Measure();
  payload(measure, pdu);
  const bytes = new Uint8Array(HEADER_SIZE + measure.size);
  const w = new Write(bytes, 0, isBigEndian(pdu.flags));
  w.u8(AGENTX_VERSION, "version");
  w.u8(type, "PDU type");
  w.u8(pdu.flags, "flags");
  w.zeros(1);
  w.u32(pdu.sessionId, "sessionId");
  w.u32(pdu.transactionId, "transactionId");
  w.u32(pdu.packetId, "packetId");
  w.u32(measure.size, "payload_length");
  payload(w, pdu);
  if (w.pos !== bytes.length) throw new Error(`internal: wrote ${w.pos} of ${bytes.length} bytes`);
  return bytes;
}
