/**
 * A deterministic `drbdsetup events2 --full` stream for the benchmark: an
 * initial dump of N resources × P peers, `exists -`, then a long run of
 * change lines, mostly statistics (advancing counters, same states) and
 * some state changes (role / may_promote flips, connection loss and
 * recovery, peer-disk and local disk changes).
 *
 * Byte-exact --full layout (spec core.md §2.4, §8.1); key order per object:
 * - resource: name role suspended force-io-failures write-ordering may_promote promotion_score
 * - connection: name peer-node-id conn-name connection role congested ap-in-flight rs-in-flight
 * - device: name volume minor backing_dev disk client open quorum size read written al-writes
 *   bm-writes upper-pending lower-pending al-suspended [blocked: only on the first line of an object]
 * - peer-device: name peer-node-id conn-name volume replication peer-disk peer-client
 *   resync-suspended received sent out-of-sync pending unacked
 * - path: name peer-node-id conn-name local peer established
 *
 * Dump order per resource (§2.8): resource, connections, devices, then per
 * connection its peer devices and path.
 *
 * Volumes: the dump has `volumes` devices per resource (default 1) and as
 * many peer devices per connection; volume v > 0 has minor
 * `minor + v × 100000` and its own backing device, and shares volume 0's
 * counters. Change lines touch volume 0 only.
 *
 * @module
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { Prng } from "./prng.ts";

/** What to generate. */
export interface StreamOptions {
  readonly seed: number;
  readonly resources: number;
  /** Peers per resource (node ids 1..peers; this node is 0). */
  readonly peers: number;
  /** Change lines after `exists -`. */
  readonly changeLines: number;
  /** Share of change lines that are statistics-only (0..1). */
  readonly statsShare: number;
  /** Appended as the very last line when set (e.g. a line the daemon rejects and logs). */
  readonly sentinel?: string;
  /** Volumes per resource in the initial dump (default 1; change lines touch volume 0 only). */
  readonly volumes?: number;
}

/** What was generated. */
export interface StreamStats {
  readonly dumpLines: number;
  readonly changeLines: number;
  readonly statsLines: number;
  readonly stateLines: number;
  /** Every line, including `exists -` and the sentinel. */
  readonly totalLines: number;
  readonly bytes: number;
}

export interface PeerModel {
  readonly nodeId: number;
  readonly connName: string;
  readonly local: string;
  readonly peer: string;
  connection: "Connected" | "Connecting";
  peerRole: "Secondary" | "Unknown";
  replication: "Established" | "SyncSource" | "Off";
  peerDisk: "UpToDate" | "Inconsistent" | "DUnknown";
  received: number;
  sent: number;
  outOfSync: number;
  pending: number;
  unacked: number;
  apInFlight: number;
}

export interface ResourceModel {
  readonly name: string;
  readonly minor: number;
  readonly backing: string;
  readonly size: number;
  role: "Primary" | "Secondary";
  mayPromote: boolean;
  promotionScore: number;
  disk: "UpToDate" | "Outdated";
  open: boolean;
  read: number;
  written: number;
  alWrites: number;
  bmWrites: number;
  upperPending: number;
  lowerPending: number;
  readonly peers: PeerModel[];
}

const yn = (b: boolean): string => (b ? "yes" : "no");

/** `resource` line. */
export function resourceLine(verb: string, r: ResourceModel): string {
  return `${verb} resource name:${r.name} role:${r.role} suspended:no force-io-failures:no write-ordering:flush may_promote:${yn(r.mayPromote)} promotion_score:${r.promotionScore}`;
}

/** `connection` line. */
export function connectionLine(verb: string, r: ResourceModel, p: PeerModel): string {
  return `${verb} connection name:${r.name} peer-node-id:${p.nodeId} conn-name:${p.connName} connection:${p.connection} role:${p.peerRole} congested:no ap-in-flight:${p.apInFlight} rs-in-flight:0`;
}

/** Minor numbers between a resource's volumes. */
const VOLUME_MINOR_STRIDE = 100_000;

/** Minor of volume `volume` of `r` (volume 0: `r.minor`). */
export function volumeMinor(r: ResourceModel, volume: number): number {
  return r.minor + volume * VOLUME_MINOR_STRIDE;
}

/** `device` line of `volume` (default 0); `blocked:` only when the object is new, as drbdsetup does. */
export function deviceLine(verb: string, r: ResourceModel, withBlocked: boolean, volume = 0): string {
  const backing = volume === 0 ? r.backing : `/dev/vg-drbd/${r.name}_${String(volume).padStart(5, "0")}`;
  return `${verb} device name:${r.name} volume:${volume} minor:${volumeMinor(r, volume)} backing_dev:${backing} disk:${r.disk} client:no open:${yn(r.open)} quorum:yes size:${r.size} read:${r.read} written:${r.written} al-writes:${r.alWrites} bm-writes:${r.bmWrites} upper-pending:${r.upperPending} lower-pending:${r.lowerPending} al-suspended:no${withBlocked ? " blocked:no" : ""}`;
}

/** `peer-device` line of `volume` (default 0). */
export function peerDeviceLine(verb: string, r: ResourceModel, p: PeerModel, volume = 0): string {
  return `${verb} peer-device name:${r.name} peer-node-id:${p.nodeId} conn-name:${p.connName} volume:${volume} replication:${p.replication} peer-disk:${p.peerDisk} peer-client:no resync-suspended:no received:${p.received} sent:${p.sent} out-of-sync:${p.outOfSync} pending:${p.pending} unacked:${p.unacked}`;
}

/** `path` line. */
export function pathLine(verb: string, r: ResourceModel, p: PeerModel): string {
  return `${verb} path name:${r.name} peer-node-id:${p.nodeId} conn-name:${p.connName} local:${p.local} peer:${p.peer} established:${yn(p.connection === "Connected")}`;
}

/** A LINSTOR-like resource name: `pvc-` and a UUID. */
function pvcName(rng: Prng): string {
  const h = rng.hex(32);
  return `pvc-${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Connection loss (Connected → Connecting, peer device Off/DUnknown) or recovery. */
export function toggleConnection(p: PeerModel): void {
  if (p.connection === "Connected") {
    p.connection = "Connecting";
    p.peerRole = "Unknown";
    p.replication = "Off";
    p.peerDisk = "DUnknown";
    p.outOfSync = 0;
  } else {
    p.connection = "Connected";
    p.peerRole = "Secondary";
    p.replication = "Established";
    p.peerDisk = "UpToDate";
  }
}

/** The resources of the initial dump. */
export function buildModel(rng: Prng, resources: number, peers: number): ResourceModel[] {
  const model: ResourceModel[] = [];
  for (let i = 0; i < resources; i++) {
    const name = pvcName(rng);
    const port = 7000 + i;
    const peerList: PeerModel[] = [];
    for (let n = 1; n <= peers; n++) {
      peerList.push({
        nodeId: n,
        connName: `worker-${String(n + 1).padStart(2, "0")}.cluster.example`,
        local: `ipv4:10.42.0.1:${port}`,
        peer: `ipv4:10.42.0.${n + 1}:${port}`,
        connection: "Connected",
        peerRole: "Secondary",
        replication: "Established",
        peerDisk: "UpToDate",
        received: rng.int(1 << 24),
        sent: rng.int(1 << 26),
        outOfSync: 0,
        pending: 0,
        unacked: 0,
        apInFlight: 0,
      });
    }
    model.push({
      name,
      minor: 1000 + i,
      backing: `/dev/vg-drbd/${name}_00000`,
      size: (1 + rng.int(100)) * 1048576,
      role: "Secondary",
      mayPromote: true,
      promotionScore: 10102,
      disk: "UpToDate",
      open: false,
      read: rng.int(1 << 26),
      written: rng.int(1 << 26),
      alWrites: rng.int(100000),
      bmWrites: rng.int(1000),
      upperPending: 0,
      lowerPending: 0,
      peers: peerList,
    });
  }
  return model;
}

/** The initial dump of one resource with `volumes` volumes, in drbdsetup's order. */
function dumpResource(r: ResourceModel, volumes: number, out: string[]): void {
  out.push(resourceLine("exists", r));
  for (const p of r.peers) out.push(connectionLine("exists", r, p));
  for (let v = 0; v < volumes; v++) out.push(deviceLine("exists", r, true, v));
  for (const p of r.peers) {
    for (let v = 0; v < volumes; v++) out.push(peerDeviceLine("exists", r, p, v));
    out.push(pathLine("exists", r, p));
  }
}

/** One statistics-only change: counters advance, states stay. */
function statsChange(rng: Prng, r: ResourceModel, out: string[]): void {
  if (rng.chance(0.5)) {
    const kib = 4 * rng.range(1, 2048);
    if (rng.chance(0.3)) r.read += kib;
    else r.written += kib;
    r.alWrites += rng.int(4);
    r.upperPending = rng.int(3);
    r.lowerPending = rng.int(3);
    out.push(deviceLine("change", r, false));
    return;
  }
  const p = rng.pick(r.peers);
  const kib = 4 * rng.range(1, 2048);
  if (r.role === "Primary") p.sent += kib;
  else p.received += kib;
  p.pending = rng.int(4);
  p.unacked = rng.int(4);
  if (p.replication === "SyncSource") p.outOfSync = Math.max(0, p.outOfSync - kib);
  out.push(peerDeviceLine("change", r, p));
}

/** One state change; may print several lines (as drbdsetup prints one batch). */
function stateChange(rng: Prng, r: ResourceModel, out: string[]): void {
  switch (rng.int(5)) {
    case 0: {
      // may_promote / promotion_score flip (another node took or released the resource).
      if (r.role === "Primary") return stateChange(rng, r, out);
      r.mayPromote = !r.mayPromote;
      r.promotionScore = r.mayPromote ? 10102 : 10101;
      out.push(resourceLine("change", r));
      return;
    }
    case 1: {
      // Promote / demote: role, then the device's open flag.
      if (r.role === "Secondary") {
        r.role = "Primary";
        r.mayPromote = false;
        r.open = true;
      } else {
        r.role = "Secondary";
        r.mayPromote = true;
        r.open = false;
      }
      out.push(resourceLine("change", r));
      out.push(deviceLine("change", r, false));
      return;
    }
    case 2: {
      // Connection loss or recovery: connection, its peer device, its path.
      const p = rng.pick(r.peers);
      toggleConnection(p);
      out.push(connectionLine("change", r, p));
      out.push(peerDeviceLine("change", r, p));
      out.push(pathLine("change", r, p));
      return;
    }
    case 3: {
      // Peer disk: resync starts (Inconsistent) or ends (UpToDate) on a connected peer.
      const p = rng.pick(r.peers);
      if (p.connection !== "Connected") return stateChange(rng, r, out);
      if (p.peerDisk === "UpToDate") {
        p.peerDisk = "Inconsistent";
        p.replication = "SyncSource";
        p.outOfSync = 4 * rng.range(1024, 262144);
      } else {
        p.peerDisk = "UpToDate";
        p.replication = "Established";
        p.outOfSync = 0;
      }
      out.push(peerDeviceLine("change", r, p));
      return;
    }
    default: {
      // Local disk UpToDate <-> Outdated.
      r.disk = r.disk === "UpToDate" ? "Outdated" : "UpToDate";
      out.push(deviceLine("change", r, false));
      return;
    }
  }
}

/**
 * Every line of the stream, in order, without newlines. Lines come in
 * batches (`batch` receives each one), so a caller can write them out without
 * holding the whole stream.
 */
export function generate(opts: StreamOptions, batch: (lines: readonly string[]) => void): StreamStats {
  const rng = new Prng(opts.seed);
  const model = buildModel(rng, opts.resources, opts.peers);
  let buf: string[] = [];
  let bytes = 0;
  const flush = (): void => {
    for (const l of buf) bytes += Buffer.byteLength(l) + 1;
    batch(buf);
    buf = [];
  };
  const volumes = opts.volumes ?? 1;
  for (const r of model) dumpResource(r, volumes, buf);
  const dumpLines = buf.length;
  buf.push("exists -");
  flush();

  let stats = 0;
  let state = 0;
  const stateShare = 1 - opts.statsShare;
  while (stats + state < opts.changeLines) {
    const r = model[rng.int(model.length)]!;
    const total = stats + state;
    // Keep the mix within a narrow band of the wanted share, randomly inside it.
    const wantState =
      state < stateShare * total - 20 ? true : state > stateShare * total + 20 ? false : rng.chance(stateShare);
    const before = buf.length;
    if (wantState) stateChange(rng, r, buf);
    else statsChange(rng, r, buf);
    let added = buf.length - before;
    const room = opts.changeLines - total;
    if (added > room) {
      buf.length = before + room;
      added = room;
    }
    if (wantState) state += added;
    else stats += added;
    if (buf.length >= 8192) flush();
  }
  if (opts.sentinel !== undefined) buf.push(opts.sentinel);
  flush();
  const totalLines = dumpLines + 1 + stats + state + (opts.sentinel !== undefined ? 1 : 0);
  return { dumpLines, changeLines: stats + state, statsLines: stats, stateLines: state, totalLines, bytes };
}

/** Write the stream to `path` (newline after every line). */
export function writeStream(path: string, opts: StreamOptions): StreamStats {
  const fd = openSync(path, "w");
  try {
    return generate(opts, (lines) => {
      if (lines.length > 0) writeSync(fd, `${lines.join("\n")}\n`);
    });
  } finally {
    closeSync(fd);
  }
}

/** The whole stream as an array (tests; small streams only). */
export function streamLines(opts: StreamOptions): string[] {
  const all: string[] = [];
  generate(opts, (lines) => {
    for (const l of lines) all.push(l);
  });
  return all;
}
