/**
 * `make bench`, umh plugin part (issue 3). Reports; does not assert. A
 * measurement that cannot be taken throws (run.ts records it and exits 1).
 *
 * (u1) Hook latency, compiled binary, real processes: the time from the
 *      moment an events2 line is written to the moment the hook's shell runs
 *      its first command. The daemon follows a fake `drbdsetup` that prints
 *      an initial dump (1000 resources × 2 peers, all Secondary), then
 *      `exec cat`s a FIFO the bench writes change lines into. Config: log
 *      level info, two rules ("became Primary": old.role Secondary → new.role
 *      Primary; "became Secondary": the reverse), each with the command
 *      `echo "$DRBD_RES_NAME $DRBD_NEW_ROLE" > <hooks FIFO>`. Each event
 *      flips one resource's role (Primary, then back to Secondary, then the
 *      next resource), so exactly one rule matches per line.
 *
 *      Clock: both ends are taken by the bench with `performance.now()`
 *      (one monotonic clock, no cross-process clock comparison): t0 right
 *      before `write()` of the line into the events FIFO, t1 when `poll()`
 *      on the hooks FIFO returns (the bench blocks in poll(2) through
 *      bun:ffi, so its wake-up is a kernel wake-up, not an event-loop tick).
 *      The hook's `echo` is a dash builtin: no extra fork/exec. Stamping the
 *      time inside the hook with `date +%s%N` would add a second fork/exec
 *      (≈ 0.5 ms on the reference machine) and compare two processes' clocks.
 *
 *      Included in the figure: write(2) → FIFO → `cat` (the stand-in for
 *      drbdsetup) → pipe → the daemon's read loop wakes up → UTF-8 decode
 *      and line split → parseLine → ResourceStore.apply → dispatch → umh
 *      matcher → hook environment → the "match for rule" info log line
 *      (synchronous write to stderr) → runner.submit → Bun.spawn (fork/exec
 *      of /bin/sh, own session) → sh parses `-c` → opens the hooks FIFO →
 *      write(2) → the bench's poll(2) returns.
 *
 *      Events are paced: one at a time, the next one `gapMs` after the
 *      previous hook reported, so hooks never overlap (max-concurrent never
 *      queues) and the daemon is idle when each line arrives, as with real
 *      DRBD state changes. The first `warmup` events (the very first one
 *      included, it is reported on its own) are not in the percentiles. Every
 *      hook report is checked against the event it belongs to (resource name
 *      and new role); a missing, extra or mismatched report fails the
 *      measurement.
 *
 * (u1') Spawn floor: the same `sh -c 'echo … > FIFO'` started by the bench
 *      itself with the runner's spawn options: what fork/exec + sh cost on
 *      this machine, without the daemon. (u1) minus this is roughly the
 *      daemon's part (plus the `cat` hop of the fake drbdsetup).
 *
 * (u2) Rule matching in-process, 100 rules that never match, over the updates
 *      of the core benchmark's stream (1000 resources × 2 peers: initial dump
 *      + 200k change lines, ~20 % of them state changes; statistics lines
 *      make no update and never reach a change plugin):
 *      - matcher alone (`compileRules(config)` over the collected updates),
 *        for three configs:
 *        mixed    25 resource + 25 device + 25 peerdevice + 25 connection
 *                 rules, none with a `resource-name` filter, so every rule of
 *                 an update's kind is checked (the realistic worst case);
 *        one kind 100 rules of the update kind that is most frequent in the
 *                 stream: every one of those updates checks 100 rules;
 *        indexed  the mixed rules, each also with `resource-name` = a
 *                 resource that does not exist (the per-resource index
 *                 skips them).
 *        No helper rules: the stream has no `call helper` lines.
 *      - parseLine + ResourceStore.apply + matcher (mixed) per line, next to
 *        parseLine + ResourceStore.apply alone;
 *      - Reactor.feedLine with a running umh plugin (mixed config) and with a
 *        debugger plugin.
 *      The configs are TOML text parsed with the daemon's own TOML parser and
 *      validated with `umhSchema`; the bench checks that no rule matches any
 *      update (a rule that matches would be a bug of the bench).
 *
 * (u3) End to end through dist/drbd-reactor on the same stream: `[[umh]]`
 *      with the mixed 100 rules vs. `[[debugger]]` alone (log level info),
 *      lines/s from READY=1 to the whole stream consumed, runs interleaved.
 *
 * @module
 */
import { dlopen, FFIType, ptr, read } from "bun:ffi";
import { chmodSync, closeSync, constants, mkdirSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { PLUGIN_FACTORIES } from "../../plugins/registry.ts";
import { type UmhConfig, umhSchema } from "../../plugins/umh/config.ts";
import { compileRules } from "../../plugins/umh/match.ts";
import type { PluginInstance } from "../../src/config/types.ts";
import { parseTomlText } from "../../src/config/toml-file.ts";
import { parseLine } from "../../src/core/events2.ts";
import { Reactor } from "../../src/core/reactor.ts";
import { ResourceStore } from "../../src/core/state.ts";
import type { PluginUpdate } from "../../src/core/updates.ts";
import { LogHub } from "../../src/log/logger.ts";
import { type BenchEnv, readMemory, startDaemon } from "./harness.ts";
import { Prng } from "./prng.ts";
import { type LatencyStats, latencyStats, median, perSec, round } from "./report.ts";

export type { LatencyStats };
import { buildModel, resourceLine, type StreamOptions, type StreamStats, writeStream } from "./stream.ts";

/** Targets of issue 3. */
export const UMH_TARGETS = {
  /** Event line → hook running, p99, idle machine. */
  latencyP99Ms: 10,
  /** Rule matching with 100 non-matching rules. */
  eventsPerSec: 200_000,
};

// --- libc: poll(2) and mkfifo(3) -------------------------------------------------

const POLLIN = 0x001;
const EINTR = 4;

interface Libc {
  poll(fds: ReturnType<typeof ptr>, nfds: bigint | number, timeout: number): number;
  mkfifo(path: ReturnType<typeof ptr>, mode: number): number;
  __errno_location(): ReturnType<typeof ptr> | null;
}

let libcCache: Libc | null = null;
function libc(): Libc {
  libcCache ??= dlopen("libc.so.6", {
    poll: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
    mkfifo: { args: [FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  }).symbols as unknown as Libc;
  return libcCache;
}

function errno(): number {
  const at = libc().__errno_location();
  return at === null ? 0 : read.i32(at, 0);
}

/** Create a FIFO at `path` (mode 0600). */
function mkfifo(path: string): void {
  const cpath = Buffer.from(`${path}\0`);
  if (libc().mkfifo(ptr(cpath), 0o600) !== 0) throw new Error(`mkfifo(${path}) failed: errno ${errno()}`);
}

/**
 * A FIFO held open read-write by the bench: writers never block on open, the
 * bench never sees EOF, and {@link Fifo.waitLine} blocks the thread in poll(2).
 */
class Fifo {
  readonly fd: number;
  readonly #pollfd = new Uint8Array(8);
  readonly #view = new DataView(this.#pollfd.buffer);
  readonly #buf = Buffer.alloc(4096);
  #pending = "";

  constructor(readonly path: string) {
    mkfifo(path);
    this.fd = openSync(path, constants.O_RDWR);
  }

  /** poll(2) for input; returns `performance.now()` right after it reported input, or null on timeout. */
  #waitReadable(timeoutMs: number): number | null {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      this.#view.setInt32(0, this.fd, true);
      this.#view.setInt16(4, POLLIN, true);
      this.#view.setInt16(6, 0, true);
      const left = Math.max(0, Math.ceil(deadline - performance.now()));
      const n = libc().poll(ptr(this.#pollfd), 1, left);
      const at = performance.now();
      if (n > 0) return at;
      if (n === 0) return null;
      const e = errno();
      if (e !== EINTR) throw new Error(`poll(${this.path}) failed: errno ${e}`);
    }
  }

  /**
   * The next complete line and when its first byte was seen (poll wake-up),
   * or null when nothing arrived within `timeoutMs`.
   */
  waitLine(timeoutMs: number): { at: number; text: string } | null {
    let first: number | null = null;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const nl = this.#pending.indexOf("\n");
      if (nl >= 0) {
        const text = this.#pending.slice(0, nl);
        this.#pending = this.#pending.slice(nl + 1);
        return { at: first ?? performance.now(), text };
      }
      const at = this.#waitReadable(Math.max(0, deadline - performance.now()));
      if (at === null) return null;
      first ??= at;
      const n = readSync(this.fd, this.#buf, 0, this.#buf.length, null);
      this.#pending += this.#buf.toString("utf8", 0, n);
    }
  }

  /** Whatever is readable right now (for the "no extra hook ran" check). */
  drainNow(): string {
    let out = this.#pending;
    this.#pending = "";
    while (this.#waitReadable(0) !== null) {
      const n = readSync(this.fd, this.#buf, 0, this.#buf.length, null);
      out += this.#buf.toString("utf8", 0, n);
    }
    return out;
  }

  write(text: string): void {
    writeSync(this.fd, text);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** `s` as a single-quoted shell word. */
function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'"'"'`)}'`;
}

/** `s` as a TOML basic string (JSON escapes are TOML escapes for these inputs). */
function tomlString(s: string): string {
  return JSON.stringify(s);
}

/** A BenchEnv in `dir` that shares `base`'s PID file (so run.ts's emergency cleanup covers it). */
function derivedEnv(base: BenchEnv, dir: string, binDir: string, config: string): BenchEnv {
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(dir, "snippets"), { recursive: true });
  return { dir, binDir, config, pidFile: base.pidFile };
}

function configHeader(dir: string): string[] {
  return [`snippets = ${tomlString(join(dir, "snippets"))}`, "", "[[log]]", 'level = "info"', ""];
}

interface Stoppable {
  stop(): Promise<{ exitCode: number | null; signal: string | null }>;
  stderr(): string;
}

async function stopQuietly(run: Stoppable): Promise<void> {
  const end = await run.stop();
  if (end.exitCode !== 0) {
    process.stderr.write(`bench: daemon ended with ${end.exitCode ?? end.signal}; stderr:\n${run.stderr().slice(-2000)}\n`);
  }
}

// --- (u1) hook latency ------------------------------------------------------------

/** Options of {@link measureHookLatency}. */
export interface LatencyOptions {
  readonly binary: string;
  /** Measured events (the percentiles are over these). */
  readonly events: number;
  /** Events before those, not in the percentiles. */
  readonly warmup: number;
  /** Pause after each hook reported, before the next line. */
  readonly gapMs: number;
  /** Longest wait for one hook. */
  readonly hookTimeoutMs: number;
  /** Daemon start and dump. */
  readonly timeoutMs: number;
  readonly dump: StreamOptions;
}

/** Result of (u1). */
export interface HookLatency extends LatencyStats {
  readonly warmup: number;
  readonly gapMs: number;
  readonly resources: number;
  /** The very first event after the dump (cold daemon path; part of the warm-up). */
  readonly firstEventMs: number;
  readonly loadAverageBefore: readonly number[];
  readonly loadAverageAfter: readonly number[];
  readonly daemonRssAfterMiB: number | null;
}

const stats = (samples: readonly number[]): LatencyStats => latencyStats(samples, 3);

/** Lines in the daemon's log that say a hook did not run cleanly. */
const HOOK_TROUBLE = /hook "[^"]*" (exited with status|was killed|could not start|timed out|not started)|hook\(s\) waiting/;

/** (u1): event line → hook running, through the compiled daemon. */
export async function measureHookLatency(base: BenchEnv, opts: LatencyOptions): Promise<HookLatency> {
  const dir = join(base.dir, "umh-latency");
  const binDir = join(dir, "bin");
  mkdirSync(binDir, { recursive: true });
  const env = derivedEnv(base, dir, binDir, join(dir, "drbd-reactor.toml"));

  const dumpFile = join(dir, "events2-dump.txt");
  writeStream(dumpFile, { ...opts.dump, changeLines: 0, sentinel: undefined });
  // The same seed gives the same model as the dump (stream.ts builds it first, from a fresh Prng).
  const model = buildModel(new Prng(opts.dump.seed), opts.dump.resources, opts.dump.peers);
  if (model.length === 0) throw new Error("the latency dump needs at least one resource");

  const events = new Fifo(join(dir, "events.fifo"));
  let hooksFifo: Fifo | null = null;
  try {
    const hooks = (hooksFifo = new Fifo(join(dir, "hooks.fifo")));
    writeFileSync(
      join(binDir, "drbdsetup"),
      [
        "#!/bin/sh",
        "# umh latency bench stand-in for drbdsetup events2: the initial dump, then every line the bench",
        "# writes into the events FIFO (cat passes each one on as soon as it is read). stdin (the daemon's",
        '# "n" polls) is left unread.',
        'echo $$ >> "$BENCH_PIDFILE"',
        'cat "$BENCH_STREAM" || exit 1',
        `exec cat ${shellQuote(events.path)}`,
        "",
      ].join("\n"),
    );
    chmodSync(join(binDir, "drbdsetup"), 0o755);
    const command = `echo "$DRBD_RES_NAME $DRBD_NEW_ROLE" > ${shellQuote(hooks.path)}`;
    writeFileSync(
      env.config,
      [
        ...configHeader(dir),
        "[[umh]]",
        "",
        "[[umh.resource]]",
        'name = "became Primary"',
        'event-type = "Change"',
        'old.role = "Secondary"',
        'new.role = "Primary"',
        `command = ${tomlString(command)}`,
        "",
        "[[umh.resource]]",
        'name = "became Secondary"',
        'event-type = "Change"',
        'old.role = "Primary"',
        'new.role = "Secondary"',
        `command = ${tomlString(command)}`,
        "",
      ].join("\n"),
    );

    const loadBefore = loadavg();
    const run = startDaemon(
      env,
      { argv: [opts.binary] },
      dumpFile,
      `initial state complete: ${opts.dump.resources} resource(s)`,
      opts.timeoutMs,
    );
    const samples: number[] = [];
    let firstEventMs = Number.NaN;
    let rss: number | null = null;
    try {
      await run.ready;
      await run.sentinel;
      const total = opts.warmup + opts.events;
      for (let i = 0; i < total; i++) {
        const r = model[Math.floor(i / 2) % model.length]!;
        const promote = i % 2 === 0;
        r.role = promote ? "Primary" : "Secondary";
        r.mayPromote = !promote;
        const line = `${resourceLine("change", r)}\n`;
        const expected = `${r.name} ${r.role}`;
        const t0 = performance.now();
        events.write(line);
        const got = hooks.waitLine(opts.hookTimeoutMs);
        if (got === null) {
          throw new Error(`event ${i}: no hook reported within ${opts.hookTimeoutMs} ms (expected "${expected}")`);
        }
        if (got.text !== expected) throw new Error(`event ${i}: hook reported "${got.text}", expected "${expected}"`);
        const ms = got.at - t0;
        if (i === 0) firstEventMs = ms;
        if (i >= opts.warmup) samples.push(ms);
        await Bun.sleep(opts.gapMs);
      }
      await Bun.sleep(100);
      const extra = hooks.drainNow();
      if (extra !== "") throw new Error(`hooks ran that no event asked for: ${JSON.stringify(extra.slice(0, 200))}`);
      const trouble = run.stderr().split("\n").filter((l) => HOOK_TROUBLE.test(l));
      if (trouble.length > 0) throw new Error(`the daemon reports hook trouble: ${trouble.slice(0, 3).join(" | ")}`);
      const mem = readMemory(run.pid);
      rss = mem ? round(mem.vmRss / 1024) : null;
    } catch (e) {
      throw new Error(`${(e as Error).message}; daemon stderr: ${run.stderr().slice(-1000)}`);
    } finally {
      await stopQuietly(run);
    }
    return {
      ...stats(samples),
      warmup: opts.warmup,
      gapMs: opts.gapMs,
      resources: opts.dump.resources,
      firstEventMs: round(firstEventMs, 3),
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadavg(),
      daemonRssAfterMiB: rss,
    };
  } finally {
    events.close();
    hooksFifo?.close();
  }
}

// --- (u1') spawn floor --------------------------------------------------------------

/** Result of (u1'). */
export interface SpawnFloor extends LatencyStats {
  readonly warmup: number;
}

/** (u1'): Bun.spawn of the same hook command from the bench, with the runner's options. */
export async function measureSpawnFloor(
  base: BenchEnv,
  samplesWanted: number,
  warmup: number,
  gapMs: number,
  timeoutMs: number,
): Promise<SpawnFloor> {
  const dir = join(base.dir, "umh-floor");
  mkdirSync(dir, { recursive: true });
  const fifo = new Fifo(join(dir, "hooks.fifo"));
  const env = {
    PATH: "/sbin:/usr/sbin:/bin:/usr/bin",
    HOME: "/",
    TERM: "linux",
    DRBD_RES_NAME: "r0",
    DRBD_OLD_ROLE: "Secondary",
    DRBD_NEW_ROLE: "Primary",
    DRBD_OLD_MAY_PROMOTE: "true",
    DRBD_NEW_MAY_PROMOTE: "false",
  };
  const command = `echo "$DRBD_RES_NAME $DRBD_NEW_ROLE" > ${shellQuote(fifo.path)}`;
  const samples: number[] = [];
  try {
    for (let i = 0; i < warmup + samplesWanted; i++) {
      const t0 = performance.now();
      const proc = Bun.spawn(["sh", "-c", command], { env, stdin: "ignore", stdout: "pipe", stderr: "pipe", detached: true });
      try {
        const got = fifo.waitLine(timeoutMs);
        if (got === null) throw new Error(`sh -c ${JSON.stringify(command)} reported nothing within ${timeoutMs} ms`);
        if (got.text !== "r0 Primary") throw new Error(`sh -c ${JSON.stringify(command)} reported "${got.text}"`);
        if (i >= warmup) samples.push(got.at - t0);
        await Promise.all([new Response(proc.stdout).arrayBuffer(), new Response(proc.stderr).arrayBuffer(), proc.exited]);
      } finally {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      }
      await Bun.sleep(gapMs);
    }
  } finally {
    fifo.close();
  }
  return { ...stats(samples), warmup };
}

// --- rule sets ------------------------------------------------------------------------

type StateRuleType = "resource" | "device" | "peerdevice" | "connection";
type Value = string | number | boolean;
/** `[key, value]` (Equals) or `[key, value, "NotEquals"]`. */
type FilterSpec = readonly [string, Value] | readonly [string, Value, "NotEquals"];

/**
 * Rules that never match the generated stream (stream.ts: roles Primary /
 * Secondary, disks UpToDate / Outdated, quorum always, never a client,
 * replication Established / SyncSource / Off, peer disks UpToDate /
 * Inconsistent / DUnknown, connections Connected / Connecting, peer nodes 1
 * and 2, volume 0, never congested, no Create / Destroy). Most of them pass
 * their first filters for many updates and fail only on the last one, so
 * they cost more than a rule that fails at once. `k` picks a variant.
 */
const NEVER: { readonly [T in StateRuleType]: readonly ((k: number) => readonly FilterSpec[])[] } = {
  resource: [
    () => [["event-type", "Change"], ["old.role", "Secondary"], ["new.role", "Unknown"]],
    () => [["event-type", "Change"], ["old.role", "Primary"], ["new.role", "Unknown"]],
    (k) => [["new.promotion-score", 5000 + k]],
    () => [["event-type", "Destroy"]],
    () => [["event-type", "Create"], ["new.role", "Primary"]],
    () => [["old.may-promote", true], ["new.may-promote", false], ["new.role", "Unknown"]],
    () => [["old.role", "Unknown", "NotEquals"], ["new.role", "Unknown"]],
  ],
  device: [
    (k) => [
      ["event-type", "Change"],
      ["old.disk-state", "UpToDate"],
      ["new.disk-state", pick(["Failed", "Diskless", "Detaching", "Inconsistent", "Negotiating", "Attaching", "Consistent"], k)],
    ],
    () => [["event-type", "Change"], ["old.quorum", true], ["new.quorum", false]],
    (k) => [["volume", 1 + (k % 3)]],
    () => [["new.client", true]],
    () => [["event-type", "Change"], ["new.size", 1]],
    () => [["old.open", false], ["new.open", true], ["new.disk-state", "Diskless"]],
    () => [["new.disk-state", "UpToDate", "NotEquals"], ["new.quorum", false]],
  ],
  peerdevice: [
    (k) => [
      ["event-type", "Change"],
      ["old.replication-state", "Established"],
      ["new.replication-state", pick(["SyncTarget", "PausedSyncT", "PausedSyncS", "VerifyS", "VerifyT", "Ahead", "Behind", "WFBitMapS"], k)],
    ],
    (k) => [["new.peer-disk-state", pick(["Outdated", "Diskless", "Failed", "Consistent"], k)]],
    (k) => [["peer-node-id", 3 + k]],
    () => [["new.resync-suspended", true]],
    () => [["event-type", "Change"], ["old.peer-client", false], ["new.peer-client", true]],
  ],
  connection: [
    (k) => [
      ["event-type", "Change"],
      ["old.connection-state", "Connected"],
      ["new.connection-state", pick(["StandAlone", "NetworkFailure", "BrokenPipe", "Timeout", "ProtocolError", "TearDown", "Unconnected"], k)],
    ],
    () => [["new.peer-role", "Primary"]],
    () => [["new.congested", true]],
    (k) => [["new.conn-name", `node-absent-${k}`]],
    (k) => [["peer-node-id", 3 + k]],
  ],
};

function pick<T>(xs: readonly T[], k: number): T {
  return xs[k % xs.length]!;
}

function neverFilters(type: StateRuleType, k: number): readonly FilterSpec[] {
  const variants = NEVER[type];
  return variants[k % variants.length]!(Math.floor(k / variants.length));
}

/** One rule of a generated config. */
interface RuleSpec {
  readonly type: StateRuleType;
  readonly name: string;
  readonly filters: readonly FilterSpec[];
}

function tomlValue(x: Value): string {
  return typeof x === "string" ? tomlString(x) : String(x);
}

/** `[[umh]]` with `rules`, as TOML. */
function umhToml(rules: readonly RuleSpec[], command: string): string {
  const out = ["[[umh]]", ""];
  for (const r of rules) {
    out.push(`[[umh.${r.type}]]`, `name = ${tomlString(r.name)}`, `command = ${tomlString(command)}`);
    for (const [key, value, op] of r.filters) {
      out.push(op ? `${key} = { operator = "${op}", value = ${tomlValue(value)} }` : `${key} = ${tomlValue(value)}`);
    }
    out.push("");
  }
  return out.join("\n");
}

/** A named rule set. */
export interface RuleSet {
  readonly name: string;
  readonly description: string;
  readonly rules: readonly RuleSpec[];
}

const KIND_TO_TYPE: Readonly<Record<string, StateRuleType>> = {
  resource: "resource",
  device: "device",
  "peer-device": "peerdevice",
  connection: "connection",
};

/** The three 100-rule configs of (u2). `busiest` is the update kind most frequent in the stream. */
function ruleSets(busiest: StateRuleType): RuleSet[] {
  const types: StateRuleType[] = ["resource", "device", "peerdevice", "connection"];
  const mixed: RuleSpec[] = [];
  for (let i = 0; i < 100; i++) {
    const type = types[i % 4]!;
    const k = Math.floor(i / 4);
    mixed.push({ type, name: `never ${type} ${k}`, filters: neverFilters(type, k) });
  }
  const oneKind: RuleSpec[] = [];
  for (let k = 0; k < 100; k++) oneKind.push({ type: busiest, name: `never ${busiest} ${k}`, filters: neverFilters(busiest, k) });
  const indexed = mixed.map((r, i) => ({ ...r, filters: [["resource-name", `absent-resource-${i}`] as const, ...r.filters] }));
  return [
    { name: "mixed", description: "25 rules per state rule type, no resource-name", rules: mixed },
    { name: "one kind", description: `100 ${busiest} rules, no resource-name`, rules: oneKind },
    { name: "indexed", description: "the mixed rules, each with resource-name of an absent resource", rules: indexed },
  ];
}

/** Parse and validate a generated `[[umh]]` TOML text as the daemon would. */
function parseUmh(toml: string): UmhConfig {
  const parsed = parseTomlText(toml);
  if (!parsed.ok) throw new Error(`generated umh config: ${parsed.problem}`);
  const tables = parsed.table.umh;
  if (!Array.isArray(tables) || tables.length !== 1) throw new Error("generated umh config: expected one [[umh]] table");
  const result = v.safeParse(umhSchema, tables[0]);
  if (!result.success) {
    const issue = result.issues[0];
    throw new Error(`generated umh config is invalid: ${v.getDotPath(issue) ?? ""}: ${issue.message}`);
  }
  return result.output;
}

// --- (u2) matching in-process -----------------------------------------------------------

/** Matcher-alone figures for one rule set. */
export interface MatcherVariant {
  readonly name: string;
  readonly description: string;
  readonly rules: number;
  readonly passes: number;
  readonly updatesPerSec: number;
  readonly nsPerUpdate: number;
}

/** Result of (u2). */
export interface Matching {
  readonly lines: number;
  readonly updates: number;
  readonly updatesByKind: Readonly<Record<string, number>>;
  readonly variants: readonly MatcherVariant[];
  readonly parseStoreLinesPerSec: number;
  readonly parseStoreMatchLinesPerSec: number;
  /** Updates matched per second in the parse + store + match pass (updates / wall time of the pass). */
  readonly parseStoreMatchUpdatesPerSec: number;
  /** Share of the parse + store + match time that matching adds. */
  readonly matchSharePercent: number;
  readonly reactorUmhLinesPerSec: number;
  readonly reactorDebuggerLinesPerSec: number;
}

function readLines(stream: string): string[] {
  const lines = readFileSync(stream, "utf8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** Time `fn` (one pass) repeatedly: 3 warm-up passes, then at least `minPasses` and `minMs` in total; per-pass ms. */
function timePasses(fn: () => void, minPasses = 7, minMs = 400): number[] {
  for (let i = 0; i < 3; i++) fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minPasses || performance.now() - start < minMs) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return times;
}

/** The config of the mixed rule set (for the daemon in (u3)), as TOML. */
export function mixedRulesToml(command: string): string {
  return umhToml(ruleSets("device")[0]!.rules, command);
}

const NEVER_COMMAND = "echo this rule must never match >&2; exit 1";

/** (u2): rule matching over the updates of `stream` (the core benchmark's stream). */
export async function measureMatching(stream: string, stats: StreamStats): Promise<Matching> {
  const lines = readLines(stream);
  if (lines.length !== stats.totalLines) throw new Error(`stream has ${lines.length} lines, expected ${stats.totalLines}`);

  // Every update the stream produces, in order (the core's sentinel, the last line, is rejected and skipped).
  const updates: PluginUpdate[] = [];
  {
    const store = new ResourceStore();
    const collect = (u: PluginUpdate): void => {
      updates.push(u);
    };
    for (const line of lines) {
      const e = parseLine(line);
      if (e.kind !== "error") store.apply(e, collect);
    }
  }
  const byKind: Record<string, number> = {};
  for (const u of updates) byKind[u.kind] = (byKind[u.kind] ?? 0) + 1;
  const busiestKind = Object.entries(byKind)
    .filter(([k]) => k in KIND_TO_TYPE)
    .sort((a, b) => b[1] - a[1])[0]?.[0];
  if (busiestKind === undefined) throw new Error("the stream produced no state updates");
  const sets = ruleSets(KIND_TO_TYPE[busiestKind]!);

  const variants: MatcherVariant[] = [];
  const configs = new Map<string, UmhConfig>();
  for (const set of sets) {
    const config = parseUmh(umhToml(set.rules, NEVER_COMMAND));
    configs.set(set.name, config);
    const ruleCount = config.resource.length + config.device.length + config.peerdevice.length + config.connection.length + config.helper.length;
    if (ruleCount !== 100) throw new Error(`rule set ${set.name}: ${ruleCount} rules, expected 100`);
    const match = compileRules(config);
    // No rule may match: that would make this a benchmark of hook starting, not of matching.
    for (const u of updates) {
      const jobs = match(u);
      if (jobs.length > 0) {
        throw new Error(`rule set ${set.name}: rule "${jobs[0]!.ruleName}" matches a ${u.kind} update of ${u.resourceName}: the rule set is wrong`);
      }
    }
    let sink = 0;
    const times = timePasses(() => {
      for (let i = 0; i < updates.length; i++) sink += match(updates[i]!).length;
    });
    if (sink !== 0) throw new Error(`rule set ${set.name}: a rule matched while timing`);
    const ms = median(times);
    variants.push({
      name: set.name,
      description: set.description,
      rules: ruleCount,
      passes: times.length,
      updatesPerSec: perSec(updates.length, ms),
      nsPerUpdate: round((ms * 1e6) / updates.length, 1),
    });
  }

  // parse + store, with and without the matcher (mixed), interleaved.
  const mixed = compileRules(configs.get("mixed")!);
  const plain: number[] = [];
  const matched: number[] = [];
  for (let rep = 0; rep < 5; rep++) {
    for (const withMatch of [false, true]) {
      const store = new ResourceStore();
      let n = 0;
      const emit = withMatch
        ? (u: PluginUpdate): void => {
            n += 1 + mixed(u).length;
          }
        : (_: PluginUpdate): void => {
            n++;
          };
      const t = performance.now();
      for (let i = 0; i < lines.length; i++) {
        const e = parseLine(lines[i]!);
        if (e.kind !== "error") store.apply(e, emit);
      }
      (withMatch ? matched : plain).push(performance.now() - t);
      if (n !== updates.length) throw new Error(`pass produced ${n} updates, expected ${updates.length}`);
    }
  }

  // Reactor.feedLine with a running plugin: umh (mixed) and, for comparison, debugger.
  const reactorRate = async (instance: PluginInstance): Promise<number> => {
    const runs: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const hub = new LogHub([]);
      const reactor = new Reactor({ log: hub.logger("core"), factories: PLUGIN_FACTORIES });
      await reactor.applyPlugins([instance]);
      const t = performance.now();
      for (let i = 0; i < lines.length; i++) reactor.feedLine(lines[i]!);
      runs.push(performance.now() - t);
      await reactor.stopAll();
      if (reactor.counters.lines !== lines.length) throw new Error("reactor line count disagrees");
    }
    return perSec(lines.length, median(runs));
  };
  const reactorUmh = await reactorRate({ kind: "umh", config: configs.get("mixed")!, source: "bench", index: 0, identity: "bench-umh" });
  const reactorDebugger = await reactorRate({ kind: "debugger", config: {}, source: "bench", index: 0, identity: "bench-debugger" });

  const plainMs = median(plain);
  const matchedMs = median(matched);
  return {
    lines: lines.length,
    updates: updates.length,
    updatesByKind: byKind,
    variants,
    parseStoreLinesPerSec: perSec(lines.length, plainMs),
    parseStoreMatchLinesPerSec: perSec(lines.length, matchedMs),
    parseStoreMatchUpdatesPerSec: perSec(updates.length, matchedMs),
    matchSharePercent: round((Math.max(0, matchedMs - plainMs) / matchedMs) * 100, 1),
    reactorUmhLinesPerSec: reactorUmh,
    reactorDebuggerLinesPerSec: reactorDebugger,
  };
}

// --- (u3) end to end ------------------------------------------------------------------

/** One daemon run over the whole stream. */
export interface UmhEndToEndRun {
  readonly config: "umh" | "debugger";
  readonly readyMs: number;
  readonly consumedMs: number;
  readonly linesPerSecFromReady: number;
}

/** Result of (u3). */
export interface UmhEndToEnd {
  readonly runs: readonly UmhEndToEndRun[];
  readonly umhLinesPerSec: number;
  readonly debuggerLinesPerSec: number;
  /** umh / debugger, in percent. */
  readonly relativePercent: number;
}

async function endToEndRun(
  env: BenchEnv,
  binary: string,
  stream: string,
  sentinelLog: string,
  timeoutMs: number,
): Promise<{ readyMs: number; consumedMs: number }> {
  const run = startDaemon(env, { argv: [binary] }, stream, sentinelLog, timeoutMs);
  try {
    const readyMs = await run.ready;
    const consumedMs = await run.sentinel;
    const trouble = run.stderr().split("\n").filter((l) => l.includes("match for rule") || HOOK_TROUBLE.test(l));
    if (trouble.length > 0) throw new Error(`a rule matched or a hook ran: ${trouble[0]}`);
    return { readyMs, consumedMs };
  } catch (e) {
    throw new Error(`${(e as Error).message}; stderr: ${run.stderr().slice(-1000)}`);
  } finally {
    await stopQuietly(run);
  }
}

/** (u3): the daemon with 100 non-matching umh rules vs. with a debugger, on the core stream. */
export async function measureUmhEndToEnd(
  base: BenchEnv,
  binary: string,
  stream: string,
  stats: StreamStats,
  sentinelLog: string,
  runs: number,
  timeoutMs: number,
): Promise<UmhEndToEnd> {
  const dir = join(base.dir, "umh-e2e");
  // The core harness's drbdsetup (cat the stream, wait for stdin EOF); only the config differs.
  const env = derivedEnv(base, dir, base.binDir, join(dir, "drbd-reactor.toml"));
  writeFileSync(env.config, [...configHeader(dir), mixedRulesToml(NEVER_COMMAND)].join("\n"));
  const all: UmhEndToEndRun[] = [];
  for (let i = 0; i < runs; i++) {
    for (const [config, e] of [["debugger", base], ["umh", env]] as const) {
      const r = await endToEndRun(e, binary, stream, sentinelLog, timeoutMs);
      all.push({
        config,
        readyMs: round(r.readyMs),
        consumedMs: round(r.consumedMs),
        linesPerSecFromReady: perSec(stats.totalLines, r.consumedMs - r.readyMs),
      });
    }
  }
  const rate = (c: "umh" | "debugger"): number => Math.round(median(all.filter((r) => r.config === c).map((r) => r.linesPerSecFromReady)));
  const umh = rate("umh");
  const dbg = rate("debugger");
  return { runs: all, umhLinesPerSec: umh, debuggerLinesPerSec: dbg, relativePercent: round((umh / dbg) * 100, 1) };
}
