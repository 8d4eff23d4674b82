/**
 * The agentx plugin against a real net-snmp `snmpd` (Debian's `snmpd` and
 * `snmp` packages; `make test` installs them), started by the test as a
 * plain process (spec monitoring.md §5): the compiled daemon on a simulated
 * node registers over the Unix socket and over TCP, and `snmpwalk`,
 * `snmpget`, `snmpbulkwalk` and `snmptable` (with the project's MIB file)
 * read the simulated state through snmpd.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Daemon } from "../integration/harness.ts";
import { simulatedCluster } from "../integration/cluster-fixture.ts";
import { COMMUNITY, parseWalk, Snmpd } from "../helpers/snmpd.ts";
import { until } from "../helpers/until.ts";
import { expectedWalk } from "./agentx-expected.ts";

const LINBIT = ".1.3.6.1.4.1.23302";
const TABLE = `${LINBIT}.1.2.1`;
const NODE = "alpha";
const REPO = join(import.meta.dir, "..", "..");

let snmpd: Snmpd;
// Registered before the fixture's hooks: after-all hooks run in registration order, and snmpd
// must be gone before the fixture removes the scratch directory it writes into.
afterAll(async () => {
  await snmpd?.stop();
});
const fx = simulatedCluster([
  { name: "r0", volumes: [{ minor: 1000 }] },
  { name: "web", volumes: [{ minor: 1001 }, { minor: 1002 }] },
]);

beforeAll(async () => {
  snmpd = await Snmpd.start(fx.scratch.path("snmpd"));
}, 30_000);

/** Start the daemon with one `[[agentx]]` at `address` and wait until it registered. */
async function startSubagent(address: string): Promise<Daemon> {
  const config = fx.scratch.write(
    `agentx-${fx.running.length}.toml`,
    // cache-max 0: every change is visible at the next request (upstream default 60 s).
    `[[agentx]]\naddress = "${address}"\ncache-max = 0\n`,
  );
  const daemon = Daemon.start({ config, pathPrefix: [fx.cluster.binDir(NODE)] });
  fx.running.push(daemon);
  await daemon.waitFor(/initial state complete/);
  await daemon.waitFor(/registered LINBIT-DRBD-MIB/);
  return daemon;
}

function expected(): Map<string, string> {
  const node = fx.cluster.model().nodes.find((n) => n.name === NODE)!;
  return expectedWalk(fx.cluster.state(NODE), { kmod: node.kmodVersion, utils: node.utilsVersion });
}

/** Walk the subtree and compare with the simulator's state, OID by OID. */
async function walkMatchesSimulator(extra: readonly string[] = []): Promise<void> {
  const walk = await snmpd.walk(LINBIT, extra);
  expect(walk.stderr).toBe("");
  expect(walk.code).toBe(0);
  const got = parseWalk(walk.stdout);
  const want = expected();
  // Blocked (column 23) is only printed by drbdsetup when it changes, and a device line replaces the whole
  // device (core.md §10.1): after a later line without it, the MIB shows "" as upstream does.
  for (const [oid, value] of got) {
    if (oid.startsWith(`${TABLE}.23.`) && value === '""') want.set(oid, value);
  }
  // Every OID the simulator implies, with its value, and nothing else.
  expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
  const devices = fx.cluster.state(NODE).reduce((n, v) => n + v.devices.length, 0);
  expect(got.size).toBe(2 + devices * 49);
}

describe("over the Unix socket (net-snmp's stock `master agentx`)", () => {
  test("snmpwalk of the subtree matches the simulated state, in OID order", async () => {
    const daemon = await startSubagent(`unix:${snmpd.agentxSocket}`);
    await walkMatchesSimulator();
    const walk = await snmpd.walk(LINBIT);
    const oids = [...parseWalk(walk.stdout).keys()];
    // Column-major, minors ascending: the order SNMP tables are walked in.
    expect(oids.slice(0, 5)).toEqual([
      `${LINBIT}.1.1.1`,
      `${LINBIT}.1.1.2`,
      `${TABLE}.1.1000`,
      `${TABLE}.1.1001`,
      `${TABLE}.1.1002`,
    ]);
    expect(daemon.matching(/ERROR|WARN/)).toEqual([]);
  }, 30_000);

  test("snmpget of the scalars (no .0 instance, as upstream) and of cells; unknown OIDs answered as such", async () => {
    await startSubagent(`unix:${snmpd.agentxSocket}`);
    const r = await snmpd.client("snmpget", [
      "-v2c", "-c", COMMUNITY, "-On", snmpd.snmpTarget,
      `${LINBIT}.1.1.1`, `${LINBIT}.1.1.2`, `${TABLE}.2.1001`, `${TABLE}.16.1000`, `${TABLE}.2.4242`, `${LINBIT}.7`,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([
      `${LINBIT}.1.1.1 = STRING: "9.2.12"`,
      `${LINBIT}.1.1.2 = STRING: "9.29.0"`,
      `${TABLE}.2.1001 = STRING: "web"`,
      `${TABLE}.16.1000 = ${expected().get(`${TABLE}.16.1000`)}`,
      `${TABLE}.2.4242 = No Such Instance currently exists at this OID`,
      `${LINBIT}.7 = No Such Object available on this agent at this OID`,
    ]);
  }, 30_000);

  test("snmpbulkwalk gives the same values as snmpwalk", async () => {
    await startSubagent(`unix:${snmpd.agentxSocket}`);
    const bulk = await snmpd.client("snmpbulkwalk", ["-v2c", "-c", COMMUNITY, "-On", "-Cr25", snmpd.snmpTarget, LINBIT]);
    expect(bulk.code).toBe(0);
    expect(Object.fromEntries(parseWalk(bulk.stdout))).toEqual(Object.fromEntries(expected()));
  }, 30_000);

  test("snmptable with the project's MIB file shows named columns", async () => {
    await startSubagent(`unix:${snmpd.agentxSocket}`);
    // The MIB and the stand-ins for SNMPv2-SMI/TC/CONF that Debian does not ship (spec §5.6).
    const mibs = fx.scratch.path("mibs");
    mkdirSync(mibs, { recursive: true });
    copyFileSync(join(REPO, "example", "LINBIT-DRBD-MIB.mib"), join(mibs, "LINBIT-DRBD-MIB.mib"));
    for (const stub of readdirSync(join(REPO, "test", "fixtures", "mibs"))) {
      copyFileSync(join(REPO, "test", "fixtures", "mibs", stub), join(mibs, stub));
    }
    const r = await snmpd.client("snmptable", [
      "-v2c", "-c", COMMUNITY, "-M", mibs, "-m", "LINBIT-DRBD-MIB", "-Cb", "-Cf", "|", snmpd.snmpTarget, "LINBIT-DRBD-MIB::drbdTable",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => l.includes("|"));
    const header = lines[0]!.split("|");
    expect(header.slice(0, 4)).toEqual(["Minor", "ResourceName", "ResourceRole", "ResourceSuspended"]);
    expect(header.at(-1)).toBe("PeerReplBehind");
    expect(header.length).toBe(49);
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split("|").map((v, i) => [header[i]!, v])));
    expect(rows.map((row) => [row.Minor, row.ResourceName, row.Volume])).toEqual([
      ["1000", "r0", "0"],
      ["1001", "web", "0"],
      ["1002", "web", "1"],
    ]);
    // TruthValue is shown by its enum label once the MIB is loaded.
    expect(rows[0]!.ResourceSuspended).toBe("false");
    const get = await snmpd.client("snmpget", [
      "-v2c", "-c", COMMUNITY, "-M", mibs, "-m", "LINBIT-DRBD-MIB", "-Oqv", snmpd.snmpTarget, "LINBIT-DRBD-MIB::ModuleVersion",
    ]);
    expect(get.stdout.trim()).toBe("9.2.12");
  }, 30_000);

  test("values follow the cluster: promote, then a disk failure", async () => {
    await startSubagent(`unix:${snmpd.agentxSocket}`);
    const value = async (oid: string) =>
      (await snmpd.client("snmpget", ["-v2c", "-c", COMMUNITY, "-Oqv", snmpd.snmpTarget, oid])).stdout.trim();
    expect(await value(`${TABLE}.3.1000`)).toBe('"Secondary"');
    expect(fx.cluster.primary(NODE, "r0").exitCode).toBe(0);
    try {
      await until("ResourceRole.1000 = Primary", async () => (await value(`${TABLE}.3.1000`)) === '"Primary"');
      await walkMatchesSimulator();
      fx.cluster.failDisk(NODE, "web", 1);
      await until("DiskState.1002 to leave UpToDate", async () => (await value(`${TABLE}.10.1002`)) !== '"UpToDate"');
      await walkMatchesSimulator();
    } finally {
      fx.cluster.secondary(NODE, "r0");
      fx.cluster.attachDisk(NODE, "web", 1);
    }
  }, 30_000);
});

describe("reload", () => {
  test("SIGHUP with an unchanged [[agentx]] keeps the session: no second Open, walks go on", async () => {
    const daemon = await startSubagent(`unix:${snmpd.agentxSocket}`);
    daemon.signal("SIGHUP");
    await daemon.waitFor(/reload done: 1 plugin\(s\) kept, 0 started, 0 stopped/);
    await walkMatchesSimulator();
    expect(daemon.matching(/registered LINBIT-DRBD-MIB/).length).toBe(1);
    expect(daemon.matching(/WARN|ERROR/)).toEqual([]);
  }, 30_000);
});

describe("over TCP (upstream's transport)", () => {
  test("registers over tcp:127.0.0.1:PORT and serves the same walk", async () => {
    const daemon = await startSubagent(`tcp:127.0.0.1:${snmpd.agentxTcpPort}`);
    expect(daemon.matching(/registered LINBIT-DRBD-MIB/)[0]).toContain(`tcp:127.0.0.1:${snmpd.agentxTcpPort}`);
    await walkMatchesSimulator();
  }, 30_000);
});

describe("when snmpd goes away", () => {
  test("snmpd killed and restarted → the subagent is registered again within 5 s", async () => {
    const daemon = await startSubagent(`unix:${snmpd.agentxSocket}`);
    await snmpd.kill("SIGKILL");
    await daemon.waitFor(/WARN.*the master closed the connection/);
    await snmpd.restart();
    const restartedAt = performance.now();
    await daemon.waitFor(/registered LINBIT-DRBD-MIB.* again after/, { timeoutMs: 5000 });
    console.log(`re-registered ${Math.round(performance.now() - restartedAt)} ms after snmpd answered again`);
    await walkMatchesSimulator();
    expect(daemon.proc.exitCode).toBeNull();
  }, 40_000);

  test("snmpd killed in the middle of a walk → no crash, and walks work once it is back", async () => {
    // Enough rows that the walk (one GetNext per value) is surely still running when snmpd dies.
    fx.cluster.addResource({ name: "bulk", volumes: Array.from({ length: 40 }, (_, i) => ({ minor: 2000 + i })) });
    try {
      const daemon = await startSubagent(`unix:${snmpd.agentxSocket}`);
      const total = expected().size;
      const walker = Bun.spawn(["snmpwalk", "-v2c", "-c", COMMUNITY, "-On", "-t", "1", "-r", "0", snmpd.snmpTarget, LINBIT], {
        stdout: "pipe",
        stderr: "pipe",
      });
      const reader = (walker.stdout as ReadableStream<Uint8Array>).getReader();
      const first = await reader.read();
      expect(first.done).toBe(false);
      await snmpd.kill("SIGKILL");
      let printed = new TextDecoder().decode(first.value);
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) printed += new TextDecoder().decode(chunk.value);
      await walker.exited;
      // The walk really was cut short.
      expect(parseWalk(printed).size).toBeLessThan(total);
      await daemon.waitFor(/the master closed the connection/);
      await snmpd.restart();
      await daemon.waitFor(/registered LINBIT-DRBD-MIB.* again after/, { timeoutMs: 5000 });
      await walkMatchesSimulator();
      expect(daemon.proc.exitCode).toBeNull();
      expect(daemon.matching(/ERROR|panic|Unhandled/i)).toEqual([]);
    } finally {
      fx.cluster.removeResource("bulk");
    }
  }, 40_000);
});
