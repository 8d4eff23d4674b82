/**
 * What the subagent answers to each PDU the master sends (pure: a PDU in, a
 * PDU or nothing out). The session owns the socket; this owns the rules.
 *
 * @module
 */
import {
  Flags,
  type Pdu,
  PduType,
  ResponseError,
  type SearchRange,
  type VarBind,
} from "./protocol/types.ts";

/** The MIB operations the responder needs (implemented by `MibView`). */
export interface MibHandler {
  get(ranges: readonly SearchRange[]): VarBind[];
  getNext(ranges: readonly SearchRange[]): VarBind[];
  getBulk(nonRepeaters: number, maxRepetitions: number, ranges: readonly SearchRange[]): VarBind[];
}

/** Outcome of handling one request from the master. */
export type Reply =
  /** Send this Response. */
  | { readonly kind: "respond"; readonly pdu: Pdu }
  /** Send nothing (CleanupSet; a Response to a request of ours is handled by the session). */
  | { readonly kind: "silent" }
  /** The master closed the session: reconnect. */
  | { readonly kind: "closed"; readonly reason: number };

/** A Response echoing the request's IDs and byte order (RFC 2741 §7.2.4.1: the response copies them). */
export function responseTo(
  request: Pick<Pdu, "flags" | "sessionId" | "transactionId" | "packetId">,
  error: number,
  index: number,
  varbinds: readonly VarBind[],
): Pdu {
  return {
    type: PduType.Response,
    // Only the byte order carries over; the other flags describe the request.
    flags: request.flags & Flags.NetworkByteOrder,
    sessionId: request.sessionId,
    transactionId: request.transactionId,
    packetId: request.packetId,
    sysUpTime: 0,
    error,
    index,
    varbinds,
  };
}

/**
 * Answer one PDU from the master.
 *
 * Get, GetNext and GetBulk are served from `mib`; the MIB is read-only, so
 * TestSet fails with notWritable on its first varbind, CommitSet and UndoSet
 * succeed trivially and CleanupSet gets no response (RFC 2741 §7.2.4.1: it is
 * the one request without one). Requests for a non-default context get
 * unsupportedContext; PDU types a master never sends get processingError and
 * the session goes on.
 */
export function respond(pdu: Pdu, mib: MibHandler): Reply {
  const hasContext = (pdu.flags & Flags.NonDefaultContext) !== 0;
  switch (pdu.type) {
    case PduType.Get:
    case PduType.GetNext:
    case PduType.GetBulk: {
      if (hasContext) return { kind: "respond", pdu: responseTo(pdu, ResponseError.UnsupportedContext, 0, []) };
      const varbinds =
        pdu.type === PduType.GetBulk
          ? mib.getBulk(pdu.nonRepeaters, pdu.maxRepetitions, pdu.ranges)
          : pdu.type === PduType.Get
            ? mib.get(pdu.ranges)
            : mib.getNext(pdu.ranges);
      return { kind: "respond", pdu: responseTo(pdu, ResponseError.NoError, 0, varbinds) };
    }
    case PduType.TestSet:
      return { kind: "respond", pdu: responseTo(pdu, ResponseError.NotWritable, 1, []) };
    case PduType.CommitSet:
    case PduType.UndoSet:
      return { kind: "respond", pdu: responseTo(pdu, ResponseError.NoError, 0, []) };
    case PduType.CleanupSet:
      return { kind: "silent" };
    case PduType.Close:
      return { kind: "closed", reason: pdu.reason };
    case PduType.Response:
      return { kind: "silent" };
    default:
      return { kind: "respond", pdu: responseTo(pdu, ResponseError.ProcessingError, 0, []) };
  }
}
