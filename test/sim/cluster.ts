/**
 * The control API tests and scripts use: start a simulated cluster, give the
 * process under test a `PATH` with the node's shims, drive scenarios, look
 * at state and at the shim call log, stop everything.
 *
 * ```ts
 * const c = await startCluster({
 *   dir, nodes: ["alpha", "bravo", "charlie"],
 *   resources: [{ name: "r0", volumes: [{ minor: 1000, sizeKiB: 1048576 }] }],
 * });
 * Bun.spawn(["drbd-reactor", "-c", cfg], { env: c.env("alpha") });
 * c.crash("bravo");
 * await c.waitForCall((k) => k.node === "alpha" && k.argv.join(" ") === "primary r0");
 * await c.stop();
 * ```
 *
 * Every scenario method changes the model synchronously and has already
 * queued the resulting event lines to every running events2 shim when it
 * returns; nothing here sleeps or depends on timing.
 *
 * @module
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  type ClusterSpec,
  cloneModel,
  emptyModel,
  type ResourceOptions,
  type ResourceSpec,
  type SimModel,
} from "./model.ts";
import * as ops from "./ops.ts";
import type { ResourceView } from "./records.ts";
import { type CallRecord, type SessionInfo, SimServer } from "./server.ts";
import { settle } from "./settle.ts";
import { type ShimRunner, writeShimScripts } from "./shims.ts";
import { tick, writeBurst } from "./tick.ts";
import { viewOf } from "./view.ts";

/** Options of {@link startCluster}. */
export interface StartOptions extends ClusterSpec {
  /** State directory: socket, `calls.jsonl`, `nodes/<node>/bin/`. Created if missing. */
  readonly dir: string;
  /** `poll` (default): every `n` poll advances the model by one tick. `manual`: only {@link SimCluster.tick}. */
  readonly advance?: "poll" | "manual";
  /** Interpreter baked into the shims (default: the running bun). */
  readonly bun?: string;
  /**
   * Command the shims run instead of `<bun> shim.ts` (they append `<socket> <node> <tool> args…`),
   * e.g. `["/opt/drbd-sim", "shim"]` for a simulator compiled with `bun build --compile test/sim/cli.ts`.
   */
  readonly shimCommand?: readonly string[];
}

/** Outcome of a DRBD command issued through the API (like the shim's exit code and stderr). */
export interface CommandResult {
  readonly exitCode: number;
  readonly stderr: string;
}

/** Options of {@link SimCluster.waitFor}. */
export interface WaitOptions {
  /** Deadline in ms (default 5000). */
  readonly timeoutMs?: number;
  /** Described in the timeout error. */
  readonly what?: string;
}

let socketCounter = 0;

function socketPathFor(dir: string): string {
  const preferred = join(dir, "sim.sock");
  // sun_path holds 108 bytes; deep temp dirs overflow it, so fall back to a short name.
  if (Buffer.byteLength(preferred) < 100) return preferred;
  return join("/tmp", `drbd-sim-${process.pid}-${++socketCounter}.sock`);
}

/** A running simulated cluster. */
export class SimCluster {
  private constructor(
    /** The state directory. */
    readonly dir: string,
    /** The server's Unix socket. */
    readonly socketPath: string,
    private readonly server: SimServer,
    private readonly runner: ShimRunner,
  ) {}

  /** Start the server and write every node's shims. */
  static async start(opts: StartOptions): Promise<SimCluster> {
    await mkdir(opts.dir, { recursive: true });
    let model = emptyModel(opts);
    for (const spec of opts.resources ?? []) model = ops.addResource(model, spec).at(-1) as SimModel;
    model = settle(cloneModel(model));
    const socketPath = socketPathFor(opts.dir);
    const server = await SimServer.start({
      socketPath,
      model,
      callLogPath: join(opts.dir, "calls.jsonl"),
      advanceOnPoll: (opts.advance ?? "poll") === "poll",
    });
    const runner: ShimRunner = opts.shimCommand ? { command: opts.shimCommand } : { bun: opts.bun ?? process.execPath };
    const c = new SimCluster(opts.dir, socketPath, server, runner);
    for (const n of model.nodes) await c.writeShims(n.name, c.binDir(n.name));
    return c;
  }

  /** Node names in node-id order. */
  get nodes(): string[] {
    return this.server.model.nodes.map((n) => n.name);
  }

  /** `<dir>/nodes/<node>/bin`, holding that node's `drbdsetup` and `drbdadm`. */
  binDir(node: string): string {
    this.node(node);
    return join(this.dir, "nodes", node, "bin");
  }

  /** An environment whose PATH starts with `node`'s shims (based on `base`, default this process's env). */
  env(node: string, base: Record<string, string | undefined> = process.env): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(base)) if (v !== undefined) out[k] = v;
    out.PATH = `${this.binDir(node)}:${base.PATH ?? "/usr/bin:/bin"}`;
    return out;
  }

  /** Write `node`'s `drbdsetup`/`drbdadm` into another directory (e.g. to make them appear later in a PATH dir). */
  async writeShims(node: string, dir: string): Promise<void> {
    this.node(node);
    await writeShimScripts(dir, { ...this.runner, socketPath: this.socketPath, node });
  }

  private node(name: string): void {
    if (!this.server.model.nodes.some((n) => n.name === name)) throw new Error(`sim: unknown node '${name}'`);
  }

  /** A deep copy of the whole model. */
  model(): SimModel {
    return cloneModel(this.server.model);
  }

  /** What `node`'s DRBD currently reports (copy), resources sorted by name. */
  state(node: string): ResourceView[] {
    this.node(node);
    return structuredClone(viewOf(this.server.model, node));
  }

  /** `state(node)` of one resource, or null when it is not in that node's kernel. */
  resource(node: string, res: string): ResourceView | null {
    return this.state(node).find((v) => v.resource.name === res) ?? null;
  }

  private apply(steps: ops.Steps): void {
    this.server.apply(steps);
  }

  private command(r: ops.OpResult): CommandResult {
    this.apply(r.steps);
    return { exitCode: r.error?.exitCode ?? 0, stderr: r.error ? `${r.error.message}\n` : "" };
  }

  /** Crash `node`: its events2 shims exit, its shims fail until {@link restore}; peers see Connecting. */
  crash(node: string): void {
    const steps = ops.crash(this.server.model, node);
    // A dead machine prints nothing more: end its shims before the model loses its resources.
    this.server.endSessions(node, 0);
    this.apply(steps);
  }

  /** Reboot a crashed node: resources back as Secondary, connections re-establish, missed writes resync. */
  restore(node: string): void {
    this.apply(ops.restore(this.server.model, node));
  }

  /** Split the network into groups; nodes not listed are isolated. */
  partition(...groups: string[][]): void {
    this.apply(ops.partition(this.server.model, groups));
  }

  /** Undo every partition and cut. */
  heal(): void {
    this.apply(ops.heal(this.server.model));
  }

  /** Cut only the link between `a` and `b`. */
  cut(a: string, b: string): void {
    this.apply(ops.setLink(this.server.model, a, b, false));
  }

  /** Restore only the link between `a` and `b`. */
  uncut(a: string, b: string): void {
    this.apply(ops.setLink(this.server.model, a, b, true));
  }

  /** I/O error on a backing device: Failed, then Diskless with `backing_dev:none`. */
  failDisk(node: string, res: string, volume = 0): void {
    this.apply(ops.failDisk(this.server.model, node, res, volume));
  }

  /** Detach a backing device (Detaching, then Diskless). */
  detachDisk(node: string, res: string, volume = 0): void {
    this.apply(ops.detachDisk(this.server.model, node, res, volume));
  }

  /** Attach a backing device (Attaching, then UpToDate or Inconsistent + full resync). */
  attachDisk(node: string, res: string, volume = 0, opts: ops.AttachOptions = {}): void {
    this.apply(ops.attachDisk(this.server.model, node, res, volume, opts));
  }

  /** Promote like `drbdsetup primary RES [--force]` (failures are returned, not thrown). */
  primary(node: string, res: string, opts: ops.RoleOptions = {}): CommandResult {
    return this.command(ops.promote(this.server.model, node, res, opts));
  }

  /** Demote like `drbdsetup secondary RES [--force]`. */
  secondary(node: string, res: string, opts: ops.RoleOptions = {}): CommandResult {
    return this.command(ops.demote(this.server.model, node, res, opts));
  }

  /** Open (mount) or close the devices of a resource on a node. */
  setOpen(node: string, res: string, open = true, volume?: number): void {
    this.apply(ops.setOpen(this.server.model, node, res, open, volume));
  }

  /** Application I/O per tick while `node` is Primary. */
  setWorkload(node: string, res: string, load: { writeKiBPerTick?: number; readKiBPerTick?: number }): void {
    this.apply(ops.setWorkload(this.server.model, node, res, load));
  }

  /** One write of `kib` per volume now (peers that miss it get out-of-sync). */
  write(node: string, res: string, kib: number): void {
    this.apply([writeBurst(this.server.model, node, res, kib)]);
  }

  /** Advance time by `n` ticks (I/O and resync progress). Statistics show on the next poll. */
  tick(n = 1): void {
    this.apply([tick(this.server.model, n)]);
  }

  /** Make `target` resync `kib` (default: all) of a volume from `source` (`invalidate-remote`). */
  startResync(source: string, target: string, res: string, opts: { volume?: number; kib?: number } = {}): void {
    this.apply(ops.startResyncOp(this.server.model, source, target, res, opts.volume ?? 0, opts.kib));
  }

  /** `drbdadm pause-sync` on `node` towards `peer`. */
  pauseSync(node: string, peer: string, res: string): void {
    this.apply(ops.setSyncPaused(this.server.model, node, peer, res, true));
  }

  /** `drbdadm resume-sync` on `node` towards `peer`. */
  resumeSync(node: string, peer: string, res: string): void {
    this.apply(ops.setSyncPaused(this.server.model, node, peer, res, false));
  }

  /** `drbdadm disconnect` on `node` (one peer or all). */
  disconnect(node: string, res: string, peer?: string): CommandResult {
    return this.command(ops.disconnectOp(this.server.model, node, res, peer));
  }

  /** `drbdadm connect [--discard-my-data]` on `node`. */
  connect(node: string, res: string, opts: { peer?: string; discardMyData?: boolean } = {}): CommandResult {
    return this.command(ops.connectOp(this.server.model, node, res, opts));
  }

  /** `drbdadm up` on `node`. */
  up(node: string, res: string): CommandResult {
    return this.command(ops.upOp(this.server.model, node, res));
  }

  /** `drbdadm down` on `node`. */
  down(node: string, res: string): CommandResult {
    return this.command(ops.downOp(this.server.model, node, res));
  }

  /** `drbdsetup suspend-io` / `resume-io`. */
  setSuspended(node: string, res: string, suspended: boolean): CommandResult {
    return this.command(ops.setSuspendedUser(this.server.model, node, res, suspended));
  }

  /** Change resource options (all nodes). */
  setResourceOptions(res: string, opts: Partial<ResourceOptions>): void {
    this.apply(ops.setResourceOptions(this.server.model, res, opts));
  }

  /** Define a resource: `create` lines on its nodes, then the connections come up. */
  addResource(spec: ResourceSpec): void {
    this.apply(ops.addResource(this.server.model, spec));
  }

  /** Remove a resource: child `destroy` lines, then `destroy resource`, on every node. */
  removeResource(res: string): void {
    this.apply(ops.removeResource(this.server.model, res));
  }

  /** What `drbdadm --version` reports on `node` (all nodes when null). */
  setVersions(node: string | null, v: { utils?: string; kmod?: string }): void {
    this.apply(ops.setVersions(this.server.model, node, v));
  }

  /**
   * Escape hatch for anything the API lacks: change a copy of the model, then
   * (by default) settle it; every session prints what changed.
   */
  mutate(fn: (m: SimModel) => void, opts: { settle?: boolean } = {}): void {
    const m = cloneModel(this.server.model);
    fn(m);
    this.apply([opts.settle === false ? m : settle(m)]);
  }

  /** End `node`'s running `drbdsetup events2` processes like a module unload does; returns how many. */
  killEvents2(node: string, opts: { exitCode?: number } = {}): number {
    this.node(node);
    return this.server.endSessions(node, opts.exitCode ?? 0);
  }

  /** Shim calls so far (optionally only those matching `filter`). */
  calls(filter?: (c: CallRecord) => boolean): CallRecord[] {
    const all = this.server.calls.map((c) => ({ ...c, argv: [...c.argv] }));
    return filter ? all.filter(filter) : all;
  }

  /** Forget the shim calls seen so far. */
  clearCalls(): void {
    this.server.clearCalls();
  }

  /** Running events2 sessions (optionally of one node). */
  sessions(node?: string): SessionInfo[] {
    return this.server.sessions().filter((s) => node === undefined || s.node === node);
  }

  /**
   * Wait until `cond` returns something truthy and return it. Re-checked on
   * every simulator activity and every 25 ms (for conditions on other
   * processes); rejects after the deadline.
   */
  waitFor<T>(cond: () => T | false | null | undefined, opts: WaitOptions = {}): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    const first = cond();
    if (first) return Promise.resolve(first);
    return new Promise<T>((resolve, reject) => {
      const cleanup = (): void => {
        off();
        clearInterval(interval);
        clearTimeout(timer);
      };
      const check = (): void => {
        try {
          const v = cond();
          if (v) {
            cleanup();
            resolve(v);
          }
        } catch (e) {
          cleanup();
          reject(e);
        }
      };
      const off = this.server.onActivity(check);
      const interval = setInterval(check, 25);
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`sim: timed out after ${timeoutMs} ms waiting for ${opts.what ?? "condition"}`));
      }, timeoutMs);
    });
  }

  /** Wait for a shim call matching `pred` (e.g. `drbdsetup secondary --force r0` on bravo). */
  waitForCall(pred: (c: CallRecord) => boolean, opts: WaitOptions = {}): Promise<CallRecord> {
    return this.waitFor(() => this.calls().find(pred), { what: "a matching shim call", ...opts });
  }

  /** Stop: end every events2 shim, stop the server, remove the socket. */
  async stop(): Promise<void> {
    await this.server.stop();
  }
}

/** Start a simulated cluster (see {@link SimCluster}). */
export function startCluster(opts: StartOptions): Promise<SimCluster> {
  return SimCluster.start(opts);
}
