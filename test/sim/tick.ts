/**
 * Time passing, one tick at a time (pure on a clone): application I/O on
 * Primaries and resync progress. Statistics-only changes are not events in
 * DRBD; they become visible on the next `n` poll. A resync that completes is
 * a state change (SyncTarget → Established, Inconsistent → UpToDate).
 *
 * Per tick and volume a Primary with quorum and without suspended/failing
 * I/O writes `writeKiBPerTick` and reads `readKiBPerTick`. Every node holding
 * data that receives the write (the Primary and its connected diskful
 * peers) records it for every diskful node that missed it (down,
 * disconnected): that is the out-of-sync amount a later resync moves.
 *
 * @module
 */
import { cloneModel, hasData, nodeOf, resNodeOf, resourceNodeNames, type SimModel, type SimResource } from "./model.ts";
import { hasQuorum, settle } from "./settle.ts";

function write(m: SimModel, r: SimResource, primary: string, volume: number, kib: number): void {
  const size = r.volumes.find((v) => v.volume === volume)?.sizeKiB ?? 0;
  const rp = resNodeOf(r, primary);
  const holders = resourceNodeNames(m, r).filter((n) => {
    const d = resNodeOf(r, n).volumes[volume]?.disk;
    return d !== undefined && hasData(d);
  });
  const recipients = holders.filter((n) => n === primary || rp.peers[n]?.connected === true);
  const missing = holders.filter((n) => !recipients.includes(n));
  for (const x of recipients) {
    const rx = resNodeOf(r, x);
    const vx = rx.volumes[volume];
    if (!vx) continue;
    vx.written += kib;
    if (x === primary) vx.alWrites += 1;
    else {
      const out = rp.peers[x]?.volumes[volume];
      const inn = rx.peers[primary]?.volumes[volume];
      if (out) out.sent += kib;
      if (inn) inn.received += kib;
    }
    for (const y of missing) {
      const bm = rx.peers[y]?.volumes[volume];
      if (!bm) continue;
      bm.outOfSync = Math.min(size, bm.outOfSync + kib);
      vx.bmWrites += 1;
    }
  }
}

function read(r: SimResource, primary: string, volume: number, kib: number): void {
  const rp = resNodeOf(r, primary);
  const local = rp.volumes[volume];
  if (local?.disk === "UpToDate") {
    local.read += kib;
    return;
  }
  // Diskless Primary: the read is served by the first connected UpToDate peer.
  for (const [peer, p] of Object.entries(rp.peers)) {
    const rq = r.nodes[peer];
    if (!p.connected || rq?.volumes[volume]?.disk !== "UpToDate") continue;
    const vq = rq.volumes[volume];
    const out = rq.peers[primary]?.volumes[volume];
    const inn = p.volumes[volume];
    if (vq) vq.read += kib;
    if (out) out.sent += kib;
    if (inn) inn.received += kib;
    return;
  }
}

function applicationIo(m: SimModel, r: SimResource): void {
  for (const name of resourceNodeNames(m, r)) {
    const rn = resNodeOf(r, name);
    if (!nodeOf(m, name).up || !rn.up || rn.role !== "Primary") continue;
    // io-error without quorum, suspended or force-io-failures: the I/O fails, nothing is written.
    if (rn.suspendedQuorum || rn.suspendedUser || rn.forceIoFailures || !hasQuorum(m, r, name)) continue;
    for (const v of r.volumes) {
      if (rn.writeKiBPerTick > 0) write(m, r, name, v.volume, rn.writeKiBPerTick);
      if (rn.readKiBPerTick > 0) read(r, name, v.volume, rn.readKiBPerTick);
    }
  }
}

function finishResync(r: SimResource, target: string, volume: number): void {
  const rt = resNodeOf(r, target);
  const vol = rt.volumes[volume];
  if (vol) vol.disk = "UpToDate";
  // The target now has the current data: every connected UpToDate node forgets its bits for it.
  for (const [peer, p] of Object.entries(rt.peers)) {
    const rq = r.nodes[peer];
    if (!p.connected || !rq) continue;
    if (rq.volumes[volume]?.disk !== "UpToDate") continue;
    const mine = p.volumes[volume];
    const theirs = rq.peers[target]?.volumes[volume];
    if (mine) {
      mine.outOfSync = 0;
      mine.resync = null;
    }
    if (theirs) {
      theirs.outOfSync = 0;
      theirs.resync = null;
    }
  }
}

function resyncProgress(m: SimModel, r: SimResource): void {
  for (const source of resourceNodeNames(m, r)) {
    const rs = resNodeOf(r, source);
    for (const [target, p] of Object.entries(rs.peers)) {
      for (const v of r.volumes) {
        const sv = p.volumes[v.volume];
        const tv = r.nodes[target]?.peers[source]?.volumes[v.volume];
        if (!sv?.resync || sv.resync.role !== "source" || !tv?.resync) continue;
        if (sv.pausedUser || tv.pausedUser) {
          sv.resync.lastKiB = 0;
          tv.resync.lastKiB = 0;
          continue;
        }
        const step = Math.min(r.resyncKiBPerTick, sv.outOfSync);
        sv.outOfSync -= step;
        tv.outOfSync = sv.outOfSync;
        sv.sent += step;
        tv.received += step;
        sv.resync.lastKiB = step;
        tv.resync.lastKiB = step;
        const svol = rs.volumes[v.volume];
        const tvol = r.nodes[target]?.volumes[v.volume];
        if (svol) svol.read += step;
        if (tvol) tvol.written += step;
        if (sv.outOfSync === 0) finishResync(r, target, v.volume);
      }
    }
  }
}

/** Advance the cluster by `n` ticks (returns a new model). */
export function tick(model: SimModel, n = 1): SimModel {
  const m = cloneModel(model);
  for (let i = 0; i < n; i++) {
    for (const r of m.resources) {
      applicationIo(m, r);
      resyncProgress(m, r);
    }
    settle(m);
  }
  return m;
}

/**
 * One application write of `kib` to every volume of `res` on `node`, now
 * (no tick: resyncs do not move). Ignored unless `node` is a Primary whose
 * I/O would succeed. Statistics only: visible on the next poll.
 */
export function writeBurst(model: SimModel, node: string, res: string, kib: number): SimModel {
  const m = cloneModel(model);
  const r = m.resources.find((x) => x.name === res);
  if (!r) throw new Error(`sim: unknown resource '${res}'`);
  const rn = resNodeOf(r, node);
  const works =
    nodeOf(m, node).up &&
    rn.up &&
    rn.role === "Primary" &&
    !rn.suspendedQuorum &&
    !rn.suspendedUser &&
    !rn.forceIoFailures &&
    hasQuorum(m, r, node);
  if (works) for (const v of r.volumes) write(m, r, node, v.volume, kib);
  return m;
}
