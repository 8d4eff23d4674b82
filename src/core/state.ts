/**
 * The state of every DRBD resource on this node, built from events2 lines
 * (spec core.md §3).
 *
 * Snapshots are exact and cheap at once by copy-on-share: a resource that
 * has been handed out (in an update, or through {@link ResourceStore.get} /
 * {@link ResourceStore.resources}) is frozen; the next line that touches it
 * first makes a private deep copy. A resource nobody holds is changed in
 * place. So the 80 % of lines that only carry statistics cost a map lookup
 * and a `set`, while every `Resource` a plugin holds never changes under it.
 * Devices, peer devices and paths themselves are never mutated: a line
 * replaces them whole ("replace, never merge").
 *
 * Emit rules (§3.5): a resource line emits when its projection (role,
 * may-promote, promotion-score) changes; a device, connection or peer-device
 * line emits when the object is new, when its projection changes, or when it
 * is destroyed; paths never emit; destroying an unknown sub-object emits
 * nothing; destroying a resource always emits.
 *
 * @module
 */
import type {
  Connection,
  ConnectionFields,
  Device,
  EventType,
  Path,
  PeerDevice,
  Resource,
  ResourceFields,
} from "../drbd/types.ts";
import { pathKey } from "../drbd/types.ts";
import type { Event, HelperCall } from "./events2.ts";
import {
  connectionState,
  DEFAULT_CONNECTION_STATE,
  DEFAULT_DEVICE_STATE,
  DEFAULT_PEER_DEVICE_STATE,
  DEFAULT_RESOURCE_STATE,
  deviceState,
  peerDeviceState,
  type PluginUpdate,
  resourceState,
  sameState,
} from "./updates.ts";

/** What plugins may see of the store. */
export interface ReadonlyResourceStore {
  /** Incremented on every change; snapshot plugins compare it to skip work. */
  readonly generation: number;
  /** False until the first `exists -` (or the first live line) arrived: nothing is known before. */
  readonly initialDumpComplete: boolean;
  /** Number of resources. */
  readonly size: number;
  get(name: string): Resource | undefined;
  /** All resources, in insertion order (sort by name where order matters). */
  resources(): IterableIterator<Resource>;
}

/** Receives the updates one event produces, in order. */
export type UpdateSink = (update: PluginUpdate) => void;

/** `T` without `readonly`: the store changes its own objects in place (copy-on-share). */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The store's own, mutable form of a connection (handed out typed as {@link Connection}). */
type OwnedConnection = Mutable<ConnectionFields> & {
  peerDevices: Map<number, PeerDevice>;
  paths: Map<string, Path>;
};

/** The store's own, mutable form of a resource (handed out typed as {@link Resource}). */
type OwnedResource = Mutable<ResourceFields> & {
  devices: Map<number, Device>;
  connections: Map<number, OwnedConnection>;
};

/** An empty resource with defaults (role Unknown …). */
export function emptyResource(name: string): Resource {
  return newResource(name);
}

function newResource(name: string): OwnedResource {
  const fields: ResourceFields = {
    name,
    role: "Unknown",
    suspended: false,
    forceIoFailures: false,
    writeOrdering: "",
    mayPromote: false,
    promotionScore: 0,
  };
  return ownedResource(fields, new Map(), new Map());
}

/** A resource from its fields and children (one object shape for all resources). */
export function withChildren(
  r: ResourceFields,
  devices: ReadonlyMap<number, Device>,
  connections: ReadonlyMap<number, Connection>,
): Resource {
  return ownedResource(r, devices as Map<number, Device>, connections as Map<number, OwnedConnection>);
}

function ownedResource(r: ResourceFields, devices: Map<number, Device>, connections: Map<number, OwnedConnection>): OwnedResource {
  return {
    name: r.name,
    role: r.role,
    suspended: r.suspended,
    forceIoFailures: r.forceIoFailures,
    writeOrdering: r.writeOrdering,
    mayPromote: r.mayPromote,
    promotionScore: r.promotionScore,
    devices,
    connections,
  };
}

/** A connection from its fields and children. */
export function connectionWith(
  c: ConnectionFields,
  peerDevices: ReadonlyMap<number, PeerDevice>,
  paths: ReadonlyMap<string, Path>,
): Connection {
  return ownedConnection(c, peerDevices as Map<number, PeerDevice>, paths as Map<string, Path>);
}

function ownedConnection(c: ConnectionFields, peerDevices: Map<number, PeerDevice>, paths: Map<string, Path>): OwnedConnection {
  return {
    name: c.name,
    peerNodeId: c.peerNodeId,
    connName: c.connName,
    connection: c.connection,
    peerRole: c.peerRole,
    congested: c.congested,
    apInFlight: c.apInFlight,
    rsInFlight: c.rsInFlight,
    syncState: c.syncState,
    peerDevices,
    paths,
  };
}

/** The connection a peer-device or path line implies before its own connection line arrived. */
function placeholderConnection(name: string, peerNodeId: number): OwnedConnection {
  return ownedConnection(
    {
      name,
      peerNodeId,
      connName: "",
      connection: "StandAlone",
      peerRole: "Unknown",
      congested: false,
      apInFlight: 0,
      rsInFlight: 0,
      syncState: "",
    },
    new Map(),
    new Map(),
  );
}

/** A private copy of `r`: new resource, connection and map objects; the immutable leaves are shared. */
function deepCopy(r: OwnedResource): OwnedResource {
  const connections = new Map<number, OwnedConnection>();
  for (const [id, c] of r.connections) connections.set(id, ownedConnection(c, new Map(c.peerDevices), new Map(c.paths)));
  return ownedResource(r, new Map(r.devices), connections);
}

const byNumber = (a: number, b: number): number => a - b;
const byPathKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Set `key` in `map` (owned by the store), keeping keys in ascending order. */
function setSorted<K, V>(map: Map<K, V>, key: K, value: V, compare: (a: K, b: K) => number): void {
  if (map.has(key)) {
    map.set(key, value);
    return;
  }
  let last: K | undefined;
  for (const k of map.keys()) last = k;
  map.set(key, value);
  if (last === undefined || compare(last, key) < 0) return;
  // Out-of-order insert (rare: a new volume or peer below an existing one).
  const entries = [...map].sort((a, b) => compare(a[0], b[0]));
  map.clear();
  for (const [k, v] of entries) map.set(k, v);
}

/** Keys used to find what vanished between two initial dumps. */
const keyOf = {
  resource: (name: string) => `r\0${name}`,
  device: (name: string, volume: number) => `d\0${name}\0${volume}`,
  connection: (name: string, peer: number) => `c\0${name}\0${peer}`,
  peerDevice: (name: string, peer: number, volume: number) => `p\0${name}\0${peer}\0${volume}`,
  path: (name: string, peer: number, key: string) => `P\0${name}\0${peer}\0${key}`,
};

/**
 * The resource map and the rules that turn events into updates.
 *
 * After drbdsetup is respawned, call {@link beginReconcile}: the new initial
 * dump is applied like any other lines (so only real differences emit), and
 * when it ends every object it did not mention is destroyed with a Destroy
 * update. Plugins keep running and see only what really changed.
 */
export class ResourceStore implements ReadonlyResourceStore {
  #resources = new Map<string, OwnedResource>();
  /** Resources handed out since their last copy: the next change must copy first. */
  #shared = new Set<OwnedResource>();
  #generation = 0;
  #dumpComplete = false;
  /** Objects mentioned by the dump being reconciled; null when not reconciling. */
  #seen: Set<string> | null = null;

  get generation(): number {
    return this.#generation;
  }
  get initialDumpComplete(): boolean {
    return this.#dumpComplete;
  }
  get size(): number {
    return this.#resources.size;
  }
  get(name: string): Resource | undefined {
    const r = this.#resources.get(name);
    if (r) this.#shared.add(r);
    return r;
  }
  *resources(): IterableIterator<Resource> {
    for (const r of this.#resources.values()) {
      this.#shared.add(r);
      yield r;
    }
  }

  /** A new drbdsetup is about to print its initial dump: start tracking what it mentions. */
  beginReconcile(): void {
    this.#seen = new Set();
    this.#dumpComplete = false;
  }

  /**
   * Apply one parsed event, passing the updates it causes to `emit` in order
   * (usually zero or one; the end of a reconciled dump can emit many).
   */
  apply(event: Event, emit: UpdateSink): void {
    if (event.kind === "end-of-dump") return this.#endOfDump(emit);
    // Old drbd-utils print no `exists -`: the first live line ends the dump.
    if (!this.#dumpComplete && !("type" in event && event.type === "Exists")) this.#endOfDump(emit);
    switch (event.kind) {
      case "resource":
        return this.#applyResource(event.type, event.resource, emit);
      case "device":
        return this.#applyDevice(event.type, event.device, emit);
      case "connection":
        return this.#applyConnection(event.type, event.connection, emit);
      case "peer-device":
        return this.#applyPeerDevice(event.type, event.peerDevice, emit);
      case "path":
        return this.#applyPath(event.type, event.path);
      case "helper":
        return this.#applyHelper(event.type, event.helper, emit);
      case "rename":
        return this.#applyRename(event.oldName, event.newName, emit);
    }
  }

  /** The stored resource, made private to the store (copied if shared); undefined if unknown. */
  #owned(name: string): OwnedResource | undefined {
    const r = this.#resources.get(name);
    if (r === undefined || !this.#shared.has(r)) return r;
    this.#shared.delete(r);
    const copy = deepCopy(r);
    this.#resources.set(name, copy);
    return copy;
  }

  /** Like {@link #owned}, creating an empty resource for lines about sub-objects of an unknown one. */
  #ownedOrNew(name: string): OwnedResource {
    let r = this.#owned(name);
    if (r === undefined) {
      r = newResource(name);
      this.#resources.set(name, r);
    }
    return r;
  }

  /** Hand `update` out: its resource, if stored, is shared from now on. */
  #emit(emit: UpdateSink, update: PluginUpdate): void {
    const r = update.resource as OwnedResource;
    // Destroyed or never-stored resources are nobody's to change again: no need to track them.
    if (this.#resources.get(r.name) === r) this.#shared.add(r);
    emit(update);
  }

  /** Number of resources currently frozen by copy-on-share (for tests and diagnostics). */
  get sharedCount(): number {
    return this.#shared.size;
  }

  #see(key: string): void {
    this.#seen?.add(key);
  }

  #endOfDump(emit: UpdateSink): void {
    this.#dumpComplete = true;
    const seen = this.#seen;
    if (seen === null) return;
    this.#seen = null;
    this.#destroyUnseen(seen, emit);
  }

  /**
   * Destroy, children first, every object the reconciled dump did not mention.
   * Each is destroyed as a `destroy` line would (identity only, so `new` is the
   * default projection).
   */
  #destroyUnseen(seen: Set<string>, emit: UpdateSink): void {
    for (const name of [...this.#resources.keys()]) {
      const r = this.#resources.get(name)!;
      for (const c of [...r.connections.values()]) {
        for (const p of [...c.paths.values()]) {
          if (!seen.has(keyOf.path(name, c.peerNodeId, pathKey(p.local, p.peer)))) this.#applyPath("Destroy", p);
        }
        for (const pd of [...c.peerDevices.values()]) {
          if (seen.has(keyOf.peerDevice(name, c.peerNodeId, pd.volume))) continue;
          const gone = { ...pd, replication: "Off", peerDisk: "DUnknown", peerClient: false, resyncSuspended: false } as const;
          this.#applyPeerDevice("Destroy", gone, emit);
        }
        if (seen.has(keyOf.connection(name, c.peerNodeId))) continue;
        this.#applyConnection("Destroy", { ...c, connection: "StandAlone", peerRole: "Unknown", congested: false }, emit);
      }
      for (const d of [...r.devices.values()]) {
        if (seen.has(keyOf.device(name, d.volume))) continue;
        this.#applyDevice("Destroy", { ...d, diskState: "DUnknown", client: false, quorum: false, size: 0, open: false }, emit);
      }
      if (!seen.has(keyOf.resource(name))) {
        this.#applyResource("Destroy", { ...r, role: "Unknown", mayPromote: false, promotionScore: 0 }, emit);
      }
    }
  }

  #applyResource(type: EventType, fields: ResourceFields, emit: UpdateSink): void {
    const name = fields.name;
    const now = resourceState(fields);
    if (type === "Destroy") {
      const stored = this.#resources.get(name);
      const old = stored ? resourceState(stored) : DEFAULT_RESOURCE_STATE;
      if (stored) {
        this.#resources.delete(name);
        this.#shared.delete(stored);
        this.#generation++;
      }
      // The snapshot is the resource as it was; nothing changes it any more.
      const snapshot = stored ?? newResource(name);
      this.#emit(emit, { kind: "resource", event: "Destroy", resourceName: name, old, new: now, resource: snapshot });
      return;
    }
    this.#see(keyOf.resource(name));
    const r = this.#ownedOrNew(name);
    const old = resourceState(r);
    r.role = fields.role;
    r.suspended = fields.suspended;
    r.forceIoFailures = fields.forceIoFailures;
    r.writeOrdering = fields.writeOrdering;
    r.mayPromote = fields.mayPromote;
    r.promotionScore = fields.promotionScore;
    this.#generation++;
    if (!sameState(old, now)) this.#emit(emit, { kind: "resource", event: type, resourceName: name, old, new: now, resource: r });
  }

  #applyDevice(type: EventType, device: Device, emit: UpdateSink): void {
    const volume = device.volume;
    if (type === "Destroy") {
      const existing = this.#resources.get(device.name)?.devices.get(volume);
      if (!existing) return;
      const r = this.#owned(device.name)!;
      r.devices.delete(volume);
      this.#generation++;
      const update = { kind: "device", event: "Destroy", resourceName: r.name, volume, old: deviceState(existing), new: deviceState(device), resource: r } as const;
      this.#emit(emit, update);
      return;
    }
    this.#see(keyOf.device(device.name, volume));
    const r = this.#ownedOrNew(device.name);
    const existing = r.devices.get(volume);
    setSorted(r.devices, volume, device, byNumber);
    this.#generation++;
    if (existing === undefined) {
      this.#emit(emit, { kind: "device", event: type, resourceName: r.name, volume, old: DEFAULT_DEVICE_STATE, new: deviceState(device), resource: r });
    } else if (
      existing.diskState !== device.diskState ||
      existing.client !== device.client ||
      existing.quorum !== device.quorum ||
      existing.size !== device.size ||
      existing.open !== device.open
    ) {
      this.#emit(emit, { kind: "device", event: type, resourceName: r.name, volume, old: deviceState(existing), new: deviceState(device), resource: r });
    }
  }

  #applyConnection(type: EventType, conn: ConnectionFields, emit: UpdateSink): void {
    const peer = conn.peerNodeId;
    if (type === "Destroy") {
      const existing = this.#resources.get(conn.name)?.connections.get(peer);
      if (!existing) return;
      const r = this.#owned(conn.name)!;
      // Its peer devices and paths go with it, without updates of their own.
      r.connections.delete(peer);
      this.#generation++;
      const update = {
        kind: "connection",
        event: "Destroy",
        resourceName: r.name,
        peerNodeId: peer,
        old: connectionState(existing),
        new: connectionState(conn),
        resource: r,
      } as const;
      this.#emit(emit, update);
      return;
    }
    this.#see(keyOf.connection(conn.name, peer));
    const r = this.#ownedOrNew(conn.name);
    const existing = r.connections.get(peer);
    const old = existing ? connectionState(existing) : DEFAULT_CONNECTION_STATE;
    if (existing) {
      // A connection line carries no peer devices or paths: keep the stored ones.
      existing.connName = conn.connName;
      existing.connection = conn.connection;
      existing.peerRole = conn.peerRole;
      existing.congested = conn.congested;
      existing.apInFlight = conn.apInFlight;
      existing.rsInFlight = conn.rsInFlight;
      existing.syncState = conn.syncState;
    } else {
      setSorted(r.connections, peer, ownedConnection(conn, new Map(), new Map()), byNumber);
    }
    this.#generation++;
    const now = connectionState(conn);
    if (!existing || !sameState(old, now)) {
      this.#emit(emit, { kind: "connection", event: type, resourceName: r.name, peerNodeId: peer, old, new: now, resource: r });
    }
  }

  #applyPeerDevice(type: EventType, pd: PeerDevice, emit: UpdateSink): void {
    const { peerNodeId, volume } = pd;
    if (type === "Destroy") {
      const existing = this.#resources.get(pd.name)?.connections.get(peerNodeId)?.peerDevices.get(volume);
      if (!existing) return;
      const r = this.#owned(pd.name)!;
      // The connection stays, even when this was its last peer device.
      r.connections.get(peerNodeId)!.peerDevices.delete(volume);
      this.#generation++;
      const update = {
        kind: "peer-device",
        event: "Destroy",
        resourceName: r.name,
        volume,
        peerNodeId,
        old: peerDeviceState(existing),
        new: peerDeviceState(pd),
        resource: r,
      } as const;
      this.#emit(emit, update);
      return;
    }
    this.#see(keyOf.peerDevice(pd.name, peerNodeId, volume));
    const r = this.#ownedOrNew(pd.name);
    let conn = r.connections.get(peerNodeId);
    if (conn === undefined) {
      conn = placeholderConnection(r.name, peerNodeId);
      setSorted(r.connections, peerNodeId, conn, byNumber);
    }
    const existing = conn.peerDevices.get(volume);
    setSorted(conn.peerDevices, volume, pd, byNumber);
    this.#generation++;
    if (
      existing === undefined ||
      existing.replication !== pd.replication ||
      existing.peerDisk !== pd.peerDisk ||
      existing.peerClient !== pd.peerClient ||
      existing.resyncSuspended !== pd.resyncSuspended
    ) {
      const old = existing ? peerDeviceState(existing) : DEFAULT_PEER_DEVICE_STATE;
      this.#emit(emit, { kind: "peer-device", event: type, resourceName: r.name, volume, peerNodeId, old, new: peerDeviceState(pd), resource: r });
    }
  }

  #applyPath(type: EventType, path: Path): void {
    const key = pathKey(path.local, path.peer);
    if (type === "Destroy") {
      if (!this.#resources.get(path.name)?.connections.get(path.peerNodeId)?.paths.has(key)) return;
      this.#owned(path.name)!.connections.get(path.peerNodeId)!.paths.delete(key);
      this.#generation++;
      return;
    }
    this.#see(keyOf.path(path.name, path.peerNodeId, key));
    const r = this.#ownedOrNew(path.name);
    let conn = r.connections.get(path.peerNodeId);
    if (conn === undefined) {
      conn = placeholderConnection(r.name, path.peerNodeId);
      setSorted(r.connections, path.peerNodeId, conn, byNumber);
    }
    setSorted(conn.paths, key, path, byPathKey);
    this.#generation++;
  }

  #applyHelper(type: "call" | "response", h: HelperCall, emit: UpdateSink): void {
    this.#emit(emit, {
      kind: "helper",
      event: type,
      resourceName: h.name,
      helper: h.helper,
      volume: h.volume,
      minor: h.minor,
      peerNodeId: h.peerNodeId,
      connName: h.connName,
      status: type === "response" ? h.status : null,
      resource: this.#resources.get(h.name) ?? newResource(h.name),
    });
  }

  #applyRename(oldName: string, newName: string, emit: UpdateSink): void {
    const stored = this.#resources.get(oldName);
    if (!stored) return;
    // Children carry the resource name too: rename them so no stale name survives.
    const renamed = newResource(newName);
    Object.assign(renamed, { ...stored, name: newName, devices: renamed.devices, connections: renamed.connections });
    for (const [k, d] of stored.devices) renamed.devices.set(k, { ...d, name: newName });
    for (const [k, c] of stored.connections) {
      const conn = ownedConnection({ ...c, name: newName }, new Map(), new Map());
      for (const [v, pd] of c.peerDevices) conn.peerDevices.set(v, { ...pd, name: newName });
      for (const [pk, p] of c.paths) conn.paths.set(pk, { ...p, name: newName });
      renamed.connections.set(k, conn);
    }
    this.#resources.delete(oldName);
    this.#shared.delete(stored);
    this.#resources.set(newName, renamed);
    this.#generation++;
    this.#emit(emit, { kind: "rename", oldName, resourceName: newName, resource: renamed });
  }
}
