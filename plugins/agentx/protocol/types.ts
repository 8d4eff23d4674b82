/**
 * AgentX (RFC 2741) PDUs as plain data. The codec (`encode.ts`,
 * `decode.ts`) turns these into bytes and back; everything else in the
 * plugin works on these types only.
 *
 * @module
 */

/** An object identifier as its sub-identifiers (each 0..2^32-1). */
export type Oid = readonly number[];

/** PDU type codes (RFC 2741 §6.1). */
export const PduType = {
  Open: 1,
  Close: 2,
  Register: 3,
  Unregister: 4,
  Get: 5,
  GetNext: 6,
  GetBulk: 7,
  TestSet: 8,
  CommitSet: 9,
  UndoSet: 10,
  CleanupSet: 11,
  Notify: 12,
  Ping: 13,
  IndexAllocate: 14,
  IndexDeallocate: 15,
  AddAgentCaps: 16,
  RemoveAgentCaps: 17,
  Response: 18,
} as const;
/** A PDU type code. */
export type PduTypeCode = (typeof PduType)[keyof typeof PduType];

/** Header flag bits (RFC 2741 §6.1). */
export const Flags = {
  InstanceRegistration: 0x01,
  NewIndex: 0x02,
  AnyIndex: 0x04,
  NonDefaultContext: 0x08,
  NetworkByteOrder: 0x10,
} as const;

/** VarBind value type codes (RFC 2741 §5.4). */
export const ValueType = {
  Integer: 2,
  OctetString: 4,
  Null: 5,
  ObjectIdentifier: 6,
  IpAddress: 64,
  Counter32: 65,
  Gauge32: 66,
  TimeTicks: 67,
  Opaque: 68,
  Counter64: 70,
  NoSuchObject: 128,
  NoSuchInstance: 129,
  EndOfMibView: 130,
} as const;

/** Close reasons (RFC 2741 §6.2.2). */
export const CloseReason = {
  Other: 1,
  ParseError: 2,
  ProtocolError: 3,
  Timeouts: 4,
  Shutdown: 5,
  ByManager: 6,
} as const;

/** res.error values: AgentX administrative errors and the SNMP error-status values. */
export const ResponseError = {
  NoError: 0,
  GenErr: 5,
  NoAccess: 6,
  WrongType: 7,
  WrongLength: 8,
  WrongValue: 10,
  NoCreation: 11,
  InconsistentValue: 12,
  ResourceUnavailable: 13,
  CommitFailed: 14,
  UndoFailed: 15,
  NotWritable: 17,
  InconsistentName: 18,
  OpenFailed: 256,
  NotOpen: 257,
  IndexWrongType: 258,
  IndexAlreadyAllocated: 259,
  IndexNoneAvailable: 260,
  IndexNotAllocated: 261,
  UnsupportedContext: 262,
  DuplicateRegistration: 263,
  UnknownRegistration: 264,
  UnknownAgentCaps: 265,
  ParseError: 266,
  RequestDenied: 267,
  ProcessingError: 268,
} as const;

/** A VarBind value, tagged by its wire type. Counter64 is a bigint (exact to 2^64-1). */
export type Value =
  | { readonly type: 2; readonly value: number } // Integer (i32)
  | { readonly type: 4; readonly value: Uint8Array } // OctetString
  | { readonly type: 5 } // Null
  | { readonly type: 6; readonly value: Oid } // ObjectIdentifier
  | { readonly type: 64; readonly value: Uint8Array } // IpAddress (4 octets)
  | { readonly type: 65; readonly value: number } // Counter32 (u32)
  | { readonly type: 66; readonly value: number } // Gauge32 / Unsigned32 (u32)
  | { readonly type: 67; readonly value: number } // TimeTicks (u32)
  | { readonly type: 68; readonly value: Uint8Array } // Opaque
  | { readonly type: 70; readonly value: bigint } // Counter64 (u64)
  | { readonly type: 128 } // noSuchObject
  | { readonly type: 129 } // noSuchInstance
  | { readonly type: 130 }; // endOfMibView

/** One variable binding. */
export interface VarBind {
  readonly name: Oid;
  readonly value: Value;
}

/** A SearchRange: `start` (with its include flag) up to `end` (exclusive; empty = unbounded). */
export interface SearchRange {
  readonly start: Oid;
  readonly include: boolean;
  readonly end: Oid;
}

/** The 20-byte header, less `payload_length` (computed by the encoder). */
export interface Header {
  readonly type: PduTypeCode;
  /** All flag bits as received/sent; NETWORK_BYTE_ORDER selects big-endian for this PDU. */
  readonly flags: number;
  readonly sessionId: number;
  readonly transactionId: number;
  readonly packetId: number;
}

/** Fields every PDU has besides its payload; `context` only when NON_DEFAULT_CONTEXT is set. */
interface Base extends Header {
  readonly context?: Uint8Array;
}

/** A decoded or to-be-encoded AgentX PDU. */
export type Pdu =
  | (Base & { readonly type: 1; readonly timeout: number; readonly id: Oid; readonly description: Uint8Array })
  | (Base & { readonly type: 2; readonly reason: number })
  | (Base & {
      readonly type: 3;
      readonly timeout: number;
      readonly priority: number;
      readonly rangeSubid: number;
      readonly subtree: Oid;
      /** Present when rangeSubid ≠ 0. */
      readonly upperBound?: number;
    })
  | (Base & {
      readonly type: 4;
      readonly priority: number;
      readonly rangeSubid: number;
      readonly subtree: Oid;
      readonly upperBound?: number;
    })
  | (Base & { readonly type: 5 | 6; readonly ranges: readonly SearchRange[] })
  | (Base & {
      readonly type: 7;
      readonly nonRepeaters: number;
      readonly maxRepetitions: number;
      readonly ranges: readonly SearchRange[];
    })
  | (Base & { readonly type: 8 | 12 | 14 | 15; readonly varbinds: readonly VarBind[] })
  | (Base & { readonly type: 9 | 10 | 11 | 13 })
  | (Base & { readonly type: 16; readonly id: Oid; readonly description: Uint8Array })
  | (Base & { readonly type: 17; readonly id: Oid })
  | (Base & {
      readonly type: 18;
      readonly sysUpTime: number;
      readonly error: number;
      readonly index: number;
      readonly varbinds: readonly VarBind[];
    });

/** Why a PDU could not be decoded; `header` is set when the header itself was readable (to answer it). */
export class AgentxDecodeError extends Error {
  constructor(
    message: string,
    readonly header?: Header,
  ) {
    super(message);
    this.name = "AgentxDecodeError";
  }
}
