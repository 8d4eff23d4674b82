/**
 * `make bench`: throughput, memory and startup of the daemon on a large,
 * deterministic events2 stream (1000 resources × 2 peers, 200k change
 * lines). Reports; does not assert. Exits non-zero only when a measurement
 * could not be taken.
 *
 * Usage: bun test/bench/run.ts [--only core|umh|prometheus|agentx] [--profile] [--runs N] [--umh-events N]
 *                                [--prom-cold N] [--prom-cached N] [--agentx-runs N] [--agentx-rss-walks N]
 *                                [--agentx-rt-walks N] [--keep]
 *   --only core        only the core measurements (a)–(f)
 *   --only umh         only the umh plugin measurements (u1)–(u3) (see umh.ts)
 *   --only prometheus  only the prometheus plugin measurements (p1)–(p5) (see prometheus.ts)
 *   --only agentx      only the agentx plugin measurements (x1)–(x5) (see agentx.ts)
 *   --profile       also run `bun --cpu-prof src/main.ts` on the same stream and
 *                   print where the time goes (core)
 *   --runs N        end-to-end runs (default 3; median reported)
 *   --umh-events N  hook latency events (default 1000; percentiles over these)
 *   --prom-cold N   cold scrapes per prometheus variant (default 100; at least 30)
 *   --prom-cached N cached scrapes per prometheus variant (default 500; at least 200)
 *   --agentx-runs N       timed walks per agentx series (default 3; median reported)
 *   --agentx-rss-walks N  snmpwalks with a daemon RSS sample after each (default 5; at least runs + 1)
 *   --agentx-rt-walks N   full walks of GetNext round trips from the bench's own master (default 2)
 *   --keep          keep the temp dir (streams, config, profiles)
 *
 * Measurements, core:
 *   (a) end-to-end lines/s through dist/drbd-reactor ([[debugger]], log level info)
 *   (b) lines/s of parseLine + ResourceStore in-process (and Reactor.feedLine with a debugger plugin)
 *   (c) idle RSS with the 1000 resources loaded
 *   (d) peak RSS (VmHWM) after the burst
 *   (e) exec → READY=1 (median of 7)
 *   (f) the same stream through `cat | cat >/dev/null` and through a bare Bun line reader
 * Measurements, umh plugin (umh.ts):
 *   (u1) event line → hook's shell running, p50/p90/p99/max over 1000 events, compiled daemon
 *   (u1') the same hook spawned by the bench itself (fork/exec + sh floor)
 *   (u2) rule matching in-process, 100 non-matching rules, 1000-resource stream
 *   (u3) end to end with those 100 rules vs. a debugger
 * Measurements, prometheus plugin (prometheus.ts), for 1000 resources × 1 volume × 2 peers
 * and 1000 × 2 volumes × 3 peers, enums = true, scraped with fetch (keep-alive on):
 *   (p1) first scrape after start
 *   (p2) cold: the scrape after one state change (role flip / connection change), p50/p99/max
 *   (p3) cached: repeated scrapes of an unchanged state (also keep-alive off, OpenMetrics)
 *   (p3') floor: a bare Bun.serve sending the same bytes
 *   (p4) the scrape after a statistics burst (every device and peer device, counters only)
 *   (p5) VmRSS before / after 100 / after 200 scrapes, after the cold series and the bursts
 * Measurements, agentx plugin (agentx.ts), 1000 resources × 1 volume × 2 peers, peer-states on
 * (49,002 values), through a real net-snmp snmpd started by the bench:
 *   (x1) snmpwalk -v2c -On of the subtree, daemon on the Unix socket: first walk, median of N
 *   (x2) the same, daemon on TCP
 *   (x3) snmpbulkwalk -Cr10 and -Cr50, both transports; floor: snmpwalk of snmpd's system group
 *   (x1')/(x3') floor: snmpwalk / snmpbulkwalk with a precomputed bun subagent instead of the daemon
 *   (x4) per GetNext: MibView in-process; framer + decode + respond + encode in-process;
 *        round trips from a master in the bench to the compiled daemon (and to a bare floor subagent)
 *   (x5) daemon VmRSS before the walks, after each of K walks (and 2 s later), after the bulkwalks; VmHWM
 *
 * Results: tables on stdout, JSON in build/bench/result.json (parts not run
 * are null there).
 *
 * @module
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PLUGIN_FACTORIES } from "../../plugins/registry.ts";
import type { PluginInstance } from "../../src/config/types.ts";
import { parseLine } from "../../src/core/events2.ts";
import { Reactor } from "../../src/core/reactor.ts";
import { ResourceStore } from "../../src/core/state.ts";
import type { PluginUpdate } from "../../src/core/updates.ts";
import { LogHub } from "../../src/log/logger.ts";
import { type BenchEnv, type DaemonCommand, killEverything, prepareEnv, readMemory, startDaemon } from "./harness.ts";
import { summarizeProfile, type ProfileSummary } from "./profile.ts";
import { AGENTX_TARGETS, type AgentxResult, killAgentxProcesses, measureAgentx, SETTLE_MS, type WalkSeries } from "./agentx.ts";
import { measurePrometheus, PROM_TARGETS, type PromResult, type PromVariant } from "./prometheus.ts";
import { fmtRate, median, mib, perSec, printTable, round, row } from "./report.ts";
import { type StreamOptions, type StreamStats, writeStream } from "./stream.ts";
import {
  type HookLatency,
  type Matching,
  measureHookLatency,
  measureMatching,
  measureSpawnFloor,
  measureUmhEndToEnd,
  type SpawnFloor,
  UMH_TARGETS,
  type UmhEndToEnd,
} from "./umh.ts";

const ROOT = resolve(import.meta.dir, "../..");
const BINARY = join(ROOT, "dist/drbd-reactor");
const RESULT_FILE = join(ROOT, "build/bench/result.json");

/** The last line of every stream: rejected (unknown verb) and logged at WARN, the first rejection of the run. */
const SENTINEL = "bench-end";
const SENTINEL_LOG = `rejected events2 line "${SENTINEL}"`;
const TIMEOUT_MS = 120_000;
const READY_RUNS = 7;
const IDLE_SETTLE_MS = 3000;

const TARGETS = {
  e2eLinesPerSec: 400_000,
  idleRssMiB: 40,
  peakRssMiB: 80,
  readyMs: 100,
};

const FULL: StreamOptions = {
  seed: 20240611,
  resources: 1000,
  peers: 2,
  changeLines: 200_000,
  statsShare: 0.8,
  sentinel: SENTINEL,
};
const DUMP_ONLY: StreamOptions = { ...FULL, changeLines: 0 };
/** No resources at all: the runtime's own footprint, for comparison with (c). */
const EMPTY: StreamOptions = { ...FULL, resources: 0, changeLines: 0 };

// ---------------------------------------------------------------------------

const args = process.argv.slice(2);
const wantProfile = args.includes("--profile");
const keep = args.includes("--keep");
const runsArg = args.indexOf("--runs");
const E2E_RUNS = runsArg >= 0 ? Math.max(1, Number(args[runsArg + 1]) || 3) : 3;

const onlyArg = args.indexOf("--only");
const only = onlyArg >= 0 ? args[onlyArg + 1] : undefined;
if (only !== undefined && only !== "core" && only !== "umh" && only !== "prometheus" && only !== "agentx") {
  process.stderr.write(`bench: --only takes "core", "umh", "prometheus" or "agentx", not ${JSON.stringify(only ?? "")}\n`);
  process.exit(2);
}
const runCore = only === undefined || only === "core";
const runUmh = only === undefined || only === "umh";
const runProm = only === undefined || only === "prometheus";
const runAgentx = only === undefined || only === "agentx";
const umhEventsArg = args.indexOf("--umh-events");
const UMH_EVENTS = umhEventsArg >= 0 ? Math.max(1, Number(args[umhEventsArg + 1]) || 1000) : 1000;
/** Hook latency: events before the measured ones (not in the percentiles). */
const UMH_WARMUP = 50;
/** Hook latency: pause after each hook reported before the next event line. */
const UMH_GAP_MS = 5;
/** Spawn floor: samples. */
const UMH_FLOOR_SAMPLES = 300;

function numberArg(name: string, fallback: number, min: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const n = Number(args[i + 1]);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`bench: ${name} takes an integer ≥ ${min}, not ${JSON.stringify(args[i + 1] ?? "")}\n`);
    process.exit(2);
  }
  return n;
}
/** Prometheus: cold samples (after 5 warm-up ones) and cached scrapes per variant. */
const PROM_COLD = numberArg("--prom-cold", 100, 30);
const PROM_CACHED = numberArg("--prom-cached", 500, 200);
/** agentx: timed walks per series, walks with an RSS sample, round-trip walks. */
const AGENTX_RUNS = numberArg("--agentx-runs", 3, 1);
const AGENTX_RSS_WALKS = numberArg("--agentx-rss-walks", Math.max(5, AGENTX_RUNS + 1), AGENTX_RUNS + 1);
const AGENTX_RT_WALKS = numberArg("--agentx-rt-walks", 2, 1);
const PROM_VARIANTS: readonly PromVariant[] = [
  { name: "1000 resources × 1 volume × 2 peers", resources: 1000, volumes: 1, peers: 2, targets: true },
  { name: "1000 resources × 2 volumes × 3 peers", resources: 1000, volumes: 2, peers: 3, targets: false },
];

const failures: string[] = [];

/** Run one measurement; a failure is recorded (and makes the exit code 1) instead of ending the run. */
async function measure<T>(name: string, fn: () => Promise<T> | T): Promise<T | null> {
  process.stderr.write(`bench: ${name} …\n`);
  try {
    return await fn();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    failures.push(`${name}: ${message}`);
    process.stderr.write(`bench: ${name} FAILED: ${message}\n`);
    return null;
  }
}

// --- (f) physical references -------------------------------------------------

interface Reference {
  readonly catLinesPerSec: number;
  readonly catMs: number;
  readonly bunReaderLinesPerSec: number;
  readonly bunReaderMs: number;
  /** Lines/s of the reader from its first chunk to EOF (its own startup excluded). */
  readonly bunReaderSteadyLinesPerSec: number;
}

async function timedShell(script: string, argv: readonly string[]): Promise<{ ms: number; stdout: string }> {
  const t0 = performance.now();
  const proc = Bun.spawn(["sh", "-c", script, "sh", ...argv], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const killer = setTimeout(() => proc.kill("SIGKILL"), TIMEOUT_MS);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  const ms = performance.now() - t0;
  clearTimeout(killer);
  if (code !== 0) throw new Error(`sh -c ${JSON.stringify(script)} exited with ${code}: ${stderr.trim()}`);
  return { ms, stdout };
}

async function measureReferences(stream: string, stats: StreamStats): Promise<Reference> {
  const cat: number[] = [];
  const reader: number[] = [];
  const steady: number[] = [];
  const readerScript = join(import.meta.dir, "line-reader.ts");
  for (let i = 0; i < 3; i++) {
    cat.push((await timedShell('cat "$1" | cat >/dev/null', [stream])).ms);
    const r = await timedShell('cat "$1" | "$2" "$3"', [stream, process.execPath, readerScript]);
    const out = JSON.parse(r.stdout) as { lines: number; firstChunkMs: number; endMs: number };
    if (out.lines !== stats.totalLines) throw new Error(`line reader counted ${out.lines} lines, expected ${stats.totalLines}`);
    reader.push(r.ms);
    steady.push(out.endMs - out.firstChunkMs);
  }
  return {
    catMs: round(median(cat)),
    catLinesPerSec: perSec(stats.totalLines, median(cat)),
    bunReaderMs: round(median(reader)),
    bunReaderLinesPerSec: perSec(stats.totalLines, median(reader)),
    bunReaderSteadyLinesPerSec: perSec(stats.totalLines, median(steady)),
  };
}

// --- (e) + (c) startup and idle memory -----------------------------------------

interface Startup {
  readonly readyMs: readonly number[];
  readonly readyMedianMs: number;
  /** exec → initial dump (1000 resources) consumed. */
  readonly dumpAppliedMedianMs: number;
}

const binaryCommand: DaemonCommand = { argv: [BINARY] };

async function stopChecked(run: { stop(): Promise<{ exitCode: number | null; signal: string | null }>; stderr(): string }) {
  const end = await run.stop();
  if (end.exitCode !== 0) {
    process.stderr.write(`bench: daemon ended with ${end.exitCode ?? end.signal}; stderr:\n${run.stderr().slice(-2000)}\n`);
  }
  return end;
}

async function measureStartup(env: BenchEnv, stream: string): Promise<Startup> {
  const ready: number[] = [];
  const dump: number[] = [];
  for (let i = 0; i < READY_RUNS; i++) {
    const run = startDaemon(env, binaryCommand, stream, SENTINEL_LOG, TIMEOUT_MS);
    try {
      ready.push(await run.ready);
      dump.push(await run.sentinel);
    } catch (e) {
      throw new Error(`${(e as Error).message}; stderr: ${run.stderr().slice(-1000)}`);
    } finally {
      await stopChecked(run);
    }
  }
  return { readyMs: ready.map((x) => round(x)), readyMedianMs: round(median(ready)), dumpAppliedMedianMs: round(median(dump)) };
}

interface Idle {
  /** VmRSS samples (MiB) every 500 ms after the dump was consumed; their median is reported. */
  readonly samplesMiB: readonly number[];
  readonly idleRssMiB: number;
  readonly hwmMiB: number;
}

async function measureIdle(env: BenchEnv, stream: string): Promise<Idle> {
  const run = startDaemon(env, binaryCommand, stream, SENTINEL_LOG, TIMEOUT_MS);
  try {
    await run.ready;
    await run.sentinel;
    const samples: number[] = [];
    let last = null;
    for (let t = 0; t < IDLE_SETTLE_MS; t += 500) {
      await Bun.sleep(500);
      last = readMemory(run.pid);
      if (!last) throw new Error("daemon vanished while idle");
      samples.push(mib(last.vmRss));
    }
    return { samplesMiB: samples, idleRssMiB: round(median(samples)), hwmMiB: mib(last!.vmHwm) };
  } catch (e) {
    throw new Error(`${(e as Error).message}; stderr: ${run.stderr().slice(-1000)}`);
  } finally {
    await stopChecked(run);
  }
}

// --- (a) + (d) end to end --------------------------------------------------------

interface EndToEndRun {
  readonly readyMs: number;
  readonly consumedMs: number;
  readonly linesPerSecFromReady: number;
  readonly linesPerSecFromExec: number;
  readonly rssAfterMiB: number;
  readonly peakRssMiB: number;
}

interface EndToEnd {
  readonly runs: readonly EndToEndRun[];
  readonly linesPerSecFromReady: number;
  readonly linesPerSecFromExec: number;
  readonly peakRssMiB: number;
}

async function endToEndOnce(env: BenchEnv, cmd: DaemonCommand, stream: string, stats: StreamStats): Promise<EndToEndRun> {
  const run = startDaemon(env, cmd, stream, SENTINEL_LOG, TIMEOUT_MS);
  try {
    const readyMs = await run.ready;
    const consumedMs = await run.sentinel;
    const mem = readMemory(run.pid);
    if (!mem) throw new Error("daemon vanished before its memory could be read");
    return {
      readyMs: round(readyMs),
      consumedMs: round(consumedMs),
      linesPerSecFromReady: perSec(stats.totalLines, consumedMs - readyMs),
      linesPerSecFromExec: perSec(stats.totalLines, consumedMs),
      rssAfterMiB: mib(mem.vmRss),
      peakRssMiB: mib(mem.vmHwm),
    };
  } catch (e) {
    throw new Error(`${(e as Error).message}; stderr: ${run.stderr().slice(-1000)}`);
  } finally {
    await stopChecked(run);
  }
}

async function measureEndToEnd(env: BenchEnv, stream: string, stats: StreamStats): Promise<EndToEnd> {
  const runs: EndToEndRun[] = [];
  for (let i = 0; i < E2E_RUNS; i++) runs.push(await endToEndOnce(env, binaryCommand, stream, stats));
  return {
    runs,
    linesPerSecFromReady: Math.round(median(runs.map((r) => r.linesPerSecFromReady))),
    linesPerSecFromExec: Math.round(median(runs.map((r) => r.linesPerSecFromExec))),
    peakRssMiB: round(median(runs.map((r) => r.peakRssMiB))),
  };
}

// --- (b) in-process ------------------------------------------------------------

interface InProcess {
  readonly parseOnlyLinesPerSec: number;
  readonly parseStoreLinesPerSec: number;
  readonly parseStoreFirstPassLinesPerSec: number;
  readonly reactorDebuggerLinesPerSec: number;
  readonly updates: number;
}

function readLines(stream: string): string[] {
  const lines = readFileSync(stream, "utf8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

async function measureInProcess(stream: string, stats: StreamStats): Promise<InProcess> {
  const lines = readLines(stream);
  if (lines.length !== stats.totalLines) throw new Error(`stream has ${lines.length} lines, expected ${stats.totalLines}`);
  const last = parseLine(lines.at(-1)!);
  if (last.kind !== "error" || last.reason !== "unknown-verb") throw new Error("the sentinel line is not rejected as unknown verb");

  const parseOnly: number[] = [];
  const parseStore: number[] = [];
  let updates = 0;
  for (let rep = 0; rep < 3; rep++) {
    // Parser + store first, so its first pass runs with a cold JIT.
    const store = new ResourceStore();
    let u = 0;
    const emit = (_: PluginUpdate): void => {
      u++;
    };
    let rejected = 0;
    let t = performance.now();
    for (let i = 0; i < lines.length; i++) {
      const e = parseLine(lines[i]!);
      if (e.kind !== "error") store.apply(e, emit);
      else if (i < lines.length - 1) rejected++;
    }
    parseStore.push(performance.now() - t);
    // The sentinel must be the first rejected line, or the daemon logs another rejection first.
    if (rejected > 0) throw new Error(`${rejected} line(s) before the sentinel are rejected: the stream is invalid`);
    if (store.size !== FULL.resources) throw new Error(`store holds ${store.size} resources, expected ${FULL.resources}`);
    updates = u;

    t = performance.now();
    let n = 0;
    for (let i = 0; i < lines.length; i++) if (parseLine(lines[i]!).kind !== "error") n++;
    parseOnly.push(performance.now() - t);
    if (n !== lines.length - 1) throw new Error("parse-only pass disagrees");
  }

  // Reactor.feedLine with a running debugger plugin (info level: one level check per update).
  const reactorRuns: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    const hub = new LogHub([]);
    const reactor = new Reactor({ log: hub.logger("core"), factories: PLUGIN_FACTORIES });
    const instance: PluginInstance = { kind: "debugger", config: {}, source: "bench", index: 0, identity: "bench-debugger" };
    await reactor.applyPlugins([instance]);
    const t = performance.now();
    for (let i = 0; i < lines.length; i++) reactor.feedLine(lines[i]!);
    reactorRuns.push(performance.now() - t);
    await reactor.stopAll();
    if (reactor.counters.lines !== lines.length) throw new Error("reactor line count disagrees");
  }
  return {
    parseOnlyLinesPerSec: perSec(lines.length, median(parseOnly)),
    parseStoreLinesPerSec: perSec(lines.length, median(parseStore)),
    parseStoreFirstPassLinesPerSec: perSec(lines.length, parseStore[0]!),
    reactorDebuggerLinesPerSec: perSec(lines.length, median(reactorRuns)),
    updates,
  };
}

// --- profile -------------------------------------------------------------------

interface ProfileResult {
  readonly run: EndToEndRun;
  readonly file: string;
  readonly summary: ProfileSummary;
}

async function profileSource(env: BenchEnv, stream: string, stats: StreamStats): Promise<ProfileResult> {
  const dir = join(env.dir, "profile");
  mkdirSync(dir, { recursive: true });
  const cmd: DaemonCommand = {
    argv: [process.execPath, "--cpu-prof", `--cpu-prof-dir=${dir}`, "--cpu-prof-interval=250", "src/main.ts"],
    cwd: ROOT,
  };
  const run = await endToEndOnce(env, cmd, stream, stats);
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  if (files.length === 0) throw new Error(`bun --cpu-prof wrote no profile into ${dir}`);
  const file = join(dir, files[0]!);
  // Only the burst: from the first to the last sample inside the event source's read loop.
  return { run, file, summary: summarizeProfile(file, ROOT, 20, "#readLines") };
}

// --- umh plugin ----------------------------------------------------------------------

interface UmhResults {
  latency: HookLatency | null;
  spawnFloor: SpawnFloor | null;
  matching: Matching | null;
  endToEnd: UmhEndToEnd | null;
}

const fmtMs = (x: number): string => `${x.toFixed(2)} ms`;

function umhRows(u: UmhResults): string[][] {
  const rows: string[][] = [];
  const { latency: l, spawnFloor: f, matching: m, endToEnd: e } = u;
  const n = l ? l.samples : UMH_EVENTS;
  rows.push(row(`(u1) event line → hook running, p50 (${n} events)`, l ? fmtMs(l.p50Ms) : "FAILED", "", null));
  if (l) rows.push(row("(u1) … p90", fmtMs(l.p90Ms), "", null));
  const p99Target = `≤ ${UMH_TARGETS.latencyP99Ms} ms`;
  rows.push(row("(u1) … p99", l ? fmtMs(l.p99Ms) : "FAILED", p99Target, l ? l.p99Ms <= UMH_TARGETS.latencyP99Ms : false));
  if (l) {
    rows.push(row("(u1) … max", fmtMs(l.maxMs), "", null));
    rows.push(row("(u1) … first event after the dump (cold, not in the percentiles)", fmtMs(l.firstEventMs), "", null));
  }
  rows.push(row("(u1') Bun.spawn sh -c from the bench, p50 / p99", f ? `${fmtMs(f.p50Ms)} / ${fmtMs(f.p99Ms)}` : "FAILED", "", null));
  if (l && f) rows.push(row("(u1) − (u1'): the daemon's share, p50", fmtMs(round(l.p50Ms - f.p50Ms, 3)), "", null));
  if (m) {
    for (const vr of m.variants) {
      const target = vr.name === "indexed" ? "" : `≥ ${UMH_TARGETS.eventsPerSec / 1000}k events/s`;
      rows.push(
        row(
          `(u2) matcher alone, ${vr.rules} rules, ${vr.name} (${vr.nsPerUpdate} ns/update)`,
          fmtRate(vr.updatesPerSec, "updates"),
          target,
          target ? vr.updatesPerSec >= UMH_TARGETS.eventsPerSec : null,
        ),
      );
    }
    rows.push(
      row(
        "(u2) parseLine + ResourceStore + matcher (mixed)",
        fmtRate(m.parseStoreMatchLinesPerSec),
        `≥ ${UMH_TARGETS.eventsPerSec / 1000}k events/s`,
        m.parseStoreMatchLinesPerSec >= UMH_TARGETS.eventsPerSec,
      ),
    );
    rows.push(row("(u2) … parseLine + ResourceStore alone (same runs)", fmtRate(m.parseStoreLinesPerSec), "", null));
    rows.push(row("(u2) … time matching adds", `${m.matchSharePercent} %`, "", null));
    rows.push(row("(u2) Reactor.feedLine + umh (100 rules, mixed)", fmtRate(m.reactorUmhLinesPerSec), "", null));
    rows.push(row("(u2) Reactor.feedLine + debugger (same process)", fmtRate(m.reactorDebuggerLinesPerSec), "", null));
  } else {
    rows.push(row("(u2) matcher alone, 100 rules", "FAILED", `≥ ${UMH_TARGETS.eventsPerSec / 1000}k events/s`, false));
  }
  rows.push(row("(u3) end to end, [[umh]] 100 rules, READY → consumed", e ? fmtRate(e.umhLinesPerSec) : "FAILED", "", null));
  if (e) {
    rows.push(row("(u3) … [[debugger]] instead (interleaved runs)", fmtRate(e.debuggerLinesPerSec), "", null));
    rows.push(row("(u3) … umh / debugger", `${e.relativePercent} %`, "", null));
  }
  return rows;
}

function printUmhDetails(u: UmhResults): void {
  const { latency: l, spawnFloor: f, matching: m, endToEnd: e } = u;
  const loads = (xs: readonly number[]): string => xs.map((x) => x.toFixed(2)).join(" ");
  if (l) {
    console.log(
      `\nhook latency: ${l.samples} events after ${l.warmup} warm-up events, one at a time, ${l.gapMs} ms pause after each hook; ` +
        `${l.resources} resources loaded; min ${fmtMs(l.minMs)}, mean ${fmtMs(l.meanMs)}; daemon RSS after ${l.daemonRssAfterMiB ?? "?"} MiB; ` +
        `load average before ${loads(l.loadAverageBefore)}, after ${loads(l.loadAverageAfter)}`,
    );
    console.log(
      "  measured: write() of the line into the fake drbdsetup's FIFO → cat → daemon reads, parses, applies, matches, logs, " +
        "spawns sh -c → the hook's echo (a builtin) reaches the bench's FIFO (poll wake-up); one clock (the bench's)",
    );
  }
  if (f) {
    console.log(
      `spawn floor: ${f.samples} runs of Bun.spawn(sh -c 'echo … > FIFO') from the bench: ` +
        `min ${fmtMs(f.minMs)}, p90 ${fmtMs(f.p90Ms)}, max ${fmtMs(f.maxMs)}`,
    );
  }
  if (m) {
    console.log(
      `rule matching: ${m.updates} updates (${Object.entries(m.updatesByKind)
        .map(([k, c]) => `${c} ${k}`)
        .join(", ")}) from ${m.lines} lines; rule sets: ${m.variants.map((vr) => `${vr.name} = ${vr.description}`).join("; ")}`,
    );
  }
  if (e) {
    console.log(`end-to-end runs (READY → consumed): ${e.runs.map((r) => `${r.config} ${fmtRate(r.linesPerSecFromReady)}`).join(", ")}`);
  }
}

// --- prometheus plugin -----------------------------------------------------------------

const ms2 = (x: number): string => `${x.toFixed(2)} ms`;
const triple = (l: { p50Ms: number; p99Ms: number; maxMs: number }): string => `${ms2(l.p50Ms)} / ${ms2(l.p99Ms)} / ${ms2(l.maxMs)}`;

function promRows(results: readonly (PromResult | null)[]): string[][] {
  const rows: string[][] = [];
  results.forEach((p, i) => {
    const variant = PROM_VARIANTS[i]!;
    const tag = `${variant.resources}×${variant.volumes}×${variant.peers}`;
    const t = variant.targets;
    if (p === null) {
      rows.push(row(`${tag}: measurements`, "FAILED", "", false));
      return;
    }
    const coldTarget = t ? `≤ ${PROM_TARGETS.coldMs} ms` : "";
    const cachedTarget = t ? `p99 ≤ ${PROM_TARGETS.cachedP99Ms} ms` : "";
    rows.push(
      row(
        `${tag}: exposition, text 0.0.4 (OpenMetrics)`,
        `${p.text.lines.toLocaleString("en-US")} lines, ${mib(p.text.bytes / 1024)} MiB (${p.openMetrics.lines.toLocaleString("en-US")} lines, ${mib(p.openMetrics.bytes / 1024)} MiB)`,
        "",
        null,
      ),
    );
    rows.push(row(`${tag}: (p1) first scrape after start`, ms2(p.firstScrapeMs), coldTarget, t ? p.firstScrapeMs <= PROM_TARGETS.coldMs : null));
    rows.push(
      row(
        `${tag}: (p2) cold, after 1 state change, p50 / p99 / max (${p.cold.samples})`,
        triple(p.cold),
        t ? `p99 ${coldTarget}` : "",
        t ? p.cold.p99Ms <= PROM_TARGETS.coldMs : null,
      ),
    );
    rows.push(row(`${tag}: (p2) … role flip, p50 / p99 (${p.coldRoleFlip.samples})`, `${ms2(p.coldRoleFlip.p50Ms)} / ${ms2(p.coldRoleFlip.p99Ms)}`, "", null));
    rows.push(
      row(`${tag}: (p2) … connection change, p50 / p99 (${p.coldConnection.samples})`, `${ms2(p.coldConnection.p50Ms)} / ${ms2(p.coldConnection.p99Ms)}`, "", null),
    );
    rows.push(
      row(
        `${tag}: (p3) cached, p50 / p99 / max (${p.cached.samples})`,
        triple(p.cached),
        cachedTarget,
        t ? p.cached.p99Ms <= PROM_TARGETS.cachedP99Ms : null,
      ),
    );
    rows.push(row(`${tag}: (p3) … keep-alive off (${p.cachedNoKeepAlive.samples})`, triple(p.cachedNoKeepAlive), "", null));
    rows.push(row(`${tag}: (p3) … OpenMetrics (${p.cachedOpenMetrics.samples}); its first scrape ${ms2(p.firstOpenMetricsMs)}`, triple(p.cachedOpenMetrics), "", null));
    rows.push(row(`${tag}: (p3') floor: bare Bun.serve, same bytes (${p.floor?.samples ?? 0})`, p.floor ? triple(p.floor) : `FAILED: ${p.floorError}`, "", null));
    const curlCell = (l: PromResult["cachedCurl"]): string => (l ? triple(l) : `n/a${p.curlError ? ` (${p.curlError})` : ""}`);
    rows.push(row(`${tag}: (p3c) cached, curl client (${p.cachedCurl?.samples ?? 0})`, curlCell(p.cachedCurl), "", null));
    rows.push(row(`${tag}: (p3c) floor, curl client (${p.floorCurl?.samples ?? 0})`, curlCell(p.floorCurl), "", null));
    rows.push(
      row(
        `${tag}: (p4) after a statistics burst (${p.statsBurst.linesPerBurst} lines), p50 / max (${p.statsBurst.samples})`,
        `${ms2(p.statsBurst.p50Ms)} / ${ms2(p.statsBurst.maxMs)}`,
        "",
        null,
      ),
    );
    const m = p.memory;
    const growth = round(Math.max(m.after200CachedMiB, m.afterAllCachedMiB) - m.after100CachedMiB, 1);
    rows.push(row(`${tag}: (p5) VmRSS after dump / after first scrape`, `${m.afterDumpMiB} / ${m.afterFirstScrapeMiB} MiB`, "", null));
    rows.push(
      row(
        `${tag}: (p5) VmRSS before / +100 / +200 / +${m.cachedScrapes} cached scrapes`,
        `${m.beforeCachedMiB} / ${m.after100CachedMiB} / ${m.after200CachedMiB} / ${m.afterAllCachedMiB} MiB`,
        "no growth after 100",
        growth <= 1,
      ),
    );
    rows.push(row(`${tag}: (p5) VmRSS after cold / after bursts; VmHWM`, `${m.afterColdMiB} / ${m.afterBurstsMiB} MiB; ${m.hwmMiB} MiB`, "", null));
  });
  return rows;
}

function printPromDetails(results: readonly (PromResult | null)[]): void {
  const loads = (xs: readonly number[]): string => xs.map((x) => x.toFixed(2)).join(" ");
  console.log(
    "\nscrapes: fetch GET /metrics from the bench process, timed to the body's last byte, sequential, back to back; " +
      "keep-alive on (Bun's connection pool) except the keep-alive off row; text format 0.0.4 except the OpenMetrics rows " +
      "(Prometheus' Accept header). curl rows: one curl process, one keep-alive connection, curl's own time_total per transfer. Cold: a state change written to the fake drbdsetup, the scrape 20 ms later, checked to show it. " +
      'VmRSS verdict: "ok" when the samples after 200 and after all cached scrapes are at most 1 MiB above the one after 100.',
  );
  for (const p of results) {
    if (p === null) continue;
    console.log(
      `${p.variant.name}: ${p.dumpLines} dump lines, READY ${p.readyMs} ms, dump consumed ${p.dumpConsumedMs} ms; ` +
        `${p.text.series.toLocaleString("en-US")} series; cached min ${ms2(p.cached.minMs)}, p90 ${ms2(p.cached.p90Ms)}; ` +
        `cold min ${ms2(p.cold.minMs)}, p90 ${ms2(p.cold.p90Ms)} (${p.cold.warmup} warm-up samples left out, ${p.cold.staleRetries} stale retries); ` +
        `burst p99 ${ms2(p.statsBurst.p99Ms)} (${p.statsBurst.staleRetries} stale retries); ` +
        `load average before ${loads(p.loadAverageBefore)}, after ${loads(p.loadAverageAfter)}` +
        (p.daemonWarnings.length > 0 ? `; daemon warnings: ${p.daemonWarnings.join(" | ")}` : ""),
    );
  }
}

// --- agentx plugin -------------------------------------------------------------------

const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const us = (x: number): string => `${x.toFixed(1)} µs`;
const usOfNs = (ns: number): string => `${(ns / 1000).toFixed(2)} µs`;

function agentxRows(a: AgentxResult | null): string[][] {
  const rows: string[][] = [];
  if (a === null) {
    rows.push(row("agentx measurements", "FAILED", "", false));
    return rows;
  }
  const T = AGENTX_TARGETS;
  const walkTarget = `≤ ${sec(T.walkMs)}`;
  const bulkTarget = `≤ ${sec(T.bulkwalkMs)}`;
  const nextTarget = `≤ ${T.getNextUs} µs`;
  const n = (w: WalkSeries): string => `median of ${w.runsMs.length}`;
  /** The median, flagged when other processes used more than a tenth of the walk's wall time in CPU. */
  const wall = (w: WalkSeries): string =>
    `${sec(w.medianMs)}${w.cpuMedian.othersMs > 0.1 * w.medianMs ? ` (noisy: ${sec(w.cpuMedian.othersMs)} CPU elsewhere)` : ""}`;
  rows.push(row("values served (49 columns × minors + 2 scalars), every walk", a.unix.walk.values.toLocaleString("en-US"), a.expectedValues.toLocaleString("en-US"), a.unix.walk.values === a.expectedValues));
  for (const [tag, t] of [["(x1)", a.unix], ["(x2)", a.tcp]] as const) {
    const where = t.transport === "unix" ? "Unix socket" : "TCP";
    rows.push(row(`${tag} snmpwalk, ${where}, ${n(t.walk)}`, wall(t.walk), walkTarget, t.walk.medianMs <= T.walkMs));
    rows.push(row(`${tag} … first walk after registration (builds the MIB)`, sec(t.firstWalkMs), "", null));
    const c = t.walk.cpuMedian;
    rows.push(
      row(`${tag} … CPU during a walk: snmpwalk / snmpd / daemon / anything else`, `${sec(c.clientMs)} / ${sec(c.snmpdMs)} / ${sec(c.daemonMs)} / ${sec(c.othersMs)}`, "", null),
    );
  }
  for (const t of [a.unix, a.tcp]) {
    const where = t.transport === "unix" ? "Unix socket" : "TCP";
    rows.push(row(`(x3) snmpbulkwalk -Cr10, ${where}, ${n(t.bulk10)}`, wall(t.bulk10), bulkTarget, t.bulk10.medianMs <= T.bulkwalkMs));
    const c = t.bulk10.cpuMedian;
    rows.push(row("(x3) … CPU: snmpbulkwalk / snmpd / daemon / anything else", `${sec(c.clientMs)} / ${sec(c.snmpdMs)} / ${sec(c.daemonMs)} / ${sec(c.othersMs)}`, "", null));
    rows.push(row(`(x3) snmpbulkwalk -Cr50, ${where}, ${n(t.bulk50)}`, wall(t.bulk50), "", null));
  }
  rows.push(row(`(x3) floor: snmpwalk of snmpd's own system group (${a.floorWalk.values} values)`, `${a.floorWalk.medianMs.toFixed(1)} ms`, "", null));
  if (a.ideal) {
    const w = a.ideal.walk;
    const b = a.ideal.bulk10;
    rows.push(row(`(x1') floor: snmpwalk, Unix, precomputed bun subagent, ${n(w)}`, wall(w), "", null));
    rows.push(
      row("(x1') … CPU: snmpwalk / snmpd / that subagent / anything else", `${sec(w.cpuMedian.clientMs)} / ${sec(w.cpuMedian.snmpdMs)} / ${sec(w.cpuMedian.daemonMs)} / ${sec(w.cpuMedian.othersMs)}`, "", null),
    );
    rows.push(row(`(x3') floor: snmpbulkwalk -Cr10, same subagent, ${n(b)}`, wall(b), "", null));
    rows.push(row("(x1) − (x1'): what the daemon adds to a walk", sec(a.unix.walk.medianMs - w.medianMs), "", null));
    rows.push(row("(x3) − (x3'): what the daemon adds to a bulkwalk (Unix, -Cr10)", sec(a.unix.bulk10.medianMs - b.medianMs), "", null));
  } else {
    rows.push(row("(x1') floor: snmpwalk with a precomputed subagent", `FAILED: ${a.idealError}`, "", null));
  }
  const ip = a.inProcess;
  rows.push(row("(x4a) MibView.getNext in-process, warm, per call", usOfNs(ip.viewNsPerGetNext), nextTarget, ip.viewNsPerGetNext / 1000 <= T.getNextUs));
  rows.push(row("(x4a) … first walk of a fresh view (includes its buildMib)", usOfNs(ip.viewFirstWalkNsPerGetNext), "", null));
  rows.push(row("(x4a) … MibTable.next alone", usOfNs(ip.tableNsPerNext), "", null));
  rows.push(row(`(x4a) buildMib, ${a.resources * a.volumes} minors`, `${ip.buildMibMs.toFixed(2)} ms`, "", null));
  rows.push(
    row(
      `(x4b) framer + decodePdu + respond + encodePdu, per GetNext (${ip.requestBytes} B in, ${ip.responseBytes} B out)`,
      usOfNs(ip.requestNsPerGetNext),
      nextTarget,
      ip.requestNsPerGetNext / 1000 <= T.getNextUs,
    ),
  );
  const rt = a.roundTrip;
  const fl = a.roundTripFloor;
  const trip = (r: { p50Us: number; p99Us: number; maxUs: number }): string => `${us(r.p50Us)} / ${us(r.p99Us)} / ${us(r.maxUs)}`;
  if (rt) {
    rows.push(row(`(x4c) GetNext round trip, bench master → daemon (Unix), p50 / p99 / max (${rt.samples.toLocaleString("en-US")})`, trip(rt), "", null));
    rows.push(row("(x4c) … a full walk of round trips; the daemon's CPU per GetNext", `${sec(rt.walkMs)}; ${us(rt.cpuPerRequestUs)}`, "", null));
    if (fl) {
      rows.push(row(`(x4c) floor: bare bun subagent, no MIB, p50 / p99 / max (${fl.samples.toLocaleString("en-US")})`, trip(fl), "", null));
      rows.push(row("(x4c) … its CPU per request", us(fl.cpuPerRequestUs), "", null));
      const share = round(rt.p50Us - fl.p50Us, 1);
      rows.push(row("(x4c) daemon − floor, p50: the subagent's own time per GetNext", us(share), nextTarget, share <= T.getNextUs));
    }
    const requests = a.expectedValues + 1;
    const waiting = (requests * rt.p50Us) / 1000;
    rows.push(
      row(
        `walk time waiting on the AgentX hop: ${requests.toLocaleString("en-US")} × (x4c) p50`,
        `${sec(waiting)} = ${Math.round((100 * waiting) / a.unix.walk.medianMs)} % of (x1), ${Math.round((100 * waiting) / a.tcp.walk.medianMs)} % of (x2)`,
        "",
        null,
      ),
    );
    rows.push(
      row(
        "… the rest (snmpd, snmpwalk, UDP), (x1) / (x2)",
        `${sec(a.unix.walk.medianMs - waiting)} / ${sec(a.tcp.walk.medianMs - waiting)}`,
        "",
        null,
      ),
    );
  } else {
    rows.push(row("(x4c) GetNext round trip, bench master → daemon", `FAILED: ${a.roundTripError}`, "", null));
  }
  const m = a.memory;
  rows.push(row(`(x5) VmRSS before walks / right after each of ${m.afterWalksMiB.length} snmpwalks (Unix)`, `${m.beforeWalksMiB} / ${m.afterWalksMiB.join(", ")} MiB`, "", null));
  rows.push(
    row(
      `(x5) … ${SETTLE_MS / 1000} s after each walk`,
      `${m.settledMiB.join(", ")} MiB`,
      `last ≤ walks 1–2 + ${T.rssGrowthMiB} MiB`,
      m.growthMiB <= T.rssGrowthMiB,
    ),
  );
  rows.push(row(`(x5) VmRSS after ${2 * a.unix.bulk10.runsMs.length} bulkwalks; 2 s later; VmHWM`, `${m.afterBulkwalksMiB} / ${m.idleMiB} MiB; ${m.hwmMiB} MiB`, "", null));
  return rows;
}

function printAgentxDetails(a: AgentxResult | null): void {
  if (a === null) return;
  const loads = (xs: readonly number[]): string => xs.map((x) => x.toFixed(2)).join(" ");
  const runs = (w: WalkSeries): string => `${w.command} ${w.transport}: ${w.runsMs.map((x) => sec(x)).join(", ")}`;
  console.log(
    `
walks: one net-snmp client process each (-v2c -On -t 5 -r 0), spawn → exit and end of output, against net-snmp ${a.snmpdVersion} snmpd ` +
      "(agentXTimeout 2, agentXRetries 0) on loopback UDP; every walk checked: exit 0, empty stderr, all values, same text as the first walk. " +
      "CPU: the client's rusage, snmpd's and the daemon's /proc/<pid>/stat (10 ms ticks) around each walk; " +
      '"anything else" is the machine\'s busy time (/proc/stat) less those three: other processes, the bench itself; ' +
      "about 0 on a quiet machine (slightly negative values are counter granularity). " +
      "(x4c): one GetNext outstanding at a time, each timed from write() to the data callback bringing its Response; one warm-up walk first. " +
      `VmRSS verdict: "ok" when the settled sample after the last snmpwalk is at most ${AGENTX_TARGETS.rssGrowthMiB} MiB above the higher of those after walks 1 and 2 ` +
      "(the first walk builds the MIB; right after a walk the GC has not given memory back yet, so those samples swing by several MiB). " +
      "(x1')/(x3'): a bun child process registered as the subagent instead of the daemon, answering each GetNext with a Response encoded beforehand.",
  );
  console.log(
    `${a.resources} resources × ${a.volumes} volume(s) × ${a.peers} peers, ${a.dumpLines} dump lines; registered ${a.unix.registeredMs} ms (Unix) / ${a.tcp.registeredMs} ms (TCP) after exec; ` +
      `load average before ${loads(a.loadAverageBefore)}, after ${loads(a.loadAverageAfter)}` +
      (a.daemonWarnings.length > 0 ? `; daemon warnings: ${a.daemonWarnings.join(" | ")}` : ""),
  );
  const series = [a.unix.walk, a.tcp.walk, a.unix.bulk10, a.tcp.bulk10, a.unix.bulk50, a.tcp.bulk50];
  console.log(`runs: ${series.map(runs).join("; ")}`);
  if (a.ideal) {
    console.log(
      `precomputed subagent: ${runs(a.ideal.walk)} (after one warm-up walk); ${runs(a.ideal.bulk10)}; ` +
        `${a.ideal.fromTemplates} GetNexts answered from templates, ${a.ideal.missed} without one`,
    );
  }
  if (a.roundTrip) {
    const r = a.roundTrip;
    console.log(
      `round trips: p90 ${us(r.p90Us)}, mean ${us(r.meanUs)}` +
        (a.roundTripFloor ? `; floor p90 ${us(a.roundTripFloor.p90Us)}, mean ${us(a.roundTripFloor.meanUs)}, walk ${sec(a.roundTripFloor.walkMs)}` : "") +
        (a.roundTripError ? `; ${a.roundTripError}` : ""),
    );
  }
}

/** The checked-out commit (`git log -1 --format=%h`, read-only), or null outside a git checkout. */
function headCommit(): string | null {
  try {
    const r = Bun.spawnSync(["git", "log", "-1", "--format=%h"], { cwd: ROOT, stdout: "pipe", stderr: "ignore" });
    return r.exitCode === 0 ? r.stdout.toString().trim() || null : null;
  } catch {
    return null;
  }
}

// --- main ------------------------------------------------------------------------

async function main(): Promise<number> {
  if (!existsSync(BINARY)) {
    process.stderr.write(`bench: ${BINARY} missing; run make build (or make bench)\n`);
    return 1;
  }
  const loadAtStart = loadavg();
  const dir = mkdtempSync(join(tmpdir(), "drbd-reactor-bench-"));
  const env = prepareEnv(dir);
  const cleanup = (): void => {
    killEverything(env);
    killAgentxProcesses();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (): void => {
    cleanup();
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const fullStream = join(dir, "events2-full.txt");
    const dumpStream = join(dir, "events2-dump.txt");
    const emptyStream = join(dir, "events2-empty.txt");
    const t = performance.now();
    // The prometheus part writes its own dumps; the 200k-line stream is for core and umh.
    const stream = runCore || runUmh ? writeStream(fullStream, FULL) : null;
    if (runCore) {
      writeStream(dumpStream, DUMP_ONLY);
      writeStream(emptyStream, EMPTY);
    }
    if (stream) {
      process.stderr.write(
        `bench: stream: ${stream.totalLines} lines (${stream.dumpLines} dump, ${stream.statsLines} statistics, ${stream.stateLines} state), ` +
          `${mib(stream.bytes / 1024)} MiB, generated in ${Math.round(performance.now() - t)} ms in ${dir}\n`,
      );
    }
    const full = stream as StreamStats;

    const umh: UmhResults = { latency: null, spawnFloor: null, matching: null, endToEnd: null };
    // Hook latency first, while the machine is as idle as it gets (nothing of ours has run yet).
    if (runUmh) {
      umh.latency = await measure(`(u1) event line → hook running, ${UMH_EVENTS} events`, () =>
        measureHookLatency(env, {
          binary: BINARY,
          events: UMH_EVENTS,
          warmup: UMH_WARMUP,
          gapMs: UMH_GAP_MS,
          hookTimeoutMs: 5000,
          timeoutMs: TIMEOUT_MS,
          dump: DUMP_ONLY,
        }),
      );
      umh.spawnFloor = await measure(`(u1') Bun.spawn sh -c floor, ${UMH_FLOOR_SAMPLES} runs`, () =>
        measureSpawnFloor(env, UMH_FLOOR_SAMPLES, 20, UMH_GAP_MS, 5000),
      );
    }

    // Scrape latency next, also before anything heavy has run.
    const prometheus: (PromResult | null)[] = [];
    if (runProm) {
      for (const variant of PROM_VARIANTS) {
        prometheus.push(
          await measure(`(p1)–(p5) prometheus, ${variant.name}`, () =>
            measurePrometheus(env, {
              binary: BINARY,
              seed: FULL.seed,
              variant,
              cached: PROM_CACHED,
              cachedOther: 200,
              cold: PROM_COLD,
              coldWarmup: 5,
              settleMs: 20,
              statsBursts: 10,
              burstSettleMs: 250,
              floorScrapes: 300,
              timeoutMs: TIMEOUT_MS,
            }),
          ),
        );
      }
    }

    // agentx next: also latency-sensitive (snmpd + the daemon, one request at a time).
    let agentx: AgentxResult | null = null;
    if (runAgentx) {
      agentx = await measure("(x1)–(x5) agentx, 1000 resources × 1 volume × 2 peers through snmpd", () =>
        measureAgentx(env, {
          binary: BINARY,
          seed: FULL.seed,
          resources: 1000,
          volumes: 1,
          peers: 2,
          runs: AGENTX_RUNS,
          rssWalks: AGENTX_RSS_WALKS,
          rtWalks: AGENTX_RT_WALKS,
          inProcessWalks: 10,
          timeoutMs: TIMEOUT_MS,
        }),
      );
    }

    let reference = null;
    let startup = null;
    let idle = null;
    let idleEmpty = null;
    let e2e = null;
    let inProcess = null;
    let profile = null;
    if (runCore) {
      reference = await measure("(f) cat / bare Bun line reader", () => measureReferences(fullStream, full));
      startup = await measure(`(e) exec → READY, ${READY_RUNS} runs`, () => measureStartup(env, dumpStream));
      idle = await measure("(c) idle RSS with 1000 resources", () => measureIdle(env, dumpStream));
      idleEmpty = await measure("(c) idle RSS without resources", () => measureIdle(env, emptyStream));
      e2e = await measure(`(a)+(d) end to end, ${E2E_RUNS} runs`, () => measureEndToEnd(env, fullStream, full));
      // Before (u2): its "first pass" is the cold-JIT figure of this process.
      inProcess = await measure("(b) parser + store in-process", () => measureInProcess(fullStream, full));
      profile = wantProfile ? await measure("profile of bun src/main.ts", () => profileSource(env, fullStream, full)) : null;
    }

    if (runUmh) {
      umh.matching = await measure("(u2) rule matching in-process, 100 non-matching rules", () => measureMatching(fullStream, full));
      umh.endToEnd = await measure(`(u3) end to end, [[umh]] vs [[debugger]], ${E2E_RUNS} runs each`, () =>
        measureUmhEndToEnd(env, BINARY, fullStream, full, SENTINEL_LOG, E2E_RUNS, TIMEOUT_MS),
      );
    }

    console.log(
      `\ndrbd-reactor benchmark: ${
        stream
          ? `${full.totalLines.toLocaleString("en-US")} lines (${FULL.resources} resources × ${FULL.peers} peers; ` +
            `${full.statsLines} statistics + ${full.stateLines} state change lines), ${mib(full.bytes / 1024)} MiB`
          : [runProm ? "prometheus" : null, runAgentx ? "agentx" : null].filter((x) => x !== null).join(" + ") + " plugin"
      }, commit ${headCommit() ?? "?"}, bun ${Bun.version}, ` +
        `${cpus().length} CPU(s), load average at start ${loadAtStart.map((x) => x.toFixed(2)).join(" ")}\n`,
    );

    if (runCore) {
      const rows: string[][] = [["measurement", "value", "target", ""]];
      rows.push(
        row(
          "(a) end to end, READY → consumed",
          e2e ? fmtRate(e2e.linesPerSecFromReady) : "FAILED",
          "≥ 400k lines/s",
          e2e ? e2e.linesPerSecFromReady >= TARGETS.e2eLinesPerSec : false,
        ),
      );
      rows.push(row("(a) end to end, exec → consumed", e2e ? fmtRate(e2e.linesPerSecFromExec) : "FAILED", "", null));
      rows.push(row("(b) parseLine + ResourceStore", inProcess ? fmtRate(inProcess.parseStoreLinesPerSec) : "FAILED", "", null));
      if (inProcess) {
        rows.push(row("(b) … first pass (cold JIT)", fmtRate(inProcess.parseStoreFirstPassLinesPerSec), "", null));
        rows.push(row("(b) parseLine only (warm)", fmtRate(inProcess.parseOnlyLinesPerSec), "", null));
        rows.push(row("(b) Reactor.feedLine + debugger", fmtRate(inProcess.reactorDebuggerLinesPerSec), "", null));
      }
      rows.push(
        row("(c) idle RSS, 1000 resources", idle ? `${idle.idleRssMiB} MiB` : "FAILED", "≤ 40 MiB", idle ? idle.idleRssMiB <= TARGETS.idleRssMiB : false),
      );
      rows.push(row("(c) … idle RSS, 0 resources (runtime baseline)", idleEmpty ? `${idleEmpty.idleRssMiB} MiB` : "FAILED", "", null));
      rows.push(
        row("(d) peak RSS (VmHWM) after burst", e2e ? `${e2e.peakRssMiB} MiB` : "FAILED", "≤ 80 MiB", e2e ? e2e.peakRssMiB <= TARGETS.peakRssMiB : false),
      );
      rows.push(
        row(
          `(e) exec → READY=1 (median of ${READY_RUNS})`,
          startup ? `${startup.readyMedianMs} ms` : "FAILED",
          "≤ 100 ms",
          startup ? startup.readyMedianMs <= TARGETS.readyMs : false,
        ),
      );
      if (startup) rows.push(row("(e) exec → 1000-resource dump consumed", `${startup.dumpAppliedMedianMs} ms`, "", null));
      rows.push(row("(f) cat | cat >/dev/null", reference ? fmtRate(reference.catLinesPerSec) : "FAILED", "", null));
      rows.push(row("(f) cat | bare Bun line reader (exec)", reference ? fmtRate(reference.bunReaderLinesPerSec) : "FAILED", "", null));
      if (reference) rows.push(row("(f) … reader, first chunk → EOF", fmtRate(reference.bunReaderSteadyLinesPerSec), "", null));
      if (profile) rows.push(row("profiled bun src/main.ts, READY → consumed", fmtRate(profile.run.linesPerSecFromReady), "", null));

      printTable(rows);
      if (e2e) {
        console.log(
          `\nend-to-end runs: ${e2e.runs.map((r) => `${fmtRate(r.linesPerSecFromReady)} (READY ${r.readyMs} ms, consumed ${r.consumedMs} ms, HWM ${r.peakRssMiB} MiB)`).join("; ")}`,
        );
      }
      if (idle) console.log(`idle RSS samples every 500 ms (1000 resources): ${idle.samplesMiB.join(", ")} MiB`);
      if (startup) console.log(`exec → READY runs: ${startup.readyMs.join(", ")} ms`);
      if (e2e && e2e.linesPerSecFromReady < TARGETS.e2eLinesPerSec && !wantProfile) {
        console.log("end to end is below target: `bun test/bench/run.ts --profile` shows where the time goes");
      }
      if (profile) {
        console.log(
          `\nprofile of the burst (${profile.file}${keep ? "" : ", removed at exit; --keep keeps it"}): ` +
            `window ${profile.summary.windowMs} ms, busy ${profile.summary.busyMs} ms (the rest is idle: waiting for input):`,
        );
        console.log("  self time:");
        for (const e of profile.summary.self) console.log(`    ${String(e.percent).padStart(5)} %  ${e.fn}`);
        console.log("  inclusive time:");
        for (const e of profile.summary.inclusive) console.log(`    ${String(e.percent).padStart(5)} %  ${e.fn}`);
      }
    }

    if (runUmh) {
      if (runCore) console.log("");
      printTable([["umh plugin", "value", "target", ""], ...umhRows(umh)]);
      printUmhDetails(umh);
    }

    if (runProm) {
      if (runCore || runUmh) console.log("");
      printTable([["prometheus plugin (enums = true, fetch, keep-alive on)", "value", "target", ""], ...promRows(prometheus)]);
      printPromDetails(prometheus);
    }

    if (runAgentx) {
      if (runCore || runUmh || runProm) console.log("");
      printTable([["agentx plugin (1000 × 1 × 2, peer-states on, through net-snmp snmpd)", "value", "target", ""], ...agentxRows(agentx)]);
      printAgentxDetails(agentx);
    }

    mkdirSync(join(ROOT, "build/bench"), { recursive: true });
    const result = {
      date: new Date().toISOString(),
      commit: headCommit(),
      bun: Bun.version,
      cpus: cpus().length,
      loadAverageAtStart: loadAtStart,
      only: only ?? null,
      stream: stream ? { ...FULL, ...stream } : null,
      targets: TARGETS,
      endToEnd: e2e,
      inProcess,
      idle,
      idleEmpty,
      startup,
      reference,
      profile: profile ? { run: profile.run, summary: profile.summary } : null,
      umh: runUmh ? { targets: UMH_TARGETS, ...umh } : null,
      prometheus: runProm ? { targets: PROM_TARGETS, variants: prometheus } : null,
      agentx: runAgentx ? { targets: AGENTX_TARGETS, result: agentx } : null,
      failures,
    };
    writeFileSync(RESULT_FILE, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nJSON: ${RESULT_FILE}`);
    if (failures.length > 0) {
      console.log(`\n${failures.length} measurement(s) could not be taken:\n${failures.map((f) => `  - ${f}`).join("\n")}`);
      return 1;
    }
    return 0;
  } finally {
    cleanup();
  }
}

process.exit(await main());
