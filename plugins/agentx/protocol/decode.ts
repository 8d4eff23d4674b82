/**
 * Bytes → PDU, for one complete PDU as the framer cuts it.
 *
 * Strict where a violation means the bytes cannot be understood (version,
 * type, lengths, counts, value types); lenient, like net-snmp, about reserved
 * bytes and stray `include` bytes, so nothing a real master sends is refused.
 *
 * @module
 */
import { MAX_SUBIDS } from "./oid.ts";
import {
  AgentxDecodeError,
  type Header,
  type Oid,
  type Pdu,
  PduType,
  type PduTypeCode,
  type SearchRange,
  type Value,
  type VarBind,
  ValueType,
} from "./types.ts";
import { AGENTX_VERSION, HEADER_SIZE, hasContext, isBigEndian, KNOWN_FLAGS, MAX_PDU_TYPE, pad4, pduTypeName } from "./wire.ts";

/** A cursor over one PDU; every read checks the bytes are there first. */
class Reader {
  private readonly view: DataView;
  pos = HEADER_SIZE;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly le: boolean,
    readonly header: Header,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get left(): number {
    return this.bytes.length - this.pos;
  }

  error(message: string): AgentxDecodeError {
    return new AgentxDecodeError(message, this.header);
  }

  need(count: number, what: string): void {
    if (this.left < count) throw this.error(`truncated ${what}: needs ${count} bytes at offset ${this.pos}, ${this.left} left`);
  }

  u8(): number {
    return this.bytes[this.pos++]!;
  }

  u16(): number {
    const v = this.view.getUint16(this.pos, this.le);
    this.pos += 2;
    return v;
  }

  u32(): number {
    const v = this.view.getUint32(this.pos, this.le);
    this.pos += 4;
    return v;
  }

  i32(): number {
    const v = this.view.getInt32(this.pos, this.le);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    const v = this.view.getBigUint64(this.pos, this.le);
    this.pos += 8;
    return v;
  }

  /** An OID; returns the include byte too (meaningful only for a SearchRange start). */
  oid(what: string): { oid: Oid; include: boolean } {
    this.need(4, `${what} header`);
    const count = this.u8();
    const prefix = this.u8();
    const include = this.u8() !== 0;
    this.pos++; // reserved
    const total = prefix === 0 ? count : count + 5;
    if (count > MAX_SUBIDS || total > MAX_SUBIDS) {
      throw this.error(`OID sub-identifier count ${count > MAX_SUBIDS ? count : total} exceeds ${MAX_SUBIDS}`);
    }
    this.need(4 * count, `${what} sub-identifiers`);
    const oid = new Array<number>(total);
    let i = 0;
    if (prefix !== 0) {
      // RFC 2741 §5.1: a nonzero prefix stands for 1.3.6.1.<prefix>.
      oid[0] = 1;
      oid[1] = 3;
      oid[2] = 6;
      oid[3] = 1;
      oid[4] = prefix;
      i = 5;
    }
    for (; i < total; i++) oid[i] = this.u32();
    return { oid, include };
  }

  octets(what: string): Uint8Array {
    this.need(4, `${what} length`);
    const length = this.u32();
    if (length > this.left) throw this.error(`${what} length ${length} exceeds the ${this.left} bytes left`);
    this.need(pad4(length), `${what} padding`);
    // A copy, so a decoded PDU never pins (or sees changes to) the read
    // buffer; not slice(), which on a Node Buffer returns a view.
    const value = new Uint8Array(length);
    value.set(this.bytes.subarray(this.pos, this.pos + length));
    this.pos += pad4(length);
    return value;
  }

  value(type: number): Value {
    switch (type) {
      case ValueType.Integer:
        this.need(4, "Integer value");
        return { type, value: this.i32() };
      case ValueType.OctetString:
        return { type, value: this.octets("OctetString") };
      case ValueType.Opaque:
        return { type, value: this.octets("Opaque") };
      case ValueType.IpAddress: {
        const value = this.octets("IpAddress");
        if (value.length !== 4) throw this.error(`IpAddress length ${value.length} is not 4`);
        return { type, value };
      }
      case ValueType.ObjectIdentifier:
        return { type, value: this.oid("ObjectIdentifier value").oid };
      case ValueType.Counter32:
      case ValueType.Gauge32:
      case ValueType.TimeTicks:
        this.need(4, "32-bit value");
        return { type, value: this.u32() };
      case ValueType.Counter64:
        this.need(8, "Counter64 value");
        return { type, value: this.u64() };
      case ValueType.Null:
      case ValueType.NoSuchObject:
      case ValueType.NoSuchInstance:
      case ValueType.EndOfMibView:
        return { type };
      default:
        throw this.error(`unknown VarBind type ${type}`);
    }
  }

  /** VarBinds up to the end of the payload. */
  varbinds(): VarBind[] {
    const list: VarBind[] = [];
    while (this.left > 0) {
      this.need(4, "VarBind type");
      const type = this.u16();
      this.pos += 2; // reserved
      const name = this.oid("VarBind name").oid;
      list.push({ name, value: this.value(type) });
    }
    return list;
  }

  /** SearchRanges up to the end of the payload. */
  ranges(): SearchRange[] {
    const list: SearchRange[] = [];
    while (this.left > 0) {
      const start = this.oid("SearchRange start");
      const end = this.oid("SearchRange end").oid;
      list.push({ start: start.oid, include: start.include, end });
    }
    return list;
  }

  /** Register/Unregister tail: subtree and, for a range registration, the upper bound. */
  registration(rangeSubid: number): { subtree: Oid; upperBound?: number } {
    const subtree = this.oid("subtree").oid;
    if (rangeSubid === 0) return { subtree };
    if (rangeSubid > subtree.length) {
      throw this.error(`range_subid ${rangeSubid} exceeds the subtree's ${subtree.length} sub-identifiers`);
    }
    this.need(4, "upper_bound");
    return { subtree, upperBound: this.u32() };
  }
}

function readHeader(bytes: Uint8Array): { header: Header; version: number; payloadLength: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = bytes[2]!;
  const le = !isBigEndian(flags);
  const header: Header = {
    // Possibly not a valid code: the header is still returned so the caller can answer it.
    type: bytes[1]! as PduTypeCode,
    flags,
    sessionId: view.getUint32(4, le),
    transactionId: view.getUint32(8, le),
    packetId: view.getUint32(12, le),
  };
  return { header, version: bytes[0]!, payloadLength: view.getUint32(16, le) };
}

function payload(r: Reader, type: PduTypeCode): Pdu {
  const h = r.header;
  const base = hasContext(type, h.flags)
    ? { flags: h.flags, sessionId: h.sessionId, transactionId: h.transactionId, packetId: h.packetId, context: r.octets("context") }
    : { flags: h.flags, sessionId: h.sessionId, transactionId: h.transactionId, packetId: h.packetId };
  switch (type) {
    case PduType.Open: {
      r.need(4, "Open timeout");
      const timeout = r.u8();
      r.pos += 3;
      const id = r.oid("Open id").oid;
      return { ...base, type: PduType.Open, timeout, id, description: r.octets("Open description") };
    }
    case PduType.Close: {
      r.need(4, "Close reason");
      const reason = r.u8();
      r.pos += 3;
      return { ...base, type: PduType.Close, reason };
    }
    case PduType.Register: {
      r.need(4, "Register fields");
      const timeout = r.u8();
      const priority = r.u8();
      const rangeSubid = r.u8();
      r.pos++;
      return { ...base, type: PduType.Register, timeout, priority, rangeSubid, ...r.registration(rangeSubid) };
    }
    case PduType.Unregister: {
      r.need(4, "Unregister fields");
      r.pos++;
      const priority = r.u8();
      const rangeSubid = r.u8();
      r.pos++;
      return { ...base, type: PduType.Unregister, priority, rangeSubid, ...r.registration(rangeSubid) };
    }
    case PduType.Get:
    case PduType.GetNext:
      return { ...base, type, ranges: r.ranges() };
    case PduType.GetBulk: {
      r.need(4, "GetBulk repetitions");
      const nonRepeaters = r.u16();
      const maxRepetitions = r.u16();
      return { ...base, type, nonRepeaters, maxRepetitions, ranges: r.ranges() };
    }
    case PduType.TestSet:
    case PduType.Notify:
    case PduType.IndexAllocate:
    case PduType.IndexDeallocate:
      return { ...base, type, varbinds: r.varbinds() };
    case PduType.CommitSet:
    case PduType.UndoSet:
    case PduType.CleanupSet:
    case PduType.Ping:
      return { ...base, type };
    case PduType.AddAgentCaps: {
      const id = r.oid("AgentCaps id").oid;
      return { ...base, type, id, description: r.octets("AgentCaps description") };
    }
    case PduType.RemoveAgentCaps:
      return { ...base, type, id: r.oid("AgentCaps id").oid };
    case PduType.Response: {
      r.need(8, "Response fields");
      const sysUpTime = r.u32();
      const error = r.u16();
      const index = r.u16();
      return { ...base, type, sysUpTime, error, index, varbinds: r.varbinds() };
    }
    default:
      throw r.error(`unknown PDU type ${String(type)}`);
  }
}

/**
 * Decode exactly one PDU (`bytes` = header + payload, as `PduFramer.next()`
 * returns it). The PDU's own NETWORK_BYTE_ORDER flag picks the byte order;
 * compressed OID prefixes are expanded; the null OID becomes `[]`.
 *
 * Throws only `AgentxDecodeError`; its `header` is set whenever the 20-byte
 * header could be read (even with a bad version or type), so the caller can
 * answer with parseError.
 */
export function decodePdu(bytes: Uint8Array): Pdu {
  if (bytes.length < HEADER_SIZE) {
    throw new AgentxDecodeError(`PDU of ${bytes.length} bytes is shorter than the ${HEADER_SIZE}-byte header`);
  }
  const { header, version, payloadLength } = readHeader(bytes);
  const fail = (message: string): never => {
    throw new AgentxDecodeError(message, header);
  };
  if (version !== AGENTX_VERSION) fail(`AgentX version ${version} is not ${AGENTX_VERSION}`);
  if (header.type < 1 || header.type > MAX_PDU_TYPE) fail(`unknown PDU type ${header.type}`);
  if ((header.flags & ~KNOWN_FLAGS) !== 0) fail(`flags 0x${header.flags.toString(16)} set reserved bits`);
  if (payloadLength !== bytes.length - HEADER_SIZE) {
    fail(`payload_length ${payloadLength} does not match the ${bytes.length - HEADER_SIZE} bytes after the header`);
  }
  if (payloadLength % 4 !== 0) fail(`payload_length ${payloadLength} is not a multiple of 4`);
  const r = new Reader(bytes, !isBigEndian(header.flags), header);
  let pdu: Pdu;
  try {
    pdu = payload(r, header.type);
  } catch (e) {
    if (e instanceof AgentxDecodeError) throw e;
    // Every read is length-checked, so this is a decoder bug; still keep the promise of one error type.
    throw new AgentxDecodeError(`internal decoder error: ${e instanceof Error ? e.message : String(e)}`, header);
  }
  if (r.left !== 0) fail(`${r.left} unexpected bytes after the ${pduTypeName(header.type)} payload`);
  return pdu;
}
