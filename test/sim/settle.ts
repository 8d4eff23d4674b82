/**
 * State transitions that follow from the primitive facts, applied until
 * nothing changes: connections come up (handshake: resync, split brain,
 * force-secondary) or go down (resync aborted), and nodes react to losing or
 * regaining quorum.
 *
 * Simplifications (see README): quorum counts every configured node equally
 * (no diskless tie-breaker, no "last man standing"); a handshake decides the
 * resync direction from the out-of-sync bitmaps instead of data UUIDs; a
 * Secondary that loses quorum keeps its disk state (it learns it is behind
 * only at the next handshake).
 *
 * @module
 */
import {
  hasData,
  nodeOf,
  pairKey,
  resNodeOf,
  resourceNodeNames,
  type SimModel,
  type SimResNode,
  type SimResource,
} from "./model.ts";

/** Whether `a` and `b` can establish their connection for resource `r` right now. */
export function canConnect(m: SimModel, r: SimResource, a: string, b: string): boolean {
  const ra = resNodeOf(r, a);
  const rb = resNodeOf(r, b);
  const pa = ra.peers[b];
  const pb = rb.peers[a];
  if (!pa || !pb) return false;
  return (
    nodeOf(m, a).up &&
    nodeOf(m, b).up &&
    ra.up &&
    rb.up &&
    !m.cuts.includes(pairKey(a, b)) &&
    pa.wantConnect &&
    pb.wantConnect
  );
}

/**
 * Quorum of `node` for resource `r`: majority of all configured nodes, counting
 * itself and every connected peer. `quorum off` always has quorum; a number
 * means that many votes; `all` needs every node.
 */
export function hasQuorum(m: SimModel, r: SimResource, node: string): boolean {
  const rn = resNodeOf(r, node);
  const total = resourceNodeNames(m, r).length;
  const votes = 1 + Object.values(rn.peers).filter((p) => p.connected).length;
  const q = r.options.quorum;
  if (q === "off") return true;
  if (q === "all") return votes === total;
  if (q === "majority") return votes * 2 > total;
  return votes >= q;
}

function splitBrain(r: SimResource, a: string, b: string): void {
  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const) {
    const p = resNodeOf(r, x).peers[y];
    if (!p) continue;
    p.connected = false;
    p.wantConnect = false;
    p.splitBrain = true;
    for (const pv of Object.values(p.volumes)) pv.resync = null;
  }
}

/** The connection of `a` and `b` drops: both ends disconnect, running resyncs stop (bitmaps stay). */
function disconnect(r: SimResource, a: string, b: string): void {
  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const) {
    const p = resNodeOf(r, x).peers[y];
    if (!p) continue;
    p.connected = false;
    for (const pv of Object.values(p.volumes)) {
      pv.resync = null;
      pv.pending = 0;
      pv.unacked = 0;
    }
  }
}

function isSyncTarget(r: SimResource, node: string, volume: number): boolean {
  return Object.values(resNodeOf(r, node).peers).some((p) => p.volumes[volume]?.resync?.role === "target");
}

/** Whether `node` is a quorum-suspended Primary and `peer` holds newer data for it. */
function frozenAndBehind(r: SimResource, node: string, peer: string): boolean {
  if (!resNodeOf(r, node).suspendedQuorum) return false;
  const theirs = resNodeOf(r, peer).peers[node];
  return Object.values(theirs?.volumes ?? {}).some((v) => v.outOfSync > 0);
}

/** `on-suspended-primary-outdated force-secondary`: demote; I/O of openers fails from now on. */
function forceSecondary(rn: SimResNode): void {
  rn.role = "Secondary";
  rn.suspendedQuorum = false;
  rn.forceIoFailures = Object.values(rn.volumes).some((x) => x.open);
}

/**
 * The connection of `a` and `b` comes up. Per volume: both ends hold bits for
 * each other → split brain; otherwise the UpToDate end with bits (or facing an
 * Inconsistent/Outdated peer) becomes SyncSource. An Outdated peer without any
 * difference is simply UpToDate again. A suspended Primary that turns out to
 * be behind is demoted (`on-suspended-primary-outdated force-secondary`).
 */
function handshake(r: SimResource, a: string, b: string): void {
  const ra = resNodeOf(r, a);
  const rb = resNodeOf(r, b);
  if (ra.role === "Primary" && rb.role === "Primary" && !r.net.allowTwoPrimaries) {
    // A frozen Primary that turns out to be behind yields instead of causing a split brain.
    const loser = [a, b].find((x) => frozenAndBehind(r, x, x === a ? b : a));
    if (!loser || r.options.onSuspendedPrimaryOutdated !== "force-secondary") {
      splitBrain(r, a, b);
      return;
    }
    forceSecondary(resNodeOf(r, loser));
  }
  const pa = ra.peers[b];
  const pb = rb.peers[a];
  if (!pa || !pb) return;
  pa.connected = true;
  pb.connected = true;
  pa.splitBrain = false;
  pb.splitBrain = false;

  for (const v of r.volumes) {
    const va = ra.volumes[v.volume];
    const vb = rb.volumes[v.volume];
    const pva = pa.volumes[v.volume];
    const pvb = pb.volumes[v.volume];
    if (!va || !vb || !pva || !pvb) continue;
    if (!hasData(va.disk) || !hasData(vb.disk)) continue;
    if (pva.outOfSync > 0 && pvb.outOfSync > 0) {
      splitBrain(r, a, b);
      return;
    }
    let source: string | null = null;
    if (va.disk === "UpToDate" && vb.disk === "UpToDate") {
      source = pva.outOfSync > 0 ? a : pvb.outOfSync > 0 ? b : null;
    } else if (va.disk === "UpToDate") source = a;
    else if (vb.disk === "UpToDate") source = b;
    if (source === null) continue;

    if (!startResync(r, source, source === a ? b : a, v.volume)) {
      splitBrain(r, a, b);
      return;
    }
  }
}

/**
 * Make `target` a SyncTarget of `source` for one volume if it needs data:
 * an Outdated/Consistent target without differences just becomes UpToDate;
 * otherwise the bits the source holds for it (or, for an Inconsistent target
 * without any, everything) are synced. A target syncs from one source at a
 * time. Returns false when the target is a Primary that cannot yield (split
 * brain); a suspended Primary is demoted per
 * `on-suspended-primary-outdated force-secondary`.
 */
export function startResync(r: SimResource, source: string, target: string, volume: number): boolean {
  const rs = resNodeOf(r, source);
  const rt = resNodeOf(r, target);
  const sv = rs.peers[target]?.volumes[volume];
  const tv = rt.peers[source]?.volumes[volume];
  const tvol = rt.volumes[volume];
  const size = r.volumes.find((x) => x.volume === volume)?.sizeKiB ?? 0;
  if (!sv || !tv || !tvol || !hasData(tvol.disk)) return true;
  let bits = sv.outOfSync;
  if (bits === 0 && tvol.disk === "UpToDate") return true;
  if (bits === 0 && tvol.disk !== "Inconsistent") {
    // Same data generation: nothing to sync, the stale flag just goes away.
    tvol.disk = "UpToDate";
    return true;
  }
  if (isSyncTarget(r, target, volume)) return true;
  if (bits === 0) {
    // Inconsistent without a bitmap for this peer: take what it owes anyone, else everything.
    bits = Math.max(0, ...Object.values(rt.peers).map((p) => p.volumes[volume]?.outOfSync ?? 0)) || size;
  }
  if (rt.role === "Primary") {
    if (!rt.suspendedQuorum || r.options.onSuspendedPrimaryOutdated !== "force-secondary") return false;
    forceSecondary(rt);
  }
  sv.outOfSync = bits;
  tv.outOfSync = bits;
  sv.resync = { role: "source", totalKiB: bits, lastKiB: 0 };
  tv.resync = { role: "target", totalKiB: bits, lastKiB: 0 };
  tvol.disk = "Inconsistent";
  return true;
}

/**
 * On an established connection, a peer left Inconsistent (its resync source
 * went away) starts syncing from this UpToDate end. Returns whether anything started.
 */
function resumeResyncs(r: SimResource, a: string, b: string): boolean {
  let started = false;
  for (const v of r.volumes) {
    for (const [s, t] of [
      [a, b],
      [b, a],
    ] as const) {
      const sd = resNodeOf(r, s).volumes[v.volume]?.disk;
      const td = resNodeOf(r, t).volumes[v.volume]?.disk;
      if (sd !== "UpToDate" || td !== "Inconsistent" || isSyncTarget(r, t, v.volume)) continue;
      if (resNodeOf(r, t).role === "Primary") continue;
      startResync(r, s, t, v.volume);
      started = true;
    }
  }
  return started;
}

function settleOnce(m: SimModel): boolean {
  let changed = false;
  for (const r of m.resources) {
    const names = resourceNodeNames(m, r);
    for (const [i, a] of names.entries()) {
      for (const b of names.slice(i + 1)) {
        const pa = resNodeOf(r, a).peers[b];
        const pb = resNodeOf(r, b).peers[a];
        const connected = pa?.connected === true && pb?.connected === true;
        const reach = canConnect(m, r, a, b);
        if (reach && !connected) {
          handshake(r, a, b);
          changed = true;
        } else if (!reach && (pa?.connected || pb?.connected)) {
          disconnect(r, a, b);
          changed = true;
        } else if (connected && resumeResyncs(r, a, b)) {
          changed = true;
        }
      }
    }
    for (const name of names) {
      const rn = resNodeOf(r, name);
      if (!nodeOf(m, name).up || !rn.up) continue;
      const q = hasQuorum(m, r, name);
      if (!q && rn.role === "Primary" && r.options.onNoQuorum === "suspend-io" && !rn.suspendedQuorum) {
        rn.suspendedQuorum = true;
        changed = true;
      } else if (q && rn.suspendedQuorum) {
        rn.suspendedQuorum = false;
        changed = true;
      }
    }
  }
  return changed;
}

/** Apply transitions until the model is stable (mutates `m`; callers pass a clone). */
export function settle(m: SimModel): SimModel {
  for (let i = 0; i < 16 && settleOnce(m); i++) {
    // Each pass can enable the next (a handshake changes quorum, …); 16 is far above any real chain.
  }
  return m;
}
