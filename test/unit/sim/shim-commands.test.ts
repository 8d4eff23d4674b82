/** One-shot shim commands: status/show JSON, drbdadm, errors, the call log, shim placement. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SimCluster, startCluster } from "../../sim/cluster.ts";
import { runShim } from "../../sim/lines.ts";
import { shimScript } from "../../sim/shims.ts";

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

async function start(): Promise<SimCluster> {
  cluster = await startCluster({
    dir,
    nodes: ["alpha", "bravo", "charlie"],
    resources: [
      { name: "r0", volumes: [{ minor: 1000, sizeKiB: 1048576 }], diskless: ["charlie"], backingDev: "/dev/vg/{res}_{vol}" },
      { name: "web", volumes: [{ minor: 1001 }, { minor: 1002 }], nodes: ["alpha", "bravo"], options: { quorum: "off" } },
    ],
  });
  return cluster;
}

describe("drbdsetup status / show", () => {
  test("status --json follows the drbd-utils schema", async () => {
    const c = await start();
    c.primary("alpha", "r0");
    const r = await runShim(c, "bravo", "drbdsetup", ["status", "--json", "r0"]);
    expect(r.exitCode).toBe(0);
    const parsed = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(parsed).toHaveLength(1);
    const res = parsed[0] as Record<string, unknown>;
    expect(res).toMatchObject({
      name: "r0",
      "node-id": 1,
      role: "Secondary",
      suspended: false,
      "suspended-quorum": false,
      "force-io-failures": false,
      "write-ordering": "flush",
    });
    expect(res.devices).toEqual([
      {
        volume: 0,
        minor: 1000,
        "disk-state": "UpToDate",
        client: false,
        open: false,
        quorum: true,
        size: 1048576,
        read: 0,
        written: 0,
        "al-writes": 0,
        "bm-writes": 0,
        "upper-pending": 0,
        "lower-pending": 0,
      },
    ]);
    const conns = res.connections as Array<Record<string, unknown>>;
    expect(conns.map((x) => [x["peer-node-id"], x.name, x["connection-state"], x["peer-role"]])).toEqual([
      [0, "alpha", "Connected", "Primary"],
      [2, "charlie", "Connected", "Secondary"],
    ]);
    expect((conns[1]?.peer_devices as unknown[])[0]).toMatchObject({
      volume: 0,
      "replication-state": "Established",
      "peer-disk-state": "Diskless",
      "peer-client": true,
      "resync-suspended": "no",
      "has-sync-details": false,
      "percent-in-sync": 100,
    });
    expect(conns[0]?.paths).toEqual([
      {
        this_host: { address: "10.0.0.2", port: 7000, family: "ipv4" },
        remote_host: { address: "10.0.0.1", port: 7000, family: "ipv4" },
        established: true,
      },
    ]);
    // All resources of a node, and an unknown one.
    const all = JSON.parse((await runShim(c, "alpha", "drbdsetup", ["status", "--json"])).stdout) as unknown[];
    expect(all).toHaveLength(2);
    expect(await runShim(c, "charlie", "drbdsetup", ["status", "--json", "web"])).toEqual({
      exitCode: 10,
      stdout: "[\n]\n",
      stderr: "web: No such resource\n",
    });
  });

  test("plain status", async () => {
    const c = await start();
    const r = await runShim(c, "charlie", "drbdsetup", ["status", "r0"]);
    expect(r.stdout).toBe(
      "r0 role:Secondary\n  disk:Diskless client:yes\n  alpha role:Secondary\n    peer-disk:UpToDate\n  bravo role:Secondary\n    peer-disk:UpToDate\n\n",
    );
  });

  test("show --json: options and net options the promoter checks", async () => {
    const c = await start();
    c.setResourceOptions("r0", { onNoQuorum: "suspend-io" });
    const r = await runShim(c, "alpha", "drbdsetup", ["show", "--show-defaults", "--json", "r0"]);
    expect(r.exitCode).toBe(0);
    const [show] = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(show).toMatchObject({
      resource: "r0",
      options: {
        "auto-promote": false,
        quorum: "majority",
        "on-no-quorum": "suspend-io",
        "on-suspended-primary-outdated": "force-secondary",
        "on-no-data-accessible": "io-error",
      },
    });
    expect((show?.connections as Array<{ net: unknown }>).map((x) => x.net)).toEqual([
      { _name: "bravo", "rr-conflict": "disconnect", fencing: "dont-care", "allow-two-primaries": false },
      { _name: "charlie", "rr-conflict": "disconnect", fencing: "dont-care", "allow-two-primaries": false },
    ]);
    // resource-options through the shim changes what show reports.
    await runShim(c, "alpha", "drbdsetup", ["resource-options", "r0", "--quorum=off", "--auto-promote=yes"]);
    const again = JSON.parse((await runShim(c, "bravo", "drbdsetup", ["show", "--json", "r0"])).stdout) as Array<{
      options: Record<string, unknown>;
    }>;
    expect(again[0]?.options).toMatchObject({ quorum: "off", "auto-promote": true });
  });
});

describe("drbdadm", () => {
  test("--version: KEY=value lines, configurable per node", async () => {
    const c = await start();
    const r = await runShim(c, "alpha", "drbdadm", ["--version"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split("\n").slice(1)).toEqual([
      "DRBDADM_API_VERSION=2",
      "DRBD_KERNEL_VERSION_CODE=0x09020c",
      "DRBD_KERNEL_VERSION=9.2.12",
      "DRBDADM_VERSION_CODE=0x091d00",
      "DRBDADM_VERSION=9.29.0",
      "",
    ]);
    expect(r.stdout).toStartWith("DRBDADM_BUILDTAG=");
    c.setVersions("bravo", { utils: "9.28.1", kmod: "0.0.0" });
    const b = await runShim(c, "bravo", "drbdadm", ["--version"]);
    expect(b.stdout).toContain("DRBD_KERNEL_VERSION_CODE=0x000000\n");
    expect(b.stdout).toContain("DRBDADM_VERSION_CODE=0x091c01\n");
    expect((await runShim(c, "alpha", "drbdadm", ["--version"])).stdout).toContain("DRBDADM_VERSION=9.29.0\n");
  });

  test("sh-ll-dev prints backing devices per volume, none for diskless", async () => {
    const c = await start();
    expect(await runShim(c, "alpha", "drbdadm", ["sh-ll-dev", "r0"])).toEqual({
      exitCode: 0,
      stdout: "/dev/vg/r0_0\n",
      stderr: "",
    });
    expect((await runShim(c, "charlie", "drbdadm", ["sh-ll-dev", "r0"])).stdout).toBe("none\n");
    expect((await runShim(c, "alpha", "drbdadm", ["sh-ll-dev", "web"])).stdout).toBe(
      "/dev/drbdpool/web_0\n/dev/drbdpool/web_1\n",
    );
    expect(await runShim(c, "charlie", "drbdadm", ["sh-ll-dev", "web"])).toEqual({
      exitCode: 10,
      stdout: "",
      stderr: "'web' not defined in your config (for this host).\n",
    });
  });

  test("down / adjust / primary / secondary", async () => {
    const c = await start();
    expect((await runShim(c, "bravo", "drbdadm", ["down", "web"])).exitCode).toBe(0);
    expect(c.resource("bravo", "web")).toBeNull();
    expect(c.resource("alpha", "web")?.connections[0]?.connection.connection).toBe("Connecting");
    expect((await runShim(c, "bravo", "drbdadm", ["adjust", "web"])).exitCode).toBe(0);
    expect(c.resource("alpha", "web")?.connections[0]?.connection.connection).toBe("Connected");
    expect((await runShim(c, "bravo", "drbdadm", ["primary", "web"])).exitCode).toBe(0);
    expect(c.resource("alpha", "web")?.connections[0]?.connection.role).toBe("Primary");
    const refused = await runShim(c, "alpha", "drbdadm", ["primary", "web"]);
    expect(refused).toEqual({
      exitCode: 11,
      stdout: "",
      stderr:
        "web: State change failed: (-1) Multiple primaries not allowed by config\nCommand 'drbdsetup primary web' terminated with exit code 11\n",
    });
    expect((await runShim(c, "bravo", "drbdadm", ["secondary", "web"])).exitCode).toBe(0);
    expect(c.resource("bravo", "web")?.resource.role).toBe("Secondary");
  });

  test("no quorum refuses promotion", async () => {
    const c = await start();
    c.crash("bravo");
    c.crash("charlie");
    expect(await runShim(c, "alpha", "drbdsetup", ["primary", "r0"])).toEqual({
      exitCode: 11,
      stdout: "",
      stderr: "r0: State change failed: (-25) No quorum\n",
    });
  });
});

describe("shim plumbing", () => {
  test("unknown commands and resources fail with messages", async () => {
    const c = await start();
    const u = await runShim(c, "alpha", "drbdsetup", ["frobnicate"]);
    expect(u.exitCode).toBe(20);
    expect(u.stderr).toStartWith("drbdsetup: unknown command 'frobnicate'\n");
    expect(await runShim(c, "alpha", "drbdadm", ["frobnicate", "r0"])).toEqual({
      exitCode: 20,
      stdout: "",
      stderr: "drbdadm: Unknown command 'frobnicate'\n",
    });
    expect(await runShim(c, "alpha", "drbdsetup", ["primary", "nope"])).toEqual({
      exitCode: 10,
      stdout: "",
      stderr: "nope: Failure: (158) Unknown resource\n",
    });
    const bad = await runShim(c, "alpha", "drbdsetup", ["events2", "--bogus"]);
    expect(bad.exitCode).toBe(20);
  });

  test("every call is logged in memory and in calls.jsonl; waitForCall finds one", async () => {
    const c = await start();
    const pending = c.waitForCall((k) => k.node === "bravo" && k.argv.join(" ") === "secondary --force r0");
    c.primary("bravo", "r0");
    await runShim(c, "bravo", "drbdsetup", ["secondary", "--force", "r0"]);
    const call = await pending;
    // A snapshot taken when the call arrived: it may still be running then.
    expect(call).toMatchObject({ node: "bravo", tool: "drbdsetup", seq: 1 });
    expect(c.calls()[0]?.exitCode).toBe(0);
    expect(call.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    await runShim(c, "alpha", "drbdadm", ["--version"]);
    const file = (await readFile(join(dir, "calls.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(file.map((k: { node: string; tool: string; argv: string[] }) => [k.node, k.tool, k.argv])).toEqual([
      ["bravo", "drbdsetup", ["secondary", "--force", "r0"]],
      ["alpha", "drbdadm", ["--version"]],
    ]);
    c.clearCalls();
    expect(c.calls()).toEqual([]);
  });

  test("writeShims puts a node's tools into any directory; scripts exec bun on shim.ts", async () => {
    const c = await start();
    const later = join(dir, "later-bin");
    await c.writeShims("charlie", later);
    await access(join(later, "drbdsetup"));
    const r = Bun.spawn([join(later, "drbdadm"), "sh-ll-dev", "r0"], { stdout: "pipe", stderr: "pipe" });
    expect(await new Response(r.stdout).text()).toBe("none\n");
    expect(await r.exited).toBe(0);
    const text = shimScript({ bun: "/usr/bin/bun", socketPath: "/tmp/it's.sock", node: "a", tool: "drbdadm" });
    expect(text).toStartWith("#!/bin/sh\n");
    expect(text).toContain(`exec '/usr/bin/bun' `);
    expect(text).toContain(`'/tmp/it'\\''s.sock' 'a' drbdadm "$@"`);
    // A ready command instead of bun + shim.ts (a compiled simulator and its `shim` subcommand).
    expect(shimScript({ command: ["/opt/drbd sim", "shim"], socketPath: "/run/s.sock", node: "a", tool: "drbdsetup" }).split("\n")[2]).toBe(
      `exec '/opt/drbd sim' 'shim' '/run/s.sock' 'a' drbdsetup "$@"`,
    );
  });

  test("after stop the shims fail cleanly", async () => {
    const c = await start();
    await c.stop();
    cluster = null;
    const r = Bun.spawn([join(c.binDir("alpha"), "drbdsetup"), "status"], { stdout: "pipe", stderr: "pipe" });
    expect(await r.exited).toBe(20);
    expect(await new Response(r.stderr).text()).toContain("DRBD simulator not reachable");
  });
});
