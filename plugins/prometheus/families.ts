/**
 * Every metric family: name, type, HELP text and label names exactly as
 * upstream drbd-reactor exports them (spec monitoring.md §2.4/§2.5), plus
 * the new self-monitoring, resync and split-brain families. Pure: state in,
 * samples out; prom-client does the exposition (collector.ts).
 *
 * Label sets (in this order): R = name; C = name, conn_name, peer_node_id;
 * P = C + volume; D = name, volume, minor.
 *
 * @module
 */
import type { CoreView } from "../plugin.ts";
import type { Connection, Device, PeerDevice, Resource } from "../../src/drbd/types.ts";
import { CONNECTION_STATES, DISK_STATES, ROLES } from "../../src/drbd/types.ts";
import type { DrbdVersions } from "../../src/drbd/version.ts";

/** What one scrape is computed from. */
export interface ScrapeInput {
  /** Resources sorted by name. */
  readonly resources: readonly Resource[];
  readonly versions: DrbdVersions;
  readonly core: CoreView;
  readonly enums: boolean;
}

/** Receives one sample: label values in {@link Family.labels} order, and the value. */
export type Emit = (labelValues: readonly string[], value: number) => void;

/** One metric family. */
export interface Family {
  readonly name: string;
  readonly type: "gauge" | "counter";
  readonly help: string;
  readonly labels: readonly string[];
  /** Only exported with `enums = true`. */
  readonly enumsOnly?: boolean;
  collect(input: ScrapeInput, emit: Emit): void;
}

const R = ["name"] as const;
const C = ["name", "conn_name", "peer_node_id"] as const;
const P = [...C, "volume"] as const;
const D = ["name", "volume", "minor"] as const;
const b = (x: boolean): number => (x ? 1 : 0);

function eachResource(input: ScrapeInput, emit: Emit, value: (r: Resource) => number): void {
  for (const r of input.resources) emit([r.name], value(r));
}
function eachConnection(input: ScrapeInput, emit: Emit, value: (c: Connection) => number): void {
  for (const r of input.resources) {
    for (const c of r.connections.values()) emit([r.name, c.connName, String(c.peerNodeId)], value(c));
  }
}
function eachPeerDevice(input: ScrapeInput, emit: Emit, value: (p: PeerDevice) => number | null): void {
  for (const r of input.resources) {
    for (const c of r.connections.values()) {
      for (const p of c.peerDevices.values()) {
        const v = value(p);
        if (v !== null) emit([r.name, c.connName, String(c.peerNodeId), String(p.volume)], v);
      }
    }
  }
}
function eachDevice(input: ScrapeInput, emit: Emit, value: (d: Device) => number): void {
  for (const r of input.resources) {
    for (const d of r.devices.values()) emit([r.name, String(d.volume), String(d.minor)], value(d));
  }
}

const gauge = (name: string, help: string, labels: readonly string[], collect: Family["collect"]): Family => ({
  name,
  type: "gauge",
  help,
  labels,
  collect,
});
const counter = (name: string, help: string, labels: readonly string[], collect: Family["collect"]): Family => ({
  name,
  type: "counter",
  help,
  labels,
  collect,
});

/** Upstream's families, in upstream's documentation order. */
export const UPSTREAM_FAMILIES: readonly Family[] = [
  gauge("drbdreactor_up", "Boolean indicating whether or not drbdreactor is running. Always 1", [], (_, emit) => emit([], 1)),
  gauge("drbd_version", "Version of the loaded DRBD kernel module and DRBD utils", ["kmod", "utils"], (i, emit) =>
    emit([i.versions.kmod, i.versions.utils], 1),
  ),
  gauge("drbd_resource_resources", "Number of resources", [], (i, emit) => emit([], i.resources.length)),
  {
    ...gauge("drbd_resource_role", "DRBD role of the resource", [...R, "drbd_resource_role"], (i, emit) => {
      for (const r of i.resources) for (const role of ROLES) emit([r.name, role], b(r.role === role));
    }),
    enumsOnly: true,
  },
  gauge("drbd_resource_suspended", "Boolean whether the resource is suspended", R, (i, e) => eachResource(i, e, (r) => b(r.suspended))),
  gauge("drbd_resource_maypromote", "Boolean whether the resource may be promoted to Primary", R, (i, e) =>
    eachResource(i, e, (r) => b(r.mayPromote)),
  ),
  gauge("drbd_resource_promotionscore", "The promotion score (higher is better) for the resource", R, (i, e) =>
    eachResource(i, e, (r) => r.promotionScore),
  ),
  gauge(
    "drbd_resource_forceiofailures",
    "Boolean whether the resource is configured (could be temporarily) to force IO failures (e.g., during secondary --force)",
    R,
    (i, e) => eachResource(i, e, (r) => b(r.forceIoFailures)),
  ),
  {
    ...gauge("drbd_connection_state", "DRBD connection state", [...C, "drbd_connection_state"], (i, emit) => {
      for (const r of i.resources) {
        for (const c of r.connections.values()) {
          for (const s of CONNECTION_STATES) emit([r.name, c.connName, String(c.peerNodeId), s], b(c.connection === s));
        }
      }
    }),
    enumsOnly: true,
  },
  gauge(
    "drbd_peerdevice_outofsync_bytes",
    "Number of bytes currently out of sync with this peer, according to the bitmap that DRBD has for it",
    P,
    (i, e) => eachPeerDevice(i, e, (p) => p.outOfSync * 1024),
  ),
  counter("drbd_peerdevice_sent_bytes", "Number of bytes currently sent to this peer", P, (i, e) =>
    eachPeerDevice(i, e, (p) => p.sent * 1024),
  ),
  counter("drbd_peerdevice_received_bytes", "Number of bytes currently received from this peer", P, (i, e) =>
    eachPeerDevice(i, e, (p) => p.received * 1024),
  ),
  gauge(
    "drbd_connection_congested",
    "Boolean whether the TCP send buffer of the data connection is more than 80% filled",
    C,
    (i, e) => eachConnection(i, e, (c) => b(c.congested)),
  ),
  gauge("drbd_connection_apinflight_bytes", "Number of application requests in flight (not completed)", C, (i, e) =>
    eachConnection(i, e, (c) => c.apInFlight * 512),
  ),
  gauge("drbd_connection_rsinflight_bytes", "Number of resync requests in flight", C, (i, e) =>
    eachConnection(i, e, (c) => c.rsInFlight * 512),
  ),
  {
    ...gauge("drbd_device_state", "DRBD device state", [...D, "drbd_device_state"], (i, emit) => {
      for (const r of i.resources) {
        for (const d of r.devices.values()) {
          for (const s of DISK_STATES) emit([r.name, String(d.volume), String(d.minor), s], b(d.diskState === s));
        }
      }
    }),
    enumsOnly: true,
  },
  gauge("drbd_device_client", "Boolean whether this device is a client (i.e., intentional diskless)", D, (i, e) =>
    eachDevice(i, e, (d) => b(d.client)),
  ),
  gauge("drbd_device_unintentionaldiskless", "Boolean whether the devices is unintentional diskless", D, (i, e) =>
    eachDevice(i, e, (d) => b(!d.client && d.diskState === "Diskless")),
  ),
  gauge("drbd_device_quorum", "Boolean if this device has DRBD quorum", D, (i, e) => eachDevice(i, e, (d) => b(d.quorum))),
  gauge("drbd_device_open", "Boolean if this device is opened", D, (i, e) => eachDevice(i, e, (d) => b(d.open))),
  gauge("drbd_device_size_bytes", "Device size in bytes", D, (i, e) => eachDevice(i, e, (d) => d.size * 1024)),
  counter("drbd_device_read_bytes_total", "Net data read from local hard disk", D, (i, e) => eachDevice(i, e, (d) => d.read * 1024)),
  counter("drbd_device_written_bytes_total", "Net data written on local disk", D, (i, e) =>
    eachDevice(i, e, (d) => d.written * 1024),
  ),
  counter("drbd_device_alwrites_total", "Number of updates of the activity log area of the meta data", D, (i, e) =>
    eachDevice(i, e, (d) => d.alWrites),
  ),
  counter("drbd_device_bmwrites_total", "Number of updates of the bitmap area of the meta data", D, (i, e) =>
    eachDevice(i, e, (d) => d.bmWrites),
  ),
  gauge(
    "drbd_device_upperpending",
    "Number of block I/O requests forwarded to DRBD, but not yet answered by DRBD.",
    D,
    (i, e) => eachDevice(i, e, (d) => d.upperPending),
  ),
  gauge("drbd_device_lowerpending", "Number of open requests to the local I/O sub-system issued by DRBD", D, (i, e) =>
    eachDevice(i, e, (d) => d.lowerPending),
  ),
  gauge("drbd_device_alsuspended", "Boolean whether the Activity-Log is suspended", D, (i, e) =>
    eachDevice(i, e, (d) => b(d.alSuspended)),
  ),
];

/** Families this implementation adds (lint-clean names; see README). */
export const NEW_FAMILIES: readonly Family[] = [
  gauge("drbdreactor_plugin_up", "Whether a configured plugin instance runs (0 while it waits to be restarted)", ["kind", "source"], (i, emit) => {
    for (const p of i.core.plugins()) emit([p.kind, p.source], b(p.up));
  }),
  counter("drbdreactor_events_total", "Lines read from drbdsetup events2", [], (i, emit) => emit([], i.core.counters.lines)),
  counter("drbdreactor_events_rejected_total", "events2 lines rejected, by reason", ["reason"], (i, emit) => {
    for (const [reason, n] of Object.entries(i.core.counters.rejected)) emit([reason], n);
  }),
  counter("drbdreactor_events2_restarts_total", "Times drbdsetup events2 was started again after it ended", [], (i, emit) =>
    emit([], i.core.counters.events2Restarts),
  ),
  gauge(
    "drbd_peerdevice_resync_done_ratio",
    "Progress of the running resync with this peer (0 to 1); absent when no resync runs",
    P,
    (i, e) => eachPeerDevice(i, e, (p) => (p.resyncDone === null ? null : p.resyncDone / 100)),
  ),
  gauge(
    "drbd_peerdevice_resync_eta_seconds",
    "Estimated seconds until the running resync with this peer finishes; absent when unknown",
    P,
    (i, e) => eachPeerDevice(i, e, (p) => p.resyncEta),
  ),
  gauge("drbd_connection_splitbrain", "Boolean whether DRBD detected a split brain on this connection", C, (i, e) =>
    eachConnection(i, e, (c) => b(c.syncState === "SplitBrain")),
  ),
];

/** The families exported with or without enums. */
export function familiesFor(enums: boolean): Family[] {
  return [...UPSTREAM_FAMILIES, ...NEW_FAMILIES].filter((f) => enums || !f.enumsOnly);
}
