/**
 * The objects one node's `drbdsetup events2` sees, as plain immutable data.
 *
 * These mirror what drbd-utils keeps per object (info + statistics) rather
 * than what the reactor parses: the formatter needs the raw pieces
 * (suspend reasons, blocked upper/lower, resync sectors) to print byte-exact
 * lines, and `may_promote`/`promotion_score` are *not* stored here because
 * drbdsetup computes them from its own copy of these objects (core.md §3.7).
 *
 * Arrays are always sorted: devices by volume, connections by peer node id,
 * peer devices by volume, paths by (local, peer).
 *
 * @module
 */
import type { ConnectionState, DiskState, ReplicationState, Role } from "../../src/drbd/types.ts";

/** Why I/O of a resource is suspended; all false prints `suspended:no`. */
export interface SuspendReasons {
  readonly user: boolean;
  readonly noData: boolean;
  readonly fencing: boolean;
  readonly quorum: boolean;
}

/** Why a resync is paused; all false prints `resync-suspended:no`. */
export interface ResyncSuspendReasons {
  readonly user: boolean;
  readonly peer: boolean;
  readonly dependency: boolean;
}

/** The resource object (one `resource` line). */
export interface ResourceRec {
  readonly name: string;
  /** This node's id in the resource (for `status --json`). */
  readonly nodeId: number;
  readonly role: Role;
  readonly suspended: SuspendReasons;
  readonly forceIoFailures: boolean;
  /** `none`, `drain`, `flush` or `barrier` (a statistic in drbd-utils). */
  readonly writeOrdering: string;
}

/** A local volume (one `device` line). Sizes and I/O in KiB. */
export interface DeviceRec {
  readonly name: string;
  readonly volume: number;
  readonly minor: number;
  readonly disk: DiskState;
  /** Intentionally diskless. */
  readonly client: boolean;
  /** Backing device path, null prints `backing_dev:none`. */
  readonly backingDev: string | null;
  readonly open: boolean;
  readonly quorum: boolean;
  readonly size: number;
  readonly read: number;
  readonly written: number;
  readonly alWrites: number;
  readonly bmWrites: number;
  readonly upperPending: number;
  readonly lowerPending: number;
  readonly alSuspended: boolean;
  readonly blockedUpper: boolean;
  readonly blockedLower: boolean;
}

/** A connection's own fields (one `connection` line). */
export interface ConnectionRec {
  readonly name: string;
  readonly peerNodeId: number;
  /** The peer's node name. */
  readonly connName: string;
  readonly connection: ConnectionState;
  /** The peer's role as seen over this connection. */
  readonly role: Role;
  /** `""`, `SplitBrain` or `Unrelated`; printed only while StandAlone. */
  readonly syncState: "" | "SplitBrain" | "Unrelated";
  readonly congested: boolean;
  readonly apInFlight: number;
  readonly rsInFlight: number;
}

/** One volume as seen over one connection (one `peer-device` line). */
export interface PeerDeviceRec {
  readonly name: string;
  readonly peerNodeId: number;
  readonly connName: string;
  readonly volume: number;
  readonly replication: ReplicationState;
  readonly peerDisk: DiskState;
  readonly peerClient: boolean;
  readonly resyncSuspended: ResyncSuspendReasons;
  /** KiB. */
  readonly received: number;
  /** KiB. */
  readonly sent: number;
  /** KiB. */
  readonly outOfSync: number;
  readonly pending: number;
  readonly unacked: number;
  /** Resync size in 512-byte sectors; 0 when no resync runs (no `done:`/`dbdt1:`/`eta:`). */
  readonly rsTotalSectors: number;
  /** Sectors synced in the most recent measuring window (drbd-utils "db1"). */
  readonly rsDb1Sectors: number;
  /** Length of that window in ms (drbd-utils "dt1"). */
  readonly rsDt1Ms: number;
  /**
   * The peer reported UUID_FLAG_STABLE. Not printed; drbd-utils keeps it with
   * the statistics and uses it for `may_promote` on diskless nodes.
   */
  readonly stable: boolean;
}

/** One network path of a connection (one `path` line). */
export interface PathRec {
  readonly name: string;
  readonly peerNodeId: number;
  readonly connName: string;
  /** e.g. `ipv4:10.0.0.1:7000`. */
  readonly local: string;
  readonly peer: string;
  readonly established: boolean;
}

/** A connection with its children. */
export interface ConnectionView {
  readonly connection: ConnectionRec;
  readonly peerDevices: readonly PeerDeviceRec[];
  readonly paths: readonly PathRec[];
}

/** Everything one node knows about one resource. */
export interface ResourceView {
  readonly resource: ResourceRec;
  readonly devices: readonly DeviceRec[];
  readonly connections: readonly ConnectionView[];
}

/** No suspension at all. */
export const NOT_SUSPENDED: SuspendReasons = { user: false, noData: false, fencing: false, quorum: false };

/** No paused resync. */
export const RESYNC_NOT_SUSPENDED: ResyncSuspendReasons = { user: false, peer: false, dependency: false };
