/**
 * Byte-exact `drbdsetup events2` lines (drbd-utils v9, spec core.md §2, §8.1).
 *
 * drbdsetup keeps a copy of every object and, per received batch, diffs the
 * old copy against the new one. {@link formatChanges} is that diff: given the
 * resource before and after one batch it returns the lines drbdsetup prints,
 * in its order (resource, connections, devices, then per connection its peer
 * devices, paths, path destroys and peer-device destroys, then connection and
 * device destroys). All functions here are pure.
 *
 * Key order per object (with `--full` every key on every line):
 * - resource: name role suspended force-io-failures write-ordering may_promote promotion_score
 * - device: name volume minor backing_dev disk client open quorum size read written
 *   al-writes bm-writes upper-pending lower-pending al-suspended [blocked]
 * - connection: name peer-node-id conn-name connection role [sync-state] congested
 *   ap-in-flight rs-in-flight
 * - peer-device: name peer-node-id conn-name volume replication peer-disk peer-client
 *   resync-suspended [done] received sent out-of-sync pending unacked [dbdt1 eta]
 * - path: name peer-node-id conn-name local peer established
 *
 * `blocked:` is printed only when the object is new or the value changed
 * (so a `--full` change line usually lacks it, as in §8.1). `done:`, `dbdt1:`
 * and `eta:` appear only while a resync runs.
 *
 * @module
 */
import { formatFixed } from "./printf.ts";
import { promotionInfo, type PromotionInfo } from "./promotion.ts";
import type {
  ConnectionRec,
  ConnectionView,
  DeviceRec,
  PathRec,
  PeerDeviceRec,
  ResourceRec,
  ResourceView,
  ResyncSuspendReasons,
  SuspendReasons,
} from "./records.ts";

/** Output switches of `drbdsetup events2`. */
export interface Events2FormatOptions {
  /** `--full`: change lines carry every field (implies statistics). */
  readonly full: boolean;
  /** `--statistics` (implied by `full`). */
  readonly statistics: boolean;
}

/** What `drbdsetup events2 --full` prints; what the reactor runs. */
export const FULL: Events2FormatOptions = { full: true, statistics: true };

/** The verb for objects that did not exist before: `exists` in the initial dump, `create` later. */
export type NewVerb = "exists" | "create";

const yn = (b: boolean): string => (b ? "yes" : "no");

/** `suspended:` value: comma-joined reasons or `no`. */
export function suspendedText(s: SuspendReasons): string {
  const parts = [s.user && "user", s.noData && "no-data", s.fencing && "fencing", s.quorum && "quorum"];
  return parts.filter(Boolean).join(",") || "no";
}

/** `resync-suspended:` value: comma-joined reasons or `no`. */
export function resyncSuspendedText(s: ResyncSuspendReasons): string {
  const parts = [s.user && "user", s.peer && "peer", s.dependency && "dependency"];
  return parts.filter(Boolean).join(",") || "no";
}

function blockedText(d: DeviceRec): string {
  const parts = [d.blockedUpper && "upper", d.blockedLower && "lower"];
  return parts.filter(Boolean).join(",") || "no";
}

function sameSuspend(a: SuspendReasons, b: SuspendReasons): boolean {
  return a.user === b.user && a.noData === b.noData && a.fencing === b.fencing && a.quorum === b.quorum;
}

function sameResyncSuspend(a: ResyncSuspendReasons, b: ResyncSuspendReasons): boolean {
  return a.user === b.user && a.peer === b.peer && a.dependency === b.dependency;
}

const stats = (o: Events2FormatOptions): boolean => o.full || o.statistics;

/** One `resource` line, or null when drbdsetup would print nothing for it. */
export function resourceLine(
  verb: string,
  old: ResourceRec | null,
  cur: ResourceRec,
  oldPromo: PromotionInfo | null,
  curPromo: PromotionInfo,
  o: Events2FormatOptions,
): string | null {
  const roleChanged = !old || old.role !== cur.role;
  const suspChanged = !old || !sameSuspend(old.suspended, cur.suspended);
  const fioChanged = !old || old.forceIoFailures !== cur.forceIoFailures;
  const woChanged = stats(o) && (!old || old.writeOrdering !== cur.writeOrdering);
  const promoChanged =
    !oldPromo || oldPromo.mayPromote !== curPromo.mayPromote || oldPromo.promotionScore !== curPromo.promotionScore;
  if (!roleChanged && !suspChanged && !fioChanged && !woChanged && !promoChanged) return null;

  const out = [`${verb} resource name:${cur.name}`];
  if (roleChanged || o.full) out.push(`role:${cur.role}`);
  if (suspChanged || o.full) out.push(`suspended:${suspendedText(cur.suspended)}`);
  if (fioChanged || o.full) out.push(`force-io-failures:${yn(cur.forceIoFailures)}`);
  // §8.1: with --full every change line repeats write-ordering.
  if (stats(o) && (woChanged || o.full)) out.push(`write-ordering:${cur.writeOrdering}`);
  if (promoChanged || o.full) {
    out.push(`may_promote:${yn(curPromo.mayPromote)}`, `promotion_score:${curPromo.promotionScore}`);
  }
  return out.join(" ");
}

function deviceStatsDiffer(a: DeviceRec, b: DeviceRec): boolean {
  return (
    a.size !== b.size ||
    a.read !== b.read ||
    a.written !== b.written ||
    a.alWrites !== b.alWrites ||
    a.bmWrites !== b.bmWrites ||
    a.upperPending !== b.upperPending ||
    a.lowerPending !== b.lowerPending ||
    a.alSuspended !== b.alSuspended ||
    a.blockedUpper !== b.blockedUpper ||
    a.blockedLower !== b.blockedLower
  );
}

/** One `device` line, or null. */
export function deviceLine(verb: string, old: DeviceRec | null, cur: DeviceRec, o: Events2FormatOptions): string | null {
  const infoChanged = !old || old.disk !== cur.disk || old.quorum !== cur.quorum || old.open !== cur.open;
  const statsChanged = stats(o) && (!old || deviceStatsDiffer(old, cur));
  if (!infoChanged && !statsChanged) return null;

  const out = [`${verb} device name:${cur.name} volume:${cur.volume} minor:${cur.minor}`];
  if (infoChanged || o.full) {
    out.push(
      `backing_dev:${cur.backingDev ?? "none"}`,
      `disk:${cur.disk}`,
      `client:${yn(cur.client)}`,
      `open:${yn(cur.open)}`,
      `quorum:${yn(cur.quorum)}`,
    );
  }
  if (stats(o) && (statsChanged || o.full)) {
    out.push(
      `size:${cur.size}`,
      `read:${cur.read}`,
      `written:${cur.written}`,
      `al-writes:${cur.alWrites}`,
      `bm-writes:${cur.bmWrites}`,
      `upper-pending:${cur.upperPending}`,
      `lower-pending:${cur.lowerPending}`,
    );
    if (o.full || !old || old.alSuspended !== cur.alSuspended) out.push(`al-suspended:${yn(cur.alSuspended)}`);
    // Only on new objects or when it changed, even with --full (core.md §10.1).
    if (!old || old.blockedUpper !== cur.blockedUpper || old.blockedLower !== cur.blockedLower) {
      out.push(`blocked:${blockedText(cur)}`);
    }
  }
  return out.join(" ");
}

/** One `connection` line, or null. */
export function connectionLine(
  verb: string,
  old: ConnectionRec | null,
  cur: ConnectionRec,
  o: Events2FormatOptions,
): string | null {
  const stateChanged = !old || old.connection !== cur.connection;
  const roleChanged = !old || old.role !== cur.role;
  const statsChanged =
    stats(o) &&
    (!old ||
      old.congested !== cur.congested ||
      old.apInFlight !== cur.apInFlight ||
      old.rsInFlight !== cur.rsInFlight);
  if (!stateChanged && !roleChanged && !statsChanged) return null;

  const out = [`${verb} connection name:${cur.name} peer-node-id:${cur.peerNodeId} conn-name:${cur.connName}`];
  if (stateChanged || o.full) out.push(`connection:${cur.connection}`);
  if (roleChanged || o.full) out.push(`role:${cur.role}`);
  if (cur.connection === "StandAlone" && cur.syncState !== "") out.push(`sync-state:${cur.syncState}`);
  if (stats(o) && (statsChanged || o.full)) {
    if (o.full || !old || old.congested !== cur.congested) out.push(`congested:${yn(cur.congested)}`);
    out.push(`ap-in-flight:${cur.apInFlight}`, `rs-in-flight:${cur.rsInFlight}`);
  }
  return out.join(" ");
}

function peerDeviceStatsDiffer(a: PeerDeviceRec, b: PeerDeviceRec): boolean {
  return (
    a.received !== b.received ||
    a.sent !== b.sent ||
    a.outOfSync !== b.outOfSync ||
    a.pending !== b.pending ||
    a.unacked !== b.unacked ||
    a.rsTotalSectors !== b.rsTotalSectors ||
    a.rsDb1Sectors !== b.rsDb1Sectors ||
    a.rsDt1Ms !== b.rsDt1Ms ||
    a.stable !== b.stable
  );
}

/** Resync progress in percent, as drbdsetup derives `done:` (null when no resync runs). */
export function resyncDone(pd: PeerDeviceRec): number | null {
  if (pd.rsTotalSectors === 0) return null;
  const toGo = pd.outOfSync * 2;
  return (100 * (pd.rsTotalSectors - toGo)) / pd.rsTotalSectors;
}

/** Recent resync speed in MiB/s (`dbdt1:`), null when no resync runs. */
export function resyncRate(pd: PeerDeviceRec): number | null {
  if (pd.rsTotalSectors === 0) return null;
  const dt = pd.rsDt1Ms || 1;
  return ((pd.rsDb1Sectors / dt) * 1000) / 2048;
}

/** Estimated seconds to finish (`eta:`); NaN before anything was synced; null when no resync runs. */
export function resyncEta(pd: PeerDeviceRec): number | null {
  if (pd.rsTotalSectors === 0) return null;
  const dt = pd.rsDt1Ms || 1;
  return pd.rsDb1Sectors > 0 ? (dt * 1e-3 * pd.outOfSync * 2) / pd.rsDb1Sectors : Number.NaN;
}

/** One `peer-device` line, or null. */
export function peerDeviceLine(
  verb: string,
  old: PeerDeviceRec | null,
  cur: PeerDeviceRec,
  o: Events2FormatOptions,
): string | null {
  const replChanged = !old || old.replication !== cur.replication;
  const diskChanged = !old || old.peerDisk !== cur.peerDisk;
  const clientChanged = !old || old.peerClient !== cur.peerClient;
  const rsuspChanged = !old || !sameResyncSuspend(old.resyncSuspended, cur.resyncSuspended);
  // Unlike the other objects, drbd-utils compares peer-device statistics even without
  // --statistics; then only `done:` (while resyncing) is printed from them.
  const statsChanged = !old || peerDeviceStatsDiffer(old, cur);
  if (!replChanged && !diskChanged && !clientChanged && !rsuspChanged && !statsChanged) return null;

  const out = [
    `${verb} peer-device name:${cur.name} peer-node-id:${cur.peerNodeId} conn-name:${cur.connName} volume:${cur.volume}`,
  ];
  if (replChanged || o.full) out.push(`replication:${cur.replication}`);
  if (diskChanged || clientChanged || o.full) out.push(`peer-disk:${cur.peerDisk}`, `peer-client:${yn(cur.peerClient)}`);
  if (rsuspChanged || o.full) out.push(`resync-suspended:${resyncSuspendedText(cur.resyncSuspended)}`);
  if (statsChanged || o.full) {
    const done = resyncDone(cur);
    if (done !== null) out.push(`done:${formatFixed(done, 2)}`);
    if (stats(o)) {
      out.push(
        `received:${cur.received}`,
        `sent:${cur.sent}`,
        `out-of-sync:${cur.outOfSync}`,
        `pending:${cur.pending}`,
        `unacked:${cur.unacked}`,
      );
      const rate = resyncRate(cur);
      const eta = resyncEta(cur);
      if (rate !== null && eta !== null) out.push(`dbdt1:${formatFixed(rate, 2)}`, `eta:${formatFixed(eta, 0)}`);
    }
  }
  return out.join(" ");
}

/** One `path` line, or null (paths are printed only when new or `established` changed). */
export function pathLine(verb: string, old: PathRec | null, cur: PathRec): string | null {
  if (old && old.established === cur.established) return null;
  return (
    `${verb} path name:${cur.name} peer-node-id:${cur.peerNodeId} conn-name:${cur.connName}` +
    ` local:${cur.local} peer:${cur.peer} established:${yn(cur.established)}`
  );
}

/** `destroy path …` (identity keys only). */
export function pathDestroyLine(p: PathRec): string {
  return `destroy path name:${p.name} peer-node-id:${p.peerNodeId} conn-name:${p.connName} local:${p.local} peer:${p.peer}`;
}

/** `destroy peer-device …`. */
export function peerDeviceDestroyLine(pd: PeerDeviceRec): string {
  return `destroy peer-device name:${pd.name} peer-node-id:${pd.peerNodeId} conn-name:${pd.connName} volume:${pd.volume}`;
}

/** `destroy connection …`. */
export function connectionDestroyLine(c: ConnectionRec): string {
  return `destroy connection name:${c.name} peer-node-id:${c.peerNodeId} conn-name:${c.connName}`;
}

/** `destroy device …`. */
export function deviceDestroyLine(d: DeviceRec): string {
  return `destroy device name:${d.name} volume:${d.volume}`;
}

/** `destroy resource …`. */
export function resourceDestroyLine(name: string): string {
  return `destroy resource name:${name}`;
}

const samePath = (a: PathRec, b: PathRec): boolean => a.local === b.local && a.peer === b.peer;

function findConnection(view: ResourceView | null, peerNodeId: number): ConnectionView | null {
  return view?.connections.find((c) => c.connection.peerNodeId === peerNodeId) ?? null;
}

/**
 * The lines drbdsetup prints for one batch that turned `old` into `cur`
 * (`old` null: the resource is new). Objects missing from `cur` get destroy
 * lines; the resource itself is destroyed with {@link resourceDestroyLine}.
 */
export function formatChanges(
  old: ResourceView | null,
  cur: ResourceView,
  newVerb: NewVerb,
  o: Events2FormatOptions = FULL,
): string[] {
  const lines: string[] = [];
  const push = (line: string | null): void => {
    if (line !== null) lines.push(line);
  };
  const verb = (existed: unknown): string => (existed ? "change" : newVerb);

  push(
    resourceLine(
      verb(old),
      old?.resource ?? null,
      cur.resource,
      old ? promotionInfo(old) : null,
      promotionInfo(cur),
      o,
    ),
  );
  for (const c of cur.connections) {
    const oc = findConnection(old, c.connection.peerNodeId);
    push(connectionLine(verb(oc), oc?.connection ?? null, c.connection, o));
  }
  for (const d of cur.devices) {
    const od = old?.devices.find((x) => x.volume === d.volume) ?? null;
    push(deviceLine(verb(od), od, d, o));
  }
  for (const c of cur.connections) {
    const oc = findConnection(old, c.connection.peerNodeId);
    for (const pd of c.peerDevices) {
      const opd = oc?.peerDevices.find((x) => x.volume === pd.volume) ?? null;
      push(peerDeviceLine(verb(opd), opd, pd, o));
    }
    for (const p of c.paths) {
      const op = oc?.paths.find((x) => samePath(x, p)) ?? null;
      push(pathLine(verb(op), op, p));
    }
    for (const op of oc?.paths ?? []) {
      if (!c.paths.some((p) => samePath(p, op))) lines.push(pathDestroyLine(op));
    }
    for (const opd of oc?.peerDevices ?? []) {
      if (!c.peerDevices.some((pd) => pd.volume === opd.volume)) lines.push(peerDeviceDestroyLine(opd));
    }
  }
  for (const oc of old?.connections ?? []) {
    if (!findConnection(cur, oc.connection.peerNodeId)) lines.push(connectionDestroyLine(oc.connection));
  }
  for (const od of old?.devices ?? []) {
    if (!cur.devices.some((d) => d.volume === od.volume)) lines.push(deviceDestroyLine(od));
  }
  return lines;
}
