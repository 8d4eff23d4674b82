import { describe, expect, test } from "bun:test";
import { parseLine } from "../../../src/core/events2.ts";
import { ResourceStore } from "../../../src/core/state.ts";
import type { PluginUpdate } from "../../../src/core/updates.ts";

/** A store fed with `lines`; returns the updates of the last line only (and the store). */
function feed(store: ResourceStore, ...lines: string[]): PluginUpdate[] {
  let last: PluginUpdate[] = [];
  for (const line of lines) {
    const e = parseLine(line);
    if (e.kind === "error") throw new Error(`${line}: ${e.message}`);
    last = [];
    store.apply(e, (u) => last.push(u));
  }
  return last;
}

const RES = "exists resource name:foo role:Primary suspended:yes write-ordering:foo may_promote:yes promotion_score:23";
const dev = (vol: number, extra = "") => `exists device name:foo volume:${vol} minor:${vol} disk:UpToDate quorum:no ${extra}`;
const conn = (peer: number, extra = "") => `exists connection name:foo peer-node-id:${peer} conn-name:p${peer} connection:Connected role:Secondary ${extra}`;
const pd = (peer: number, vol: number, extra = "") =>
  `exists peer-device name:foo peer-node-id:${peer} conn-name:p${peer} volume:${vol} replication:Established peer-disk:UpToDate ${extra}`;

describe("resource lines", () => {
  test("same projection: no update; suspended and write-ordering changes stay silent but are stored", () => {
    const s = new ResourceStore();
    feed(s, RES);
    expect(feed(s, RES)).toEqual([]);
    expect(feed(s, RES.replace("suspended:yes", "suspended:no").replace("write-ordering:foo", "write-ordering:flush"))).toEqual([]);
    expect(s.get("foo")).toMatchObject({ suspended: false, writeOrdering: "flush" });
  });

  test("may_promote flip reports old and new", () => {
    const s = new ResourceStore();
    feed(s, RES);
    const [u] = feed(s, RES.replace("may_promote:yes", "may_promote:no"));
    expect(u).toMatchObject({
      kind: "resource",
      event: "Exists",
      old: { role: "Primary", mayPromote: true, promotionScore: 23 },
      new: { role: "Primary", mayPromote: false, promotionScore: 23 },
    });
  });

  test("destroy always emits, even for an unknown resource, and removes it", () => {
    const s = new ResourceStore();
    expect(feed(s, "destroy resource name:ghost")).toMatchObject([{ kind: "resource", event: "Destroy", resourceName: "ghost" }]);
    feed(s, RES, dev(0));
    const [u] = feed(s, "destroy resource name:foo");
    expect(u).toMatchObject({ event: "Destroy", old: { role: "Primary" }, new: { role: "Unknown" } });
    // The snapshot of a resource destroy is the resource as it was.
    expect(u!.resource.devices.size).toBe(1);
    expect(s.get("foo")).toBeUndefined();
  });

  test("a resource line keeps devices and connections", () => {
    const s = new ResourceStore();
    feed(s, RES, dev(0), conn(1));
    feed(s, RES.replace("role:Primary", "role:Secondary"));
    expect(s.get("foo")!.devices.size).toBe(1);
    expect(s.get("foo")!.connections.size).toBe(1);
  });
});

describe("devices", () => {
  test("same: none; quorum change: update; new device: update with default old; destroy: update without the device", () => {
    const s = new ResourceStore();
    feed(s, RES);
    const [created] = feed(s, dev(0));
    expect(created).toMatchObject({ kind: "device", volume: 0, old: { diskState: "DUnknown", quorum: false }, new: { diskState: "UpToDate" } });
    expect(feed(s, dev(0))).toEqual([]);
    const [changed] = feed(s, dev(0).replace("quorum:no", "quorum:yes"));
    expect(changed).toMatchObject({ old: { quorum: false }, new: { quorum: true } });
    expect(changed!.resource.devices.get(0)!.quorum).toBe(true);
    const [destroyed] = feed(s, "destroy device name:foo volume:0");
    expect(destroyed).toMatchObject({ event: "Destroy", old: { diskState: "UpToDate" }, new: { diskState: "DUnknown" } });
    expect(destroyed!.resource.devices.size).toBe(0);
    expect(feed(s, "destroy device name:foo volume:0")).toEqual([]);
  });

  test("a statistics-only change emits nothing; size is part of the projection", () => {
    const s = new ResourceStore();
    feed(s, RES, dev(0, "size:10 read:1"));
    expect(feed(s, dev(0, "size:10 read:2"))).toEqual([]);
    expect(s.get("foo")!.devices.get(0)!.read).toBe(2);
    expect(feed(s, dev(0, "size:11 read:2"))).toMatchObject([{ old: { size: 10 }, new: { size: 11 } }]);
  });

  test("volumes are kept in ascending order whatever the arrival order", () => {
    const s = new ResourceStore();
    feed(s, RES, dev(5), dev(2), dev(0), dev(3));
    expect([...s.get("foo")!.devices.keys()]).toEqual([0, 2, 3, 5]);
  });

  test("a device of an unknown resource creates the resource; a destroy of one does not", () => {
    const s = new ResourceStore();
    feed(s, "destroy device name:nothing volume:0");
    expect(s.get("nothing")).toBeUndefined();
    feed(s, "change device name:new volume:0 disk:Diskless");
    expect(s.get("new")).toMatchObject({ role: "Unknown" });
  });
});

describe("connections and peer devices", () => {
  test("peer devices on two peers create two placeholder connections", () => {
    const s = new ResourceStore();
    feed(s, RES, pd(1, 0), pd(2, 0));
    const r = s.get("foo")!;
    expect([...r.connections.keys()]).toEqual([1, 2]);
    expect(r.connections.get(1)).toMatchObject({ connName: "", connection: "StandAlone", peerRole: "Unknown" });
  });

  test("congested connection update keeps the peer device", () => {
    const s = new ResourceStore();
    feed(s, RES, conn(1), pd(1, 1));
    const [u] = feed(s, conn(1, "congested:yes"));
    expect(u).toMatchObject({ kind: "connection", peerNodeId: 1, old: { congested: false }, new: { congested: true } });
    expect(s.get("foo")!.connections.get(1)!.peerDevices.has(1)).toBe(true);
  });

  test("peer-client change is a Change update; destroying a peer device keeps its connection", () => {
    const s = new ResourceStore();
    feed(s, RES, conn(1), pd(1, 1));
    const [u] = feed(s, pd(1, 1, "peer-client:yes").replace("exists", "change"));
    expect(u).toMatchObject({ kind: "peer-device", event: "Change", volume: 1, peerNodeId: 1, old: { peerClient: false }, new: { peerClient: true } });
    const [d] = feed(s, "destroy peer-device name:foo peer-node-id:1 volume:1");
    expect(d).toMatchObject({ event: "Destroy" });
    expect(s.get("foo")!.connections.get(1)!.peerDevices.size).toBe(0);
  });

  test("peer devices of four (peer, volume) pairs: replace and delete", () => {
    const s = new ResourceStore();
    feed(s, RES, pd(1, 0), pd(1, 1), pd(2, 0), pd(2, 1));
    feed(s, pd(2, 0, "sent:23"));
    expect(s.get("foo")!.connections.get(2)!.peerDevices.get(0)!.sent).toBe(23);
    feed(s, "destroy peer-device name:foo peer-node-id:1 volume:0", "destroy peer-device name:foo peer-node-id:2 volume:1");
    const r = s.get("foo")!;
    expect([...r.connections.get(1)!.peerDevices.keys()]).toEqual([1]);
    expect([...r.connections.get(2)!.peerDevices.keys()]).toEqual([0]);
  });

  test("paths never emit; same (local, peer) replaces; destroy of an unknown path is a no-op", () => {
    const s = new ResourceStore();
    const path = (local: string, est = "no") =>
      `change path name:foo peer-node-id:1 conn-name:p1 local:${local} peer:ipv4:10.0.0.2:7000 established:${est}`;
    expect(feed(s, RES, path("ipv4:10.0.0.1:7000"))).toEqual([]);
    feed(s, path("ipv4:10.0.1.1:7000"), path("ipv4:10.0.0.1:7000", "yes"));
    const paths = s.get("foo")!.connections.get(1)!.paths;
    expect(paths.size).toBe(2);
    expect([...paths.values()].map((p) => [p.local, p.established])).toEqual([
      ["ipv4:10.0.0.1:7000", true],
      ["ipv4:10.0.1.1:7000", false],
    ]);
    expect(feed(s, "destroy path name:foo peer-node-id:1 local:ipv4:9.9.9.9:1 peer:ipv4:10.0.0.2:7000")).toEqual([]);
    expect(s.get("foo")!.connections.get(1)!.paths.size).toBe(2);
  });
});

describe("snapshots", () => {
  test("an update's snapshot never changes afterwards (immutability)", () => {
    const s = new ResourceStore();
    const [first] = feed(s, RES);
    const before = JSON.stringify({ ...first!.resource, devices: [...first!.resource.devices] });
    feed(s, dev(0), conn(1), pd(1, 0), RES.replace("role:Primary", "role:Secondary"));
    expect(JSON.stringify({ ...first!.resource, devices: [...first!.resource.devices] })).toBe(before);
    expect(first!.resource).not.toBe(s.get("foo"));
  });

  test("generation counts every change, statistics included", () => {
    const s = new ResourceStore();
    feed(s, RES, dev(0, "read:1"));
    const g = s.generation;
    feed(s, dev(0, "read:2"));
    expect(s.generation).toBe(g + 1);
  });
});

describe("initial dump", () => {
  test("complete after exists -, or after the first live line of old utils", () => {
    const s = new ResourceStore();
    feed(s, RES);
    expect(s.initialDumpComplete).toBe(false);
    feed(s, "exists -");
    expect(s.initialDumpComplete).toBe(true);
    const old = new ResourceStore();
    feed(old, RES, RES.replace("exists", "change"));
    expect(old.initialDumpComplete).toBe(true);
  });
});

describe("copy-on-share", () => {
  test("a resource from get() never changes under its holder; the store moves on", () => {
    const s = new ResourceStore();
    feed(s, RES, dev(0, "read:1"), conn(1), pd(1, 0, "sent:1"), conn(2), pd(2, 0, "sent:1"));
    const held = s.get("foo")!;
    feed(s, dev(0, "read:2"), pd(1, 0, "sent:2"), conn(1, "ap-in-flight:9"), RES.replace("suspended:yes", "suspended:no"));
    expect(held.devices.get(0)!.read).toBe(1);
    expect(held.connections.get(1)!.peerDevices.get(0)!.sent).toBe(1);
    expect(held.connections.get(1)!.apInFlight).toBe(0);
    expect(held.suspended).toBe(true);
    const now = s.get("foo")!;
    expect(now.devices.get(0)!.read).toBe(2);
    expect(now.connections.get(1)!.peerDevices.get(0)!.sent).toBe(2);
    expect(now.connections.get(1)!.apInFlight).toBe(9);
  });

  test("an emitted snapshot survives later changes to sibling connections", () => {
    const s = new ResourceStore();
    feed(s, RES, conn(1), pd(1, 0), conn(2), pd(2, 0, "sent:1"));
    const [u] = feed(s, pd(1, 0, "peer-client:yes"));
    const snapshot = u!.resource;
    // Statistics on the other connection, a new volume, a new path: none may reach the snapshot.
    feed(s, pd(2, 0, "sent:5"), pd(2, 1), "change path name:foo peer-node-id:2 local:a peer:b", dev(3));
    expect(snapshot.connections.get(2)!.peerDevices.get(0)!.sent).toBe(1);
    expect([...snapshot.connections.get(2)!.peerDevices.keys()]).toEqual([0]);
    expect(snapshot.connections.get(2)!.paths.size).toBe(0);
    expect(snapshot.devices.size).toBe(0);
  });

  test("only the first change after a hand-out copies; later ones work in place", () => {
    const s = new ResourceStore();
    feed(s, RES, dev(0, "read:1"));
    expect(s.sharedCount).toBe(1); // the device's Create update handed the resource out
    const held = s.get("foo")!;
    feed(s, dev(0, "read:2"));
    expect(s.sharedCount).toBe(0); // copied once, the copy is private
    feed(s, dev(0, "read:3"), dev(0, "read:4"));
    expect(s.sharedCount).toBe(0);
    expect(held.devices.get(0)!.read).toBe(1);
    expect(s.get("foo")!.devices.get(0)!.read).toBe(4);
  });

  test("destroyed resources and helper lines for unknown resources are not tracked", () => {
    const s = new ResourceStore();
    feed(s, RES, "destroy resource name:foo", "call helper name:nobody helper:fence-peer");
    expect(s.sharedCount).toBe(0);
  });
});
