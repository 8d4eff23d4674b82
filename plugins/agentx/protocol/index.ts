/**
 * The AgentX (RFC 2741) codec: PDU types, OID helpers, encoder, decoder and
 * stream framer.
 *
 * @module
 */
export * from "./types.ts";
export { compareOid, formatOid, MAX_SUBID, MAX_SUBIDS, oidStartsWith, parseOid } from "./oid.ts";
export { encodePdu } from "./encode.ts";
export { decodePdu } from "./decode.ts";
export { DEFAULT_MAX_PAYLOAD, PduFramer, type PduFramerOptions } from "./framer.ts";
export { HEADER_SIZE, pduTypeName } from "./wire.ts";
