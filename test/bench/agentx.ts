/**
 * `make bench`, agentx plugin part (issue 5). Reports; does not assert. A
 * measurement that cannot be taken throws (run.ts records it and exits 1).
 *
 * Setup: 1000 resources × 1 volume × 2 peers (all Secondary, connected,
 * UpToDate), `peer-states` on: 49 columns × 1000 minors + 2 scalars = 49,002
 * values. A real net-snmp `snmpd` (test/helpers/snmpd.ts: a plain foreground
 * process, free ports, AgentX master on a Unix socket and on TCP,
 * `agentXTimeout 2`, `agentXRetries 0`, nothing read from /etc/snmp). The
 * compiled daemon with one `[[agentx]]` (defaults otherwise: cache-max 60,
 * peer-states on), log level info; its fake `drbdsetup` prints the initial
 * dump (stream.ts) and then reads its stdin (the daemon's statistics polls)
 * without ever printing more, so the state never changes during the walks; a
 * fake `drbdadm --version` reports 9.2.12 / 9.29.0. "Registered" is the
 * daemon's `registered LINBIT-DRBD-MIB` log line.
 *
 * Every walk is one net-snmp client process (`-v2c -On -t 5 -r 0`, stdout
 * into a pipe the bench reads), timed from just before the spawn to its exit
 * and the end of its output; it must exit 0, print nothing on stderr, print
 * the expected number of values (the trailing "No more variables left in
 * this MIB View" line is not a value) and the same text as the first walk of
 * its series (the state does not change). The CPU time of the client (its
 * rusage), of snmpd and of the daemon (/proc/<pid>/stat, 10 ms ticks) during
 * each walk is recorded too.
 *
 * (x1) `snmpwalk` of .1.3.6.1.4.1.23302 through snmpd, the daemon on the Unix
 *      socket: the first walk after registration (it builds the MIB: cold),
 *      then `runs` walks (median).
 * (x2) The same with the daemon started again on `tcp:127.0.0.1:PORT`
 *      (upstream's only transport; the upstream figures are TCP).
 * (x3) `snmpbulkwalk` (`-Cr10`, its default, and `-Cr50`), `runs` each, over
 *      both transports. snmpd turns every repetition into its own AgentX
 *      GetNext (spec monitoring.md §5.5), so the subagent sees as many
 *      requests as for a walk.
 *      Floor: `snmpwalk` of the system group (.1.3.6.1.2.1.1, a few values
 *      served by snmpd itself): client start-up and one SNMP exchange per value.
 * (x1')/(x3') Floor for the walks: between the Unix and the TCP daemon runs,
 *      a `bun` child process registers with snmpd (Unix socket) as a
 *      subagent that answers each GetNext of a walk with a Response encoded
 *      beforehand (only the ids patched in): `runs` + 1 snmpwalks (the first,
 *      warming its JIT, left out) and `runs` snmpbulkwalks -Cr10.
 *      The difference to (x1)/(x3) is what the daemon adds to a walk.
 * (x4) The subagent's time per GetNext:
 *      (a) in the bench process, warm, over a ResourceStore fed the same
 *          dump: `MibView.getNext` (one range, as snmpd sends it: start =
 *          the previous name, include 0, end .1.3.6.1.4.1.23303) walking the
 *          whole MIB, ns per call; also `MibTable.next` alone, and the time
 *          of one `buildMib` (what the first walk pays once);
 *      (b) the whole in-process request path: PduFramer.push/next →
 *          decodePdu(GetNext bytes) → respond() → encodePdu(Response), per
 *          request (the requests are encoded beforehand, little-endian as
 *          snmpd sends them to a subagent that opened little-endian);
 *      (c) from outside: a small AgentX master in the bench (Bun.listen on
 *          a Unix socket, the project's codec) that the compiled daemon
 *          registers with; it sends the GetNexts of `rtWalks` full walks
 *          back to back, one outstanding at a time, each timed from just
 *          before `write()` to the entry of the `data` callback that brings
 *          its Response (the bench's decode is outside the window); one
 *          warm-up walk first (it builds the MIB). Floor: the same against a
 *          bare `bun` subagent that answers every request with an empty
 *          Response from the request's header bytes (no MIB, no codec):
 *          what the socket hops and two event loops cost.
 * (x5) VmRSS of the daemon (Unix run): before the first walk; right after
 *      each of `rssWalks` snmpwalks (the first and the timed ones among them)
 *      and again 2 s later (JSC's GC gives memory back when idle, so the
 *      samples right after a walk swing by several MiB; the settled ones are
 *      compared); after the bulkwalks and 2 s later; VmHWM at the end.
 *
 * Each snmpwalk also records the machine's busy CPU time (/proc/stat) less
 * that of the client, snmpd and the daemon: "anything else", i.e. the bench
 * and whatever else runs on this shared machine. When it is large, the walk
 * times are not the subagent's.
 *
 * Where the walk's time goes: values × (x4c) round trip p50 is how long the
 * walk waits on the subagent (its work plus the AgentX socket hops); the
 * rest is snmpd, the client and their UDP exchange. The CPU times say the
 * same from the other side.
 *
 * @module
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import type { Socket, UnixSocketListener } from "bun";
import { MibView } from "../../plugins/agentx/mib-view.ts";
import { buildMib, LINBIT_OID, MIB_COLUMNS } from "../../plugins/agentx/mib.ts";
import { compareOid, decodePdu, encodePdu, formatOid, PduFramer } from "../../plugins/agentx/protocol/index.ts";
import { type Oid, type Pdu, PduType, ResponseError, ValueType } from "../../plugins/agentx/protocol/types.ts";
import { respond } from "../../plugins/agentx/responder.ts";
import type { ResourceStore } from "../../src/core/state.ts";
import type { DrbdVersions } from "../../src/drbd/version.ts";
import { COMMUNITY, parseWalk, Snmpd } from "../helpers/snmpd.ts";
import { storeFromLines } from "../helpers/store.ts";
import { type BenchEnv, type DaemonRun, readMemory, startDaemon, writeFakeDrbdadm } from "./harness.ts";
import { Prng } from "./prng.ts";
import { median, mibOf, percentile, round } from "./report.ts";
import { buildModel, type StreamOptions, writeStream } from "./stream.ts";

/** Targets of issue 5 (upstream on this machine kind, TCP: walk 5.4–6.0 s, bulkwalk 3.6 s). */
export const AGENTX_TARGETS = {
  /** Full snmpwalk of 1000 minors: no slower than upstream's best. */
  walkMs: 5400,
  /** Full snmpbulkwalk (default -Cr10). */
  bulkwalkMs: 3600,
  /** Per GetNext inside the subagent. */
  getNextUs: 30,
  /** "No RSS growth across walks": how far the sample after the last walk may exceed those after walks 1 and 2. */
  rssGrowthMiB: 1,
};

/** Options of {@link measureAgentx}. */
export interface AgentxOptions {
  readonly binary: string;
  readonly seed: number;
  readonly resources: number;
  readonly volumes: number;
  readonly peers: number;
  /** Timed walks per series (median reported); the first walk after registration is extra. */
  readonly runs: number;
  /** snmpwalks on the Unix daemon with an RSS sample after each (at least runs + 1). */
  readonly rssWalks: number;
  /** Full walks of round trips in (x4c), after one warm-up walk. */
  readonly rtWalks: number;
  /** In-process walks per figure in (x4a)/(x4b), after two warm-up walks. */
  readonly inProcessWalks: number;
  readonly timeoutMs: number;
}

/** CPU time spent during one walk, ms. */
export interface WalkCpu {
  readonly clientMs: number;
  readonly snmpdMs: number;
  readonly daemonMs: number;
  /** Busy CPU time of the whole machine (/proc/stat) minus the three above: the bench itself and everything else running. */
  readonly othersMs: number;
}

/** One series of walks with the same tool and arguments. */
export interface WalkSeries {
  /** e.g. `snmpwalk` or `snmpbulkwalk -Cr10`. */
  readonly command: string;
  readonly transport: "unix" | "tcp";
  readonly runsMs: readonly number[];
  readonly medianMs: number;
  readonly minMs: number;
  readonly values: number;
  /** Per-process medians over the runs. */
  readonly cpuMedian: WalkCpu;
}

/** One transport's results. */
export interface TransportResult {
  readonly transport: "unix" | "tcp";
  readonly address: string;
  /** exec → `registered LINBIT-DRBD-MIB` logged. */
  readonly registeredMs: number;
  /** The first walk after registration (builds the MIB). */
  readonly firstWalkMs: number;
  readonly firstWalkValues: number;
  readonly walk: WalkSeries;
  readonly bulk10: WalkSeries;
  readonly bulk50: WalkSeries;
}

/** (x4a)/(x4b). */
export interface InProcess {
  readonly values: number;
  readonly buildMibMs: number;
  readonly viewNsPerGetNext: number;
  readonly viewFirstWalkNsPerGetNext: number;
  readonly tableNsPerNext: number;
  readonly requestNsPerGetNext: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
}

/** Round trips, µs. */
export interface RoundTrips {
  /** CPU time of the answering process per round trip over the timed walks, µs. */
  readonly cpuPerRequestUs: number;
  readonly samples: number;
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  readonly meanUs: number;
  /** Wall time of one full walk of round trips (median), ms. */
  readonly walkMs: number;
}

/** (x5), MiB. */
export interface AgentxMemory {
  readonly beforeWalksMiB: number;
  /** Right after each snmpwalk on the Unix daemon (the first is the cold one). */
  readonly afterWalksMiB: readonly number[];
  /** The same, {@link SETTLE_MS} later (the GC returns memory when idle; these are the ones compared). */
  readonly settledMiB: readonly number[];
  readonly afterBulkwalksMiB: number;
  /** 2 s after the last walk. */
  readonly idleMiB: number;
  readonly hwmMiB: number;
  /** settled after walk K − max(settled after walks 1 and 2): the level the first walks set must hold. */
  readonly growthMiB: number;
}

/** Everything measured. */
export interface AgentxResult {
  readonly resources: number;
  readonly volumes: number;
  readonly peers: number;
  readonly expectedValues: number;
  readonly dumpLines: number;
  readonly unix: TransportResult;
  readonly tcp: TransportResult;
  /** snmpwalk of the system group (snmpd alone). */
  readonly floorWalk: { readonly medianMs: number; readonly values: number };
  /** Walks through snmpd with the precomputed subagent (Unix); null on failure (see idealError). */
  readonly ideal: { readonly walk: WalkSeries; readonly bulk10: WalkSeries; readonly fromTemplates: number; readonly missed: number } | null;
  readonly idealError: string | null;
  readonly inProcess: InProcess;
  /** (x4c) against the compiled daemon; null when it could not be taken (see roundTripError). */
  readonly roundTrip: RoundTrips | null;
  readonly roundTripFloor: RoundTrips | null;
  readonly roundTripError: string | null;
  readonly memory: AgentxMemory;
  readonly snmpdVersion: string;
  readonly loadAverageBefore: readonly number[];
  readonly loadAverageAfter: readonly number[];
  readonly daemonWarnings: readonly string[];
}

const LINBIT = formatOid(LINBIT_OID);
/** The end of snmpd's SearchRange for our registration. */
const END_OID: Oid = [1, 3, 6, 1, 4, 1, 23303];
const VERSIONS: DrbdVersions = { kmod: "9.2.12", utils: "9.29.0" };
const CLK_TCK = 100;
/** Pause after a walk before the second RSS sample. */
export const SETTLE_MS = 2000;

/** Processes started by this module (snmpd, clients, the floor subagent), for an emergency cleanup. */
const livePids = new Set<number>();

/** KILL every process of this module still running (by PID); for run.ts's SIGINT/SIGTERM cleanup. */
export function killAgentxProcesses(): void {
  for (const pid of livePids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  livePids.clear();
}


/** Busy time of all CPUs together (user, nice, system, irq, softirq, steal) from /proc/stat, ms. */
function machineBusyMs(): number {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    return ((f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) * 1000) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/** utime + stime of `pid` in ms (10 ms resolution), or NaN when it is gone. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may contain spaces): state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

interface WalkRun {
  readonly ms: number;
  readonly values: number;
  readonly text: string;
  readonly cpu: WalkCpu;
}

/** One client run; throws unless it exited 0 with an empty stderr. */
async function runClient(snmpd: Snmpd, daemonPid: number | undefined, tool: string, extra: readonly string[], oid: string, timeoutMs: number): Promise<WalkRun> {
  const snmpd0 = cpuMs(snmpd.pid);
  const daemon0 = cpuMs(daemonPid);
  const busy0 = machineBusyMs();
  const t0 = performance.now();
  const proc = Bun.spawn([tool, "-v2c", "-c", COMMUNITY, "-On", "-t", "5", "-r", "0", ...extra, snmpd.snmpTarget, oid], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  livePids.add(proc.pid);
  const killer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  try {
    const [text, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    const ms = performance.now() - t0;
    const command = `${tool} ${[...extra, oid].join(" ")}`;
    if (code !== 0) throw new Error(`${command} exited with ${code ?? proc.signalCode}: ${err.trim().slice(0, 300)}`);
    if (err !== "") throw new Error(`${command} printed on stderr: ${err.trim().slice(0, 300)}`);
    const busy = machineBusyMs() - busy0;
    const usage = proc.resourceUsage();
    const clientMs = usage ? Number(usage.cpuTime.total) / 1000 : Number.NaN;
    const snmpdMs = cpuMs(snmpd.pid) - snmpd0;
    const daemonMs = daemonPid === undefined ? 0 : cpuMs(daemonPid) - daemon0;
    return {
      ms,
      values: parseWalk(text).size,
      text,
      cpu: { clientMs: round(clientMs), snmpdMs: round(snmpdMs), daemonMs: round(daemonMs), othersMs: round(busy - clientMs - snmpdMs - daemonMs) },
    };
  } finally {
    clearTimeout(killer);
    livePids.delete(proc.pid);
  }
}

function cpuMedian(runs: readonly WalkRun[]): WalkCpu {
  return {
    clientMs: round(median(runs.map((r) => r.cpu.clientMs))),
    snmpdMs: round(median(runs.map((r) => r.cpu.snmpdMs))),
    daemonMs: round(median(runs.map((r) => r.cpu.daemonMs))),
    othersMs: round(median(runs.map((r) => r.cpu.othersMs))),
  };
}

/** `runs` walks of the subtree with `tool extra…`; every one must match `reference` (or the first one). */
async function walkSeries(
  snmpd: Snmpd,
  daemonPid: number,
  transport: "unix" | "tcp",
  tool: string,
  extra: readonly string[],
  runs: number,
  expected: number,
  reference: string | null,
  timeoutMs: number,
  afterEach: (run: WalkRun) => void | Promise<void> = () => {},
): Promise<{ series: WalkSeries; reference: string }> {
  const all: WalkRun[] = [];
  let ref = reference;
  for (let i = 0; i < runs; i++) {
    const r = await runClient(snmpd, daemonPid, tool, extra, `.${LINBIT}`, timeoutMs);
    if (r.values !== expected) throw new Error(`${tool} ${extra.join(" ")} (${transport}) returned ${r.values} values, expected ${expected}`);
    ref ??= r.text;
    if (r.text !== ref) throw new Error(`${tool} ${extra.join(" ")} (${transport}), run ${i + 1}: output differs from the first walk though nothing changed`);
    all.push(r);
    await afterEach(r);
  }
  const ms = all.map((r) => r.ms);
  return {
    series: {
      command: [tool, ...extra].join(" "),
      transport,
      runsMs: ms.map((x) => round(x)),
      medianMs: round(median(ms)),
      minMs: round(Math.min(...ms)),
      values: expected,
      cpuMedian: cpuMedian(all),
    },
    reference: ref!,
  };
}

/** Spot checks of the first walk's text against the generated model. */
function checkWalk(text: string, names: readonly string[], firstMinor: number, peers: number): void {
  const lastMinor = firstMinor + names.length - 1;
  const t = `.${LINBIT}.1.2.1`;
  const want = [
    `.${LINBIT}.1.1.1 = STRING: "${VERSIONS.kmod}"`,
    `.${LINBIT}.1.1.2 = STRING: "${VERSIONS.utils}"`,
    `${t}.1.${firstMinor} = INTEGER: ${firstMinor}`,
    `${t}.2.${firstMinor} = STRING: "${names[0]}"`,
    `${t}.2.${lastMinor} = STRING: "${names.at(-1)}"`,
    `${t}.3.${lastMinor} = STRING: "Secondary"`,
    `${t}.24.${lastMinor} = INTEGER: ${peers}`,
    // PeerReplEstablished (column 36): every peer.
    `${t}.36.${lastMinor} = INTEGER: ${peers}`,
  ];
  for (const line of want) if (!text.includes(`${line}\n`)) throw new Error(`the first walk lacks ${JSON.stringify(line)}`);
}

// --- (x4a)/(x4b) in-process ---------------------------------------------------------

function storeFromDump(dumpFile: string): ResourceStore {
  return storeFromLines(readFileSync(dumpFile, "utf8").split("\n").filter((line) => line !== ""));
}

/** Walk the subtree with `step`; returns the names of every value, in order, and the number of calls (values + 1). */
function walkAll(step: (start: Oid) => { name: Oid; ended: boolean }): { names: Oid[]; calls: number } {
  const names: Oid[] = [];
  let start: Oid = LINBIT_OID;
  for (let calls = 1; ; calls++) {
    const r = step(start);
    if (r.ended) return { names, calls };
    names.push(r.name);
    start = r.name;
  }
}

/** Calls of one walk with `step`, for timing (no names kept). */
function countWalk(step: (start: Oid) => Oid | null): number {
  let start: Oid = LINBIT_OID;
  for (let calls = 1; ; calls++) {
    const name = step(start);
    if (name === null) return calls;
    start = name;
  }
}

/** ns per call: median over `walks` timed walks after `warmup` ones. */
function nsPerCall(walks: number, warmup: number, fn: () => number): { ns: number; firstNs: number } {
  const per: number[] = [];
  let firstNs = Number.NaN;
  for (let i = 0; i < warmup + walks; i++) {
    const t = Bun.nanoseconds();
    const calls = fn();
    const ns = (Bun.nanoseconds() - t) / calls;
    if (i === 0) firstNs = ns;
    if (i >= warmup) per.push(ns);
  }
  return { ns: Math.round(median(per)), firstNs: Math.round(firstNs) };
}

function getNextRequest(start: Oid, i: number, sessionId: number): Uint8Array {
  return encodePdu({
    type: PduType.GetNext,
    flags: 0,
    sessionId,
    transactionId: 1000 + i,
    packetId: 100_000 + i,
    ranges: [{ start, include: false, end: END_OID }],
  });
}

/** What the in-process part leaves for the rest: the names of a walk and every Response of a walk, encoded. */
interface InProcessExtras {
  readonly names: Oid[];
  /** Encoded Response (ids zero, little-endian) to a GetNext from the start named by the key (dotted). */
  readonly templates: Map<string, Uint8Array>;
}

function measureInProcess(dumpFile: string, expected: number, walks: number): InProcess & InProcessExtras {
  const store = storeFromDump(dumpFile);
  const errors: string[] = [];
  const onError = (m: string): void => {
    errors.push(m);
  };

  // buildMib: what the first walk after a change pays once.
  const builds: number[] = [];
  let table = buildMib(store.resources(), VERSIONS, { peerStates: true }, onError);
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    table = buildMib(store.resources(), VERSIONS, { peerStates: true }, onError);
    builds.push(performance.now() - t);
  }
  if (errors.length > 0) throw new Error(`buildMib reported: ${errors.slice(0, 3).join("; ")}`);
  if (table.size !== expected) throw new Error(`the MIB has ${table.size} values, expected ${expected}`);

  // (x4a) MibView.getNext, one range per call as snmpd sends it. A fresh view: its first walk builds the MIB.
  const view = new MibView({ store, versions: VERSIONS, peerStates: true, cacheMaxMs: 60_000, onError });
  const viewStep = (start: Oid): Oid | null => {
    const vb = view.getNext([{ start, include: false, end: END_OID }])[0]!;
    return vb.value.type === ValueType.EndOfMibView ? null : vb.name;
  };
  const viewTimes = nsPerCall(walks, 2, () => countWalk(viewStep));
  const { names, calls } = walkAll((start) => {
    const n = viewStep(start);
    return n === null ? { name: start, ended: true } : { name: n, ended: false };
  });
  if (names.length !== expected || calls !== expected + 1) throw new Error(`MibView walk: ${names.length} values in ${calls} calls, expected ${expected}`);

  const tableStep = (start: Oid): Oid | null => {
    const vb = table.next(start, false, END_OID);
    return vb.value.type === ValueType.EndOfMibView ? null : vb.name;
  };
  const tableTimes = nsPerCall(walks, 2, () => countWalk(tableStep));

  // (x4b) framer → decode → respond → encode, per request, on requests encoded beforehand.
  const requests = [LINBIT_OID, ...names].map((start, i) => getNextRequest(start, i, 7));
  const requestBytes = requests.reduce((a, r) => a + r.length, 0);
  let responseBytes = 0;
  const templates = new Map<string, Uint8Array>();
  // Once, checked: every response names the next value, the last one is endOfMibView.
  {
    const framer = new PduFramer();
    requests.forEach((req, i) => {
      framer.push(req);
      const reply = respond(decodePdu(framer.next()!), view);
      if (reply.kind !== "respond") throw new Error(`request ${i}: no response`);
      const out = encodePdu(reply.pdu);
      responseBytes += out.length;
      templates.set(formatOid(i === 0 ? LINBIT_OID : names[i - 1]!), encodePdu({ ...reply.pdu, sessionId: 0, transactionId: 0, packetId: 0 }));
      const back = decodePdu(out);
      if (back.type !== PduType.Response || back.error !== ResponseError.NoError || back.varbinds.length !== 1) throw new Error(`request ${i}: bad response`);
      const vb = back.varbinds[0]!;
      if (i < names.length ? compareOid(vb.name, names[i]!) !== 0 : vb.value.type !== ValueType.EndOfMibView) {
        throw new Error(`request ${i}: the response names ${formatOid(vb.name)}`);
      }
    });
  }
  let sink = 0;
  const requestTimes = nsPerCall(walks, 2, () => {
    const framer = new PduFramer();
    for (let i = 0; i < requests.length; i++) {
      framer.push(requests[i]!);
      const reply = respond(decodePdu(framer.next()!), view);
      if (reply.kind === "respond") sink += encodePdu(reply.pdu).length;
    }
    return requests.length;
  });
  if (sink === 0) throw new Error("no response was encoded");

  return {
    names,
    templates,
    values: names.length,
    buildMibMs: round(median(builds), 2),
    viewNsPerGetNext: viewTimes.ns,
    viewFirstWalkNsPerGetNext: viewTimes.firstNs,
    tableNsPerNext: tableTimes.ns,
    requestNsPerGetNext: requestTimes.ns,
    requestBytes: Math.round(requestBytes / requests.length),
    responseBytes: Math.round(responseBytes / requests.length),
  };
}

// --- (x4c) a master in the bench ------------------------------------------------------

/**
 * A minimal AgentX master: accepts one subagent at a time, answers its Open
 * (session 77), Register, Ping and Close with success, and lets the bench
 * send it requests one at a time.
 */
class BenchMaster {
  readonly #listener: UnixSocketListener<undefined>;
  #socket: Socket<undefined> | null = null;
  #framer = new PduFramer();
  #waiter: ((r: { pdu: Pdu; at: number }) => void) | null = null;
  #registered: (() => void) | null = null;
  #closed: ((why: string) => void) | null = null;
  readonly sessionId = 77;

  constructor(readonly path: string) {
    this.#listener = Bun.listen({
      unix: path,
      socket: {
        open: (socket) => {
          this.#socket?.end();
          this.#socket = socket;
          this.#framer = new PduFramer();
        },
        data: (socket, chunk) => {
          // Taken first: the bench's own decoding is not part of the round trip.
          const at = performance.now();
          if (socket !== this.#socket) return;
          this.#framer.push(chunk);
          for (let bytes = this.#framer.next(); bytes !== null; bytes = this.#framer.next()) this.#handle(socket, decodePdu(bytes), at);
        },
        close: (socket) => {
          if (socket === this.#socket) {
            this.#socket = null;
            this.#closed?.("the subagent closed the connection");
          }
        },
        error: (socket, e) => {
          if (socket === this.#socket) this.#closed?.(`connection error: ${e.message}`);
        },
      },
    });
  }

  #handle(socket: Socket<undefined>, pdu: Pdu, at: number): void {
    if (pdu.type === PduType.Response) {
      const w = this.#waiter;
      this.#waiter = null;
      w?.({ pdu, at });
      return;
    }
    const answer = (sessionId: number): void => {
      socket.write(
        encodePdu({
          type: PduType.Response,
          flags: pdu.flags & 0x10,
          sessionId,
          transactionId: pdu.transactionId,
          packetId: pdu.packetId,
          sysUpTime: 0,
          error: ResponseError.NoError,
          index: 0,
          varbinds: [],
        }),
      );
    };
    if (pdu.type === PduType.Open) answer(this.sessionId);
    else if (pdu.type === PduType.Register) {
      answer(pdu.sessionId);
      this.#registered?.();
    } else answer(pdu.sessionId);
  }

  /** Resolves once a subagent registered (call before it connects). */
  registration(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no subagent registered with the bench master within ${timeoutMs} ms`)), timeoutMs);
      this.#registered = () => {
        clearTimeout(timer);
        this.#registered = null;
        resolve();
      };
    });
  }

  /**
   * Send each request and wait for its Response before the next; returns
   * the round trips in µs. `check(i, pdu)` validates each Response (outside
   * the timed window).
   */
  async roundTrips(requests: readonly Uint8Array[], check: (i: number, pdu: Pdu) => void): Promise<Float64Array> {
    const socket = this.#socket;
    if (socket === null) throw new Error("no subagent connected to the bench master");
    const out = new Float64Array(requests.length);
    let failed: string | null = null;
    this.#closed = (why) => {
      failed ??= why;
      const w = this.#waiter;
      this.#waiter = null;
      w?.({ pdu: null as unknown as Pdu, at: Number.NaN });
    };
    // One watchdog for the series (a timer per request would sit inside the timed window).
    let done = 0;
    let seen = -1;
    const watchdog = setInterval(() => {
      if (done === seen) this.#closed?.(`no Response to request ${done} within 5 s`);
      seen = done;
    }, 5000);
    try {
      for (let i = 0; i < requests.length; i++) {
        const req = requests[i]!;
        const answered = new Promise<{ pdu: Pdu; at: number }>((resolve) => {
          this.#waiter = resolve;
        });
        const t0 = performance.now();
        const written = socket.write(req);
        if (written !== req.length) throw new Error(`short write to the subagent (${written} of ${req.length} bytes)`);
        const r = await answered;
        if (failed !== null) throw new Error(failed);
        out[i] = (r.at - t0) * 1000;
        check(i, r.pdu);
        done = i + 1;
      }
    } finally {
      clearInterval(watchdog);
      this.#closed = null;
    }
    return out;
  }

  stop(): void {
    this.#socket?.end();
    this.#listener.stop(true);
  }
}

function roundTripStats(walks: readonly Float64Array[], cpuMsTotal: number): RoundTrips {
  const samples = walks.flatMap((w) => Array.from(w));
  const n = samples.length;
  if (n === 0) throw new Error("no round trips");
  const sum = (xs: Iterable<number>): number => {
    let total = 0;
    for (const x of xs) total += x;
    return total;
  };
  const pct = (p: number): number => round(percentile(samples, p), 1);
  return {
    cpuPerRequestUs: round((cpuMsTotal * 1000) / n, 1),
    samples: n,
    p50Us: pct(50),
    p90Us: pct(90),
    p99Us: pct(99),
    maxUs: pct(100),
    meanUs: round(sum(samples) / n, 1),
    walkMs: round(median(walks.map((w) => sum(w) / 1000))),
  };
}

/** Requests of one full walk (names from the in-process walk) and the check of their Responses. */
function walkRequests(names: readonly Oid[], sessionId: number): { requests: Uint8Array[]; check: (i: number, pdu: Pdu) => void } {
  const requests = [LINBIT_OID, ...names].map((start, i) => getNextRequest(start, i, sessionId));
  const check = (i: number, pdu: Pdu): void => {
    if (pdu.type !== PduType.Response || pdu.packetId !== 100_000 + i) throw new Error(`request ${i}: answered by packet ${pdu.packetId}`);
    const vb = pdu.varbinds[0];
    if (vb === undefined) throw new Error(`request ${i}: a Response without varbinds`);
    if (i < names.length ? compareOid(vb.name, names[i]!) !== 0 : vb.value.type !== ValueType.EndOfMibView) {
      throw new Error(`request ${i}: the Response names ${formatOid(vb.name)}`);
    }
  };
  return { requests, check };
}

// --- a precomputed subagent ---------------------------------------------------------------

/**
 * The fastest subagent this runtime can be, for (x1')/(x3'): a `bun` child
 * process that registers with snmpd and answers every GetNext of a walk with
 * its Response encoded beforehand (only the ids patched in; anything it has
 * no template for gets processingError, which fails the walk's check). Walks
 * through snmpd with it show what snmpd, the client and the transport cost
 * on their own. SIGTERM makes it print `answered missed` and leave.
 */
async function startPrecomputedSubagent(
  dir: string,
  socketPath: string,
  templates: Map<string, Uint8Array>,
  timeoutMs: number,
): Promise<{ pid: number; stop(): Promise<{ answered: number; missed: number }> }> {
  const file = join(dir, "precomputed-responses.bin");
  const parts: Uint8Array[] = [];
  for (const [key, tpl] of templates) {
    const k = Buffer.from(key, "latin1");
    const head = Buffer.alloc(2);
    head.writeUInt16LE(k.length);
    const len = Buffer.alloc(2);
    len.writeUInt16LE(tpl.length);
    parts.push(head, k, len, tpl);
  }
  writeFileSync(file, Buffer.concat(parts));
  const script = join(dir, "precomputed-subagent.ts");
  const codec = resolve(import.meta.dir, "../../plugins/agentx/protocol/index.ts");
  writeFileSync(
    script,
    [
      "// Precomputed subagent for the agentx bench (test/bench/agentx.ts): Open + Register with snmpd, then every",
      "// GetNext answered with the Response encoded beforehand for its start OID, ids patched in.",
      'import { readFileSync, writeSync } from "node:fs";',
      `import { decodePdu, encodePdu, formatOid, PduFramer, PduType } from ${JSON.stringify(codec)};`,
      "const [path, file] = process.argv.slice(2) as [string, string];",
      "const raw = readFileSync(file);",
      "const templates = new Map<string, Uint8Array>();",
      "for (let at = 0; at < raw.length; ) {",
      "  const kl = raw.readUInt16LE(at);",
      '  const key = raw.toString("latin1", at + 2, at + 2 + kl);',
      "  const tl = raw.readUInt16LE(at + 2 + kl);",
      "  templates.set(key, new Uint8Array(raw.subarray(at + 4 + kl, at + 4 + kl + tl)));",
      "  at += 4 + kl + tl;",
      "}",
      "const id = [1, 3, 6, 1, 4, 1, 23302];",
      "let answered = 0;",
      "let missed = 0;",
      "let step = 0;",
      "const framer = new PduFramer();",
      "const socket = await Bun.connect({",
      "  unix: path,",
      "  socket: {",
      "    data(s, chunk) {",
      "      framer.push(chunk);",
      "      for (let b = framer.next(); b !== null; b = framer.next()) {",
      "        const pdu = decodePdu(b);",
      "        if (pdu.type === PduType.Response) {",
      "          if (pdu.error !== 0) {",
      "            writeSync(1, `refused ${pdu.error}\\n`);",
      "            process.exit(1);",
      "          }",
      "          if (step === 0) {",
      "            step = 1;",
      "            s.write(encodePdu({ type: PduType.Register, flags: 0, sessionId: pdu.sessionId, transactionId: 0, packetId: 2, timeout: 0, priority: 127, rangeSubid: 0, subtree: id }));",
      "          } else if (step === 1) {",
      "            step = 2;",
      '            writeSync(1, "registered\\n");',
      "          }",
      "          continue;",
      "        }",
      "        const r = pdu.type === PduType.GetNext && pdu.flags === 0 && pdu.ranges.length === 1 ? pdu.ranges[0]! : null;",
      "        const tpl = r !== null && !r.include ? templates.get(formatOid(r.start)) : undefined;",
      "        if (tpl === undefined) {",
      "          missed++;",
      "          s.write(encodePdu({ type: PduType.Response, flags: pdu.flags & 0x10, sessionId: pdu.sessionId, transactionId: pdu.transactionId, packetId: pdu.packetId, sysUpTime: 0, error: 268, index: 0, varbinds: [] }));",
      "          continue;",
      "        }",
      "        const out = tpl.slice();",
      "        const dv = new DataView(out.buffer);",
      "        dv.setUint32(4, pdu.sessionId, true);",
      "        dv.setUint32(8, pdu.transactionId, true);",
      "        dv.setUint32(12, pdu.packetId, true);",
      "        s.write(out);",
      "        answered++;",
      "      }",
      "    },",
      "    close() {",
      "      process.exit(0);",
      "    },",
      "  },",
      "});",
      'process.on("SIGTERM", () => {',
      "  writeSync(1, `${answered} ${missed}\\n`);",
      "  socket.end();",
      "  process.exit(0);",
      "});",
      'socket.write(encodePdu({ type: PduType.Open, flags: 0, sessionId: 0, transactionId: 0, packetId: 1, timeout: 0, id, description: new TextEncoder().encode("agentx bench: precomputed subagent") }));',
      "",
    ].join("\n"),
  );
  const proc = Bun.spawn([process.execPath, script, socketPath, file], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  livePids.add(proc.pid);
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let out = "";
  const kill = async (): Promise<void> => {
    proc.kill("SIGKILL");
    await proc.exited;
    livePids.delete(proc.pid);
  };
  try {
    const deadline = performance.now() + timeoutMs;
    while (!out.includes("registered\n")) {
      const chunk = await Promise.race([reader.read(), Bun.sleep(Math.max(1, deadline - performance.now())).then(() => null)]);
      if (chunk === null) throw new Error(`the precomputed subagent did not register within ${timeoutMs} ms`);
      if (chunk.done) throw new Error(`the precomputed subagent ended: ${out.trim()} ${(await new Response(proc.stderr).text()).trim().slice(0, 300)}`);
      out += decoder.decode(chunk.value, { stream: true });
    }
  } catch (e) {
    await kill();
    throw e;
  }
  return {
    pid: proc.pid,
    async stop() {
      proc.kill("SIGTERM");
      const killer = setTimeout(() => proc.kill("SIGKILL"), 3000);
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) out += decoder.decode(chunk.value, { stream: true });
      await proc.exited;
      clearTimeout(killer);
      livePids.delete(proc.pid);
      const m = /(\d+) (\d+)\n/.exec(out.slice(out.indexOf("registered\n")));
      return { answered: m ? Number(m[1]) : Number.NaN, missed: m ? Number(m[2]) : Number.NaN };
    },
  };
}

// --- the daemon ------------------------------------------------------------------------

interface Subagent {
  readonly run: DaemonRun;
  readonly registeredMs: number;
  stop(): Promise<void>;
}

/** Start the compiled daemon with `[[agentx]] address = …` and wait until it registered. */
async function startSubagent(env: BenchEnv, binary: string, dumpFile: string, resources: number, address: string, timeoutMs: number): Promise<Subagent> {
  writeFileSync(
    env.config,
    [
      `snippets = ${JSON.stringify(join(env.dir, "snippets"))}`,
      "",
      "[[log]]",
      'level = "info"',
      "",
      "[[agentx]]",
      `address = ${JSON.stringify(address)}`,
      "",
    ].join("\n"),
  );
  const t0 = performance.now();
  const run = startDaemon(env, { argv: [binary] }, dumpFile, `initial state complete: ${resources} resource(s)`, timeoutMs);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const end = await run.stop();
    if (end.exitCode !== 0) process.stderr.write(`bench: daemon ended with ${end.exitCode ?? end.signal}; stderr:\n${run.stderr().slice(-2000)}\n`);
  };
  try {
    await run.ready;
    await run.sentinel;
    const deadline = performance.now() + timeoutMs;
    while (!/registered LINBIT-DRBD-MIB/.test(run.stderr())) {
      if (performance.now() > deadline) throw new Error(`the daemon did not register with the AgentX master at ${address} within ${timeoutMs} ms`);
      await Bun.sleep(5);
    }
    return { run, registeredMs: round(performance.now() - t0), stop };
  } catch (e) {
    const message = `${(e as Error).message}; daemon stderr: ${run.stderr().slice(-1000)}`;
    await stop();
    throw new Error(message);
  }
}

/** (x4c) against the compiled daemon, then against the floor subagent. */
async function measureRoundTrips(
  env: BenchEnv,
  opts: AgentxOptions,
  dumpFile: string,
  names: readonly Oid[],
): Promise<{ daemon: RoundTrips; floor: RoundTrips | null; floorError: string | null }> {
  const socketPath = join(env.dir, "bench-master.sock");
  const master = new BenchMaster(socketPath);
  try {
    const registered = master.registration(opts.timeoutMs);
    registered.catch(() => {});
    const sub = await startSubagent(env, opts.binary, dumpFile, opts.resources, `unix:${socketPath}`, opts.timeoutMs);
    let daemon: RoundTrips;
    try {
      await registered;
      const { requests, check } = walkRequests(names, master.sessionId);
      await master.roundTrips(requests, check); // warm-up: builds the MIB
      const walks: Float64Array[] = [];
      const cpu0 = cpuMs(sub.run.pid);
      for (let i = 0; i < opts.rtWalks; i++) walks.push(await master.roundTrips(requests, check));
      daemon = roundTripStats(walks, cpuMs(sub.run.pid) - cpu0);
    } catch (e) {
      throw new Error(`${(e as Error).message}; daemon stderr: ${sub.run.stderr().slice(-1000)}`);
    } finally {
      await sub.stop();
    }

    // Floor: a bare subagent answering from the header bytes.
    let floor: RoundTrips | null = null;
    let floorError: string | null = null;
    const script = join(env.dir, "floor-subagent.ts");
    const codec = resolve(import.meta.dir, "../../plugins/agentx/protocol/index.ts");
    writeFileSync(
      script,
      [
        "// Transport floor for the agentx bench: Open + Register, then every request answered with an empty",
        "// Response built from its header bytes (no MIB, no decoding).",
        `import { encodePdu, PduFramer, PduType } from ${JSON.stringify(codec)};`,
        "const framer = new PduFramer();",
        "const socket = await Bun.connect({",
        "  unix: process.argv[2]!,",
        "  socket: {",
        "    data(s, chunk) {",
        "      framer.push(chunk);",
        "      for (let b = framer.next(); b !== null; b = framer.next()) {",
        "        if (b[1] === PduType.Response) continue;",
        "        const out = new Uint8Array(28);",
        "        out.set(b.subarray(0, 16));",
        "        out[1] = PduType.Response;",
        "        out[2] = b[2]! & 0x10;",
        "        new DataView(out.buffer).setUint32(16, 8, (b[2]! & 0x10) === 0);",
        "        s.write(out);",
        "      }",
        "    },",
        "    close() { process.exit(0); },",
        "  },",
        "});",
        "const id = [1, 3, 6, 1, 4, 1, 23302];",
        'socket.write(encodePdu({ type: PduType.Open, flags: 0, sessionId: 0, transactionId: 0, packetId: 1, timeout: 0, id, description: new TextEncoder().encode("agentx bench floor") }));',
        "socket.write(encodePdu({ type: PduType.Register, flags: 0, sessionId: 77, transactionId: 0, packetId: 2, timeout: 0, priority: 127, rangeSubid: 0, subtree: id }));",
        "",
      ].join("\n"),
    );
    const registeredFloor = master.registration(10_000);
    registeredFloor.catch(() => {});
    const proc = Bun.spawn([process.execPath, script, socketPath], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    livePids.add(proc.pid);
    try {
      await registeredFloor;
      const { requests } = walkRequests(names, master.sessionId);
      const check = (i: number, pdu: Pdu): void => {
        if (pdu.type !== PduType.Response || pdu.packetId !== 100_000 + i) throw new Error(`floor: request ${i} answered by packet ${pdu.packetId}`);
      };
      await master.roundTrips(requests, check);
      const walks: Float64Array[] = [];
      const cpu0 = cpuMs(proc.pid);
      for (let i = 0; i < opts.rtWalks; i++) walks.push(await master.roundTrips(requests, check));
      floor = roundTripStats(walks, cpuMs(proc.pid) - cpu0);
    } catch (e) {
      floorError = (e as Error).message;
    } finally {
      proc.kill("SIGKILL");
      await proc.exited;
      livePids.delete(proc.pid);
      if (floorError !== null) {
        const err = await new Response(proc.stderr).text();
        if (err.trim() !== "") floorError += `; floor subagent stderr: ${err.trim().slice(0, 300)}`;
      }
    }
    return { daemon, floor, floorError };
  } finally {
    master.stop();
  }
}

// --- the whole part -----------------------------------------------------------------------

/** Run everything (see the module doc). */
export async function measureAgentx(base: BenchEnv, opts: AgentxOptions): Promise<AgentxResult> {
  if (opts.rssWalks < opts.runs + 1) throw new Error(`rssWalks (${opts.rssWalks}) must be at least runs + 1 (${opts.runs + 1})`);
  const dir = join(base.dir, `agentx-${opts.resources}x${opts.volumes}x${opts.peers}`);
  const binDir = join(dir, "bin");
  mkdirSync(binDir, { recursive: true });
  mkdirSync(join(dir, "snippets"), { recursive: true });
  // Shares base's PID file, so run.ts's emergency cleanup covers the fake drbdsetup too.
  const env: BenchEnv = { dir, binDir, config: join(dir, "drbd-reactor.toml"), pidFile: base.pidFile };

  const streamOpts: StreamOptions = { seed: opts.seed, resources: opts.resources, peers: opts.peers, volumes: opts.volumes, changeLines: 0, statsShare: 0 };
  const dumpFile = join(dir, "events2-dump.txt");
  const dump = writeStream(dumpFile, streamOpts);
  const model = buildModel(new Prng(opts.seed), opts.resources, opts.peers);
  if (model.length === 0) throw new Error("the agentx bench needs at least one resource");
  const expected = 2 + opts.resources * opts.volumes * MIB_COLUMNS.length;

  writeFileSync(
    join(binDir, "drbdsetup"),
    [
      "#!/bin/sh",
      "# agentx bench stand-in for drbdsetup events2: the initial dump, then nothing more; stdin (the daemon's",
      '# "n" statistics polls) is read and dropped; fd 3 keeps stdout open (EOF there would make the daemon respawn us).',
      'echo $$ >> "$BENCH_PIDFILE"',
      'cat "$BENCH_STREAM" || exit 1',
      "exec cat 3>&1 >/dev/null",
      "",
    ].join("\n"),
  );
  writeFakeDrbdadm(binDir);
  chmodSync(join(binDir, "drbdsetup"), 0o755);

  // In-process first (nothing else running), and it gives the names the bench master asks for.
  const inProcess = measureInProcess(dumpFile, expected, opts.inProcessWalks);
  const { names, templates, ...inProcessResult } = inProcess;

  const loadBefore = loadavg();
  const snmpdBinary = Bun.which("snmpd") ?? Bun.which("snmpd", { PATH: "/usr/sbin:/usr/bin" });
  const snmpdVersion = snmpdBinary ? (/NET-SNMP version:\s*(\S+)/.exec(Bun.spawnSync([snmpdBinary, "-v"]).stdout.toString())?.[1] ?? "?") : "?";
  const snmpd = await Snmpd.start(join(dir, "snmpd"));
  const snmpdPid = snmpd.pid;
  if (snmpdPid !== undefined) livePids.add(snmpdPid);
  const warnings: string[] = [];
  const collectWarnings = (run: DaemonRun): void => {
    for (const l of run.stderr().split("\n")) if (/\b(WARN|ERROR)\b/.test(l) && warnings.length < 5) warnings.push(l);
  };
  try {
    // snmpd alone: the system group.
    const floorRuns: WalkRun[] = [];
    for (let i = 0; i < opts.runs; i++) floorRuns.push(await runClient(snmpd, undefined, "snmpwalk", [], ".1.3.6.1.2.1.1", opts.timeoutMs));
    const floorWalk = {
      medianMs: round(median(floorRuns.map((r) => r.ms))),
      values: floorRuns[0]!.text.split("\n").filter((l) => l.includes(" = ")).length,
    };

    /** (x1)/(x2), (x3), and with `withMemory` (x5), on one transport. */
    const transport = async (
      kind: "unix" | "tcp",
      withMemory: boolean,
    ): Promise<{ result: TransportResult; memory: AgentxMemory | null; reference: string }> => {
      const address = kind === "unix" ? `unix:${snmpd.agentxSocket}` : `tcp:127.0.0.1:${snmpd.agentxTcpPort}`;
      const sub = await startSubagent(env, opts.binary, dumpFile, opts.resources, address, opts.timeoutMs);
      try {
        const pid = sub.run.pid;
        const rss = (): number => {
          const m = readMemory(pid);
          if (!m) throw new Error("the daemon vanished");
          return mibOf(m.vmRss);
        };
        await Bun.sleep(200);
        const beforeWalks = rss();
        const afterWalks: number[] = [];
        const settled: number[] = [];
        const sample = async (): Promise<void> => {
          afterWalks.push(rss());
          if (withMemory) {
            await Bun.sleep(SETTLE_MS);
            settled.push(rss());
          }
        };
        const first = await runClient(snmpd, pid, "snmpwalk", [], `.${LINBIT}`, opts.timeoutMs);
        await sample();
        if (first.values !== expected) throw new Error(`the first snmpwalk (${kind}) returned ${first.values} values, expected ${expected}`);
        checkWalk(first.text, model.map((r) => r.name), model[0]!.minor, opts.peers);
        const walk = await walkSeries(snmpd, pid, kind, "snmpwalk", [], opts.runs, expected, first.text, opts.timeoutMs, sample);
        // More walks, untimed, until rssWalks walks have an RSS sample.
        while (withMemory && afterWalks.length < opts.rssWalks) {
          const r = await runClient(snmpd, pid, "snmpwalk", [], `.${LINBIT}`, opts.timeoutMs);
          if (r.text !== first.text) throw new Error(`snmpwalk (${kind}) for the RSS series: output differs from the first walk`);
          await sample();
        }
        const bulk10 = await walkSeries(snmpd, pid, kind, "snmpbulkwalk", ["-Cr10"], opts.runs, expected, first.text, opts.timeoutMs);
        const bulk50 = await walkSeries(snmpd, pid, kind, "snmpbulkwalk", ["-Cr50"], opts.runs, expected, first.text, opts.timeoutMs);
        const afterBulk = rss();
        await Bun.sleep(SETTLE_MS);
        const idle = rss();
        const hwm = mibOf(readMemory(pid)?.vmHwm);
        collectWarnings(sub.run);
        return {
          reference: first.text,
          result: {
            transport: kind,
            address,
            registeredMs: sub.registeredMs,
            firstWalkMs: round(first.ms),
            firstWalkValues: first.values,
            walk: walk.series,
            bulk10: bulk10.series,
            bulk50: bulk50.series,
          },
          memory: withMemory
            ? {
                beforeWalksMiB: beforeWalks,
                afterWalksMiB: afterWalks,
                settledMiB: settled,
                afterBulkwalksMiB: afterBulk,
                idleMiB: idle,
                hwmMiB: hwm,
                growthMiB: round(settled.at(-1)! - Math.max(settled[0]!, settled[1]!), 1),
              }
            : null,
        };
      } catch (e) {
        throw new Error(`${(e as Error).message}; daemon stderr: ${sub.run.stderr().slice(-1000)}`);
      } finally {
        await sub.stop();
      }
    };

    const unix = await transport("unix", true);

    // The precomputed subagent (a bun child process), Unix socket: snmpd, the client and the transport alone.
    let ideal: AgentxResult["ideal"] = null;
    let idealError: string | null = null;
    try {
      const sub = await startPrecomputedSubagent(dir, snmpd.agentxSocket, templates, opts.timeoutMs);
      let stopped = false;
      try {
        const walk = await walkSeries(snmpd, sub.pid, "unix", "snmpwalk", [], opts.runs + 1, expected, unix.reference, opts.timeoutMs);
        const bulk10 = await walkSeries(snmpd, sub.pid, "unix", "snmpbulkwalk", ["-Cr10"], opts.runs, expected, unix.reference, opts.timeoutMs);
        stopped = true;
        const counts = await sub.stop();
        // The first walk warms the subagent's JIT up: left out.
        const timed = walk.series.runsMs.slice(1);
        ideal = {
          walk: { ...walk.series, runsMs: timed, medianMs: round(median(timed)), minMs: round(Math.min(...timed)) },
          bulk10: bulk10.series,
          fromTemplates: counts.answered,
          missed: counts.missed,
        };
      } finally {
        if (!stopped) await sub.stop();
      }
      // snmpd drops the registration on EOF; give it a moment before the next subagent registers.
      await Bun.sleep(200);
    } catch (e) {
      idealError = (e as Error).message;
    }

    const tcp = await transport("tcp", false);
    await snmpd.stop();

    // (x4c) after snmpd is gone: only the daemon and the bench run.
    let roundTrip: RoundTrips | null = null;
    let roundTripFloor: RoundTrips | null = null;
    let roundTripError: string | null = null;
    try {
      const rt = await measureRoundTrips(env, opts, dumpFile, names);
      roundTrip = rt.daemon;
      roundTripFloor = rt.floor;
      roundTripError = rt.floorError === null ? null : `floor: ${rt.floorError}`;
    } catch (e) {
      roundTripError = (e as Error).message;
    }

    return {
      resources: opts.resources,
      volumes: opts.volumes,
      peers: opts.peers,
      expectedValues: expected,
      dumpLines: dump.dumpLines,
      unix: unix.result,
      tcp: tcp.result,
      floorWalk,
      ideal,
      idealError,
      inProcess: inProcessResult,
      roundTrip,
      roundTripFloor,
      roundTripError,
      memory: unix.memory!,
      snmpdVersion,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadavg(),
      daemonWarnings: warnings,
    };
  } finally {
    await snmpd.stop();
    if (snmpdPid !== undefined) livePids.delete(snmpdPid);
  }
}
