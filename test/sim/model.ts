/**
 * The simulated cluster as plain data: nodes, the network, resources and,
 * per node and resource, what the DRBD kernel module of that node holds.
 *
 * Only *primitive* facts are stored (roles, local disk states, which pairs
 * are connected, per-peer out-of-sync bitmaps, counters). Everything a node
 * prints that follows from them (connection state, peer role/disk,
 * replication state, quorum, paths) is derived by `view.ts`. State
 * transitions (handshakes, resync start/finish, quorum reactions) are applied
 * by `settle.ts` and `tick.ts`. Operations in `ops.ts` never mutate their
 * input: they clone the model, change the clone and return it.
 *
 * The model is JSON-serialisable (records keyed by node name / volume).
 *
 * @module
 */
import type { DiskState } from "../../src/drbd/types.ts";

/** DRBD resource options the simulator reports (and partly obeys). */
export interface ResourceOptions {
  autoPromote: boolean;
  /** `off`, `majority`, `all` or a fixed number of votes. */
  quorum: "off" | "majority" | "all" | number;
  onNoQuorum: "io-error" | "suspend-io";
  onSuspendedPrimaryOutdated: "disconnect" | "force-secondary";
  onNoDataAccessible: "io-error" | "suspend-io";
}

/** Net options reported per connection by `drbdsetup show`. */
export interface NetOptions {
  rrConflict: string;
  fencing: string;
  allowTwoPrimaries: boolean;
}

/** Defaults: what drbd-reactor's promoter documentation recommends. */
export const DEFAULT_OPTIONS: ResourceOptions = {
  autoPromote: false,
  quorum: "majority",
  onNoQuorum: "io-error",
  onSuspendedPrimaryOutdated: "force-secondary",
  onNoDataAccessible: "io-error",
};

/** DRBD's own net defaults. */
export const DEFAULT_NET: NetOptions = { rrConflict: "disconnect", fencing: "dont-care", allowTwoPrimaries: false };

/** One machine. Node ids are the positions in {@link SimModel.nodes}. */
export interface SimNode {
  name: string;
  id: number;
  /** False while crashed. */
  up: boolean;
  /** What `drbdadm --version` reports, e.g. `9.29.0`. */
  utilsVersion: string;
  /** Kernel module version; `0.0.0` means "module not loaded". */
  kmodVersion: string;
}

/** A volume of a resource; the minor is the same on every node. */
export interface SimVolumeConfig {
  volume: number;
  minor: number;
  sizeKiB: number;
}

/** A local volume on one node. Counters in KiB unless noted. */
export interface SimVolume {
  disk: DiskState;
  /** The attached backing device, null while detached/diskless. */
  backingDev: string | null;
  /** The configured backing device (`drbdadm sh-ll-dev`), null for diskless clients. */
  configuredDisk: string | null;
  client: boolean;
  open: boolean;
  read: number;
  written: number;
  alWrites: number;
  bmWrites: number;
  upperPending: number;
  lowerPending: number;
  alSuspended: boolean;
  blockedUpper: boolean;
  blockedLower: boolean;
}

/** A running resync of one volume, kept identically on both ends. */
export interface SimResync {
  /** Which end this copy belongs to. */
  role: "source" | "target";
  /** KiB to sync when it started. */
  totalKiB: number;
  /** KiB synced in the most recent tick. */
  lastKiB: number;
}

/** One volume as this node tracks it for one peer. */
export interface SimPeerVolume {
  /** KiB of this volume that differ from the peer (this node's bitmap for the peer). */
  outOfSync: number;
  received: number;
  sent: number;
  pending: number;
  unacked: number;
  resync: SimResync | null;
  /** `drbdadm pause-sync`. */
  pausedUser: boolean;
}

/** This node's side of the connection to one peer. */
export interface SimPeer {
  /** Administratively wanted (`drbdadm connect`/`disconnect`); false prints StandAlone. */
  wantConnect: boolean;
  /** Established (set only by `settle`). */
  connected: boolean;
  /** The last handshake detected split brain (connection went StandAlone). */
  splitBrain: boolean;
  congested: boolean;
  apInFlight: number;
  rsInFlight: number;
  volumes: Record<number, SimPeerVolume>;
}

/** What one node's kernel holds for one resource. */
export interface SimResNode {
  /** The resource exists in this node's kernel (`drbdadm up`); false after `down`. */
  up: boolean;
  role: "Primary" | "Secondary";
  suspendedUser: boolean;
  suspendedQuorum: boolean;
  forceIoFailures: boolean;
  writeOrdering: string;
  /** Application I/O per tick while Primary (see `tick.ts`). */
  writeKiBPerTick: number;
  readKiBPerTick: number;
  volumes: Record<number, SimVolume>;
  peers: Record<string, SimPeer>;
}

/** A resource and its state on every node it is configured on. */
export interface SimResource {
  name: string;
  /** TCP port of all its paths. */
  port: number;
  options: ResourceOptions;
  net: NetOptions;
  volumes: SimVolumeConfig[];
  /** Resync speed: KiB per tick and volume. */
  resyncKiBPerTick: number;
  /** Keyed by node name; only nodes the resource is configured on. */
  nodes: Record<string, SimResNode>;
}

/** The whole simulated cluster. */
export interface SimModel {
  nodes: SimNode[];
  /** Node pairs that cannot reach each other, as `a|b` with names sorted. */
  cuts: string[];
  resources: SimResource[];
  /** Simulated milliseconds one tick stands for (resync speed/eta). */
  tickMs: number;
}

/** How a test describes a resource. */
export interface ResourceSpec {
  name: string;
  /** At least one; `volume` defaults to the position, `sizeKiB` to 1 GiB. */
  volumes: { volume?: number; minor: number; sizeKiB?: number }[];
  /** Nodes the resource is configured on (default: all). */
  nodes?: string[];
  /** Intentionally diskless (client) nodes. */
  diskless?: string[];
  /**
   * Backing device template; `{res}`, `{vol}`, `{minor}` and `{node}` are
   * replaced. Default `/dev/drbdpool/{res}_{vol}` (which does not exist: give
   * a real block device such as `/dev/loop0` when the code under test stats it).
   */
  backingDev?: string;
  /** Disk state of diskful nodes at start (default UpToDate: initial sync done). */
  initialDisk?: DiskState;
  /** Nodes where the resource starts down (not in the kernel). */
  down?: string[];
  options?: Partial<ResourceOptions>;
  net?: Partial<NetOptions>;
  port?: number;
  /** Default 262144 (256 MiB per tick). */
  resyncKiBPerTick?: number;
}

/** How a test describes a cluster. */
export interface ClusterSpec {
  nodes: string[];
  resources?: ResourceSpec[];
  /** Default 1000. */
  tickMs?: number;
  /** drbd-utils / kernel module versions of every node (default 9.29.0 / 9.2.12). */
  versions?: { utils?: string; kmod?: string };
}

/** Default volume size: 1 GiB. */
export const DEFAULT_SIZE_KIB = 1048576;

/** The two names of a node pair in the canonical `cuts` form. */
export function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** Deep copy (the model is plain data). */
export function cloneModel(m: SimModel): SimModel {
  return structuredClone(m);
}

/** The node record of `name`; throws for unknown names so typos fail loudly. */
export function nodeOf(m: SimModel, name: string): SimNode {
  const n = m.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`sim: unknown node '${name}' (nodes: ${m.nodes.map((x) => x.name).join(", ")})`);
  return n;
}

/** The resource `name`, or null. */
export function findResource(m: SimModel, name: string): SimResource | null {
  return m.resources.find((r) => r.name === name) ?? null;
}

/** The resource `name`; throws when unknown. */
export function resourceOf(m: SimModel, name: string): SimResource {
  const r = findResource(m, name);
  if (!r) throw new Error(`sim: unknown resource '${name}'`);
  return r;
}

/** `res` on `node`; throws when the resource is not configured there. */
export function resNodeOf(r: SimResource, node: string): SimResNode {
  const rn = r.nodes[node];
  if (!rn) throw new Error(`sim: resource '${r.name}' is not configured on node '${node}'`);
  return rn;
}

/** Configured node names of a resource, by node id. */
export function resourceNodeNames(m: SimModel, r: SimResource): string[] {
  return m.nodes.filter((n) => r.nodes[n.name] !== undefined).map((n) => n.name);
}

/** Disk states in which a node holds (possibly stale) data. */
export function hasData(d: DiskState): boolean {
  return d === "UpToDate" || d === "Outdated" || d === "Inconsistent" || d === "Consistent";
}

function freshPeerVolume(): SimPeerVolume {
  return { outOfSync: 0, received: 0, sent: 0, pending: 0, unacked: 0, resync: null, pausedUser: false };
}

function freshPeer(volumes: SimVolumeConfig[]): SimPeer {
  const vols: Record<number, SimPeerVolume> = {};
  for (const v of volumes) vols[v.volume] = freshPeerVolume();
  return { wantConnect: true, connected: false, splitBrain: false, congested: false, apInFlight: 0, rsInFlight: 0, volumes: vols };
}

function backingPath(template: string, res: string, v: SimVolumeConfig, node: string): string {
  return template
    .replaceAll("{res}", res)
    .replaceAll("{vol}", String(v.volume))
    .replaceAll("{minor}", String(v.minor))
    .replaceAll("{node}", node);
}

/**
 * Build a resource from its spec. Connections start not connected; the
 * caller runs `settle` to connect them (so a new resource shows Connecting
 * first, like `drbdadm up`).
 */
export function buildResource(m: SimModel, spec: ResourceSpec): SimResource {
  if (findResource(m, spec.name)) throw new Error(`sim: resource '${spec.name}' exists already`);
  if (spec.volumes.length === 0) throw new Error(`sim: resource '${spec.name}' needs at least one volume`);
  const names = spec.nodes ?? m.nodes.map((n) => n.name);
  for (const n of [...names, ...(spec.diskless ?? []), ...(spec.down ?? [])]) nodeOf(m, n);
  const volumes: SimVolumeConfig[] = spec.volumes.map((v, i) => ({
    volume: v.volume ?? i,
    minor: v.minor,
    sizeKiB: v.sizeKiB ?? DEFAULT_SIZE_KIB,
  }));
  const template = spec.backingDev ?? "/dev/drbdpool/{res}_{vol}";
  const port = spec.port ?? Math.max(6999, ...m.resources.map((r) => r.port)) + 1;
  const nodes: Record<string, SimResNode> = {};
  for (const name of names) {
    const client = (spec.diskless ?? []).includes(name);
    const vols: Record<number, SimVolume> = {};
    for (const v of volumes) {
      const dev = client ? null : backingPath(template, spec.name, v, name);
      vols[v.volume] = {
        disk: client ? "Diskless" : (spec.initialDisk ?? "UpToDate"),
        backingDev: dev,
        configuredDisk: dev,
        client,
        open: false,
        read: 0,
        written: 0,
        alWrites: 0,
        bmWrites: 0,
        upperPending: 0,
        lowerPending: 0,
        alSuspended: false,
        blockedUpper: false,
        blockedLower: false,
      };
    }
    const peers: Record<string, SimPeer> = {};
    for (const other of names) if (other !== name) peers[other] = freshPeer(volumes);
    nodes[name] = {
      up: !(spec.down ?? []).includes(name),
      role: "Secondary",
      suspendedUser: false,
      suspendedQuorum: false,
      forceIoFailures: false,
      writeOrdering: "flush",
      writeKiBPerTick: 0,
      readKiBPerTick: 0,
      volumes: vols,
      peers,
    };
  }
  return {
    name: spec.name,
    port,
    options: { ...DEFAULT_OPTIONS, ...spec.options },
    net: { ...DEFAULT_NET, ...spec.net },
    volumes,
    resyncKiBPerTick: spec.resyncKiBPerTick ?? 262144,
    nodes,
  };
}

/** A model with the given nodes and no resources yet. */
export function emptyModel(spec: ClusterSpec): SimModel {
  if (spec.nodes.length === 0) throw new Error("sim: a cluster needs at least one node");
  if (new Set(spec.nodes).size !== spec.nodes.length) throw new Error("sim: duplicate node names");
  return {
    nodes: spec.nodes.map((name, id) => ({
      name,
      id,
      up: true,
      utilsVersion: spec.versions?.utils ?? "9.29.0",
      kmodVersion: spec.versions?.kmod ?? "9.2.12",
    })),
    cuts: [],
    resources: [],
    tickMs: spec.tickMs ?? 1000,
  };
}
