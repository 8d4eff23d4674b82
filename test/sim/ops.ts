/**
 * Pure operations on the cluster model: each takes a model and returns the
 * sequence of models it passes through ({@link Steps}); the last one is the
 * result. The server publishes every step as one event batch, so an
 * operation with several steps prints several batches (e.g. a disk failure
 * shows `disk:Failed` first, then `disk:Diskless backing_dev:none`).
 *
 * Operations that are DRBD commands (`primary`, `secondary`, `adjust`, …)
 * return an {@link OpError} with drbdsetup's message and exit code instead of
 * throwing; misuse of the simulator itself (unknown node) throws.
 *
 * @module
 */
import type { DiskState } from "../../src/drbd/types.ts";
import {
  buildResource,
  cloneModel,
  findResource,
  hasData,
  nodeOf,
  pairKey,
  type ResourceOptions,
  type ResourceSpec,
  resNodeOf,
  resourceOf,
  type SimModel,
  type SimResNode,
  type SimResource,
} from "./model.ts";
import { hasQuorum, settle, startResync } from "./settle.ts";

/** The models an operation passes through, last = result. Never empty. */
export type Steps = SimModel[];

/** A DRBD command failure as drbdsetup reports it. */
export interface OpError {
  readonly exitCode: number;
  /** Without trailing newline. */
  readonly message: string;
}

/** Result of a DRBD command operation. */
export interface OpResult {
  readonly steps: Steps;
  readonly error: OpError | null;
}

/** Clone, mutate, settle: the common single-step shape. */
function change(m: SimModel, mutate: (c: SimModel) => void): Steps {
  const c = cloneModel(m);
  mutate(c);
  return [settle(c)];
}

/** Clone and mutate without settling (an intermediate step). */
function raw(m: SimModel, mutate: (c: SimModel) => void): SimModel {
  const c = cloneModel(m);
  mutate(c);
  return c;
}

const ok = (steps: Steps): OpResult => ({ steps, error: null });
const fail = (m: SimModel, exitCode: number, message: string): OpResult => ({ steps: [m], error: { exitCode, message } });

/** drbdsetup's answer for a resource this node's kernel does not have. */
export function unknownResource(m: SimModel, res: string): OpResult {
  return fail(m, 10, `${res}: Failure: (158) Unknown resource`);
}

/** The resource as present in `node`'s kernel, or null. */
function kernelResource(m: SimModel, node: string, res: string): SimResource | null {
  const r = findResource(m, res);
  return r && r.nodes[node]?.up && nodeOf(m, node).up ? r : null;
}

/** Crash a node: it disappears; peers lose their connections to it. */
export function crash(m: SimModel, node: string): Steps {
  nodeOf(m, node);
  return change(m, (c) => {
    nodeOf(c, node).up = false;
  });
}

/**
 * Bring a crashed node back (a reboot): its resources come back Secondary,
 * unsuspended, closed, with the disks it had; first unconnected, then the
 * connections establish (and resync what it missed).
 */
export function restore(m: SimModel, node: string): Steps {
  nodeOf(m, node);
  const first = raw(m, (c) => {
    nodeOf(c, node).up = true;
    for (const r of c.resources) {
      const rn = r.nodes[node];
      if (!rn) continue;
      rn.role = "Secondary";
      rn.suspendedUser = false;
      rn.suspendedQuorum = false;
      rn.forceIoFailures = false;
      for (const v of Object.values(rn.volumes)) {
        v.open = false;
        if (v.disk === "Failed" || v.disk === "Attaching" || v.disk === "Detaching") {
          v.disk = "Diskless";
          v.backingDev = null;
        }
      }
    }
  });
  return [first, settle(cloneModel(first))];
}

/**
 * Split the network: nodes in different groups cannot reach each other.
 * Nodes not named in any group are isolated from everybody.
 */
export function partition(m: SimModel, groups: string[][]): Steps {
  const group = new Map<string, number>();
  groups.forEach((g, i) => {
    for (const n of g) {
      nodeOf(m, n);
      if (group.has(n)) throw new Error(`sim: node '${n}' is in two partition groups`);
      group.set(n, i);
    }
  });
  return change(m, (c) => {
    const cuts: string[] = [];
    for (const [i, a] of c.nodes.entries()) {
      for (const b of c.nodes.slice(i + 1)) {
        const ga = group.get(a.name);
        const gb = group.get(b.name);
        if (ga === undefined || gb === undefined || ga !== gb) cuts.push(pairKey(a.name, b.name));
      }
    }
    c.cuts = cuts;
  });
}

/** Cut or restore the link between two nodes only. */
export function setLink(m: SimModel, a: string, b: string, up: boolean): Steps {
  nodeOf(m, a);
  nodeOf(m, b);
  const key = pairKey(a, b);
  return change(m, (c) => {
    c.cuts = c.cuts.filter((k) => k !== key);
    if (!up) c.cuts.push(key);
  });
}

/** Remove every network cut. */
export function heal(m: SimModel): Steps {
  return change(m, (c) => {
    c.cuts = [];
  });
}

function volumeOf(rn: SimResNode, r: SimResource, volume: number): NonNullable<SimResNode["volumes"][number]> {
  const v = rn.volumes[volume];
  if (!v) throw new Error(`sim: resource '${r.name}' has no volume ${volume}`);
  return v;
}

/** Stop resyncs of `node`'s volume in both directions (its data is gone). */
function abortResyncs(r: SimResource, node: string, volume: number): void {
  const rn = resNodeOf(r, node);
  for (const [peer, p] of Object.entries(rn.peers)) {
    const mine = p.volumes[volume];
    const theirs = r.nodes[peer]?.peers[node]?.volumes[volume];
    if (mine) mine.resync = null;
    if (theirs) theirs.resync = null;
  }
}

/** An I/O error on the backing device: `Failed`, then detached (`Diskless`, `backing_dev:none`). */
export function failDisk(m: SimModel, node: string, res: string, volume = 0): Steps {
  const r0 = resourceOf(m, res);
  volumeOf(resNodeOf(r0, node), r0, volume);
  const failed = raw(m, (c) => {
    const r = resourceOf(c, res);
    volumeOf(resNodeOf(r, node), r, volume).disk = "Failed";
  });
  const detached = raw(failed, (c) => {
    const r = resourceOf(c, res);
    const v = volumeOf(resNodeOf(r, node), r, volume);
    v.disk = "Diskless";
    v.backingDev = null;
    abortResyncs(r, node, volume);
  });
  return [failed, settle(detached)];
}

/** `drbdadm detach`: `Detaching`, then `Diskless`. */
export function detachDisk(m: SimModel, node: string, res: string, volume = 0): Steps {
  const r0 = resourceOf(m, res);
  volumeOf(resNodeOf(r0, node), r0, volume);
  const detaching = raw(m, (c) => {
    const r = resourceOf(c, res);
    volumeOf(resNodeOf(r, node), r, volume).disk = "Detaching";
  });
  const detached = raw(detaching, (c) => {
    const r = resourceOf(c, res);
    const v = volumeOf(resNodeOf(r, node), r, volume);
    v.disk = "Diskless";
    v.backingDev = null;
    abortResyncs(r, node, volume);
  });
  return [detaching, settle(detached)];
}

/** Options of {@link attachDisk}. */
export interface AttachOptions {
  /** Backing device to attach (default: the configured one, else `/dev/drbdpool/<res>_<vol>`). */
  backingDev?: string;
  /**
   * Disk state after attaching. Default: Inconsistent when a connected peer
   * is UpToDate (a full resync follows), else UpToDate.
   */
  disk?: DiskState;
}

/** `drbdadm attach`: `Attaching`, then the resulting disk state (and a resync if needed). */
export function attachDisk(m: SimModel, node: string, res: string, volume = 0, opts: AttachOptions = {}): Steps {
  const r0 = resourceOf(m, res);
  volumeOf(resNodeOf(r0, node), r0, volume);
  const attaching = raw(m, (c) => {
    const r = resourceOf(c, res);
    const v = volumeOf(resNodeOf(r, node), r, volume);
    v.disk = "Attaching";
    v.client = false;
    v.backingDev = opts.backingDev ?? v.configuredDisk ?? `/dev/drbdpool/${res}_${volume}`;
    if (v.configuredDisk === null) v.configuredDisk = v.backingDev;
  });
  const attached = raw(attaching, (c) => {
    const r = resourceOf(c, res);
    const rn = resNodeOf(r, node);
    const v = volumeOf(rn, r, volume);
    const upToDatePeer = Object.entries(rn.peers).some(
      ([peer, p]) => p.connected && r.nodes[peer]?.volumes[volume]?.disk === "UpToDate",
    );
    v.disk = opts.disk ?? (upToDatePeer ? "Inconsistent" : "UpToDate");
  });
  return [attaching, settle(attached)];
}

/** Options of {@link promote} / {@link demote}. */
export interface RoleOptions {
  force?: boolean;
}

/**
 * `drbdsetup primary RES [--force]`. Refused when a connected peer is
 * Primary (`-1`), without quorum (`-25`), or when some volume has no
 * UpToDate data locally or on a connected peer (`-2`, exit 17). `--force`
 * overrides only the last one, and only with local data, which becomes
 * UpToDate.
 */
export function promote(m: SimModel, node: string, res: string, opts: RoleOptions = {}): OpResult {
  const r = kernelResource(m, node, res);
  if (!r) return unknownResource(m, res);
  const rn = resNodeOf(r, node);
  if (rn.role === "Primary") return ok([m]);
  const peerPrimary = Object.entries(rn.peers).some(([peer, p]) => p.connected && r.nodes[peer]?.role === "Primary");
  if (peerPrimary && !r.net.allowTwoPrimaries) {
    return fail(m, 11, `${res}: State change failed: (-1) Multiple primaries not allowed by config`);
  }
  if (!hasQuorum(m, r, node)) return fail(m, 11, `${res}: State change failed: (-25) No quorum`);
  const noData = r.volumes.filter((v) => {
    if (rn.volumes[v.volume]?.disk === "UpToDate") return false;
    return !Object.entries(rn.peers).some(
      ([peer, p]) => p.connected && r.nodes[peer]?.volumes[v.volume]?.disk === "UpToDate",
    );
  });
  const forceable = noData.every((v) => {
    const d = rn.volumes[v.volume]?.disk;
    return d !== undefined && hasData(d);
  });
  if (noData.length > 0 && !(opts.force && forceable)) {
    return fail(m, 17, `${res}: State change failed: (-2) Need access to UpToDate data`);
  }
  return ok(
    change(m, (c) => {
      const cr = resNodeOf(resourceOf(c, res), node);
      cr.role = "Primary";
      for (const v of noData) {
        const vol = cr.volumes[v.volume];
        if (vol) vol.disk = "UpToDate";
      }
    }),
  );
}

/**
 * `drbdsetup secondary RES [--force]`. Refused while a volume is open
 * (`-12`), unless forced: then the resource becomes Secondary with
 * `force-io-failures:yes` until the last opener closes.
 */
export function demote(m: SimModel, node: string, res: string, opts: RoleOptions = {}): OpResult {
  const r = kernelResource(m, node, res);
  if (!r) return unknownResource(m, res);
  const rn = resNodeOf(r, node);
  if (rn.role === "Secondary") return ok([m]);
  const open = Object.values(rn.volumes).some((v) => v.open);
  if (open && !opts.force) return fail(m, 11, `${res}: State change failed: (-12) Device is held open by someone`);
  return ok(
    change(m, (c) => {
      const cr = resNodeOf(resourceOf(c, res), node);
      cr.role = "Secondary";
      cr.suspendedQuorum = false;
      if (open) cr.forceIoFailures = true;
    }),
  );
}

/** Open or close the DRBD devices of a resource (a mounted file system, a VM …). */
export function setOpen(m: SimModel, node: string, res: string, open: boolean, volume?: number): Steps {
  resNodeOf(resourceOf(m, res), node);
  return change(m, (c) => {
    const rn = resNodeOf(resourceOf(c, res), node);
    for (const [vol, v] of Object.entries(rn.volumes)) if (volume === undefined || Number(vol) === volume) v.open = open;
    // The last opener of a force-demoted resource is gone: I/O no longer needs to fail.
    if (!Object.values(rn.volumes).some((v) => v.open)) rn.forceIoFailures = false;
  });
}

/** Application I/O per tick while `node` is Primary (see `tick.ts`). */
export function setWorkload(
  m: SimModel,
  node: string,
  res: string,
  load: { writeKiBPerTick?: number; readKiBPerTick?: number },
): Steps {
  resNodeOf(resourceOf(m, res), node);
  return change(m, (c) => {
    const rn = resNodeOf(resourceOf(c, res), node);
    if (load.writeKiBPerTick !== undefined) rn.writeKiBPerTick = load.writeKiBPerTick;
    if (load.readKiBPerTick !== undefined) rn.readKiBPerTick = load.readKiBPerTick;
  });
}

/**
 * `drbdadm invalidate-remote` on `source`: `target` gets `kib` (default:
 * all) out of sync and resyncs from `source`. Both must be connected and
 * `source` UpToDate.
 */
export function startResyncOp(
  m: SimModel,
  source: string,
  target: string,
  res: string,
  volume = 0,
  kib?: number,
): Steps {
  const r0 = resourceOf(m, res);
  const p = resNodeOf(r0, source).peers[target];
  if (!p?.connected) throw new Error(`sim: startResync needs ${source} and ${target} connected for '${res}'`);
  if (resNodeOf(r0, source).volumes[volume]?.disk !== "UpToDate") {
    throw new Error(`sim: startResync needs UpToDate data on ${source}`);
  }
  return change(m, (c) => {
    const r = resourceOf(c, res);
    const size = r.volumes.find((v) => v.volume === volume)?.sizeKiB ?? 0;
    const bits = Math.min(size, kib ?? size);
    const sv = resNodeOf(r, source).peers[target]?.volumes[volume];
    const tv = resNodeOf(r, target).peers[source]?.volumes[volume];
    const tvol = resNodeOf(r, target).volumes[volume];
    if (!sv || !tv || !tvol) return;
    sv.outOfSync = bits;
    tv.outOfSync = bits;
    tvol.disk = "Inconsistent";
    startResync(r, source, target, volume);
  });
}

/** `drbdadm pause-sync` / `resume-sync` on `node` towards `peer`. */
export function setSyncPaused(m: SimModel, node: string, peer: string, res: string, paused: boolean): Steps {
  resNodeOf(resourceOf(m, res), node);
  return change(m, (c) => {
    const p = resNodeOf(resourceOf(c, res), node).peers[peer];
    if (!p) throw new Error(`sim: no connection ${node} -> ${peer} in '${res}'`);
    for (const v of Object.values(p.volumes)) v.pausedUser = paused;
  });
}

/** `drbdadm disconnect` on `node` (towards `peer`, or all peers): StandAlone here, Connecting there. */
export function disconnectOp(m: SimModel, node: string, res: string, peer?: string): OpResult {
  if (!kernelResource(m, node, res)) return unknownResource(m, res);
  return ok(
    change(m, (c) => {
      const rn = resNodeOf(resourceOf(c, res), node);
      for (const [name, p] of Object.entries(rn.peers)) if (peer === undefined || name === peer) p.wantConnect = false;
    }),
  );
}

/**
 * `drbdadm connect [--discard-my-data]` on `node`. With `discardMyData` the
 * node gives up its own changes (split-brain victim): the peer's bitmap
 * takes over its bits so the node becomes SyncTarget.
 */
export function connectOp(
  m: SimModel,
  node: string,
  res: string,
  opts: { peer?: string; discardMyData?: boolean } = {},
): OpResult {
  if (!kernelResource(m, node, res)) return unknownResource(m, res);
  return ok(
    change(m, (c) => {
      const r = resourceOf(c, res);
      const rn = resNodeOf(r, node);
      for (const [name, p] of Object.entries(rn.peers)) {
        if (opts.peer !== undefined && name !== opts.peer) continue;
        p.wantConnect = true;
        p.splitBrain = false;
        if (!opts.discardMyData) continue;
        for (const v of r.volumes) {
          const mine = p.volumes[v.volume];
          const theirs = r.nodes[name]?.peers[node]?.volumes[v.volume];
          if (!mine || !theirs) continue;
          theirs.outOfSync = Math.min(v.sizeKiB, theirs.outOfSync + mine.outOfSync);
          mine.outOfSync = 0;
        }
      }
    }),
  );
}

/** `drbdadm up`: the resource enters this node's kernel (Connecting first, then connected). */
export function upOp(m: SimModel, node: string, res: string): OpResult {
  const r0 = findResource(m, res);
  if (!r0?.nodes[node]) return fail(m, 10, `'${res}' not defined in your config (for this host).`);
  if (r0.nodes[node].up) return ok([m]);
  const first = raw(m, (c) => {
    const rn = resNodeOf(resourceOf(c, res), node);
    rn.up = true;
    rn.role = "Secondary";
    rn.suspendedQuorum = false;
    rn.forceIoFailures = false;
    for (const p of Object.values(rn.peers)) p.wantConnect = true;
  });
  return ok([first, settle(cloneModel(first))]);
}

/** `drbdadm down`: refused while open; otherwise the resource leaves this node's kernel. */
export function downOp(m: SimModel, node: string, res: string): OpResult {
  const r = kernelResource(m, node, res);
  if (!r) return ok([m]);
  if (Object.values(resNodeOf(r, node).volumes).some((v) => v.open)) {
    return fail(m, 11, `${res}: State change failed: (-12) Device is held open by someone`);
  }
  return ok(
    change(m, (c) => {
      const rn = resNodeOf(resourceOf(c, res), node);
      rn.up = false;
      rn.role = "Secondary";
    }),
  );
}

/** `drbdadm adjust`: bring the resource up if it is down and re-enable its connections. */
export function adjustOp(m: SimModel, node: string, res: string): OpResult {
  const r0 = findResource(m, res);
  if (!r0?.nodes[node]) return fail(m, 10, `'${res}' not defined in your config (for this host).`);
  const up = upOp(m, node, res);
  const last = up.steps[up.steps.length - 1] as SimModel;
  const connected = change(last, (c) => {
    for (const p of Object.values(resNodeOf(resourceOf(c, res), node).peers)) if (!p.splitBrain) p.wantConnect = true;
  });
  return ok([...up.steps, ...connected]);
}

/** `drbdadm outdate` (Secondary only): UpToDate → Outdated. */
export function outdateOp(m: SimModel, node: string, res: string): OpResult {
  const r = kernelResource(m, node, res);
  if (!r) return unknownResource(m, res);
  if (resNodeOf(r, node).role === "Primary") {
    return fail(m, 11, `${res}: State change failed: (-6) Refusing to be Outdated while Connected`);
  }
  return ok(
    change(m, (c) => {
      for (const v of Object.values(resNodeOf(resourceOf(c, res), node).volumes)) if (v.disk === "UpToDate") v.disk = "Outdated";
    }),
  );
}

/** `drbdsetup suspend-io` / `resume-io`. */
export function setSuspendedUser(m: SimModel, node: string, res: string, suspended: boolean): OpResult {
  if (!kernelResource(m, node, res)) return unknownResource(m, res);
  return ok(
    change(m, (c) => {
      resNodeOf(resourceOf(c, res), node).suspendedUser = suspended;
    }),
  );
}

/** `drbdsetup resource-options RES --opt=value …` (cluster-wide in the simulator). */
export function setResourceOptions(m: SimModel, res: string, opts: Partial<ResourceOptions>): Steps {
  resourceOf(m, res);
  return change(m, (c) => {
    const r = resourceOf(c, res);
    r.options = { ...r.options, ...opts };
  });
}

/** Define a new resource; it appears on its nodes unconnected, then connects. */
export function addResource(m: SimModel, spec: ResourceSpec): Steps {
  const first = raw(m, (c) => {
    c.resources.push(buildResource(c, spec));
  });
  return [first, settle(cloneModel(first))];
}

/** Remove a resource from every node (`drbdadm down` everywhere + config removal). */
export function removeResource(m: SimModel, res: string): Steps {
  resourceOf(m, res);
  return change(m, (c) => {
    c.resources = c.resources.filter((r) => r.name !== res);
  });
}

/** Change what `drbdadm --version` reports on one node (or all when `node` is null). */
export function setVersions(m: SimModel, node: string | null, v: { utils?: string; kmod?: string }): Steps {
  if (node !== null) nodeOf(m, node);
  return change(m, (c) => {
    for (const n of c.nodes) {
      if (node !== null && n.name !== node) continue;
      if (v.utils !== undefined) n.utilsVersion = v.utils;
      if (v.kmod !== undefined) n.kmodVersion = v.kmod;
    }
  });
}
