/**
 * Real `drbdsetup events2 --full --poll` shim processes against a simulated
 * cluster: the exact lines each scenario prints. Every wait has a deadline;
 * the per-session line counter of the server tells which lines belong to
 * which operation, so nothing sleeps.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SimCluster, type StartOptions, startCluster } from "../../sim/cluster.ts";
import { type Events2Process, runShim, spawnEvents2, withTimeout } from "../../sim/lines.ts";

let dir = "";
let cluster: SimCluster | null = null;
const procs: Events2Process[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "drbd-sim-"));
});

afterEach(async () => {
  for (const p of procs.splice(0)) {
    p.proc.kill();
    await p.proc.exited;
  }
  await cluster?.stop();
  cluster = null;
  await rm(dir, { recursive: true, force: true });
});

async function start(opts: Partial<StartOptions> = {}): Promise<SimCluster> {
  cluster = await startCluster({
    dir,
    nodes: ["alpha", "bravo", "charlie"],
    resources: [{ name: "r0", volumes: [{ minor: 1000, sizeKiB: 1048576 }] }],
    ...opts,
  });
  return cluster;
}

async function events2(c: SimCluster, node: string, args?: string[]): Promise<Events2Process> {
  const p = await spawnEvents2(c, node, args);
  procs.push(p);
  return p;
}

const RES_SEC = "name:r0 role:Secondary suspended:no force-io-failures:no write-ordering:flush";
const RES_PRI = "name:r0 role:Primary suspended:no force-io-failures:no write-ordering:flush";
const DEV = "name:r0 volume:0 minor:1000 backing_dev:/dev/drbdpool/r0_0 disk:UpToDate client:no open:no";
const STATS0 = "size:1048576 read:0 written:0 al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no";
const PD_OK = "replication:Established peer-disk:UpToDate peer-client:no resync-suspended:no";
const PD_STATS0 = "received:0 sent:0 out-of-sync:0 pending:0 unacked:0";
const CONN_STATS = "congested:no ap-in-flight:0 rs-in-flight:0";

describe("drbdsetup events2 shim", () => {
  test("initial dump, then exists -", async () => {
    const c = await start();
    const ev = await events2(c, "alpha");
    expect(ev.initial).toEqual([
      `exists resource ${RES_SEC} may_promote:yes promotion_score:10103`,
      `exists connection name:r0 peer-node-id:1 conn-name:bravo connection:Connected role:Secondary ${CONN_STATS}`,
      `exists connection name:r0 peer-node-id:2 conn-name:charlie connection:Connected role:Secondary ${CONN_STATS}`,
      `exists device ${DEV} quorum:yes ${STATS0} blocked:no`,
      `exists peer-device name:r0 peer-node-id:1 conn-name:bravo volume:0 ${PD_OK} ${PD_STATS0}`,
      "exists path name:r0 peer-node-id:1 conn-name:bravo local:ipv4:10.0.0.1:7000 peer:ipv4:10.0.0.2:7000 established:yes",
      `exists peer-device name:r0 peer-node-id:2 conn-name:charlie volume:0 ${PD_OK} ${PD_STATS0}`,
      "exists path name:r0 peer-node-id:2 conn-name:charlie local:ipv4:10.0.0.1:7000 peer:ipv4:10.0.0.3:7000 established:yes",
      "exists -",
    ]);
    // Nothing changed: a poll (one idle tick) prints nothing.
    expect(await ev.poll()).toEqual([]);
  });

  test("promote and demote through the shim: the node and its peers print their changes", async () => {
    const c = await start();
    const a = await events2(c, "alpha");
    const b = await events2(c, "bravo");
    const promoted = await a.linesFor(async () => {
      const r = await runShim(c, "alpha", "drbdsetup", ["primary", "r0"]);
      expect(r).toEqual({ exitCode: 0, stdout: "", stderr: "" });
    });
    expect(promoted).toEqual([`change resource ${RES_PRI} may_promote:no promotion_score:10103`]);
    expect(await b.drain()).toEqual([
      `change resource ${RES_SEC} may_promote:no promotion_score:10103`,
      `change connection name:r0 peer-node-id:0 conn-name:alpha connection:Connected role:Primary ${CONN_STATS}`,
    ]);
    // A second Primary is refused like DRBD does.
    expect(await runShim(c, "bravo", "drbdsetup", ["primary", "r0"])).toEqual({
      exitCode: 11,
      stdout: "",
      stderr: "r0: State change failed: (-1) Multiple primaries not allowed by config\n",
    });
    expect(await b.drain()).toEqual([]);
    // Open device: plain secondary refused, --force demotes with force-io-failures.
    c.setOpen("alpha", "r0", true);
    expect((await a.drain()).map((l) => l.split(" ").slice(0, 2).join(" "))).toEqual(["change device"]);
    const refused = await runShim(c, "alpha", "drbdsetup", ["secondary", "r0"]);
    expect(refused.exitCode).toBe(11);
    expect(refused.stderr).toBe("r0: State change failed: (-12) Device is held open by someone\n");
    const forced = await a.linesFor(() => runShim(c, "alpha", "drbdsetup", ["secondary", "--force=yes", "r0"]));
    expect(forced).toEqual([
      "change resource name:r0 role:Secondary suspended:no force-io-failures:yes write-ordering:flush may_promote:no promotion_score:0",
    ]);
    expect(await b.drain()).toEqual([
      `change resource ${RES_SEC} may_promote:yes promotion_score:10103`,
      `change connection name:r0 peer-node-id:0 conn-name:alpha connection:Connected role:Secondary ${CONN_STATS}`,
    ]);
    // The last opener closes: force-io-failures clears, alpha may promote again.
    expect(await a.linesFor(() => c.setOpen("alpha", "r0", false))).toEqual([
      `change resource ${RES_SEC} may_promote:yes promotion_score:10103`,
      `change device ${DEV} quorum:yes ${STATS0}`,
    ]);
    expect(c.calls((k) => k.node === "alpha").map((k) => [k.argv.join(" "), k.exitCode])).toEqual([
      ["events2 --full --poll", null],
      ["primary r0", 0],
      ["secondary r0", 11],
      ["secondary --force=yes r0", 0],
    ]);
  });

  test("primary --force on Inconsistent data", async () => {
    const c = await start({
      nodes: ["solo"],
      resources: [{ name: "r0", volumes: [{ minor: 1000 }], initialDisk: "Inconsistent" }],
    });
    const ev = await events2(c, "solo");
    expect(ev.initial[0]).toBe(`exists resource ${RES_SEC} may_promote:no promotion_score:0`);
    const plain = await runShim(c, "solo", "drbdadm", ["primary", "r0"]);
    expect(plain).toEqual({
      exitCode: 17,
      stdout: "",
      stderr:
        "r0: State change failed: (-2) Need access to UpToDate data\nCommand 'drbdsetup primary r0' terminated with exit code 17\n",
    });
    const lines = await ev.linesFor(() => runShim(c, "solo", "drbdadm", ["primary", "--force", "r0"]));
    expect(lines).toEqual([
      `change resource ${RES_PRI} may_promote:no promotion_score:10101`,
      `change device ${DEV} quorum:yes ${STATS0}`,
    ]);
  });

  test("peer crash and return: Connecting/DUnknown, then resync of the missed writes until UpToDate", async () => {
    const c = await start({
      resources: [{ name: "r0", volumes: [{ minor: 1000, sizeKiB: 1048576 }], resyncKiBPerTick: 1024 }],
      advance: "manual",
    });
    c.primary("alpha", "r0");
    const a = await events2(c, "alpha");
    const dying = await events2(c, "charlie");
    const crashed = await a.linesFor(() => c.crash("charlie"));
    // The crashed node's own events2 just ends (no destroy lines), with 0.
    expect(await dying.reader.rest()).toEqual([]);
    expect(await withTimeout(dying.proc.exited, 5000, "exit of the crashed node's events2")).toBe(0);
    expect(crashed).toEqual([
      `change resource ${RES_PRI} may_promote:no promotion_score:10102`,
      `change connection name:r0 peer-node-id:2 conn-name:charlie connection:Connecting role:Unknown ${CONN_STATS}`,
      `change peer-device name:r0 peer-node-id:2 conn-name:charlie volume:0 replication:Off peer-disk:DUnknown peer-client:no resync-suspended:no ${PD_STATS0}`,
      "change path name:r0 peer-node-id:2 conn-name:charlie local:ipv4:10.0.0.1:7000 peer:ipv4:10.0.0.3:7000 established:no",
    ]);
    // Shims of the crashed node fail until it returns.
    const down = await runShim(c, "charlie", "drbdsetup", ["status", "--json"]);
    expect(down.exitCode).toBe(20);
    c.write("alpha", "r0", 2048);
    expect(await a.poll()).toEqual([
      `change device ${DEV} quorum:yes size:1048576 read:0 written:2048 al-writes:1 bm-writes:1 upper-pending:0 lower-pending:0 al-suspended:no`,
      `change peer-device name:r0 peer-node-id:1 conn-name:bravo volume:0 ${PD_OK} received:0 sent:2048 out-of-sync:0 pending:0 unacked:0`,
      "change peer-device name:r0 peer-node-id:2 conn-name:charlie volume:0 replication:Off peer-disk:DUnknown peer-client:no resync-suspended:no received:0 sent:0 out-of-sync:2048 pending:0 unacked:0",
    ]);
    const back = await a.linesFor(() => c.restore("charlie"));
    expect(back).toEqual([
      `change connection name:r0 peer-node-id:2 conn-name:charlie connection:Connected role:Secondary ${CONN_STATS}`,
      "change peer-device name:r0 peer-node-id:2 conn-name:charlie volume:0 replication:SyncSource peer-disk:Inconsistent peer-client:no resync-suspended:no done:0.00 received:0 sent:0 out-of-sync:2048 pending:0 unacked:0 dbdt1:0.00 eta:nan",
      "change path name:r0 peer-node-id:2 conn-name:charlie local:ipv4:10.0.0.1:7000 peer:ipv4:10.0.0.3:7000 established:yes",
    ]);
    const ch = await events2(c, "charlie");
    expect(ch.initial[3]).toBe(
      "exists device name:r0 volume:0 minor:1000 backing_dev:/dev/drbdpool/r0_0 disk:Inconsistent client:no open:no quorum:yes size:1048576 read:0 written:0 al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no blocked:no",
    );
    c.tick();
    expect(await a.poll()).toEqual([
      "change device name:r0 volume:0 minor:1000 backing_dev:/dev/drbdpool/r0_0 disk:UpToDate client:no open:no quorum:yes size:1048576 read:1024 written:2048 al-writes:1 bm-writes:1 upper-pending:0 lower-pending:0 al-suspended:no",
      "change peer-device name:r0 peer-node-id:2 conn-name:charlie volume:0 replication:SyncSource peer-disk:Inconsistent peer-client:no resync-suspended:no done:50.00 received:0 sent:1024 out-of-sync:1024 pending:0 unacked:0 dbdt1:1.00 eta:1",
    ]);
    const finished = await ch.linesFor(() => c.tick());
    expect(finished).toEqual([
      `change resource ${RES_SEC} may_promote:no promotion_score:10103`,
      "change device name:r0 volume:0 minor:1000 backing_dev:/dev/drbdpool/r0_0 disk:UpToDate client:no open:no quorum:yes size:1048576 read:0 written:2048 al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no",
      "change peer-device name:r0 peer-node-id:0 conn-name:alpha volume:0 replication:Established peer-disk:UpToDate peer-client:no resync-suspended:no received:2048 sent:0 out-of-sync:0 pending:0 unacked:0",
    ]);
    expect(await a.drain()).toEqual([
      `change resource ${RES_PRI} may_promote:no promotion_score:10103`,
      "change peer-device name:r0 peer-node-id:2 conn-name:charlie volume:0 replication:Established peer-disk:UpToDate peer-client:no resync-suspended:no received:0 sent:2048 out-of-sync:0 pending:0 unacked:0",
    ]);
  });

  test("resync progress on n polls (the poll advances time) until Established/UpToDate", async () => {
    const c = await start({
      nodes: ["alpha", "bravo"],
      resources: [{ name: "r0", volumes: [{ minor: 1000, sizeKiB: 65536 }], resyncKiBPerTick: 256, options: { quorum: "off" } }],
    });
    const b = await events2(c, "bravo");
    const started = await b.linesFor(() => c.startResync("alpha", "bravo", "r0", { kib: 600 }));
    expect(started).toEqual([
      "change resource name:r0 role:Secondary suspended:no force-io-failures:no write-ordering:flush may_promote:yes promotion_score:10001",
      "change device name:r0 volume:0 minor:1000 backing_dev:/dev/drbdpool/r0_0 disk:Inconsistent client:no open:no quorum:yes size:65536 read:0 written:0 al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no",
      "change peer-device name:r0 peer-node-id:0 conn-name:alpha volume:0 replication:SyncTarget peer-disk:UpToDate peer-client:no resync-suspended:no done:0.00 received:0 sent:0 out-of-sync:600 pending:0 unacked:0 dbdt1:0.00 eta:nan",
    ]);
    const pd = (done: string, received: number, left: number, eta: string) =>
      `change peer-device name:r0 peer-node-id:0 conn-name:alpha volume:0 replication:SyncTarget peer-disk:UpToDate peer-client:no resync-suspended:no done:${done} received:${received} sent:0 out-of-sync:${left} pending:0 unacked:0 dbdt1:0.25 eta:${eta}`;
    const dev = (written: number, disk = "Inconsistent") =>
      `change device name:r0 volume:0 minor:1000 backing_dev:/dev/drbdpool/r0_0 disk:${disk} client:no open:no quorum:yes size:65536 read:0 written:${written} al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no`;
    expect(await b.poll()).toEqual([dev(256), pd("42.67", 256, 344, "1")]);
    expect(await b.poll()).toEqual([dev(512), pd("85.33", 512, 88, "0")]);
    expect(await b.poll()).toEqual([
      // The resync finishing is a state change (printed as an event), then the poll's statistics.
      "change resource name:r0 role:Secondary suspended:no force-io-failures:no write-ordering:flush may_promote:yes promotion_score:10102",
      dev(600, "UpToDate"),
      "change peer-device name:r0 peer-node-id:0 conn-name:alpha volume:0 replication:Established peer-disk:UpToDate peer-client:no resync-suspended:no received:600 sent:0 out-of-sync:0 pending:0 unacked:0",
    ]);
    expect(await b.poll()).toEqual([]);
  });

  test("partition: the Primary in the minority loses quorum, the majority sees it go", async () => {
    const c = await start();
    c.primary("alpha", "r0");
    const a = await events2(c, "alpha");
    const b = await events2(c, "bravo");
    const minority = await a.linesFor(() => c.partition(["alpha"], ["bravo", "charlie"]));
    expect(minority).toEqual([
      `change resource ${RES_PRI} may_promote:no promotion_score:0`,
      `change connection name:r0 peer-node-id:1 conn-name:bravo connection:Connecting role:Unknown ${CONN_STATS}`,
      `change connection name:r0 peer-node-id:2 conn-name:charlie connection:Connecting role:Unknown ${CONN_STATS}`,
      `change device ${DEV} quorum:no ${STATS0}`,
      `change peer-device name:r0 peer-node-id:1 conn-name:bravo volume:0 replication:Off peer-disk:DUnknown peer-client:no resync-suspended:no ${PD_STATS0}`,
      "change path name:r0 peer-node-id:1 conn-name:bravo local:ipv4:10.0.0.1:7000 peer:ipv4:10.0.0.2:7000 established:no",
      `change peer-device name:r0 peer-node-id:2 conn-name:charlie volume:0 replication:Off peer-disk:DUnknown peer-client:no resync-suspended:no ${PD_STATS0}`,
      "change path name:r0 peer-node-id:2 conn-name:charlie local:ipv4:10.0.0.1:7000 peer:ipv4:10.0.0.3:7000 established:no",
    ]);
    expect(await b.drain()).toEqual([
      `change resource ${RES_SEC} may_promote:yes promotion_score:10102`,
      `change connection name:r0 peer-node-id:0 conn-name:alpha connection:Connecting role:Unknown ${CONN_STATS}`,
      `change peer-device name:r0 peer-node-id:0 conn-name:alpha volume:0 replication:Off peer-disk:DUnknown peer-client:no resync-suspended:no ${PD_STATS0}`,
      "change path name:r0 peer-node-id:0 conn-name:alpha local:ipv4:10.0.0.2:7000 peer:ipv4:10.0.0.1:7000 established:no",
    ]);
    // The promoter on alpha would stop services and demote; heal brings everyone back.
    c.secondary("alpha", "r0");
    await a.drain();
    const healed = await b.linesFor(() => c.heal());
    expect(healed).toEqual([
      `change resource ${RES_SEC} may_promote:yes promotion_score:10103`,
      `change connection name:r0 peer-node-id:0 conn-name:alpha connection:Connected role:Secondary ${CONN_STATS}`,
      `change peer-device name:r0 peer-node-id:0 conn-name:alpha volume:0 ${PD_OK} ${PD_STATS0}`,
      "change path name:r0 peer-node-id:0 conn-name:alpha local:ipv4:10.0.0.2:7000 peer:ipv4:10.0.0.1:7000 established:yes",
    ]);
  });

  test("disk failure: Failed, then Diskless backing_dev:none; peers follow", async () => {
    const c = await start();
    const a = await events2(c, "alpha");
    const b = await events2(c, "bravo");
    const failed = await b.linesFor(() => c.failDisk("bravo", "r0"));
    expect(failed).toEqual([
      "change resource name:r0 role:Secondary suspended:no force-io-failures:no write-ordering:flush may_promote:yes promotion_score:2",
      `change device name:r0 volume:0 minor:1000 backing_dev:/dev/drbdpool/r0_0 disk:Failed client:no open:no quorum:yes ${STATS0}`,
      `change device name:r0 volume:0 minor:1000 backing_dev:none disk:Diskless client:no open:no quorum:yes ${STATS0}`,
    ]);
    expect(await a.drain()).toEqual([
      `change resource ${RES_SEC} may_promote:yes promotion_score:10102`,
      `change peer-device name:r0 peer-node-id:1 conn-name:bravo volume:0 replication:Established peer-disk:Failed peer-client:no resync-suspended:no ${PD_STATS0}`,
      `change peer-device name:r0 peer-node-id:1 conn-name:bravo volume:0 replication:Established peer-disk:Diskless peer-client:no resync-suspended:no ${PD_STATS0}`,
    ]);
  });

  test("killEvents2: the process exits like drbdsetup on module unload; a new one starts fresh", async () => {
    const c = await start();
    const a = await events2(c, "alpha");
    expect(c.killEvents2("alpha")).toBe(1);
    expect(await a.reader.rest()).toEqual([]);
    expect(await withTimeout(a.proc.exited, 5000, "events2 exit")).toBe(0);
    expect(c.sessions("alpha")).toEqual([]);
    const again = await events2(c, "alpha");
    expect(again.initial.at(-1)).toBe("exists -");
    const coded = await events2(c, "bravo");
    c.killEvents2("bravo", { exitCode: 20 });
    expect(await withTimeout(coded.proc.exited, 5000, "events2 exit")).toBe(20);
  });

  test("stdin: any byte other than n or newline ends events2 --poll with 0, so does EOF", async () => {
    const c = await start();
    const x = await events2(c, "alpha");
    x.proc.stdin.write("n\nx");
    await x.proc.stdin.flush();
    expect(await withTimeout(x.proc.exited, 5000, "exit after x")).toBe(0);
    const eof = await events2(c, "alpha");
    await eof.proc.stdin.end();
    expect(await withTimeout(eof.proc.exited, 5000, "exit after EOF")).toBe(0);
    await c.waitFor(() => c.sessions().length === 0, { what: "sessions to end" });
    expect(c.calls().map((k) => k.exitCode)).toEqual([0, 0]);
  });

  test("--now prints the dump and exits; an unknown resource dumps just exists -", async () => {
    const c = await start();
    const all = await runShim(c, "bravo", "drbdsetup", ["events2", "--now", "--statistics"]);
    expect(all.exitCode).toBe(0);
    const lines = all.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(9);
    expect(lines[0]).toBe(
      "exists resource name:r0 role:Secondary suspended:no force-io-failures:no write-ordering:flush may_promote:yes promotion_score:10103",
    );
    expect(lines.at(-1)).toBe("exists -");
    expect(await runShim(c, "bravo", "drbdsetup", ["events2", "--now", "r9"])).toEqual({
      exitCode: 0,
      stdout: "exists -\n",
      stderr: "",
    });
    const plain = await runShim(c, "bravo", "drbdsetup", ["events2", "--now", "r0"]);
    expect(plain.stdout.split("\n")[0]).toBe(
      "exists resource name:r0 role:Secondary suspended:no force-io-failures:no may_promote:yes promotion_score:10103",
    );
    const ts = await runShim(c, "bravo", "drbdsetup", ["events2", "--now", "--timestamps", "r0"]);
    for (const l of ts.stdout.trimEnd().split("\n")) {
      expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d (exists -|exists \S+ name:r0 )/);
    }
  });

  test("addResource / removeResource on a running events2", async () => {
    const c = await start({ nodes: ["alpha", "bravo"] });
    const a = await events2(c, "alpha");
    const created = await a.linesFor(() => c.addResource({ name: "web", volumes: [{ minor: 1001, sizeKiB: 2048 }] }));
    expect(created.map((l) => l.split(" ").slice(0, 3).join(" "))).toEqual([
      "create resource name:web",
      "create device name:web",
      "create connection name:web",
      "create peer-device name:web",
      "create path name:web",
      "change resource name:web",
      "change connection name:web",
      "change device name:web",
      "change peer-device name:web",
      "change path name:web",
    ]);
    const removed = await a.linesFor(() => c.removeResource("web"));
    expect(removed.filter((l) => l.startsWith("destroy"))).toEqual([
      "destroy path name:web peer-node-id:1 conn-name:bravo local:ipv4:10.0.0.1:7001 peer:ipv4:10.0.0.2:7001",
      "destroy peer-device name:web peer-node-id:1 conn-name:bravo volume:0",
      "destroy connection name:web peer-node-id:1 conn-name:bravo",
      "destroy device name:web volume:0",
      "destroy resource name:web",
    ]);
  });
});
