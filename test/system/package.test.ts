/**
 * The .deb in a real systemd (issue 6): Debian 12's systemd booted as PID 1
 * in namespaces (harness/, spec/systemd-harness.md) on a cached debootstrap
 * tree with Debian's drbd-utils, whose drbdsetup/drbdadm are diverted
 * (dpkg-divert) to the DRBD simulator's shims. The simulator itself runs
 * inside the container as a transient service (compiled from test/sim/cli.ts,
 * so no bun is needed there).
 *
 * One container for the whole file; the steps run in order and each one
 * builds on the previous. A step that fails prints the daemon's journal; the
 * steps after it fail with "not run".
 *
 * Needs root, unshare, cgroup2 and overlayfs. A machine without them fails
 * here with the reason; DRBD_REACTOR_SKIP_SYSTEMD=1 skips the file instead
 * (and says so).
 *
 * Packages: `make deb` (uncompressed) builds the first one and, with a changed
 * VERSION, the upgrade; DRBD_REACTOR_DEB and DRBD_REACTOR_DEB_UPGRADE name
 * prebuilt ones instead.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { until } from "../helpers/until.ts";
import { shimScript } from "../sim/shims.ts";
import { Container, lowerTree, machineProblems, reapStale, run } from "./container.ts";

const ROOT = join(import.meta.dir, "../..");
const SKIP = process.env.DRBD_REACTOR_SKIP_SYSTEMD === "1";

/** Paths inside the container. */
const SIM_BIN = "/opt/drbd-sim/drbd-sim";
const SIM_DIR = "/run/drbd-sim";
const SIM_SOCKET = `${SIM_DIR}/sim.sock`;
const SNIPPET = "/etc/drbd-reactor.d/systemtest-prometheus.toml";
const CONFFILE = "/etc/drbd-reactor.toml";
/** The container has its own network namespace (only lo, nothing else listening): a fixed port cannot collide. */
const PORT = 9942;
const METRICS = `http://127.0.0.1:${PORT}/metrics`;
const SERVICE = "drbd-reactor.service";
const RELOAD_PATH = "drbd-reactor-reload.path";
const RELOAD_SERVICE = "drbd-reactor-reload.service";
/** Every unit the package ships (the template as an instance). */
const UNITS = [SERVICE, RELOAD_PATH, RELOAD_SERVICE, "ocf.rs@systemtest.service"];

/** Simulated cluster: this container is node alpha of three; r0 with one volume, r1 with two. */
const SIM_ARGS = ["--nodes", "alpha,bravo,charlie", "--resource", "r0:1000:1048576", "--resource", "r1:1001:524288:2"];

/** Measured durations (ms), printed at the end. */
const timings: Record<string, number> = {};
const notes: string[] = [];

let scratch = "";
let container: Container | null = null;
let packages: { first: string; firstVersion: string; upgrade: string; upgradeVersion: string } | null = null;
/** Listing of the container's / after the simulator setup, before the package is installed. */
let listingBefore: string[] = [];
let t0File = 0;

// ---------------------------------------------------------------------------
// helpers

function c(): Container {
  if (!container) throw new Error("no container (setup failed)");
  return container;
}

/** `systemctl show -p …` as a record. */
async function show(unit: string, props: readonly string[]): Promise<Record<string, string>> {
  const out = await c().must(["systemctl", "show", "-p", props.join(","), unit]);
  const rec: Record<string, string> = {};
  for (const line of out.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) rec[line.slice(0, i)] = line.slice(i + 1);
  }
  return rec;
}

async function mainPid(): Promise<number> {
  return Number((await show(SERVICE, ["MainPID"])).MainPID);
}

interface JournalEntry {
  readonly message: string;
  readonly pid: number;
  /** Wall clock in ms (journal realtime; the container shares the host's clock). */
  readonly ms: number;
}

/** Cursor of the newest journal entry (start of a step's window). */
async function journalCursor(): Promise<string> {
  const out = await c().must(["journalctl", "-n", "1", "-o", "json", "--no-pager"]);
  const last = out.trim().split("\n").at(-1);
  return last ? (JSON.parse(last) as { __CURSOR: string }).__CURSOR : "";
}

/** Entries of the daemon's units after `cursor`. */
async function journalSince(cursor: string, units: readonly string[] = [SERVICE]): Promise<JournalEntry[]> {
  const args = ["journalctl", "--no-pager", "-o", "json", ...units.flatMap((u) => ["-u", u])];
  if (cursor) args.push(`--after-cursor=${cursor}`);
  const out = await c().must(args);
  return out
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { MESSAGE?: unknown; _PID?: string; __REALTIME_TIMESTAMP: string })
    .map((e) => ({
      message: typeof e.MESSAGE === "string" ? e.MESSAGE : "",
      pid: Number(e._PID ?? 0),
      ms: Number(e.__REALTIME_TIMESTAMP) / 1000,
    }));
}

/** Wait for a journal entry matching `re` (from process `pid` if given) after `cursor`. */
function journalWait(cursor: string, re: RegExp, opts: { pid?: number; timeoutMs?: number; units?: string[] } = {}): Promise<JournalEntry> {
  return until(
    `journal: ${re}${opts.pid ? ` from pid ${opts.pid}` : ""}`,
    async () => (await journalSince(cursor, opts.units)).find((e) => re.test(e.message) && (!opts.pid || e.pid === opts.pid)),
    opts.timeoutMs ?? 15_000,
  );
}

/** GET the metrics endpoint from inside the container. */
function scrape(): Promise<{ code: number; stdout: string; stderr: string }> {
  return c().exec(["curl", "-sS", "--max-time", "3", METRICS], { timeoutMs: 10_000 });
}

/** Full listing of the container's root (mounts other than / are not descended: /proc /sys /dev /run /tmp). */
async function listing(): Promise<string[]> {
  const prune = ["/var/lib/dpkg", "/var/log/journal", "/var/cache", "/var/tmp"];
  const expr = prune.flatMap((p, i) => [...(i ? ["-o"] : []), "-path", p]);
  const out = await c().must(["find", "/", "-xdev", "(", ...expr, ")", "-prune", "-o", "-printf", "%p %y %m %u:%g %l\\n"], {
    timeoutMs: 60_000,
  });
  // Contents too, where a package could leave edits behind: everything under /etc.
  const sums = await c().must(["sh", "-c", "find /etc -xdev -type f -print0 | xargs -0 sha1sum"], { timeoutMs: 60_000 });
  return [...out.split("\n"), ...sums.split("\n").map((l) => `sha1 ${l}`)].filter(Boolean).sort();
}

/** Lines in `a` but not in `b`. */
function minus(a: readonly string[], b: readonly string[]): string[] {
  const set = new Set(b);
  return a.filter((l) => !set.has(l));
}

/** Listening TCP socket inode for 127.0.0.1:PORT (from the container's /proc/net/tcp), or null. */
async function listenInode(): Promise<string | null> {
  const local = `0100007F:${PORT.toString(16).toUpperCase().padStart(4, "0")}`;
  const tcp = await c().must(["cat", "/proc/net/tcp"]);
  for (const line of tcp.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local && f[3] === "0A") return f[9] ?? null;
  }
  return null;
}

/** Socket inodes held open by `pid` (inside the container). */
async function socketInodes(pid: number): Promise<string[]> {
  const out = await c().must(["sh", "-c", `for f in /proc/${pid}/fd/*; do readlink "$f"; done`]);
  return [...out.matchAll(/socket:\[(\d+)\]/g)].map((m) => m[1]!);
}

/**
 * Write a file into the container through /proc/<pid>/root. A new file gets
 * `mode` when it is created (no separate chmod: that would be one more event
 * for the path unit).
 */
async function put(inside: string, text: string | Uint8Array, mode?: number): Promise<void> {
  writeFileSync(await c().path(inside), text, mode === undefined ? undefined : { mode });
}

async function readInside(inside: string): Promise<string> {
  return readFileSync(await c().path(inside), "utf8");
}

/** What to print when a step fails. */
async function diagnostics(): Promise<string> {
  if (!container || !(await container.alive().catch(() => false))) return "(container not running)";
  const parts: string[] = [];
  for (const [title, argv] of [
    ["journalctl -u drbd-reactor -n 50", ["journalctl", "-u", SERVICE, "-u", RELOAD_SERVICE, "-u", RELOAD_PATH, "--no-pager", "-n", "50"]],
    ["systemctl status drbd-reactor", ["systemctl", "status", "--no-pager", "-l", SERVICE]],
  ] as const) {
    const r = await container.exec(argv, { timeoutMs: 10_000 }).catch((e: Error) => ({ code: -1, stdout: "", stderr: e.message }));
    parts.push(`--- ${title}\n${r.stdout}${r.stderr}`);
  }
  return parts.join("\n");
}

let failedStep: string | null = null;

/** One ordered step: not run after an earlier failure; on failure, the journal is attached. */
function step(name: string, timeoutMs: number, fn: () => Promise<void>): void {
  test(
    name,
    async () => {
      if (failedStep) throw new Error(`not run: step "${failedStep}" failed before`);
      try {
        await fn();
      } catch (e) {
        failedStep = name;
        const err = e instanceof Error ? e : new Error(String(e));
        err.message = `${err.message}\n\n${await diagnostics()}`;
        throw err;
      }
    },
    timeoutMs,
  );
}

// ---------------------------------------------------------------------------
// packages

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
}

async function debField(deb: string, field: string): Promise<string> {
  const r = await run(["dpkg-deb", "--field", deb, field]);
  if (r.code !== 0) throw new Error(`dpkg-deb --field ${deb}: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * `make deb` with `vars` into the scratch dir (PKGDIR); returns the package's
 * path. Uncompressed: ~1 s instead of 10–20 s for gzip, and what is tested
 * here (files, units, maintainer scripts) does not depend on the compressor.
 * The binary must be up to date (`-o`: never rebuilt here, so two of these
 * can run at once).
 */
async function makeDeb(version: string, vars: string[]): Promise<string> {
  const r = await run(["make", "--no-print-directory", "-o", "dist/drbd-reactor", "deb", "DEB_COMPRESS=none", `PKGDIR=${scratch}`, ...vars], {
    cwd: ROOT,
    timeoutMs: 10 * 60_000,
  });
  const built = join(scratch, `drbd-reactor_${version}-1_amd64.deb`);
  if (r.code !== 0 || !existsSync(built)) throw new Error(`make deb ${vars.join(" ")} failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  return built;
}

async function preparePackages(): Promise<NonNullable<typeof packages>> {
  const given = process.env.DRBD_REACTOR_DEB;
  const givenUpgrade = process.env.DRBD_REACTOR_DEB_UPGRADE;
  let first: string;
  let upgrade: string;
  if (given || givenUpgrade) {
    if (!given || !givenUpgrade) throw new Error("set both DRBD_REACTOR_DEB and DRBD_REACTOR_DEB_UPGRADE (or neither: make deb)");
    first = given;
    upgrade = givenUpgrade;
    notes.push(`packages from the environment: ${first}, ${upgrade}`);
  } else {
    if (!/^deb:/m.test(readFileSync(join(ROOT, "Makefile"), "utf8"))) throw new Error("the Makefile has no deb target");
    const version = packageVersion();
    const t = performance.now();
    const build = await run(["make", "--no-print-directory", "build"], { cwd: ROOT, timeoutMs: 10 * 60_000 });
    if (build.code !== 0) throw new Error(`make build failed:\n${build.stdout}${build.stderr}`);
    // Both packages at once (make deb stages in its own directory).
    [first, upgrade] = await Promise.all([
      makeDeb(version, []),
      makeDeb(`${version}+systemtest`, [`VERSION=${version}+systemtest`]),
    ]);
    timings["make build + make deb twice (uncompressed; second with VERSION=…)"] = performance.now() - t;
  }
  const firstVersion = await debField(first, "Version");
  const upgradeVersion = await debField(upgrade, "Version");
  const cmp = await run(["dpkg", "--compare-versions", upgradeVersion, "gt", firstVersion]);
  if (cmp.code !== 0) throw new Error(`upgrade package ${upgradeVersion} is not newer than ${firstVersion}`);
  return { first, firstVersion, upgrade, upgradeVersion };
}

// ---------------------------------------------------------------------------
// setup: machine check, packages, root, boot, simulator + diversions

async function setUp(): Promise<void> {
  const tAll = performance.now();
  const problems = await machineProblems();
  if (problems.length > 0) {
    throw new Error(
      `this machine cannot run real systemd in namespaces (test/system/harness):\n  - ${problems.join("\n  - ")}\n` +
        "Run as root on a host with unshare, cgroup2 and overlayfs, or set DRBD_REACTOR_SKIP_SYSTEMD=1 to skip these tests.",
    );
  }
  const reaped = await reapStale();
  if (reaped.length > 0) notes.push(`stopped instances left by dead test runs: ${reaped.join(", ")}`);
  // Scratch dirs (packages, compiled simulator) of test runs that were killed.
  for (const name of readdirSync(tmpdir())) {
    const m = /^reactor-systest-(\d+)-/.exec(name);
    if (m && !existsSync(`/proc/${m[1]}`)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
  scratch = mkdtempSync(join(tmpdir(), `reactor-systest-${process.pid}-`));

  // The simulator, compiled: self-contained, and its own shim (`drbd-sim shim …`).
  const simOut = join(scratch, "drbd-sim");
  let t = performance.now();
  const sim = await run([process.execPath, "build", "--compile", join(ROOT, "test/sim/cli.ts"), "--outfile", simOut], { cwd: ROOT, timeoutMs: 120_000 });
  if (sim.code !== 0) throw new Error(`compiling the simulator failed:\n${sim.stdout}${sim.stderr}`);
  timings["compile simulator"] = performance.now() - t;

  // Independent and both slow the first time: packages (make deb) and the root (debootstrap).
  const [pkgs, lower] = await Promise.all([preparePackages(), lowerTree()]);
  packages = pkgs;
  timings[lower.built ? "root build (debootstrap, first use)" : "root ready (cached, or built by a concurrent run)"] = lower.ms;
  notes.push(`lower tree: ${lower.path}`);

  const boot = await Container.boot(lower.path);
  container = boot.container;
  timings["boot (start.sh → running)"] = boot.ms;
  notes.push(`boot: ${boot.said}`);

  // Simulator binary and its state dir.
  t = performance.now();
  mkdirSync(await c().path("/opt/drbd-sim"), { recursive: true });
  copyFileSync(simOut, await c().path(SIM_BIN));
  chmodSync(await c().path(SIM_BIN), 0o755);
  await c().must(["systemd-run", "--quiet", "--unit=drbd-sim", "--property=Type=exec", SIM_BIN, "--dir", SIM_DIR, ...SIM_ARGS, "--serve"]);
  await until("the simulator's socket", async () => (await c().exec(["test", "-S", SIM_SOCKET])).code === 0, 15_000);

  // Divert Debian's drbdsetup/drbdadm (paths as drbd-utils ships them) and put the shims there.
  const files = (await c().must(["dpkg-query", "-L", "drbd-utils"])).split("\n");
  for (const tool of ["drbdsetup", "drbdadm"] as const) {
    const path = files.find((f) => /\/s?bin\//.test(f) && f.endsWith(`/${tool}`));
    if (!path) throw new Error(`drbd-utils ships no ${tool}`);
    await c().must(["dpkg-divert", "--local", "--rename", "--divert", `${path}.distrib`, "--add", path]);
    await put(path, shimScript({ command: [SIM_BIN, "shim"], socketPath: SIM_SOCKET, node: "alpha", tool }), 0o755);
    notes.push(`diverted ${path} → ${path}.distrib; ${path} is the simulator's shim`);
  }
  // What the daemon will run (systemd's PATH has /usr/sbin): the simulated node, not the real tools.
  expect(await c().must(["drbdsetup", "status", "r0"])).toStartWith("r0 role:Secondary\n");
  expect(await c().must(["drbdadm", "--version"])).toContain("DRBD_KERNEL_VERSION=9.2.12");
  timings["simulator + diversions in the container"] = performance.now() - t;

  t = performance.now();
  listingBefore = await listing();
  timings["file listing"] = performance.now() - t;
  timings["setup total"] = performance.now() - tAll;
}

// ---------------------------------------------------------------------------

describe.skipIf(SKIP)("the .deb in real systemd", () => {
  beforeAll(async () => {
    t0File = performance.now();
    await setUp();
  }, 30 * 60_000);

  afterAll(async () => {
    if (container) {
      try {
        const stopped = await container.stop();
        timings["poweroff (stop.sh)"] = stopped.ms;
      } catch (e) {
        notes.push(`container stop failed: ${(e as Error).message}`);
      }
      container = null;
    }
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    timings.total = performance.now() - t0File;
    const width = Math.max(...Object.keys(timings).map((k) => k.length));
    const lines = Object.entries(timings).map(([k, v]) => `  ${k.padEnd(width)}  ${(v / 1000).toFixed(3)} s`);
    console.log(`system test (.deb in real systemd) timings:\n${lines.join("\n")}\n${notes.map((n) => `  ${n}`).join("\n")}`);
  }, 120_000);

  step("dpkg -i: the service is enabled, active and READY, and follows the simulated resources", 120_000, async () => {
    const p = packages!;
    copyFileSync(p.first, await c().path(`/tmp/${basename(p.first)}`));
    const cursor = await journalCursor();
    const t = performance.now();
    const r = await c().exec(["dpkg", "-i", `/tmp/${basename(p.first)}`], { timeoutMs: 90_000 });
    timings["dpkg -i (postinst starts the service)"] = performance.now() - t;
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/warning|error/i);
    await until("drbd-reactor active", async () => (await show(SERVICE, ["ActiveState"])).ActiveState === "active", 30_000);
    timings["dpkg -i → active"] = performance.now() - t;
    expect((await c().must(["dpkg-query", "-W", "-f", "${Status} ${Version}", "drbd-reactor"])).trim()).toBe(
      `install ok installed ${p.firstVersion}`,
    );

    const s = await show(SERVICE, ["Type", "ActiveState", "SubState", "Result", "NRestarts", "UnitFileState", "MainPID", "ExecMainStatus"]);
    const got: Record<string, unknown> = { ...s, MainPID: Number(s.MainPID) > 0 };
    expect(got).toEqual({
      Type: "notify",
      ActiveState: "active",
      SubState: "running",
      Result: "success",
      NRestarts: "0",
      UnitFileState: "enabled",
      MainPID: true,
      ExecMainStatus: "0",
    });
    const pid = Number(s.MainPID);
    // Type=notify: systemd called it started only after READY=1; the status text comes from the daemon.
    await journalWait(cursor, /^Started drbd-reactor\.service/);
    await journalWait(cursor, new RegExp(`^INFO \\[core\\] drbd-reactor \\S+ starting with ${CONFFILE}$`), { pid });
    await journalWait(cursor, /^INFO \[core\] initial state complete: 2 resource\(s\)$/, { pid });
    const status = await until(
      "StatusText after the initial state",
      async () => {
        const st = (await show(SERVICE, ["StatusText"])).StatusText ?? "";
        return st.startsWith("Following DRBD events") && st;
      },
      10_000,
    );
    expect(status).toBe("Following DRBD events: 2 resource(s), 0 plugin(s)");
    // The daemon ran the diverted drbdsetup, i.e. the simulator's shim, as node alpha.
    const calls = (await readInside(`${SIM_DIR}/calls.jsonl`))
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { node: string; tool: string; argv: string[] });
    expect(calls.some((k) => k.node === "alpha" && k.tool === "drbdsetup" && k.argv[0] === "events2")).toBe(true);

    // The reload path unit ships disabled; config file and snippet directory modes.
    expect(await show(RELOAD_PATH, ["UnitFileState", "ActiveState"])).toEqual({ UnitFileState: "disabled", ActiveState: "inactive" });
    expect((await c().must(["stat", "-c", "%a %U:%G", CONFFILE, "/etc/drbd-reactor.d"])).trim().split("\n")).toEqual([
      "640 root:root",
      "750 root:root",
    ]);
    // No endpoint yet: no plugin is configured.
    expect((await scrape()).code).toBe(7);

    // The listing used for the purge check sees every file of the package (and the enable link).
    const pathsNow = new Set((await listing()).filter((l) => l.startsWith("/")).map((l) => l.split(" ")[0]));
    const owned = (await c().must(["dpkg-query", "-L", "drbd-reactor"])).split("\n").filter((l) => l.startsWith("/") && l !== "/.");
    expect(owned).toContain("/usr/sbin/drbd-reactor");
    expect(owned.filter((f) => !pathsNow.has(f))).toEqual([]);
    expect(pathsNow.has("/etc/systemd/system/multi-user.target.wants/drbd-reactor.service")).toBe(true);
    notes.push(`files and directories owned by the package: ${owned.length}`);
  });

  step("systemctl enable --now drbd-reactor-reload.path", 30_000, async () => {
    await c().must(["systemctl", "enable", "--now", RELOAD_PATH]);
    expect(await show(RELOAD_PATH, ["UnitFileState", "ActiveState", "SubState"])).toEqual({
      UnitFileState: "enabled",
      ActiveState: "active",
      SubState: "waiting",
    });
  });

  step("a prometheus snippet in /etc/drbd-reactor.d: the daemon reloads by itself and the endpoint answers", 60_000, async () => {
    const pid = await mainPid();
    const cursor = await journalCursor();
    const t = Date.now();
    await put(SNIPPET, `[[prometheus]]\naddress = "127.0.0.1:${PORT}"\nenums = true\n`, 0o640);
    const done = await journalWait(cursor, /^INFO \[core\] reload done: 0 plugin\(s\) kept, 1 started, 0 stopped$/, { pid });
    timings["snippet written → reload done (journal)"] = done.ms - t;
    const body = await until(
      "the endpoint answers",
      async () => {
        const r = await scrape();
        return r.code === 0 && r.stdout;
      },
      10_000,
    );
    timings["snippet written → endpoint answers"] = Date.now() - t;
    // The reload went through the path unit and the service's ExecReload (systemd logs both).
    const entries = await journalSince(cursor, [SERVICE, RELOAD_SERVICE]);
    expect(entries.some((e) => e.message.startsWith("Reloading drbd-reactor.service"))).toBe(true);
    expect(entries.some((e) => e.message.startsWith("Finished drbd-reactor-reload.service"))).toBe(true);
    await journalWait(cursor, new RegExp(`serving metrics on http://127\\.0\\.0\\.1:${PORT}/metrics`), { pid });
    expect(await show(SERVICE, ["MainPID", "NRestarts", "ActiveState"])).toEqual({ MainPID: String(pid), NRestarts: "0", ActiveState: "active" });

    // Metrics of the simulated node alpha.
    const lines = body.split("\n");
    for (const want of [
      "drbdreactor_up 1",
      'drbd_version{kmod="9.2.12",utils="9.29.0"} 1',
      "drbd_resource_resources 2",
      'drbd_resource_role{name="r0",drbd_resource_role="Secondary"} 1',
      'drbd_device_size_bytes{name="r0",volume="0",minor="1000"} 1073741824',
      'drbd_device_size_bytes{name="r1",volume="0",minor="1001"} 536870912',
      'drbd_device_size_bytes{name="r1",volume="1",minor="1002"} 536870912',
      'drbd_connection_state{name="r0",conn_name="bravo",peer_node_id="1",drbd_connection_state="Connected"} 1',
    ]) {
      expect(lines).toContain(want);
    }
  });

  step("removing the snippet: the daemon reloads and the endpoint stops answering", 60_000, async () => {
    const pid = await mainPid();
    const cursor = await journalCursor();
    const t = Date.now();
    rmSync(await c().path(SNIPPET));
    const done = await journalWait(cursor, /^INFO \[core\] reload done: 0 plugin\(s\) kept, 0 started, 1 stopped$/, { pid });
    timings["snippet removed → reload done (journal)"] = done.ms - t;
    await journalWait(cursor, new RegExp(`^INFO \\[core\\] stopped prometheus plugin from ${SNIPPET}$`), { pid });
    const r = await until(
      "the endpoint refuses connections",
      async () => {
        const s = await scrape();
        return s.code !== 0 && s;
      },
      10_000,
    );
    expect(r.code).toBe(7); // curl: couldn't connect
    expect(await listenInode()).toBeNull();
    expect(await show(SERVICE, ["MainPID", "NRestarts", "ActiveState"])).toEqual({ MainPID: String(pid), NRestarts: "0", ActiveState: "active" });
  });

  step("systemctl reload keeps an unchanged prometheus plugin: same socket, no stop, the endpoint answers throughout", 60_000, async () => {
    const pid = await mainPid();
    let cursor = await journalCursor();
    await put(SNIPPET, `[[prometheus]]\naddress = "127.0.0.1:${PORT}"\nenums = true\n`, 0o640);
    await journalWait(cursor, /^INFO \[core\] reload done: 0 plugin\(s\) kept, 1 started, 0 stopped$/, { pid });
    await until("the endpoint answers", async () => (await scrape()).code === 0, 10_000);
    const inode = await listenInode();
    expect(inode).not.toBeNull();
    expect(await socketInodes(pid)).toContain(inode!);

    // Scrape in a tight loop inside the container while the reload runs.
    await c().exec(["rm", "-f", "/tmp/poll.stop"]);
    const poller = c().spawn([
      "sh",
      "-c",
      `while [ ! -e /tmp/poll.stop ]; do if curl -sf -o /dev/null --max-time 2 ${METRICS}; then echo ok; else echo "fail $?"; fi; done`,
    ]);
    const polled: string[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      let pending = "";
      for await (const chunk of poller.stdout as ReadableStream<Uint8Array>) {
        const parts = (pending + decoder.decode(chunk, { stream: true })).split("\n");
        pending = parts.pop() ?? "";
        polled.push(...parts);
      }
    })();
    try {
      await until("the poller scraped", () => polled.length >= 3, 10_000);
      cursor = await journalCursor();
      const before = polled.length;
      const t = performance.now();
      await c().must(["systemctl", "reload", SERVICE]);
      timings["systemctl reload (command)"] = performance.now() - t;
      await journalWait(cursor, /^INFO \[core\] reload done: 1 plugin\(s\) kept, 0 started, 0 stopped$/, { pid });
      timings["systemctl reload → reload done"] = performance.now() - t;
      const after = polled.length;
      await until("the poller scraped after the reload", () => polled.length >= after + 3, 10_000);
      expect(polled.length - before).toBeGreaterThanOrEqual(3);
    } finally {
      await c().exec(["touch", "/tmp/poll.stop"]);
      const exited = await Promise.race([poller.exited, Bun.sleep(10_000).then(() => null)]);
      if (exited === null) poller.kill("SIGKILL");
      await reading;
    }
    expect(polled.filter((l) => l !== "ok")).toEqual([]);
    expect(polled.length).toBeGreaterThan(6);
    notes.push(`scrapes during the reload test: ${polled.length}, all answered`);

    const entries = await journalSince(cursor);
    expect(entries.filter((e) => /stopped prometheus plugin|serving metrics/.test(e.message)).map((e) => e.message)).toEqual([]);
    expect(await listenInode()).toBe(inode);
    expect(await socketInodes(pid)).toContain(inode!);
    expect(await show(SERVICE, ["MainPID", "NRestarts", "ActiveState"])).toEqual({ MainPID: String(pid), NRestarts: "0", ActiveState: "active" });
  });

  step("systemctl stop is clean and quick; start brings it back", 60_000, async () => {
    const pid = await mainPid();
    const cursor = await journalCursor();
    const t = performance.now();
    await c().must(["systemctl", "stop", SERVICE]);
    const ms = performance.now() - t;
    timings["systemctl stop"] = ms;
    expect(ms).toBeLessThanOrEqual(2000);
    expect(await show(SERVICE, ["ActiveState", "SubState", "Result", "ExecMainCode", "ExecMainStatus", "MainPID"])).toEqual({
      ActiveState: "inactive",
      SubState: "dead",
      Result: "success",
      ExecMainCode: "1", // CLD_EXITED: it exited by itself, not killed by a signal
      ExecMainStatus: "0",
      MainPID: "0",
    });
    await journalWait(cursor, /^INFO \[core\] SIGTERM received: stopping$/, { pid });
    await journalWait(cursor, /^INFO \[core\] stopped$/, { pid });
    expect((await journalSince(cursor)).filter((e) => /Killing process|SIGKILL|timed out/i.test(e.message)).map((e) => e.message)).toEqual([]);
    expect((await scrape()).code).toBe(7);

    const t2 = performance.now();
    await c().must(["systemctl", "start", SERVICE]);
    timings["systemctl start (until READY)"] = performance.now() - t2;
    const s = await show(SERVICE, ["ActiveState", "SubState", "MainPID"]);
    expect([s.ActiveState, s.SubState]).toEqual(["active", "running"]);
    expect(Number(s.MainPID)).not.toBe(pid);
    await until("the endpoint answers again", async () => (await scrape()).code === 0, 10_000);
  });

  step("upgrade to a rebuilt package with a changed version: service restarted, conffile edit kept", 120_000, async () => {
    const p = packages!;
    const pid = await mainPid();
    const edited = `${await readInside(CONFFILE)}\n# local edit by the system test (must survive the upgrade)\n`;
    await put(CONFFILE, edited);
    copyFileSync(p.upgrade, await c().path(`/tmp/${basename(p.upgrade)}`));
    const cursor = await journalCursor();
    const t = performance.now();
    // stdin is /dev/null: a conffile prompt would fail dpkg instead of waiting (and no --force-conf* is given).
    const r = await c().exec(["dpkg", "-i", `/tmp/${basename(p.upgrade)}`], { timeoutMs: 90_000 });
    timings["dpkg -i upgrade"] = performance.now() - t;
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/warning|error/i);
    expect(r.stdout).not.toContain("Configuration file");
    expect((await c().must(["dpkg-query", "-W", "-f", "${Status} ${Version}", "drbd-reactor"])).trim()).toBe(
      `install ok installed ${p.upgradeVersion}`,
    );

    expect(await readInside(CONFFILE)).toBe(edited);
    expect((await c().must(["stat", "-c", "%a", CONFFILE])).trim()).toBe("640");
    expect((await c().must(["sh", "-c", "ls /etc | grep '^drbd-reactor' || true"])).trim().split("\n")).toEqual([
      "drbd-reactor.d",
      "drbd-reactor.toml",
    ]);

    const s = await show(SERVICE, ["ActiveState", "SubState", "MainPID", "UnitFileState"]);
    expect([s.ActiveState, s.SubState, s.UnitFileState]).toEqual(["active", "running", "enabled"]);
    const newPid = Number(s.MainPID);
    expect(newPid).not.toBe(pid);
    await journalWait(cursor, /^INFO \[core\] stopped$/, { pid });
    await journalWait(cursor, new RegExp(`^INFO \\[core\\] drbd-reactor \\S+ starting with ${CONFFILE}$`), { pid: newPid });
    await journalWait(cursor, /^INFO \[core\] initial state complete: 2 resource\(s\)$/, { pid: newPid });
    // The admin's choice to enable the reload path survives the upgrade, and so does the snippet.
    expect(await show(RELOAD_PATH, ["UnitFileState", "ActiveState"])).toEqual({ UnitFileState: "enabled", ActiveState: "active" });
    await until("the endpoint answers after the upgrade", async () => (await scrape()).code === 0, 10_000);
  });

  step("dpkg --purge: service gone, nothing of the package left", 120_000, async () => {
    const t = performance.now();
    const r = await c().exec(["dpkg", "--purge", "drbd-reactor"], { timeoutMs: 90_000 });
    timings["dpkg --purge"] = performance.now() - t;
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/warning|error/i);
    for (const unit of UNITS) {
      const got: Record<string, string> = { unit, ...(await show(unit, ["LoadState", "ActiveState"])) };
      expect(got).toEqual({ unit, LoadState: "not-found", ActiveState: "inactive" });
    }
    expect((await c().exec(["pgrep", "-f", "/usr/sbin/drbd-reactor"])).code).toBe(1);
    expect((await c().exec(["dpkg-query", "-W", "drbd-reactor"])).code).toBe(1);
    expect((await scrape()).code).toBe(7);

    const after = await listing();
    expect({ left: minus(after, listingBefore), missing: minus(listingBefore, after) }).toEqual({ left: [], missing: [] });
  });
});

if (SKIP) console.warn("test/system: DRBD_REACTOR_SKIP_SYSTEMD=1 is set: the .deb-in-real-systemd tests are skipped");
