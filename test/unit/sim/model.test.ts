/** The pure cluster model: operations, settle rules and ticks, checked through node views. */
import { describe, expect, test } from "bun:test";
import { emptyModel, type ResourceSpec, type SimModel } from "../../sim/model.ts";
import * as ops from "../../sim/ops.ts";
import type { ResourceView } from "../../sim/records.ts";
import { tick, writeBurst } from "../../sim/tick.ts";
import { viewOf } from "../../sim/view.ts";

const last = (steps: ops.Steps): SimModel => steps.at(-1) as SimModel;
const done = (r: ops.OpResult): SimModel => last(r.steps);

function cluster(nodes = ["alpha", "bravo", "charlie"], spec: Partial<ResourceSpec> = {}): SimModel {
  return last(ops.addResource(emptyModel({ nodes }), { name: "r0", volumes: [{ minor: 1000, sizeKiB: 4096 }], ...spec }));
}

function r0(m: SimModel, node: string): ResourceView {
  const v = viewOf(m, node).find((x) => x.resource.name === "r0");
  if (!v) throw new Error(`r0 not visible on ${node}`);
  return v;
}

/** Compact per-peer summary: connection/role/replication/peer-disk/out-of-sync. */
function peers(m: SimModel, node: string): string[] {
  return r0(m, node).connections.map((c) => {
    const pd = c.peerDevices[0];
    return `${c.connection.connName}:${c.connection.connection}/${c.connection.role}/${pd?.replication}/${pd?.peerDisk}/${pd?.outOfSync}`;
  });
}

const disk = (m: SimModel, node: string) => r0(m, node).devices[0]?.disk;
const quorum = (m: SimModel, node: string) => r0(m, node).devices[0]?.quorum;

describe("model", () => {
  test("a fresh cluster is fully connected and UpToDate", () => {
    const m = cluster();
    expect(peers(m, "alpha")).toEqual([
      "bravo:Connected/Secondary/Established/UpToDate/0",
      "charlie:Connected/Secondary/Established/UpToDate/0",
    ]);
    expect(r0(m, "alpha").connections[0]?.paths[0]).toMatchObject({
      local: "ipv4:10.0.0.1:7000",
      peer: "ipv4:10.0.0.2:7000",
      established: true,
    });
  });

  test("addResource shows Connecting before the handshake", () => {
    const steps = ops.addResource(emptyModel({ nodes: ["a", "b"] }), { name: "r0", volumes: [{ minor: 1 }] });
    expect(steps).toHaveLength(2);
    expect(r0(steps[0] as SimModel, "a").connections[0]?.connection.connection).toBe("Connecting");
    expect(r0(steps[1] as SimModel, "a").connections[0]?.connection.connection).toBe("Connected");
  });

  test("crash: peers see Connecting/DUnknown, quorum kept by the majority", () => {
    const m = last(ops.crash(cluster(), "charlie"));
    expect(viewOf(m, "charlie")).toEqual([]);
    expect(peers(m, "alpha")[1]).toBe("charlie:Connecting/Unknown/Off/DUnknown/0");
    expect(quorum(m, "alpha")).toBe(true);
    const both = last(ops.crash(m, "bravo"));
    expect(quorum(both, "alpha")).toBe(false);
  });

  test("writes while a peer is down become out-of-sync on every node that got them; return resyncs", () => {
    let m = done(ops.promote(cluster(), "alpha", "r0"));
    m = last(ops.crash(m, "charlie"));
    m = writeBurst(m, "alpha", "r0", 1000);
    expect(peers(m, "alpha")[1]).toBe("charlie:Connecting/Unknown/Off/DUnknown/1000");
    expect(peers(m, "bravo")[1]).toBe("charlie:Connecting/Unknown/Off/DUnknown/1000");
    const back = ops.restore(m, "charlie");
    expect(back).toHaveLength(2);
    m = last(back);
    expect(disk(m, "charlie")).toBe("Inconsistent");
    expect(peers(m, "alpha")[1]).toBe("charlie:Connected/Secondary/SyncSource/Inconsistent/1000");
    expect(peers(m, "bravo")[1]).toBe("charlie:Connected/Secondary/Established/Inconsistent/1000");
    expect(peers(m, "charlie")).toEqual([
      "alpha:Connected/Primary/SyncTarget/UpToDate/1000",
      // bravo waits (one source at a time); charlie itself holds no bits for bravo.
      "bravo:Connected/Secondary/Established/UpToDate/0",
    ]);
    m = tick(m); // default resync speed is far above 1000 KiB
    expect(disk(m, "charlie")).toBe("UpToDate");
    expect(peers(m, "charlie")).toEqual([
      "alpha:Connected/Primary/Established/UpToDate/0",
      "bravo:Connected/Secondary/Established/UpToDate/0",
    ]);
    expect(peers(m, "bravo")[1]).toBe("charlie:Connected/Secondary/Established/UpToDate/0");
  });

  test("resync progresses by resyncKiBPerTick and reports done/eta inputs", () => {
    let m = cluster(["a", "b"], { resyncKiBPerTick: 1024 });
    m = last(ops.startResyncOp(m, "a", "b", "r0", 0, 3000));
    const pd = () => r0(m, "a").connections[0]?.peerDevices[0];
    expect(pd()).toMatchObject({ replication: "SyncSource", outOfSync: 3000, rsTotalSectors: 6000, rsDb1Sectors: 0 });
    m = tick(m);
    expect(pd()).toMatchObject({ outOfSync: 1976, rsDb1Sectors: 2048, rsDt1Ms: 1000, sent: 1024 });
    m = tick(m, 2);
    expect(pd()).toMatchObject({ replication: "Established", peerDisk: "UpToDate", outOfSync: 0, rsTotalSectors: 0 });
  });

  test("partition: the minority loses quorum, the majority keeps it; heal reconnects", () => {
    let m = done(ops.promote(cluster(), "alpha", "r0"));
    m = last(ops.partition(m, [["alpha"], ["bravo", "charlie"]]));
    expect(quorum(m, "alpha")).toBe(false);
    expect(quorum(m, "bravo")).toBe(true);
    expect(peers(m, "bravo")[0]).toBe("alpha:Connecting/Unknown/Off/DUnknown/0");
    m = last(ops.heal(m));
    expect(peers(m, "bravo")[0]).toBe("alpha:Connected/Primary/Established/UpToDate/0");
  });

  test("a Primary without quorum (io-error) writes nothing", () => {
    let m = done(ops.promote(cluster(), "alpha", "r0"));
    m = last(ops.setWorkload(m, "alpha", "r0", { writeKiBPerTick: 100 }));
    m = last(ops.partition(m, [["alpha"], ["bravo", "charlie"]]));
    m = tick(m);
    expect(r0(m, "alpha").devices[0]?.written).toBe(0);
  });

  test("suspend-io Primary is suspended without quorum and demoted by force-secondary when behind", () => {
    let m = cluster(undefined, { options: { onNoQuorum: "suspend-io" } });
    m = done(ops.promote(m, "alpha", "r0"));
    m = last(ops.setOpen(m, "alpha", "r0", true));
    m = last(ops.partition(m, [["alpha"], ["bravo", "charlie"]]));
    expect(r0(m, "alpha").resource.suspended.quorum).toBe(true);
    m = done(ops.promote(m, "bravo", "r0"));
    m = writeBurst(m, "bravo", "r0", 500);
    m = last(ops.heal(m));
    const a = r0(m, "alpha").resource;
    expect(a).toMatchObject({ role: "Secondary", forceIoFailures: true });
    expect(a.suspended.quorum).toBe(false);
    expect(disk(m, "alpha")).toBe("Inconsistent");
    expect(peers(m, "alpha")[0]).toBe("bravo:Connected/Primary/SyncTarget/UpToDate/500");
  });

  test("two Primaries meeting is a split brain: StandAlone both ways", () => {
    let m = cluster(["a", "b"], { options: { quorum: "off" } });
    m = last(ops.partition(m, [["a"], ["b"]]));
    m = done(ops.promote(m, "a", "r0"));
    m = done(ops.promote(m, "b", "r0"));
    m = last(ops.heal(m));
    const c = r0(m, "a").connections[0]?.connection;
    expect(c).toMatchObject({ connection: "StandAlone", syncState: "SplitBrain" });
    // Resolve: b discards its data, both reconnect; b syncs from a.
    m = done(ops.demote(m, "b", "r0"));
    m = done(ops.connectOp(m, "b", "r0", { discardMyData: true }));
    m = done(ops.connectOp(m, "a", "r0"));
    expect(peers(m, "a")[0]).toMatch(/^b:Connected\/Secondary\/(Established|SyncSource)\//);
  });

  test("disk failure: Failed, then Diskless with backing_dev none; attach resyncs fully", () => {
    const steps = ops.failDisk(cluster(), "bravo", "r0");
    expect(disk(steps[0] as SimModel, "bravo")).toBe("Failed");
    let m = last(steps);
    expect(r0(m, "bravo").devices[0]).toMatchObject({ disk: "Diskless", backingDev: null, client: false });
    expect(peers(m, "alpha")[0]).toBe("bravo:Connected/Secondary/Established/Diskless/0");
    m = last(ops.attachDisk(m, "bravo", "r0"));
    expect(r0(m, "bravo").devices[0]).toMatchObject({ disk: "Inconsistent", backingDev: "/dev/drbdpool/r0_0" });
    expect(peers(m, "bravo")[0]).toBe("alpha:Connected/Secondary/SyncTarget/UpToDate/4096");
  });

  test("promote refusals and --force", () => {
    const m = cluster();
    const p = done(ops.promote(m, "alpha", "r0"));
    expect(ops.promote(p, "bravo", "r0").error).toEqual({
      exitCode: 11,
      message: "r0: State change failed: (-1) Multiple primaries not allowed by config",
    });
    const lonely = last(ops.crash(last(ops.crash(m, "bravo")), "charlie"));
    expect(ops.promote(lonely, "alpha", "r0").error?.message).toBe("r0: State change failed: (-25) No quorum");
    const inc = cluster(["a"], { initialDisk: "Inconsistent" });
    expect(ops.promote(inc, "a", "r0").error).toEqual({
      exitCode: 17,
      message: "r0: State change failed: (-2) Need access to UpToDate data",
    });
    const forced = done(ops.promote(inc, "a", "r0", { force: true }));
    expect(r0(forced, "a").resource.role).toBe("Primary");
    expect(disk(forced, "a")).toBe("UpToDate");
    expect(ops.promote(m, "alpha", "nope").error).toEqual({ exitCode: 10, message: "nope: Failure: (158) Unknown resource" });
  });

  test("demote refuses while open; --force sets force-io-failures until closed", () => {
    let m = done(ops.promote(cluster(), "alpha", "r0"));
    m = last(ops.setOpen(m, "alpha", "r0", true));
    expect(ops.demote(m, "alpha", "r0").error?.message).toBe(
      "r0: State change failed: (-12) Device is held open by someone",
    );
    m = done(ops.demote(m, "alpha", "r0", { force: true }));
    expect(r0(m, "alpha").resource).toMatchObject({ role: "Secondary", forceIoFailures: true });
    m = last(ops.setOpen(m, "alpha", "r0", false));
    expect(r0(m, "alpha").resource.forceIoFailures).toBe(false);
  });

  test("down/up and adjust", () => {
    let m = done(ops.downOp(cluster(), "charlie", "r0"));
    expect(viewOf(m, "charlie")).toEqual([]);
    expect(peers(m, "alpha")[1]).toBe("charlie:Connecting/Unknown/Off/DUnknown/0");
    m = done(ops.adjustOp(m, "charlie", "r0"));
    expect(peers(m, "alpha")[1]).toBe("charlie:Connected/Secondary/Established/UpToDate/0");
    expect(ops.adjustOp(m, "charlie", "zz").error?.exitCode).toBe(10);
  });

  test("operations never mutate their input", () => {
    const m = cluster();
    const before = JSON.stringify(m);
    ops.crash(m, "alpha");
    ops.promote(m, "alpha", "r0");
    ops.failDisk(m, "bravo", "r0");
    tick(m, 3);
    expect(JSON.stringify(m)).toBe(before);
  });
});
