/**
 * Object identifiers: ordering, parsing and formatting.
 *
 * @module
 */
import type { Oid } from "./types.ts";

/** Most sub-identifiers an OID may have (SNMP's limit, which AgentX inherits). */
export const MAX_SUBIDS = 128;

/** Largest sub-identifier (they are unsigned 32-bit). */
export const MAX_SUBID = 0xffff_ffff;

/**
 * Order two OIDs the way SNMP does: sub-identifier by sub-identifier,
 * numerically; when one is a prefix of the other, the shorter sorts first.
 * Returns a negative number, 0 or a positive number.
 */
export function compareOid(a: Oid, b: Oid): number {
  // Hot path of every GetNext's binary search: plain indexed loop, no allocation.
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Whether `oid` equals `prefix` or lies below it in the tree. */
export function oidStartsWith(oid: Oid, prefix: Oid): boolean {
  if (prefix.length > oid.length) return false;
  for (let i = 0; i < prefix.length; i++) if (oid[i] !== prefix[i]) return false;
  return true;
}

/** Dotted form without a leading dot, e.g. `1.3.6.1.4.1.23302`; the null OID is `""`. */
export function formatOid(oid: Oid): string {
  return oid.join(".");
}

/**
 * Parse a dotted OID (`1.3.6.1…`, a leading dot is allowed). Throws naming
 * the text when it is empty, has an empty or non-decimal sub-identifier, a
 * sub-identifier above 2^32-1, or more than 128 sub-identifiers.
 */
export function parseOid(text: string): number[] {
  const body = text.startsWith(".") ? text.slice(1) : text;
  if (body === "") throw new Error(`OID "${text}" is empty`);
  const parts = body.split(".");
  if (parts.length > MAX_SUBIDS) {
    throw new Error(`OID "${text}": sub-identifier count ${parts.length} exceeds ${MAX_SUBIDS}`);
  }
  const oid: number[] = [];
  for (const part of parts) {
    // Digits only: Number() would also accept "", " 1", "0x10" and "1e3".
    if (!/^\d{1,10}$/.test(part)) throw new Error(`OID "${text}": sub-identifier "${part}" is not a decimal number`);
    const n = Number(part);
    if (n > MAX_SUBID) throw new Error(`OID "${text}": sub-identifier ${part} exceeds ${MAX_SUBID}`);
    oid.push(n);
  }
  return oid;
}
