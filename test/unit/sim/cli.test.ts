/** The hand-driving CLI and its scenario language. */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SimCluster, startCluster } from "../../sim/cluster.ts";
import { withTimeout } from "../../sim/lines.ts";
import { runScenarioLine, words } from "../../sim/scenario.ts";
import { until } from "../../helpers/until.ts";

const CLI = join(import.meta.dir, "../../sim/cli.ts");
let dir = "";
let cluster: SimCluster | null = null;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "drbd-sim-"));
});

afterEach(async () => {
  await cluster?.stop();
  cluster = null;
  await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn([process.execPath, CLI, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await withTimeout(
    Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]),
    15000,
    "cli",
  );
  return { code, out, err };
}

test("--help", async () => {
  const r = await cli(["--help"]);
  expect(r.code).toBe(0);
  expect(r.out).toStartWith("Usage: bun test/sim/cli.ts [options]");
  expect(r.out).toContain("partition A,B C,D");
});

test("a script runs against a fresh cluster and the CLI exits cleanly", async () => {
  const script = join(dir, "scenario.txt");
  await writeFile(script, "# fail over\nprimary alpha r0\ncrash alpha\nprimary bravo r0\nstate bravo\nbogus\n");
  const r = await cli(["--dir", join(dir, "state"), "--script", script, "--exit", "--advance", "manual"]);
  expect(r.code).toBe(0);
  expect(r.out).toContain("alpha: PATH=");
  expect(r.out).toContain("exists resource name:r0 role:Primary");
  expect(r.out).toContain("exists connection name:r0 peer-node-id:0 conn-name:alpha connection:Connecting role:Unknown");
  expect(r.err).toBe("error: unknown command 'bogus' (try: help)\n");
});

test("scenario lines in-process", async () => {
  cluster = await startCluster({ dir, nodes: ["a", "b"], resources: [{ name: "r0", volumes: [{ minor: 1 }], resyncKiBPerTick: 1 << 20 }] });
  expect(words("  crash a   # comment")).toEqual(["crash", "a"]);
  expect(await runScenarioLine(cluster, "primary a r0")).toBe("ok");
  expect(await runScenarioLine(cluster, "primary b r0")).toBe(
    "exit 11: r0: State change failed: (-1) Multiple primaries not allowed by config",
  );
  await runScenarioLine(cluster, "resync a b r0");
  expect(await runScenarioLine(cluster, "wait-sync b r0")).toBe("1 tick(s)");
  expect(cluster.resource("b", "r0")?.devices[0]?.disk).toBe("UpToDate");
  await expect(runScenarioLine(cluster, "crash")).rejects.toThrow("usage: crash NODE");
  expect(await runScenarioLine(cluster, "quit")).toBe("quit");
});

test("--serve runs without stdin until SIGTERM; `cli.ts shim` is a node's tool", async () => {
  const state = join(dir, "state");
  const socket = join(state, "sim.sock");
  const server = Bun.spawn([process.execPath, CLI, "--dir", state, "--nodes", "a,b", "--serve"], {
    stdin: "ignore", // EOF at once: without --serve the CLI would stop here
    stdout: "pipe",
    stderr: "pipe",
  });
  try {
    await until("the simulator's socket", () => existsSync(socket), 10_000);
    const shim = Bun.spawn([process.execPath, CLI, "shim", socket, "b", "drbdsetup", "role", "r0"], { stdout: "pipe", stderr: "pipe" });
    expect(await withTimeout(new Response(shim.stdout).text(), 10_000, "shim")).toBe("Secondary\n");
    expect(await shim.exited).toBe(0);
    // Shims written by a bun-run CLI still run bun on shim.ts.
    expect(await readFile(join(state, "nodes/a/bin/drbdadm"), "utf8")).toContain("/shim.ts' ");
    expect(server.exitCode).toBeNull();
  } finally {
    server.kill("SIGTERM");
  }
  expect(await withTimeout(server.exited, 10_000, "cli exit")).toBe(0);
  expect(existsSync(socket)).toBe(false);
});
