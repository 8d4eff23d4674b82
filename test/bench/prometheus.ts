/**
 * `make bench`, prometheus plugin part (issue 4). Reports; does not assert. A
 * measurement that cannot be taken throws (run.ts records it and exits 1).
 *
 * Setup, per variant (1000 resources × 1 volume × 2 peers, and 1000 × 2
 * volumes × 3 peers): the compiled daemon with `[[prometheus]] address =
 * "127.0.0.1:0"`, `enums = true`, log level info, nothing else. Its fake
 * `drbdsetup` prints the initial dump (stream.ts, all resources Secondary and
 * connected), then `exec cat`s a FIFO the bench writes further events2 lines
 * into; its stdin (the daemon's statistics polls) is left unread. A fake
 * `drbdadm --version` reports 9.2.12 / 9.29.0. The port is read from the
 * plugin's `serving metrics on http://127.0.0.1:PORT/metrics` log line.
 *
 * Every scrape is a `fetch` from this (the bench) process, GET /metrics,
 * timed from just before `fetch()` to the last byte of the body
 * (`Response.bytes()`), so it includes the client's share. Keep-alive is ON
 * (Bun's connection pool) unless a row says otherwise; the text format 0.0.4
 * unless a row says OpenMetrics. Scrapes are sequential, back to back.
 *
 * (p1) First scrape after start: the first request after the daemon logged
 *      `initial state complete` (plus a 300 ms pause): TCP connect, first
 *      render (cold JIT) and transfer.
 * (p2) Cold: one state change, then the next scrape, which has to render
 *      (the exposition is cached per state change). The changes alternate
 *      between a role flip of one resource (one `change resource` line) and
 *      a connection loss / recovery of one peer (connection, its peer
 *      devices and its path, as drbdsetup prints them). The scrape starts
 *      `settleMs` after the lines were written, so the daemon has applied
 *      them and is idle; each scrape is checked to show the change
 *      (`drbdreactor_events_total` = every line written so far, and the
 *      changed series); a scrape that does not is not counted, and the
 *      sample is taken again after a longer pause (counted in
 *      `staleRetries`). The first `coldWarmup` samples are left out.
 * (p3) Cached: repeated scrapes of an unchanged state, keep-alive on; then
 *      keep-alive off (a new TCP connection per scrape); then with
 *      Prometheus' OpenMetrics `Accept` header (its first scrape renders the
 *      OpenMetrics text and is reported on its own). Every body is checked
 *      against the first one (length always, content every 50th).
 * (p3') Floor: a bare `Bun.serve` (same Bun, `bun` rather than a compiled
 *      binary) answering every request with the same text as a constant
 *      string, scraped the same way after the daemon stopped: what transport
 *      and the client cost for a body of this size.
 * (p3c) A second client for (p3) and (p3'): curl (when installed), one
 *      process fetching the URL `cachedOther` + 20 times over one keep-alive
 *      connection, each transfer timed by curl itself (`%{time_total}`, the
 *      first 20 left out). Bun's fetch spends noticeably more time receiving
 *      a multi-MiB body than curl does; this shows how much of (p3) is the
 *      client.
 * (p4) Statistics burst: one `change device` line per device and one
 *      `change peer-device` line per peer device, counters only (what a
 *      statistics poll prints when everything moved), then, `burstSettleMs`
 *      later, the next scrape (checked like (p2): the last resource's new
 *      written-bytes counter must be in it).
 * (p5) VmRSS of the daemon: after the dump; after the first scrape; before
 *      the cached series (after 20 warm-up scrapes), after 100 and 200 and
 *      all of its scrapes; after the cold series; after the bursts; VmHWM.
 *
 * @module
 */
import { chmodSync, closeSync, constants, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { type BenchEnv, readMemory, startDaemon, writeFakeDrbdadm } from "./harness.ts";
import { Prng } from "./prng.ts";
import { type LatencyStats, latencyStats, mibOf, round } from "./report.ts";
import {
  buildModel,
  connectionLine,
  deviceLine,
  pathLine,
  peerDeviceLine,
  type ResourceModel,
  resourceLine,
  type StreamOptions,
  toggleConnection,
  volumeMinor,
  writeStream,
} from "./stream.ts";

/** Targets of issue 4 (upstream on this machine kind, 1000 resources with enums: first 36 ms, cached p50 2.9 / p99 3.8 ms). */
export const PROM_TARGETS = {
  /** Repeated scrapes of an unchanged state, p99. */
  cachedP99Ms: 4,
  /** First scrape after a state change (and after start). */
  coldMs: 40,
};

/** One resource layout. */
export interface PromVariant {
  readonly name: string;
  readonly resources: number;
  readonly volumes: number;
  readonly peers: number;
  /** Whether the issue's targets apply (they are upstream's figures for 1000 resources). */
  readonly targets: boolean;
}

/** Options of {@link measurePrometheus}. */
export interface PromOptions {
  readonly binary: string;
  readonly seed: number;
  readonly variant: PromVariant;
  /** Cached scrapes with keep-alive (at least 200: the RSS samples are taken at 100 and 200). */
  readonly cached: number;
  /** Cached scrapes with keep-alive off, and with OpenMetrics. */
  readonly cachedOther: number;
  /** Cold samples in the percentiles. */
  readonly cold: number;
  /** Cold samples before those. */
  readonly coldWarmup: number;
  /** Pause between writing a state change and scraping. */
  readonly settleMs: number;
  readonly statsBursts: number;
  /** Pause between writing a statistics burst and scraping. */
  readonly burstSettleMs: number;
  /** Scrapes of the floor server. */
  readonly floorScrapes: number;
  readonly timeoutMs: number;
}

/** Latency figures, in ms. */
export type Latency = LatencyStats;

/** Size of one exposition. */
export interface ExpositionSize {
  readonly lines: number;
  /** Lines that are samples (not `#` comments). */
  readonly series: number;
  readonly bytes: number;
}

/** VmRSS samples of the daemon, MiB. */
export interface PromMemory {
  readonly afterDumpMiB: number;
  readonly afterFirstScrapeMiB: number;
  readonly beforeCachedMiB: number;
  readonly after100CachedMiB: number;
  readonly after200CachedMiB: number;
  readonly afterAllCachedMiB: number;
  readonly cachedScrapes: number;
  readonly afterColdMiB: number;
  readonly afterBurstsMiB: number;
  readonly hwmMiB: number;
}

/** Result of one variant. */
export interface PromResult {
  readonly variant: PromVariant;
  readonly dumpLines: number;
  readonly keepAlive: string;
  readonly readyMs: number;
  readonly dumpConsumedMs: number;
  readonly text: ExpositionSize;
  readonly openMetrics: ExpositionSize;
  /** (p1) */
  readonly firstScrapeMs: number;
  /** (p2) all cold samples, and by kind. */
  readonly cold: Latency & { readonly warmup: number; readonly settleMs: number; readonly staleRetries: number };
  readonly coldRoleFlip: Latency;
  readonly coldConnection: Latency;
  /** (p3) */
  readonly cached: Latency;
  readonly cachedNoKeepAlive: Latency;
  readonly firstOpenMetricsMs: number;
  readonly cachedOpenMetrics: Latency;
  /** (p3c) curl, cached, keep-alive; null when curl is missing or failed (see curlError). */
  readonly cachedCurl: Latency | null;
  /** (p3') */
  readonly floor: Latency | null;
  readonly floorError: string | null;
  /** (p3c) curl against the floor server. */
  readonly floorCurl: Latency | null;
  readonly curlError: string | null;
  /** (p4) */
  readonly statsBurst: Latency & { readonly linesPerBurst: number; readonly settleMs: number; readonly staleRetries: number };
  /** (p5) */
  readonly memory: PromMemory;
  readonly loadAverageBefore: readonly number[];
  readonly loadAverageAfter: readonly number[];
  /** WARN/ERROR lines the daemon logged during the run (first few). */
  readonly daemonWarnings: readonly string[];
}

const latency = (samples: readonly number[]): Latency => latencyStats(samples, 2);

function size(text: string): ExpositionSize {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return { lines: lines.length, series: lines.filter((l) => !l.startsWith("#")).length, bytes: Buffer.byteLength(text) };
}


function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'"'"'`)}'`;
}

/** What Prometheus sends by default. */
const OPENMETRICS_ACCEPT =
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

const decoder = new TextDecoder();

/** One timed scrape: `fetch` → last byte of the body. */
async function scrape(url: string, init: RequestInit = {}): Promise<{ ms: number; body: Uint8Array }> {
  const t0 = performance.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const body = await res.bytes();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}: ${decoder.decode(body.subarray(0, 200))}`);
  return { ms, body };
}

function eventsTotal(text: string): number {
  const m = /^drbdreactor_events_total (\d+)$/m.exec(text);
  if (!m) throw new Error("drbdreactor_events_total missing from the exposition");
  return Number(m[1]);
}

/**
 * The bench's end of the events FIFO (held open read-write, so `cat` never
 * sees EOF and the bench never blocks on open). Non-blocking writes with a
 * deadline: a dead reader cannot hang the bench.
 */
class EventsFifo {
  readonly fd: number;

  constructor(readonly path: string) {
    const made = Bun.spawnSync(["mkfifo", "-m", "600", path], { stdout: "ignore", stderr: "pipe" });
    if (made.exitCode !== 0) throw new Error(`mkfifo ${path}: ${made.stderr.toString().trim()}`);
    this.fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  }

  async write(text: string, timeoutMs = 10_000): Promise<void> {
    const buf = Buffer.from(text);
    const deadline = performance.now() + timeoutMs;
    let off = 0;
    while (off < buf.length) {
      try {
        off += writeSync(this.fd, buf, off, buf.length - off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
        if (performance.now() > deadline) throw new Error(`events FIFO full for ${timeoutMs} ms: is the fake drbdsetup still reading?`);
        await Bun.sleep(1);
      }
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** The daemon's metrics URL from its log, once the plugin logged it. */
async function metricsUrl(stderr: () => string, timeoutMs: number): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const m = /serving metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(stderr());
    if (m) return m[1]!;
    if (performance.now() > deadline) throw new Error(`the prometheus plugin did not log its address within ${timeoutMs} ms`);
    await Bun.sleep(5);
  }
}

/**
 * (p3c): `n` transfers of `url` by one curl process over one keep-alive
 * connection after 20 warm-up ones, each timed by curl; every transfer must be
 * a 200 with `bytes` bytes. Null when curl is not installed.
 */
async function curlSeries(dir: string, url: string, n: number, bytes: number): Promise<Latency | null> {
  const curl = Bun.which("curl");
  if (curl === null) return null;
  const warmup = 20;
  const config = join(dir, "curl.cfg");
  const entry = `url = ${JSON.stringify(url)}\noutput = "/dev/null"\n`;
  writeFileSync(config, entry.repeat(warmup + n));
  const proc = Bun.spawn([curl, "-sS", "--noproxy", "*", "-K", config, "-w", "%{http_code} %{size_download} %{time_total}\n"], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const killer = setTimeout(() => proc.kill("SIGKILL"), 120_000);
  try {
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) throw new Error(`curl exited with ${code}: ${err.trim().slice(0, 200)}`);
    const rows = out.trim().split("\n");
    if (rows.length !== warmup + n) throw new Error(`curl reported ${rows.length} transfers, expected ${warmup + n}`);
    const samples: number[] = [];
    rows.forEach((r, i) => {
      const [status, size, seconds] = r.split(" ");
      if (status !== "200" || Number(size) !== bytes) throw new Error(`curl transfer ${i}: HTTP ${status}, ${size} bytes (expected ${bytes})`);
      if (i >= warmup) samples.push(Number(seconds) * 1000);
    });
    return latency(samples);
  } finally {
    clearTimeout(killer);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    await proc.exited;
  }
}

/** A bare Bun.serve in a child process that answers every request with the text of `bodyFile`; for (p3') and (p3c). */
async function measureFloor(dir: string, text: string, scrapes: number): Promise<{ fetch: Latency; curl: Latency | null; curlError: string | null }> {
  const bodyFile = join(dir, "floor-body.txt");
  const script = join(dir, "floor-server.ts");
  writeFileSync(bodyFile, text);
  writeFileSync(
    script,
    [
      "// Transport floor for the prometheus bench: the same bytes from a constant string.",
      "const text = await Bun.file(process.argv[2]!).text();",
      'const headers = { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" };',
      'const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(text, { headers }) });',
      "console.log(server.port);",
      "",
    ].join("\n"),
  );
  const proc = Bun.spawn([process.execPath, script, bodyFile], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  try {
    const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
    let out = "";
    const deadline = performance.now() + 10_000;
    while (!out.includes("\n")) {
      const chunk = await Promise.race([reader.read(), Bun.sleep(Math.max(1, deadline - performance.now())).then(() => null)]);
      if (chunk === null) throw new Error("floor server did not report its port within 10 s");
      if (chunk.done) throw new Error(`floor server ended: ${await new Response(proc.stderr).text()}`);
      out += decoder.decode(chunk.value);
    }
    reader.releaseLock();
    const url = `http://127.0.0.1:${Number(out.trim())}/metrics`;
    const expected = Buffer.byteLength(text);
    for (let i = 0; i < 20; i++) await scrape(url);
    const samples: number[] = [];
    for (let i = 0; i < scrapes; i++) {
      const r = await scrape(url);
      if (r.body.length !== expected) throw new Error(`floor server sent ${r.body.length} bytes, expected ${expected}`);
      samples.push(r.ms);
    }
    let curl: Latency | null = null;
    let curlError: string | null = null;
    try {
      curl = await curlSeries(dir, url, scrapes, expected);
    } catch (e) {
      curlError = (e as Error).message;
    }
    return { fetch: latency(samples), curl, curlError };
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
  }
}

/** Run one variant. */
export async function measurePrometheus(base: BenchEnv, opts: PromOptions): Promise<PromResult> {
  const { variant } = opts;
  if (opts.cached < 200) throw new Error("at least 200 cached scrapes are needed (RSS samples at 100 and 200)");
  const dir = join(base.dir, `prometheus-${variant.resources}x${variant.volumes}x${variant.peers}`);
  const binDir = join(dir, "bin");
  mkdirSync(binDir, { recursive: true });
  mkdirSync(join(dir, "snippets"), { recursive: true });
  // Shares base's PID file, so run.ts's emergency cleanup covers the fake drbdsetup too.
  const env: BenchEnv = { dir, binDir, config: join(dir, "drbd-reactor.toml"), pidFile: base.pidFile };

  const streamOpts: StreamOptions = {
    seed: opts.seed,
    resources: variant.resources,
    peers: variant.peers,
    volumes: variant.volumes,
    changeLines: 0,
    statsShare: 0,
  };
  const dumpFile = join(dir, "events2-dump.txt");
  const dump = writeStream(dumpFile, streamOpts);
  // The same seed gives the same model as the dump (stream.ts builds it first, from a fresh Prng).
  const model = buildModel(new Prng(opts.seed), variant.resources, variant.peers);
  if (model.length === 0) throw new Error("the prometheus bench needs at least one resource");

  const events = new EventsFifo(join(dir, "events.fifo"));
  try {
    writeFileSync(
      join(binDir, "drbdsetup"),
      [
        "#!/bin/sh",
        "# prometheus bench stand-in for drbdsetup events2: the initial dump, then every line the bench writes",
        '# into the events FIFO. stdin (the daemon\'s "n" statistics polls) is left unread.',
        'echo $$ >> "$BENCH_PIDFILE"',
        'cat "$BENCH_STREAM" || exit 1',
        `exec cat ${shellQuote(events.path)}`,
        "",
      ].join("\n"),
    );
    writeFakeDrbdadm(binDir);
    chmodSync(join(binDir, "drbdsetup"), 0o755);
    writeFileSync(
      env.config,
      [
        `snippets = ${JSON.stringify(join(dir, "snippets"))}`,
        "",
        "[[log]]",
        'level = "info"',
        "",
        "[[prometheus]]",
        'address = "127.0.0.1:0"',
        "enums = true",
        "",
      ].join("\n"),
    );

    const loadBefore = loadavg();
    const run = startDaemon(env, { argv: [opts.binary] }, dumpFile, `initial state complete: ${variant.resources} resource(s)`, opts.timeoutMs);
    let running = true;
    const stop = async (): Promise<void> => {
      if (!running) return;
      running = false;
      await stopQuietly(run);
    };
    try {
      const readyMs = await run.ready;
      const dumpConsumedMs = await run.sentinel;
      const url = await metricsUrl(() => run.stderr(), opts.timeoutMs);
      await Bun.sleep(300);
      const rss = (): number => {
        const m = readMemory(run.pid);
        if (!m) throw new Error("the daemon vanished");
        return mibOf(m.vmRss);
      };
      const afterDump = rss();

      // (p1) first scrape.
      const first = await scrape(url);
      const firstText = decoder.decode(first.body);
      let written = eventsTotal(firstText);
      const r0 = model[0]!;
      const checks = [
        `drbd_resource_resources ${variant.resources}`,
        `drbd_resource_role{name="${r0.name}",drbd_resource_role="Secondary"} 1`,
        `drbd_device_state{name="${r0.name}",volume="${variant.volumes - 1}",minor="${volumeMinor(r0, variant.volumes - 1)}",drbd_device_state="UpToDate"} 1`,
        `drbd_version{kmod="9.2.12",utils="9.29.0"} 1`,
      ];
      for (const c of checks) if (!firstText.includes(c)) throw new Error(`first scrape lacks ${JSON.stringify(c)}`);
      const afterFirst = rss();

      // (p3) cached, keep-alive on; RSS before, after 100, after 200, at the end.
      for (let i = 0; i < 20; i++) await scrape(url);
      const reference = (await scrape(url)).body;
      const referenceText = decoder.decode(reference);
      if (eventsTotal(referenceText) !== written) throw new Error("the state changed while nothing was written");
      const same = (body: Uint8Array, i: number, what: string): void => {
        if (body.length !== reference.length || (i % 50 === 0 && decoder.decode(body) !== referenceText)) {
          throw new Error(`${what} scrape ${i}: the body differs from the first one (${body.length} vs ${reference.length} bytes)`);
        }
      };
      const beforeCached = rss();
      let after100 = Number.NaN;
      let after200 = Number.NaN;
      const cached: number[] = [];
      for (let i = 1; i <= opts.cached; i++) {
        const r = await scrape(url);
        same(r.body, i, "cached");
        cached.push(r.ms);
        if (i === 100) after100 = rss();
        if (i === 200) after200 = rss();
      }
      const afterAllCached = rss();

      // (p3c) curl, same state.
      let cachedCurl: Latency | null = null;
      let curlError: string | null = null;
      try {
        cachedCurl = await curlSeries(dir, url, opts.cachedOther, reference.length);
        if (cachedCurl === null) curlError = "curl is not installed";
      } catch (e) {
        curlError = (e as Error).message;
      }
      if (eventsTotal(decoder.decode((await scrape(url)).body)) !== written) throw new Error("the state changed during the curl series");

      // (p3) keep-alive off.
      const noKeepAlive: number[] = [];
      for (let i = 0; i < opts.cachedOther; i++) {
        const r = await scrape(url, { keepalive: false });
        same(r.body, i, "keep-alive off");
        noKeepAlive.push(r.ms);
      }

      // (p3) OpenMetrics, as Prometheus asks: the first renders.
      const omInit: RequestInit = { headers: { Accept: OPENMETRICS_ACCEPT } };
      const omFirst = await scrape(url, omInit);
      const omText = decoder.decode(omFirst.body);
      if (!omText.endsWith("# EOF\n")) throw new Error("the OpenMetrics exposition does not end with # EOF");
      const om: number[] = [];
      for (let i = 0; i < 20; i++) await scrape(url, omInit);
      for (let i = 0; i < opts.cachedOther; i++) {
        const r = await scrape(url, omInit);
        if (r.body.length !== omFirst.body.length) throw new Error(`OpenMetrics scrape ${i}: ${r.body.length} bytes, expected ${omFirst.body.length}`);
        om.push(r.ms);
      }

      // (p2) cold: one state change, then the next scrape.
      const coldAll: number[] = [];
      const coldRole: number[] = [];
      const coldConn: number[] = [];
      let coldStale = 0;
      /** Scrape until the exposition shows `expect` and every line written; a stale scrape is retried after a longer pause. */
      const scrapeChanged = async (expect: string, what: string, settleMs: number): Promise<{ ms: number; stale: number }> => {
        await Bun.sleep(settleMs);
        for (let attempt = 0; attempt < 4; attempt++) {
          const r = await scrape(url);
          const text = decoder.decode(r.body);
          if (eventsTotal(text) === written && text.includes(expect)) return { ms: r.ms, stale: attempt };
          await Bun.sleep(200 * (attempt + 1));
        }
        throw new Error(`${what}: the scrape does not show the change (${JSON.stringify(expect)}, events ${written})`);
      };
      let roleNext = 0;
      let connNext = 0;
      for (let i = 0; i < opts.coldWarmup + opts.cold; i++) {
        const lines: string[] = [];
        let expect: string;
        const isRole = i % 2 === 0;
        if (isRole) {
          const r = model[roleNext++ % model.length]!;
          const promote = r.role === "Secondary";
          r.role = promote ? "Primary" : "Secondary";
          r.mayPromote = !promote;
          r.promotionScore = promote ? 10101 : 10102;
          lines.push(resourceLine("change", r));
          expect = `drbd_resource_role{name="${r.name}",drbd_resource_role="${r.role}"} 1`;
        } else {
          const r = model[model.length - 1 - (connNext++ % model.length)]!;
          const p = r.peers[0]!;
          toggleConnection(p);
          lines.push(connectionLine("change", r, p));
          for (let v = 0; v < variant.volumes; v++) lines.push(peerDeviceLine("change", r, p, v));
          lines.push(pathLine("change", r, p));
          expect = `drbd_connection_state{name="${r.name}",conn_name="${p.connName}",peer_node_id="${p.nodeId}",drbd_connection_state="${p.connection}"} 1`;
        }
        await events.write(`${lines.join("\n")}\n`);
        written += lines.length;
        const got = await scrapeChanged(expect, `cold sample ${i}`, opts.settleMs);
        coldStale += got.stale;
        if (i >= opts.coldWarmup) {
          coldAll.push(got.ms);
          (isRole ? coldRole : coldConn).push(got.ms);
        }
      }
      const afterCold = rss();

      // (p4) statistics bursts: every device and peer device, counters only.
      const burst: number[] = [];
      let burstStale = 0;
      let linesPerBurst = 0;
      for (let b = 0; b < opts.statsBursts; b++) {
        const lines = statisticsBurst(model, variant.volumes, b);
        linesPerBurst = lines.length;
        await events.write(`${lines.join("\n")}\n`);
        written += lines.length;
        const last = model.at(-1)!;
        const expect = `drbd_device_written_bytes_total{name="${last.name}",volume="0",minor="${last.minor}"} ${last.written * 1024}`;
        const got = await scrapeChanged(expect, `statistics burst ${b}`, opts.burstSettleMs);
        burstStale += got.stale;
        burst.push(got.ms);
      }
      const afterBursts = rss();
      const hwm = mibOf(readMemory(run.pid)?.vmHwm);

      const warnings = run
        .stderr()
        .split("\n")
        .filter((l) => /\b(WARN|ERROR)\b/.test(l))
        .slice(0, 5);

      // The daemon is done; (p3') runs after it stopped.
      await stop();
      let floor: Latency | null = null;
      let floorCurl: Latency | null = null;
      let floorError: string | null = null;
      try {
        const f = await measureFloor(dir, referenceText, opts.floorScrapes);
        floor = f.fetch;
        floorCurl = f.curl;
        curlError ??= f.curlError;
      } catch (e) {
        floorError = (e as Error).message;
      }

      return {
        variant,
        dumpLines: dump.dumpLines,
        keepAlive: "on (Bun fetch connection pool) unless stated",
        readyMs: round(readyMs),
        dumpConsumedMs: round(dumpConsumedMs),
        text: size(referenceText),
        openMetrics: size(omText),
        firstScrapeMs: round(first.ms, 2),
        cold: { ...latency(coldAll), warmup: opts.coldWarmup, settleMs: opts.settleMs, staleRetries: coldStale },
        coldRoleFlip: latency(coldRole),
        coldConnection: latency(coldConn),
        cached: latency(cached),
        cachedNoKeepAlive: latency(noKeepAlive),
        firstOpenMetricsMs: round(omFirst.ms, 2),
        cachedOpenMetrics: latency(om),
        cachedCurl,
        floor,
        floorError,
        floorCurl,
        curlError,
        statsBurst: { ...latency(burst), linesPerBurst, settleMs: opts.burstSettleMs, staleRetries: burstStale },
        memory: {
          afterDumpMiB: afterDump,
          afterFirstScrapeMiB: afterFirst,
          beforeCachedMiB: beforeCached,
          after100CachedMiB: after100,
          after200CachedMiB: after200,
          afterAllCachedMiB: afterAllCached,
          cachedScrapes: opts.cached,
          afterColdMiB: afterCold,
          afterBurstsMiB: afterBursts,
          hwmMiB: hwm,
        },
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadavg(),
        daemonWarnings: warnings,
      };
    } catch (e) {
      throw new Error(`${(e as Error).message}; daemon stderr: ${run.stderr().slice(-1000)}`);
    } finally {
      await stop();
    }
  } finally {
    events.close();
  }
}

/** Stop the daemon; report an unclean end. */
async function stopQuietly(run: { stop(): Promise<{ exitCode: number | null; signal: string | null }>; stderr(): string }): Promise<void> {
  const end = await run.stop();
  if (end.exitCode !== 0) {
    process.stderr.write(`bench: daemon ended with ${end.exitCode ?? end.signal}; stderr:\n${run.stderr().slice(-2000)}\n`);
  }
}


/** One statistics poll where every counter moved: a device line per volume and a peer-device line per peer and volume. */
function statisticsBurst(model: ResourceModel[], volumes: number, round_: number): string[] {
  const out: string[] = [];
  for (const r of model) {
    const kib = 4 * (1 + ((round_ * 7 + r.minor) % 64));
    r.written += kib;
    r.read += kib >> 1;
    r.alWrites += 1;
    r.upperPending = round_ % 3;
    r.lowerPending = (round_ + 1) % 3;
    for (let v = 0; v < volumes; v++) out.push(deviceLine("change", r, false, v));
    for (const p of r.peers) {
      if (p.connection === "Connected") {
        if (r.role === "Primary") p.sent += kib;
        else p.received += kib;
      }
      p.pending = round_ % 2;
      p.unacked = (round_ + 1) % 2;
      for (let v = 0; v < volumes; v++) out.push(peerDeviceLine("change", r, p, v));
    }
  }
  return out;
}
