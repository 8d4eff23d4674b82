/**
 * Facts about the AgentX wire format shared by the encoder, the decoder and
 * the framer.
 *
 * @module
 */
import { Flags, PduType } from "./types.ts";

/** Bytes in every PDU header. */
export const HEADER_SIZE = 20;

/** The only protocol version (h.version). */
export const AGENTX_VERSION = 1;

/** Flag bits RFC 2741 defines; the others (5–7) are reserved. */
export const KNOWN_FLAGS = 0x1f;

/** Highest PDU type code. */
export const MAX_PDU_TYPE = PduType.Response;

/**
 * PDU types whose payload starts with a context when NON_DEFAULT_CONTEXT is
 * set (RFC 2741 §6.1.1). Open, Close, the Set phases after TestSet and
 * Response never carry one, whatever the flag says.
 */
const CONTEXT_TYPES: readonly boolean[] = (() => {
  const table = new Array<boolean>(MAX_PDU_TYPE + 1).fill(false);
  for (const t of [
    PduType.Register,
    PduType.Unregister,
    PduType.Get,
    PduType.GetNext,
    PduType.GetBulk,
    PduType.TestSet,
    PduType.Notify,
    PduType.Ping,
    PduType.IndexAllocate,
    PduType.IndexDeallocate,
    PduType.AddAgentCaps,
    PduType.RemoveAgentCaps,
  ]) {
    table[t] = true;
  }
  return table;
})();

/** Whether a PDU of `type` with `flags` has a context OctetString in its payload. */
export function hasContext(type: number, flags: number): boolean {
  return (flags & Flags.NonDefaultContext) !== 0 && CONTEXT_TYPES[type] === true;
}

/** Whether `flags` ask for big-endian integers. */
export function isBigEndian(flags: number): boolean {
  return (flags & Flags.NetworkByteOrder) !== 0;
}

/** `n` rounded up to a multiple of 4 (OctetString padding). */
export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Human name of a PDU type code, for messages. */
export function pduTypeName(type: number): string {
  for (const [name, code] of Object.entries(PduType)) if (code === type) return name;
  return `type ${type}`;
}
