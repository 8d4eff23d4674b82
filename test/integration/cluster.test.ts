/**
 * The compiled daemon on node "alpha" of a simulated 3-node cluster: what it
 * sees of real cluster events, and how it survives drbdsetup going away.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { simulatedCluster } from "./cluster-fixture.ts";
import { Daemon } from "./harness.ts";

const fx = simulatedCluster([
      { name: "r0", volumes: [{ minor: 1000 }] },
      { name: "r1", volumes: [{ minor: 1001 }, { minor: 1002 }] },
    ]);
const { scratch, running } = fx;

/** Debugger records logged so far, parsed. */
function records(d: Daemon, from = 0): Record<string, any>[] {
  return d.lines
    .slice(from)
    .filter((l) => l.startsWith("DEBUG [debugger] "))
    .map((l) => JSON.parse(l.slice("DEBUG [debugger] ".length)));
}

function startOnAlpha(name: string, extra = ""): Daemon {
  // Top-level keys first: after a [[table]] header they would belong to that table.
  const config = scratch.write(`${name}.toml`, `${extra}[[debugger]]\n[[log]]\nlevel = "debug"\n`);
  const d = Daemon.start({ config, pathPrefix: [fx.cluster.binDir("alpha")] });
  running.push(d);
  return d;
}

describe("following the cluster", () => {
  test("the initial state arrives as Exists updates, then live changes follow", async () => {
    const d = startOnAlpha("follow");
    await d.waitForNotify("READY=1");
    await d.waitFor(/initial state complete: 2 resource\(s\)/);
    const initial = records(d);
    expect(initial.filter((r) => r.type === "Device").map((r) => `${r.resource}/${r.volume}`)).toEqual([
      "r0/0",
      "r1/0",
      "r1/1",
    ]);
    expect(initial.filter((r) => r.type === "Connection" && r.new["connection-state"] === "Connected").length).toBe(4);
    expect(initial.find((r) => r.type === "Resource" && r.resource === "r0")?.new).toEqual({
      role: "Secondary",
      "may-promote": true,
      "promotion-score": 10103,
    });

    const mark = d.lines.length;
    expect(fx.cluster.primary("bravo", "r0").exitCode).toBe(0);
    await d.waitFor(/"type":"Connection".*"resource":"r0".*"peer-role":"Primary"/, { from: mark });
    await d.waitFor(/"type":"Resource".*"resource":"r0".*"new":\{"role":"Secondary","may-promote":false/, { from: mark });
    fx.cluster.secondary("bravo", "r0");
  }, 15_000);

  test("a peer crash shows as a connection loss on the peer's connection only", async () => {
    const d = startOnAlpha("crash");
    await d.waitFor(/initial state complete/);
    const mark = d.lines.length;
    fx.cluster.crash("charlie");
    try {
      await d.waitFor(/"type":"Connection".*"resource":"r0".*"peer-node-id":2.*"new":\{"conn-name":"charlie","connection-state":"(Connecting|Unconnected|NetworkFailure|BrokenPipe)"/, { from: mark });
      const lost = records(d, mark).filter((r) => r.type === "Connection" && r.old["connection-state"] === "Connected");
      expect(new Set(lost.map((r) => r["peer-node-id"]))).toEqual(new Set([2]));
    } finally {
      fx.cluster.restore("charlie");
    }
    await d.waitFor(/"type":"Connection".*"peer-node-id":2.*"new":\{"conn-name":"charlie","connection-state":"Connected"/, { from: mark });
  }, 15_000);
});

describe("drbdsetup goes away", () => {
  test("killed: respawned after 2 s, the new dump is reconciled, plugins are not restarted", async () => {
    const d = startOnAlpha("respawn");
    await d.waitFor(/initial state complete/);
    const mark = d.lines.length;
    expect(fx.cluster.killEvents2("alpha")).toBe(1);
    await d.waitFor(/WARN \[events2\] drbdsetup events2 exited with code 0; retrying every 2 s/, { from: mark });
    // While drbdsetup is down, bravo becomes Primary of r1: the reconcile must report it.
    fx.cluster.primary("bravo", "r1");
    try {
      await d.waitFor(/reconciling its initial state/, { from: mark, timeoutMs: 5000 });
      await d.waitFor(/"type":"Connection","event":"Exists","resource":"r1","peer-node-id":1,.*"peer-role":"Primary"/, { from: mark });
      await d.waitFor(/initial state complete/, { from: mark });
      const after = records(d, mark);
      // Only real differences: no Device or PeerDevice updates for unchanged objects, nothing about r0's devices.
      expect(after.filter((r) => r.resource === "r0" && r.type !== "Resource")).toEqual([]);
      expect(d.matching(/started debugger plugin/).length).toBe(1);
    } finally {
      fx.cluster.secondary("bravo", "r1");
    }
  }, 20_000);

  test("missing at start: said once, retried every 2 s quietly, picked up when it appears", async () => {
    const bin = scratch.path("late-bin");
    mkdirSync(bin);
    const config = scratch.write("late.toml", `[[debugger]]\n[[log]]\nlevel = "debug"\n`);
    // PATH without any drbdsetup: the shim dir is empty until the test fills it.
    const d = Daemon.start({ config, path: `${bin}:/usr/bin:/bin` });
    running.push(d);
    await d.waitForNotify("READY=1");
    await d.waitFor(/drbdsetup not found in PATH .* — is drbd-utils installed\?; retrying every 2 s/);
    // Two more attempts, each logged at debug only.
    await d.waitFor(/DEBUG \[events2\] drbdsetup not found in PATH .*\(again, attempt 3\)/, { timeoutMs: 8000 });
    expect(d.matching(/^ERROR .*not found in PATH/).length).toBe(1);
    await fx.cluster.writeShims("alpha", bin);
    await d.waitFor(/drbdsetup events2 is running again \(\d+ attempt\(s\) since it stopped\)/, { timeoutMs: 5000 });
    await d.waitFor(/initial state complete: 2 resource\(s\)/);
  }, 20_000);
});

describe("statistics", () => {
  test("n is written at start and every statistics-poll-interval", async () => {
    const d = startOnAlpha("poll", "statistics-poll-interval = 1\n");
    await d.waitFor(/initial state complete/);
    const session = await fx.cluster.waitFor(() => fx.cluster.sessions("alpha").find((s) => s.polls >= 3), {
      timeoutMs: 6000,
      what: "three polls from the daemon",
    });
    expect(session.argv).toEqual(["events2", "--full", "--poll"]);
  }, 15_000);
});
