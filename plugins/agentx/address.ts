/**
 * The `address` of `[[agentx]]`: where the master agent (net-snmp `snmpd`)
 * listens for subagents.
 *
 * - `unix:/path` or a bare `/path` — a Unix stream socket (net-snmp's own
 *   default is `/var/agentx/master`, which is this plugin's default);
 * - `tcp:host:port`, `host:port`, `[v6]:port` — TCP (upstream's only form;
 *   its default was `localhost:705`). Host names are resolved at connect time.
 *
 * @module
 */

/** Where to connect. */
export type AgentxAddress =
  | { readonly kind: "unix"; readonly path: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number };

/** net-snmp's stock `master agentx` socket. */
export const DEFAULT_AGENTX_ADDRESS = "unix:/var/agentx/master";

const EXPECTED = `expected "unix:/path", "/path", "tcp:host:port", "host:port" or "[ipv6]:port"`;

function port(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : null;
}

function tcp(text: string): AgentxAddress | { readonly error: string } {
  const v6 = /^\[([^\]]+)\]:([^:]*)$/.exec(text);
  const colon = text.lastIndexOf(":");
  const host = v6 ? v6[1]! : text.slice(0, colon);
  const portText = v6 ? v6[2]! : text.slice(colon + 1);
  if (!v6 && (colon <= 0 || text.indexOf(":") !== colon)) return { error: EXPECTED };
  if (host === "" || /\s/.test(host)) return { error: `${EXPECTED}; host "${host}" is not valid` };
  const p = port(portText);
  if (p === null) return { error: `${EXPECTED}; port "${portText}" must be 1–65535` };
  return { kind: "tcp", host, port: p };
}

/** Parse `text`, or return why it is not an AgentX master address. */
export function parseAgentxAddress(text: string): AgentxAddress | { readonly error: string } {
  if (text.startsWith("unix:") || text.startsWith("/")) {
    const path = text.startsWith("unix:") ? text.slice(5) : text;
    if (!path.startsWith("/")) return { error: `${EXPECTED}; the socket path "${path}" must be absolute` };
    // sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
    if (Buffer.byteLength(path) > 107) return { error: `the socket path "${path}" is longer than 107 bytes` };
    return { kind: "unix", path };
  }
  return tcp(text.startsWith("tcp:") ? text.slice(4) : text);
}

/** The address for messages: `unix:/path` or `tcp:host:port`. */
export function formatAgentxAddress(a: AgentxAddress): string {
  if (a.kind === "unix") return `unix:${a.path}`;
  return a.host.includes(":") ? `tcp:[${a.host}]:${a.port}` : `tcp:${a.host}:${a.port}`;
}
