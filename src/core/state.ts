/**
 * The state of every DRBD resource on this node, built from events2 lines
 * (spec core.md §3).
 *
 * Stored objects are immutable: applying a line builds new objects along the
 * path from the changed object up to its resource and swaps the resource in
 * the map. So "replace, never merge" is literal, and a {@link Resource}
 * reference handed to a plugin is a consistent snapshot for free: no deep copy
 * per update.
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

const EMPTY_DEVICES: ReadonlyMap<number, Device> = new Map();
const EMPTY_CONNECTIONS: ReadonlyMap<number, Connection> = new Map();
const EMPTY_PEER_DEVICES: ReadonlyMap<number, PeerDevice> = new Map();
const EMPTY_PATHS: ReadonlyMap<string, Path> = new Map();

/** An empty resource with defaults (role Unknown …). */
export function emptyResource(name: string): Resource {
  return withChildren(
    {
      name,
      role: "Unknown",
      suspended: false,
      forceIoFailures: false,
      writeOrdering: "",
      mayPromote: false,
      promotionScore: 0,
    },
    EMPTY_DEVICES,
    EMPTY_CONNECTIONS,
  );
}

/** A resource from its fields and children (one object shape for all resources). */
export function withChildren(
  r: ResourceFields,
  devices: ReadonlyMap<number, Device>,
  connections: ReadonlyMap<number, Connection>,
): Resource {
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
function placeholderConnection(name: string, peerNodeId: number): Connection {
  return connectionWith(
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
    EMPTY_PEER_DEVICES,
    EMPTY_PATHS,
  );
}

const byNumber = (a: number, b: number): number => a - b;
const byPathKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** `map` with `key` set to `value`, keys kept in ascending order. Small maps: copying is cheap. */
function sortedWith<K, V>(map: ReadonlyMap<K, V>, key: K, value: V, compare: (a: K, b: K) => number): Map<K, V> {
  const next = new Map(map);
  if (map.has(key)) return next.set(key, value);
  let last: K | undefined;
  for (const k of map.keys()) last = k;
  if (last === undefined || compare(last, key) < 0) return next.set(key, value);
  next.set(key, value);
  return new Map([...next].sort((a, b) => compare(a[0], b[0])));
}

function without<K, V>(map: ReadonlyMap<K, V>, key: K): Map<K, V> {
  const next = new Map(map);
  next.delete(key);
  return next;
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
  #resources = new Map<string, Resource>();
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
    return this.#resources.get(name);
  }
  resources(): IterableIterator<Resource> {
    return this.#resources.values();
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
        return this.#applyResource(event.type === "Destroy", event.type, event.resource, emit);
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

  #set(r: Resource): void {
    this.#resources.set(r.name, r);
    this.#generation++;
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
      for (const c of this.#resources.get(name)!.connections.values()) {
        for (const p of c.paths.values()) {
          if (!seen.has(keyOf.path(name, c.peerNodeId, pathKey(p.local, p.peer)))) this.#applyPath("Destroy", p);
        }
        for (const pd of c.peerDevices.values()) {
          if (seen.has(keyOf.peerDevice(name, c.peerNodeId, pd.volume))) continue;
          const gone = { ...pd, replication: "Off", peerDisk: "DUnknown", peerClient: false, resyncSuspended: false } as const;
          this.#applyPeerDevice("Destroy", gone, emit);
        }
      }
      for (const c of this.#resources.get(name)!.connections.values()) {
        if (seen.has(keyOf.connection(name, c.peerNodeId))) continue;
        this.#applyConnection("Destroy", { ...c, connection: "StandAlone", peerRole: "Unknown", congested: false }, emit);
      }
      for (const d of this.#resources.get(name)!.devices.values()) {
        if (seen.has(keyOf.device(name, d.volume))) continue;
        this.#applyDevice("Destroy", { ...d, diskState: "DUnknown", client: false, quorum: false, size: 0, open: false }, emit);
      }
      if (!seen.has(keyOf.resource(name))) {
        const r = this.#resources.get(name)!;
        this.#applyResource(true, "Destroy", { ...r, role: "Unknown", mayPromote: false, promotionScore: 0 }, emit);
      }
    }
  }

  #applyResource(destroy: boolean, type: EventType, fields: ResourceFields, emit: UpdateSink): void {
    const stored = this.#resources.get(fields.name);
    const old = stored ? resourceState(stored) : DEFAULT_RESOURCE_STATE;
    const now = resourceState(fields);
    if (destroy) {
      const snapshot = stored ?? emptyResource(fields.name);
      if (stored) {
        this.#resources.delete(fields.name);
        this.#generation++;
      }
      emit({ kind: "resource", event: "Destroy", resourceName: fields.name, old, new: now, resource: snapshot });
      return;
    }
    this.#see(keyOf.resource(fields.name));
    const next = withChildren(fields, stored?.devices ?? EMPTY_DEVICES, stored?.connections ?? EMPTY_CONNECTIONS);
    this.#set(next);
    if (!sameState(old, now)) emit({ kind: "resource", event: type, resourceName: fields.name, old, new: now, resource: next });
  }

  /** The stored resource, or a new empty one for lines about sub-objects of a resource we have not seen. */
  #resourceFor(name: string): Resource {
    return this.#resources.get(name) ?? emptyResource(name);
  }

  #applyDevice(type: EventType, device: Device, emit: UpdateSink): void {
    const stored = this.#resources.get(device.name);
    if (type === "Destroy") {
      const existing = stored?.devices.get(device.volume);
      if (!stored || !existing) return;
      const next = withChildren(stored, without(stored.devices, device.volume), stored.connections);
      this.#set(next);
      emit({
        kind: "device",
        event: "Destroy",
        resourceName: device.name,
        volume: device.volume,
        old: deviceState(existing),
        new: deviceState(device),
        resource: next,
      });
      return;
    }
    this.#see(keyOf.device(device.name, device.volume));
    const r = stored ?? emptyResource(device.name);
    const existing = r.devices.get(device.volume);
    const next = withChildren(r, sortedWith(r.devices, device.volume, device, byNumber), r.connections);
    this.#set(next);
    const old = existing ? deviceState(existing) : DEFAULT_DEVICE_STATE;
    const now = deviceState(device);
    if (!existing || !sameState(old, now)) {
      emit({ kind: "device", event: type, resourceName: device.name, volume: device.volume, old, new: now, resource: next });
    }
  }

  #applyConnection(type: EventType, conn: ConnectionFields, emit: UpdateSink): void {
    const stored = this.#resources.get(conn.name);
    if (type === "Destroy") {
      const existing = stored?.connections.get(conn.peerNodeId);
      if (!stored || !existing) return;
      const next = withChildren(stored, stored.devices, without(stored.connections, conn.peerNodeId));
      this.#set(next);
      emit({
        kind: "connection",
        event: "Destroy",
        resourceName: conn.name,
        peerNodeId: conn.peerNodeId,
        old: connectionState(existing),
        new: connectionState(conn),
        resource: next,
      });
      return;
    }
    this.#see(keyOf.connection(conn.name, conn.peerNodeId));
    const r = stored ?? emptyResource(conn.name);
    const existing = r.connections.get(conn.peerNodeId);
    // A connection line carries no peer devices or paths: keep the stored ones.
    const stored_ = connectionWith(conn, existing?.peerDevices ?? EMPTY_PEER_DEVICES, existing?.paths ?? EMPTY_PATHS);
    const next = withChildren(r, r.devices, sortedWith(r.connections, conn.peerNodeId, stored_, byNumber));
    this.#set(next);
    const old = existing ? connectionState(existing) : DEFAULT_CONNECTION_STATE;
    const now = connectionState(conn);
    if (!existing || !sameState(old, now)) {
      emit({ kind: "connection", event: type, resourceName: conn.name, peerNodeId: conn.peerNodeId, old, new: now, resource: next });
    }
  }

  #applyPeerDevice(type: EventType, pd: PeerDevice, emit: UpdateSink): void {
    const stored = this.#resources.get(pd.name);
    if (type === "Destroy") {
      const conn = stored?.connections.get(pd.peerNodeId);
      const existing = conn?.peerDevices.get(pd.volume);
      if (!stored || !conn || !existing) return;
      // The connection stays, even when this was its last peer device.
      const nextConn = connectionWith(conn, without(conn.peerDevices, pd.volume), conn.paths);
      const next = withChildren(stored, stored.devices, sortedWith(stored.connections, pd.peerNodeId, nextConn, byNumber));
      this.#set(next);
      emit({
        kind: "peer-device",
        event: "Destroy",
        resourceName: pd.name,
        volume: pd.volume,
        peerNodeId: pd.peerNodeId,
        old: peerDeviceState(existing),
        new: peerDeviceState(pd),
        resource: next,
      });
      return;
    }
    this.#see(keyOf.peerDevice(pd.name, pd.peerNodeId, pd.volume));
    const r = stored ?? emptyResource(pd.name);
    const conn = r.connections.get(pd.peerNodeId) ?? placeholderConnection(pd.name, pd.peerNodeId);
    const existing = conn.peerDevices.get(pd.volume);
    const nextConn = connectionWith(conn, sortedWith(conn.peerDevices, pd.volume, pd, byNumber), conn.paths);
    const next = withChildren(r, r.devices, sortedWith(r.connections, pd.peerNodeId, nextConn, byNumber));
    this.#set(next);
    const old = existing ? peerDeviceState(existing) : DEFAULT_PEER_DEVICE_STATE;
    const now = peerDeviceState(pd);
    if (!existing || !sameState(old, now)) {
      emit({
        kind: "peer-device",
        event: type,
        resourceName: pd.name,
        volume: pd.volume,
        peerNodeId: pd.peerNodeId,
        old,
        new: now,
        resource: next,
      });
    }
  }

  #applyPath(type: EventType, path: Path): void {
    const key = pathKey(path.local, path.peer);
    const stored = this.#resources.get(path.name);
    if (type === "Destroy") {
      const conn = stored?.connections.get(path.peerNodeId);
      if (!stored || !conn || !conn.paths.has(key)) return;
      const nextConn = connectionWith(conn, conn.peerDevices, without(conn.paths, key));
      this.#set(withChildren(stored, stored.devices, sortedWith(stored.connections, path.peerNodeId, nextConn, byNumber)));
      return;
    }
    this.#see(keyOf.path(path.name, path.peerNodeId, key));
    const r = stored ?? emptyResource(path.name);
    const conn = r.connections.get(path.peerNodeId) ?? placeholderConnection(path.name, path.peerNodeId);
    const nextConn = connectionWith(conn, conn.peerDevices, sortedWith(conn.paths, key, path, byPathKey));
    this.#set(withChildren(r, r.devices, sortedWith(r.connections, path.peerNodeId, nextConn, byNumber)));
  }

  #applyHelper(type: "call" | "response", h: HelperCall, emit: UpdateSink): void {
    emit({
      kind: "helper",
      event: type,
      resourceName: h.name,
      helper: h.helper,
      volume: h.volume,
      minor: h.minor,
      peerNodeId: h.peerNodeId,
      connName: h.connName,
      status: type === "response" ? h.status : null,
      resource: this.#resourceFor(h.name),
    });
  }

  #applyRename(oldName: string, newName: string, emit: UpdateSink): void {
    const stored = this.#resources.get(oldName);
    if (!stored) return;
    // Children carry the resource name too: rename them so no stale name survives.
    const devices = new Map([...stored.devices].map(([k, d]) => [k, { ...d, name: newName }]));
    const connections = new Map(
      [...stored.connections].map(([k, c]) => [
        k,
        connectionWith(
          { ...c, name: newName },
          new Map([...c.peerDevices].map(([v, pd]) => [v, { ...pd, name: newName }])),
          new Map([...c.paths].map(([pk, p]) => [pk, { ...p, name: newName }])),
        ),
      ]),
    );
    const next = withChildren({ ...stored, name: newName }, devices, connections);
    this.#resources.delete(oldName);
    this.#set(next);
    emit({ kind: "rename", oldName, resourceName: newName, resource: next });
  }
}
