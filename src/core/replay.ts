/**
 * Replay of the known state to a plugin that starts while the daemon runs
 * (reload, restart after a crash). Follows upstream's order (spec core.md
 * §3.6) so a promoter learns devices and connections before it learns that
 * the resource may be promoted — but unlike upstream, peer devices are
 * replayed too (COMPAT.md "Replay").
 *
 * @module
 */
import type { Device, Resource } from "../drbd/types.ts";
import { connectionWith, emptyResource, withChildren, type UpdateSink } from "./state.ts";
import {
  connectionState,
  DEFAULT_CONNECTION_STATE,
  DEFAULT_DEVICE_STATE,
  DEFAULT_PEER_DEVICE_STATE,
  DEFAULT_RESOURCE_STATE,
  deviceState,
  peerDeviceState,
  resourceState,
  sameState,
} from "./updates.ts";

/**
 * Emit the updates that build `resource` up from nothing:
 * 1. `Resource Exists` with default old and new (role Unknown, may-promote false);
 * 2. `Device Exists` per volume, ascending;
 * 3. per connection, ascending: `Connection Exists` (paths included), then
 *    `PeerDevice Exists` per volume;
 * 4. `Resource Change` from the defaults to the real state, if it differs.
 *
 * Each update's snapshot is the resource as built so far; the last one is
 * `resource` itself.
 */
export function replayResource(resource: Resource, emit: UpdateSink): void {
  const name = resource.name;
  let r = emptyResource(name);
  emit({ kind: "resource", event: "Exists", resourceName: name, old: DEFAULT_RESOURCE_STATE, new: DEFAULT_RESOURCE_STATE, resource: r });

  const devices = new Map<number, Device>();
  for (const [volume, device] of resource.devices) {
    devices.set(volume, device);
    r = withChildren(r, new Map(devices), r.connections);
    emit({ kind: "device", event: "Exists", resourceName: name, volume, old: DEFAULT_DEVICE_STATE, new: deviceState(device), resource: r });
  }

  const connections = new Map(r.connections);
  for (const [peerNodeId, conn] of resource.connections) {
    let building = connectionWith(conn, new Map(), conn.paths);
    connections.set(peerNodeId, building);
    r = withChildren(r, r.devices, new Map(connections));
    emit({
      kind: "connection",
      event: "Exists",
      resourceName: name,
      peerNodeId,
      old: DEFAULT_CONNECTION_STATE,
      new: connectionState(conn),
      resource: r,
    });
    for (const [volume, pd] of conn.peerDevices) {
      building = connectionWith(building, new Map(building.peerDevices).set(volume, pd), building.paths);
      connections.set(peerNodeId, building);
      r = withChildren(r, r.devices, new Map(connections));
      emit({
        kind: "peer-device",
        event: "Exists",
        resourceName: name,
        volume,
        peerNodeId,
        old: DEFAULT_PEER_DEVICE_STATE,
        new: peerDeviceState(pd),
        resource: r,
      });
    }
  }

  const actual = resourceState(resource);
  if (!sameState(actual, DEFAULT_RESOURCE_STATE)) {
    emit({ kind: "resource", event: "Change", resourceName: name, old: DEFAULT_RESOURCE_STATE, new: actual, resource });
  }
}

/** Replay every resource, by name, so the order is deterministic. */
export function replayAll(resources: Iterable<Resource>, emit: UpdateSink): void {
  const sorted = [...resources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const r of sorted) replayResource(r, emit);
}
