/**
 * A real systemd (Debian 12's, from a debootstrap tree) booted as PID 1 in its
 * own namespaces, driven by the scripts in `harness/` (spec/systemd-harness.md):
 * overlay root over a cached lower tree, own pid/mount/uts/ipc/net/cgroup
 * namespaces, cgroup2 subtree `sdharness-<run dir basename>`.
 *
 * Every process the test starts here is killed by PID or through the
 * instance's own cgroup; nothing is matched by name.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunResult, runCommand } from "../helpers/run.ts";

/** The harness scripts. */
export const HARNESS = join(import.meta.dir, "harness");

export type { RunResult } from "../helpers/run.ts";

/** Run `argv` on the host with a deadline (default 30 s); on timeout it is killed by its PID and the promise rejects. */
export function run(
  argv: readonly string[],
  opts: { timeoutMs?: number; env?: Record<string, string>; cwd?: string; stdin?: Blob } = {},
): Promise<RunResult> {
  return runCommand(argv, { timeoutMs: 30_000, ...opts });
}

/** Root of the cgroup-v2 tree the harness puts instances under (`SDH_CGROOT`). */
export function cgroupRoot(): string | null {
  if (process.env.SDH_CGROOT) return process.env.SDH_CGROOT;
  for (const candidate of ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"]) {
    try {
      if (readFileSync("/proc/self/mountinfo", "utf8").split("\n").some((l) => isCgroup2Mount(l, candidate))) return candidate;
    } catch {
      return null;
    }
  }
  return null;
}

function isCgroup2Mount(mountinfoLine: string, path: string): boolean {
  const fields = mountinfoLine.split(" ");
  const sep = fields.indexOf("-");
  return fields[4] === path && sep > 0 && fields[sep + 1] === "cgroup2";
}

/**
 * Why this machine cannot run the harness (null: it can). Checked before
 * anything is started, so the test fails with a reason instead of a
 * half-booted container.
 */
export async function machineProblems(): Promise<string[]> {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push("not root (the harness mounts, pivots and creates cgroups)");
  for (const tool of ["unshare", "nsenter", "setpriv", "script", "flock", "dpkg-deb", "chroot"]) {
    if (!Bun.which(tool)) problems.push(`${tool} is missing`);
  }
  const cg = cgroupRoot();
  if (!cg) problems.push("no cgroup2 hierarchy at /sys/fs/cgroup/unified or /sys/fs/cgroup (set SDH_CGROOT to a delegated cgroup2 directory)");
  else if (!existsSync(join(cg, "cgroup.procs"))) problems.push(`${cg} is not a usable cgroup2 directory`);
  if (!readFileSync("/proc/filesystems", "utf8").includes("\toverlay\n")) problems.push("overlayfs is not available");
  if (problems.length === 0) {
    const probe = await run(["unshare", "--pid", "--fork", "--mount", "--propagation", "private", "--uts", "--ipc", "--net", "--cgroup", "true"], {
      timeoutMs: 10_000,
    });
    if (probe.code !== 0) problems.push(`unshare of pid/mount/uts/ipc/net/cgroup namespaces failed: ${probe.stderr.trim()}`);
  }
  return problems;
}

/**
 * The lower tree: built by harness/build-root.sh on first use and cached
 * (see that script). Returns its path and how long the call took.
 */
export async function lowerTree(): Promise<{ path: string; ms: number; built: boolean }> {
  const t0 = performance.now();
  const r = await run([join(HARNESS, "build-root.sh")], { timeoutMs: 25 * 60_000 });
  const path = r.stdout.trim().split("\n").at(-1) ?? "";
  if (r.code !== 0 || !path || !existsSync(join(path, "lib/systemd/systemd"))) {
    throw new Error(`build-root.sh failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  }
  return { path, ms: performance.now() - t0, built: r.stderr.includes("built ") };
}

const RUN_PREFIX = "sdrun-";

/**
 * Stop instances left behind by test processes that no longer exist (a killed
 * `bun test` never runs its afterAll). An instance's run dir and cgroup are
 * named `sdrun-<test pid>-…`; only those whose test pid is gone are touched:
 * all their processes are killed through their own cgroup's cgroup.kill.
 */
export async function reapStale(): Promise<string[]> {
  const cg = cgroupRoot();
  if (!cg) return [];
  const reaped: string[] = [];
  for (const name of readdirSync(cg)) {
    const m = /^sdharness-(sdrun-(\d+)-[A-Za-z0-9]+)$/.exec(name);
    if (!m) continue;
    const owner = Number(m[2]);
    if (existsSync(`/proc/${owner}`)) continue;
    const dir = join(cg, name);
    if (existsSync(join(dir, "cgroup.kill"))) await Bun.write(join(dir, "cgroup.kill"), "1").catch(() => 0);
    const runDir = join(tmpdir(), m[1]!);
    const r = await run([join(HARNESS, "cleanup-cg.sh"), runDir, "5"], { timeoutMs: 10_000 });
    if (r.code === 0) {
      reaped.push(m[1]!);
      // The overlay was mounted in the dead instance's mount namespace only: nothing is mounted here.
      if (existsSync(runDir) && statSync(runDir).isDirectory()) rmSync(runDir, { recursive: true, force: true });
    }
  }
  return reaped;
}

/** One booted instance. */
export class Container {
  private constructor(
    /** Run directory (upper layer, console log, pid files). */
    readonly run: string,
  ) {}

  /** Boot a new instance on `lower`; resolves once `is-system-running` says running/degraded. */
  static async boot(lower: string, timeoutS = 60): Promise<{ container: Container; ms: number; said: string }> {
    const runDir = await mkdtemp(join(tmpdir(), `${RUN_PREFIX}${process.pid}-`));
    const c = new Container(runDir);
    const env = { ...process.env, SDH_CGROOT: cgroupRoot() ?? "" } as Record<string, string>;
    const t0 = performance.now();
    const r = await run([join(HARNESS, "start.sh"), lower, runDir, String(timeoutS)], { timeoutMs: (timeoutS + 10) * 1000, env });
    const ms = performance.now() - t0;
    if (r.code !== 0) {
      const consoleLog = existsSync(join(runDir, "console.log")) ? readFileSync(join(runDir, "console.log"), "utf8").slice(-4000) : "";
      await c.stop().catch(() => undefined);
      throw new Error(`start.sh failed (exit ${r.code}): ${r.stderr}${r.stdout}\nconsole:\n${consoleLog}`);
    }
    return { container: c, ms, said: r.stdout.trim() };
  }

  /** Host pid of the container's PID 1 (valid while it runs). */
  get pid(): number {
    return Number(readFileSync(join(this.run, "pid"), "utf8").trim());
  }

  /**
   * The container's `/` seen from the host. Only while it runs (the pid could
   * be reused afterwards): callers check {@link alive} first via {@link path}.
   */
  async path(inside: string): Promise<string> {
    if (!(await this.alive())) throw new Error(`container ${this.run} is not running`);
    return join(`/proc/${this.pid}/root`, inside);
  }

  /** Is the instance still running (sdexec.sh's own check)? */
  async alive(): Promise<boolean> {
    if (!existsSync(join(this.run, "pid"))) return false;
    return (await this.exec(["true"], { timeoutMs: 10_000 })).code === 0;
  }

  /** Run `argv` inside (sdexec.sh: all namespaces, clean env, reduced bounding set). */
  exec(argv: readonly string[], opts: { timeoutMs?: number; stdin?: Blob } = {}): Promise<RunResult> {
    return run([join(HARNESS, "sdexec.sh"), this.run, ...argv], { ...opts, env: this.#env() });
  }

  /** Like {@link exec}, but fail unless the exit code is 0; returns stdout. */
  async must(argv: readonly string[], opts: { timeoutMs?: number; stdin?: Blob } = {}): Promise<string> {
    const r = await this.exec(argv, opts);
    if (r.code !== 0) throw new Error(`in container: ${argv.join(" ")} → exit ${r.code}\n${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** Spawn a long-running command inside (the caller ends it and awaits `exited`). */
  spawn(argv: readonly string[]): ReturnType<typeof Bun.spawn> {
    return Bun.spawn([join(HARNESS, "sdexec.sh"), this.run, ...argv], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: this.#env() });
  }

  #env(): Record<string, string> {
    return { ...process.env, SDH_CGROOT: cgroupRoot() ?? "" } as Record<string, string>;
  }

  /**
   * Clean poweroff (stop.sh: SIGRTMIN+4 to PID 1, SIGKILL after the timeout),
   * cgroup cleanup, then the run directory. Returns how long the poweroff took.
   */
  async stop(): Promise<{ ms: number; output: string }> {
    const t0 = performance.now();
    const r = await run([join(HARNESS, "stop.sh"), this.run, "20"], { timeoutMs: 40_000, env: this.#env() });
    const ms = performance.now() - t0;
    if (r.code !== 0) throw new Error(`stop.sh failed (exit ${r.code}): ${r.stderr}${r.stdout}`);
    rmSync(this.run, { recursive: true, force: true });
    return { ms, output: r.stdout.trim() };
  }
}
