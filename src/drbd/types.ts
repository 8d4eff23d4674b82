/**
 * DRBD vocabulary as printed by `drbdsetup events2` (drbd-utils v9), and the
 * object model the reactor keeps per resource.
 *
 * Spellings are DRBD's own and case-sensitive (`DUnknown`, `UpToDate`,
 * `WFBitMapS`, `StandAlone`). Every enum is a `const` tuple so the parser,
 * the config schemas and the simulator share one list.
 *
 * ## Numbers
 * DRBD prints statistics as u64 (sizes and I/O in KiB). We store them as
 * JavaScript `number`: exact up to 2^53 KiB (8 EiB), which no DRBD device
 * size reaches and no counter reaches in decades of I/O at 10 GB/s. Larger
 * values (up to 2^64-1) are accepted and rounded to the nearest double; the
 * parser reports them so the daemon can say so once. Values outside u64 are a
 * bad integer and reject the line. See COMPAT.md ("Counters").
 *
 * @module
 */

/** Roles of a resource or of a peer. */
export const ROLES = ["Unknown", "Primary", "Secondary"] as const;
/** A resource or peer role. */
export type Role = (typeof ROLES)[number];

/** Disk states of a local device or of a peer's disk. */
export const DISK_STATES = [
  "Diskless",
  "Attaching",
  "Detaching",
  "Failed",
  "Negotiating",
  "Inconsistent",
  "Outdated",
  "DUnknown",
  "Consistent",
  "UpToDate",
] as const;
/** A disk state. */
export type DiskState = (typeof DISK_STATES)[number];

/** Connection states. */
export const CONNECTION_STATES = [
  "StandAlone",
  "Disconnecting",
  "Unconnected",
  "Timeout",
  "BrokenPipe",
  "NetworkFailure",
  "ProtocolError",
  "TearDown",
  "Connecting",
  "Connected",
] as const;
/** A connection state. */
export type ConnectionState = (typeof CONNECTION_STATES)[number];

/** Replication states of a peer device. */
export const REPLICATION_STATES = [
  "Off",
  "Established",
  "StartingSyncS",
  "StartingSyncT",
  "WFBitMapS",
  "WFBitMapT",
  "WFSyncUUID",
  "SyncSource",
  "SyncTarget",
  "VerifyS",
  "VerifyT",
  "PausedSyncS",
  "PausedSyncT",
  "Ahead",
  "Behind",
] as const;
/** A replication state. */
export type ReplicationState = (typeof REPLICATION_STATES)[number];

/**
 * Event types as written in configs (capitalised); the events2 verbs are the
 * lower-case forms `exists`, `create`, `change`, `destroy`.
 */
export const EVENT_TYPES = ["Exists", "Create", "Change", "Destroy"] as const;
/** An event type. */
export type EventType = (typeof EVENT_TYPES)[number];

/** The resource's own fields (one `resource` line). */
export interface ResourceFields {
  readonly name: string;
  readonly role: Role;
  /** True unless DRBD printed `no`/`false`; `user`, `quorum`, `user,quorum` … are true. */
  readonly suspended: boolean;
  readonly forceIoFailures: boolean;
  readonly writeOrdering: string;
  readonly mayPromote: boolean;
  readonly promotionScore: number;
}

/** A local volume (one `device` line, stored as-is: replace, never merge). */
export interface Device {
  readonly name: string;
  readonly volume: number;
  readonly minor: number;
  readonly diskState: DiskState;
  /** Intentionally diskless client. */
  readonly client: boolean;
  /** Backing block device, or null for `backing_dev:none`. */
  readonly backingDev: string | null;
  readonly quorum: boolean;
  readonly open: boolean;
  /** KiB. */
  readonly size: number;
  /** KiB. */
  readonly read: number;
  /** KiB. */
  readonly written: number;
  readonly alWrites: number;
  readonly bmWrites: number;
  readonly upperPending: number;
  readonly lowerPending: number;
  readonly alSuspended: boolean;
  /** `no`, `upper`, `lower`, `upper,lower`; "" when the line did not carry it. */
  readonly blocked: string;
}

/** A connection's own fields (one `connection` line). */
export interface ConnectionFields {
  readonly name: string;
  readonly peerNodeId: number;
  /** The peer's node name. */
  readonly connName: string;
  readonly connection: ConnectionState;
  readonly peerRole: Role;
  readonly congested: boolean;
  /** Raw kernel value (512-byte sectors per the DRBD user guide). */
  readonly apInFlight: number;
  readonly rsInFlight: number;
  /** `SplitBrain`, `Unrelated` … printed while StandAlone; "" when absent. */
  readonly syncState: string;
}

/** A peer's view of one volume (one `peer-device` line). */
export interface PeerDevice {
  readonly name: string;
  readonly connName: string;
  readonly volume: number;
  readonly peerNodeId: number;
  readonly replication: ReplicationState;
  readonly peerDisk: DiskState;
  readonly peerClient: boolean;
  readonly resyncSuspended: boolean;
  /** KiB. */
  readonly received: number;
  /** KiB. */
  readonly sent: number;
  /** KiB. */
  readonly outOfSync: number;
  readonly pending: number;
  readonly unacked: number;
  /** Resync progress in percent (`done:`), null when not resyncing. */
  readonly resyncDone: number | null;
  /** Estimated seconds to finish (`eta:`), null when absent or `nan`. */
  readonly resyncEta: number | null;
  /** Recent resync speed in MiB/s (`dbdt1:`), null when absent. */
  readonly resyncRate: number | null;
}

/** A network path of a connection (one `path` line). */
export interface Path {
  readonly name: string;
  readonly peerNodeId: number;
  readonly connName: string;
  /** e.g. `ipv4:10.0.0.1:7000`. */
  readonly local: string;
  readonly peer: string;
  readonly established: boolean;
}

/** A connection with its children, as stored. */
export interface Connection extends ConnectionFields {
  /** By volume, ascending. */
  readonly peerDevices: ReadonlyMap<number, PeerDevice>;
  /** By {@link pathKey}(local, peer), ordered by (local, peer). */
  readonly paths: ReadonlyMap<string, Path>;
}

/**
 * A resource with its children, as stored. Stored objects are never mutated:
 * every change builds new objects, so a `Resource` reference is a consistent
 * snapshot that plugins may keep.
 */
export interface Resource extends ResourceFields {
  /** By volume, ascending. */
  readonly devices: ReadonlyMap<number, Device>;
  /** By peer node id, ascending. */
  readonly connections: ReadonlyMap<number, Connection>;
}

/** Key of a path inside its connection: tokens never contain spaces. */
export function pathKey(local: string, peer: string): string {
  return `${local} ${peer}`;
}
