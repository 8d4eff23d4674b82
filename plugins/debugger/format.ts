/**
 * One JSON line per update, for `jq`. Keys follow upstream's serialized
 * names (kebab-case, spec core.md §3.3); the resource snapshot is left out
 * (it is large and `drbdsetup status --json` shows it better).
 *
 * @module
 */
import type { PluginUpdate } from "../../src/core/updates.ts";

type Json = Record<string, unknown>;

const KEBAB: Record<string, string> = {
  role: "role",
  mayPromote: "may-promote",
  promotionScore: "promotion-score",
  diskState: "disk-state",
  client: "client",
  quorum: "quorum",
  size: "size",
  open: "open",
  replicationState: "replication-state",
  peerDiskState: "peer-disk-state",
  peerClient: "peer-client",
  resyncSuspended: "resync-suspended",
  connName: "conn-name",
  connectionState: "connection-state",
  peerRole: "peer-role",
  congested: "congested",
};

function kebab(state: object): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(state)) out[KEBAB[k] ?? k] = v;
  return out;
}

const TYPE = {
  resource: "Resource",
  device: "Device",
  "peer-device": "PeerDevice",
  connection: "Connection",
  helper: "Helper",
  rename: "Rename",
} as const;

/** The JSON object the debugger logs for `u`. */
export function debugRecord(u: PluginUpdate): Json {
  switch (u.kind) {
    case "resource":
      return { type: TYPE[u.kind], event: u.event, resource: u.resourceName, old: kebab(u.old), new: kebab(u.new) };
    case "device":
      return { type: TYPE[u.kind], event: u.event, resource: u.resourceName, volume: u.volume, old: kebab(u.old), new: kebab(u.new) };
    case "peer-device":
      return {
        type: TYPE[u.kind],
        event: u.event,
        resource: u.resourceName,
        volume: u.volume,
        "peer-node-id": u.peerNodeId,
        old: kebab(u.old),
        new: kebab(u.new),
      };
    case "connection":
      return {
        type: TYPE[u.kind],
        event: u.event,
        resource: u.resourceName,
        "peer-node-id": u.peerNodeId,
        old: kebab(u.old),
        new: kebab(u.new),
      };
    case "helper":
      return {
        type: TYPE[u.kind],
        event: u.event === "call" ? "Call" : "Response",
        resource: u.resourceName,
        helper: u.helper,
        volume: u.volume,
        minor: u.minor,
        "peer-node-id": u.peerNodeId,
        "conn-name": u.connName,
        status: u.status,
      };
    case "rename":
      return { type: TYPE[u.kind], event: "Change", resource: u.resourceName, "old-name": u.oldName };
  }
}
