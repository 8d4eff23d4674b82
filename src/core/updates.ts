/**
 * PluginUpdate: what change plugins (debugger, umh, promoter) receive, one per
 * meaningful change. The "old"/"new" projections and their emit rules follow
 * upstream drbd-reactor (spec core.md §3.3–§3.5); `Helper` and `Rename` are
 * additions for lines upstream drops (COMPAT.md).
 *
 * @module
 */
import type {
  ConnectionFields,
  ConnectionState,
  Device,
  DiskState,
  EventType,
  PeerDevice,
  ReplicationState,
  Resource,
  ResourceFields,
  Role,
} from "../drbd/types.ts";

/** The part of a resource whose change is reported. */
export interface ResourceUpdateState {
  readonly role: Role;
  readonly mayPromote: boolean;
  readonly promotionScore: number;
}

/** The part of a device whose change is reported (`size` included, as upstream). */
export interface DeviceUpdateState {
  readonly diskState: DiskState;
  readonly client: boolean;
  readonly quorum: boolean;
  readonly size: number;
  readonly open: boolean;
}

/** The part of a peer device whose change is reported. */
export interface PeerDeviceUpdateState {
  readonly replicationState: ReplicationState;
  readonly peerDiskState: DiskState;
  readonly peerClient: boolean;
  readonly resyncSuspended: boolean;
}

/** The part of a connection whose change is reported. */
export interface ConnectionUpdateState {
  readonly connName: string;
  readonly connectionState: ConnectionState;
  readonly peerRole: Role;
  readonly congested: boolean;
}

/** Fields every state update carries. */
interface UpdateBase<K extends string, S> {
  readonly kind: K;
  /** The verb of the line that caused it (replay: see core/replay.ts). */
  readonly event: EventType;
  readonly resourceName: string;
  readonly old: S;
  readonly new: S;
  /** The resource as stored right after this change (immutable snapshot). */
  readonly resource: Resource;
}

/** A resource's role / may-promote / promotion-score changed (or it appeared/vanished). */
export type ResourceUpdate = UpdateBase<"resource", ResourceUpdateState>;
/** A local device changed. */
export interface DeviceUpdate extends UpdateBase<"device", DeviceUpdateState> {
  readonly volume: number;
}
/** A peer device changed. */
export interface PeerDeviceUpdate extends UpdateBase<"peer-device", PeerDeviceUpdateState> {
  readonly volume: number;
  readonly peerNodeId: number;
}
/** A connection changed. */
export interface ConnectionUpdate extends UpdateBase<"connection", ConnectionUpdateState> {
  readonly peerNodeId: number;
}

/**
 * DRBD called a user-mode helper (`call helper …`) or the helper returned
 * (`response helper … status:N`). Upstream drops these lines.
 */
export interface HelperUpdate {
  readonly kind: "helper";
  readonly event: "call" | "response";
  readonly resourceName: string;
  /** e.g. `fence-peer`, `split-brain`, `before-resync-target`. */
  readonly helper: string;
  readonly volume: number | null;
  readonly minor: number | null;
  readonly peerNodeId: number | null;
  readonly connName: string | null;
  /** Exit status; only on `response`. */
  readonly status: number | null;
  readonly resource: Resource;
}

/** A resource was renamed (`rename resource name:A new_name:B`); state moved to the new name. */
export interface RenameUpdate {
  readonly kind: "rename";
  readonly oldName: string;
  readonly resourceName: string;
  readonly resource: Resource;
}

/** Every update a change plugin can receive. */
export type PluginUpdate =
  | ResourceUpdate
  | DeviceUpdate
  | PeerDeviceUpdate
  | ConnectionUpdate
  | HelperUpdate
  | RenameUpdate;

/** Projection of a resource. */
export function resourceState(r: ResourceFields): ResourceUpdateState {
  return { role: r.role, mayPromote: r.mayPromote, promotionScore: r.promotionScore };
}

/** Projection of a device. */
export function deviceState(d: Device): DeviceUpdateState {
  return { diskState: d.diskState, client: d.client, quorum: d.quorum, size: d.size, open: d.open };
}

/** Projection of a peer device. */
export function peerDeviceState(p: PeerDevice): PeerDeviceUpdateState {
  return {
    replicationState: p.replication,
    peerDiskState: p.peerDisk,
    peerClient: p.peerClient,
    resyncSuspended: p.resyncSuspended,
  };
}

/** Projection of a connection. */
export function connectionState(c: ConnectionFields): ConnectionUpdateState {
  return { connName: c.connName, connectionState: c.connection, peerRole: c.peerRole, congested: c.congested };
}

/** Defaults reported as `old` for objects that did not exist. */
export const DEFAULT_RESOURCE_STATE: ResourceUpdateState = Object.freeze({
  role: "Unknown",
  mayPromote: false,
  promotionScore: 0,
});
/** @see DEFAULT_RESOURCE_STATE */
export const DEFAULT_DEVICE_STATE: DeviceUpdateState = Object.freeze({
  diskState: "DUnknown",
  client: false,
  quorum: false,
  size: 0,
  open: false,
});
/** @see DEFAULT_RESOURCE_STATE */
export const DEFAULT_PEER_DEVICE_STATE: PeerDeviceUpdateState = Object.freeze({
  replicationState: "Off",
  peerDiskState: "DUnknown",
  peerClient: false,
  resyncSuspended: false,
});
/** @see DEFAULT_RESOURCE_STATE */
export const DEFAULT_CONNECTION_STATE: ConnectionUpdateState = Object.freeze({
  connName: "",
  connectionState: "StandAlone",
  peerRole: "Unknown",
  congested: false,
});

/** Shallow equality of two projections (all fields are primitives). */
export function sameState<S extends object>(a: S, b: S): boolean {
  for (const k in a) if (a[k] !== b[k]) return false;
  return true;
}
