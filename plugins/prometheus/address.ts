/**
 * The `address` of `[[prometheus]]`, as upstream accepts it:
 * - `"ip:port"` / `"[v6]:port"` — an IP literal (no host names);
 * - `":port"` — every address: `[::]` (dual stack) first, `0.0.0.0` if IPv6 is off.
 *
 * @module
 */
import { isIP } from "node:net";

/** Where to listen. */
export type ListenAddress =
  | { readonly kind: "any"; readonly port: number }
  | { readonly kind: "ip"; readonly host: string; readonly port: number };

/** Upstream's default. */
export const DEFAULT_ADDRESS = ":9942";

function port(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

/** Parse `text`, or return why it is not an address. */
export function parseAddress(text: string): ListenAddress | { readonly error: string } {
  const expected = `expected "ip:port", "[ipv6]:port" or ":port"`;
  if (text.startsWith(":") && !text.startsWith("::")) {
    const p = port(text.slice(1));
    return p === null ? { error: `${expected}; port must be 0–65535` } : { kind: "any", port: p };
  }
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (v6) {
    const p = port(v6[2]!);
    if (isIP(v6[1]!) !== 6) return { error: `${expected}; "${v6[1]}" is not an IPv6 address` };
    return p === null ? { error: `${expected}; port must be 0–65535` } : { kind: "ip", host: v6[1]!, port: p };
  }
  const colon = text.lastIndexOf(":");
  if (colon > 0 && text.indexOf(":") === colon) {
    const host = text.slice(0, colon);
    const p = port(text.slice(colon + 1));
    if (isIP(host) !== 4) return { error: `${expected}; "${host}" is not an IPv4 address (host names are not accepted)` };
    return p === null ? { error: `${expected}; port must be 0–65535` } : { kind: "ip", host, port: p };
  }
  return { error: expected };
}

/** The address as users write it (and as it is serialised back). */
export function formatAddress(a: ListenAddress): string {
  if (a.kind === "any") return `:${a.port}`;
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
