/**
 * Golden-file tests: every `test/fixtures/events2/NAME.events2` stream must
 * produce exactly the updates listed in `NAME.expected.jsonl` (written by
 * hand from the specification; see that folder's README).
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { debugRecord } from "../../../plugins/debugger/format.ts";
import { parseLine } from "../../../src/core/events2.ts";
import { ResourceStore } from "../../../src/core/state.ts";

const DIR = join(import.meta.dir, "../../fixtures/events2");

/** Feed a fixture stream through a fresh store; returns the emitted updates as debugger JSON lines. */
export function runFixture(text: string): { updates: string[]; store: ResourceStore } {
  const store = new ResourceStore();
  const updates: string[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      if (line.trim() === "# respawn") store.beginReconcile();
      continue;
    }
    const event = parseLine(line);
    if (event.kind === "error") throw new Error(`fixture line rejected: ${line}: ${event.message}`);
    store.apply(event, (u) => updates.push(JSON.stringify(debugRecord(u))));
  }
  return { updates, store };
}

const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith(".events2"))
  .map((f) => f.slice(0, -".events2".length))
  .sort();

describe("events2 fixtures", () => {
  test("there are fixtures", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(6);
  });
  for (const name of fixtures) {
    test(name, () => {
      const input = readFileSync(join(DIR, `${name}.events2`), "utf8");
      const expected = readFileSync(join(DIR, `${name}.expected.jsonl`), "utf8").split("\n").filter(Boolean);
      expect(runFixture(input).updates).toEqual(expected);
    });
  }
});

describe("state after fixtures", () => {
  const load = (name: string) => runFixture(readFileSync(join(DIR, `${name}.events2`), "utf8")).store;

  test("create-destroy leaves nothing behind", () => {
    expect(load("all-create-destroy").size).toBe(0);
  });

  test("paths are stored; a connection line keeps peer devices and paths", () => {
    const r = load("all-create-change").get("some-resource")!;
    const conn = r.connections.get(1)!;
    expect([...conn.paths.values()]).toEqual([
      {
        name: "some-resource",
        peerNodeId: 1,
        connName: "some-peer",
        local: "ipv4:1.2.3.4:7789",
        peer: "ipv4:5.6.7.8:7790",
        established: true,
      },
    ]);
    expect(conn.peerDevices.get(0)?.replication).toBe("Established");
    expect(r.devices.get(0)?.backingDev).toBe("/dev/sda");
    // blocked was not on the change line: replace, never merge.
    expect(r.devices.get(0)?.blocked).toBe("");
  });

  test("statistics of a connection change are stored without emitting", () => {
    const r = load("placeholder-connection").get("r0")!;
    expect(r.connections.size).toBe(0);
  });

  test("reconcile removes vanished objects and keeps fresh statistics", () => {
    const store = load("respawn-reconcile");
    expect(store.get("r1")).toBeUndefined();
    const r0 = store.get("r0")!;
    expect(r0.connections.size).toBe(0);
    expect(r0.devices.get(0)).toMatchObject({ read: 5, written: 7 });
    expect(r0.role).toBe("Primary");
  });

  test("rename moves the whole state, children included", () => {
    const store = load("rename-and-helpers");
    expect(store.get("old")).toBeUndefined();
    expect(store.get("new")!.devices.get(0)).toMatchObject({ name: "new", diskState: "Outdated" });
    expect(store.get("spirit")).toBeUndefined();
  });
});
