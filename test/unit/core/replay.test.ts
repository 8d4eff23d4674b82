import { expect, test } from "bun:test";
import { debugRecord } from "../../../plugins/debugger/format.ts";
import { parseLine } from "../../../src/core/events2.ts";
import { replayAll } from "../../../src/core/replay.ts";
import { ResourceStore } from "../../../src/core/state.ts";
import type { PluginUpdate } from "../../../src/core/updates.ts";

function storeOf(lines: string[]): ResourceStore {
  const s = new ResourceStore();
  for (const l of lines) {
    const e = parseLine(l);
    if (e.kind === "error") throw new Error(e.message);
    s.apply(e, () => {});
  }
  return s;
}

const LINES = [
  "exists resource name:web role:Primary suspended:no may_promote:no promotion_score:10102",
  "exists connection name:web peer-node-id:2 conn-name:charlie connection:Connecting role:Unknown",
  "exists connection name:web peer-node-id:1 conn-name:bravo connection:Connected role:Secondary",
  "exists device name:web volume:1 minor:1001 disk:UpToDate quorum:yes size:8",
  "exists device name:web volume:0 minor:1000 disk:UpToDate quorum:yes size:8",
  "exists peer-device name:web peer-node-id:1 conn-name:bravo volume:0 replication:Established peer-disk:UpToDate",
  "exists peer-device name:web peer-node-id:1 conn-name:bravo volume:1 replication:Established peer-disk:UpToDate",
  "exists path name:web peer-node-id:1 conn-name:bravo local:ipv4:10.0.0.1:7000 peer:ipv4:10.0.0.2:7000 established:yes",
  "exists resource name:db role:Secondary suspended:no may_promote:no promotion_score:0",
  "exists resource name:blank role:Unknown suspended:no may_promote:no promotion_score:0",
  "exists -",
];

test("replay order: resource with defaults, devices, connections each followed by its peer devices, then the real resource state", () => {
  const updates: PluginUpdate[] = [];
  replayAll(storeOf(LINES).resources(), (u) => updates.push(u));
  const summary = updates.map((u) => {
    const r = debugRecord(u);
    return [r.type, r.event, r.resource, r.volume ?? "", r["peer-node-id"] ?? ""].join(" ").trim();
  });
  expect(summary).toEqual([
    // db has no children: the defaults, then its real role (Secondary differs from Unknown).
    // blank's real state equals the defaults: no final Change.
    "Resource Exists blank",
    "Resource Exists db",
    "Resource Change db",
    "Resource Exists web",
    "Device Exists web 0",
    "Device Exists web 1",
    "Connection Exists web  1",
    "PeerDevice Exists web 0 1",
    "PeerDevice Exists web 1 1",
    "Connection Exists web  2",
    "Resource Change web",
  ]);
  expect(updates.at(-1)).toMatchObject({ old: { role: "Unknown", mayPromote: false }, new: { role: "Primary", promotionScore: 10102 } });
});

test("snapshots grow step by step and end at the stored resource", () => {
  const store = storeOf(LINES);
  const updates: PluginUpdate[] = [];
  replayAll(store.resources(), (u) => u.resourceName === "web" && updates.push(u));
  expect(updates[0]!.resource.devices.size).toBe(0);
  expect(updates[0]!.resource.role).toBe("Unknown");
  expect(updates[1]!.resource.devices.size).toBe(1);
  const connUpdate = updates[3]!;
  // The connection arrives with its paths but before its peer devices.
  expect(connUpdate.resource.connections.get(1)!.paths.size).toBe(1);
  expect(connUpdate.resource.connections.get(1)!.peerDevices.size).toBe(0);
  expect(updates[4]!.resource.connections.get(1)!.peerDevices.size).toBe(1);
  expect(updates.at(-1)!.resource).toBe(store.get("web")!);
});
