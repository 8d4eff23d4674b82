/**
 * Runs hook commands: `sh -c command` with exactly the job's environment,
 * stdin from /dev/null, stdout/stderr captured and logged with the rule name.
 *
 * - Hooks run concurrently and never block the caller; at most
 *   `maxConcurrent` run at once, the rest wait in order (never dropped).
 * - Each hook gets its own process group (setsid), so a timeout or a stop
 *   kills everything the script started, not just `sh`.
 * - Every child is awaited: no zombies.
 * - {@link HookRunner.stop} lets running hooks finish within a grace period,
 *   then kills their process groups; hooks still queued are not started.
 *
 * @module
 */
import type { Logger } from "../../src/log/logger.ts";
import type { HookJob } from "./contract.ts";

/** Output kept per stream and hook; the rest is read and discarded. */
const MAX_OUTPUT_BYTES = 64 * 1024;
/** After SIGTERM to a timed-out hook's group, SIGKILL follows this much later. */
const KILL_AFTER_MS = 1000;

/** Options of a {@link HookRunner}. */
export interface HookRunnerOptions {
  readonly log: Logger;
  /** Hooks running at once; more wait in a queue. */
  readonly maxConcurrent: number;
}

interface Running {
  readonly job: HookJob;
  readonly proc: ReturnType<typeof Bun.spawn>;
  readonly done: Promise<void>;
}

/** What happened to a hook (for tests and logs). */
export interface HookOutcome {
  readonly ruleName: string;
  /** Exit status, or null when killed by a signal. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs {@link HookJob}s. */
export class HookRunner {
  readonly #log: Logger;
  readonly #max: number;
  readonly #queue: HookJob[] = [];
  readonly #running = new Set<Running>();
  #stopping = false;
  /** Called after each hook ended (tests observe outcomes through it). */
  onOutcome: ((outcome: HookOutcome) => void) | null = null;

  constructor(opts: HookRunnerOptions) {
    this.#log = opts.log;
    this.#max = opts.maxConcurrent;
  }

  /** Hooks running now. */
  get running(): number {
    return this.#running.size;
  }
  /** Hooks waiting for a free slot. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Run `job` now, or as soon as a slot is free. Never blocks, never drops. */
  submit(job: HookJob): void {
    if (this.#stopping) {
      this.#log.warn(`hook "${job.ruleName}" not started: the plugin is stopping`);
      return;
    }
    if (this.#running.size >= this.#max) {
      this.#queue.push(job);
      if (this.#queue.length % 100 === 1) {
        this.#log.info(`${this.#queue.length} hook(s) waiting: max-concurrent (${this.#max}) reached`);
      }
      return;
    }
    this.#start(job);
  }

  #start(job: HookJob): void {
    this.#log.debug(`hook "${job.ruleName}": starting sh -c ${JSON.stringify(job.command)}`);
    let proc: ReturnType<typeof Bun.spawn>;
    try {
      proc = Bun.spawn(["sh", "-c", job.command], {
        env: { ...job.env },
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
        // Own process group: a timeout or stop can kill whatever the script started.
        detached: true,
      });
    } catch (e) {
      this.#log.warn(`hook "${job.ruleName}" could not start: ${(e as Error).message}`);
      this.#next();
      return;
    }
    const entry: Running = { job, proc, done: this.#supervise(job, proc) };
    this.#running.add(entry);
    void entry.done.finally(() => {
      this.#running.delete(entry);
      this.#next();
    });
  }

  async #supervise(job: HookJob, proc: ReturnType<typeof Bun.spawn>): Promise<void> {
    let timedOut = false;
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const timer =
      job.timeoutSeconds === null
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            this.#log.warn(`hook "${job.ruleName}" timed out after ${job.timeoutSeconds} s: killing its process group`);
            killGroup(proc.pid, "SIGTERM");
            killTimer = setTimeout(() => killGroup(proc.pid, "SIGKILL"), KILL_AFTER_MS);
          }, job.timeoutSeconds * 1000);
    const [stdout, stderr] = await Promise.all([
      readCapped(proc.stdout as ReadableStream<Uint8Array>),
      readCapped(proc.stderr as ReadableStream<Uint8Array>),
    ]);
    const exitCode = await proc.exited;
    clearTimeout(timer);
    clearTimeout(killTimer);
    // Leftovers of the script (background jobs) go with it.
    killGroup(proc.pid, "SIGKILL");
    const signal = proc.signalCode ? String(proc.signalCode) : null;
    const outcome: HookOutcome = {
      ruleName: job.ruleName,
      exitCode: signal ? null : exitCode,
      signal,
      timedOut,
      stdout,
      stderr,
    };
    this.#report(outcome);
    this.onOutcome?.(outcome);
  }

  #report(o: HookOutcome): void {
    const name = `hook "${o.ruleName}"`;
    if (o.stdout) this.#log.info(`${name} stdout: ${o.stdout.trimEnd()}`);
    if (o.stderr) this.#log.info(`${name} stderr: ${o.stderr.trimEnd()}`);
    if (o.signal) {
      if (!o.timedOut) this.#log.warn(`${name} was killed by ${o.signal}`);
    } else if (o.exitCode !== 0) {
      this.#log.warn(`${name} exited with status ${o.exitCode}`);
    } else {
      this.#log.debug(`${name} finished`);
    }
  }

  #next(): void {
    while (!this.#stopping && this.#queue.length > 0 && this.#running.size < this.#max) {
      this.#start(this.#queue.shift()!);
    }
  }

  /**
   * Stop: start nothing new; running hooks get `graceMs` to finish, then
   * their process groups are killed. Resolves when every child is reaped.
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    if (this.#queue.length > 0) {
      this.#log.warn(`${this.#queue.length} queued hook(s) not started: the plugin is stopping`);
      this.#queue.length = 0;
    }
    if (this.#running.size === 0) return;
    const all = Promise.all([...this.#running].map((r) => r.done));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<"grace">((resolve) => {
      timer = setTimeout(() => resolve("grace"), graceMs);
    });
    if ((await Promise.race([all, graceOver])) === "grace") {
      for (const r of this.#running) {
        this.#log.warn(`hook "${r.job.ruleName}" still running after ${graceMs} ms at plugin stop: killing its process group`);
        killGroup(r.proc.pid, "SIGKILL");
      }
      await all;
    }
    clearTimeout(timer);
  }
}

/** Signal a process group; it may be gone already. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group has no members left.
  }
}

/** Read a stream to its end, keeping at most {@link MAX_OUTPUT_BYTES}. */
async function readCapped(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let kept = "";
  let dropped = 0;
  for await (const chunk of stream) {
    if (kept.length < MAX_OUTPUT_BYTES) kept += decoder.decode(chunk, { stream: true });
    else dropped += chunk.length;
  }
  if (kept.length > MAX_OUTPUT_BYTES) {
    dropped += kept.length - MAX_OUTPUT_BYTES;
    kept = kept.slice(0, MAX_OUTPUT_BYTES);
  }
  return dropped > 0 ? `${kept}… (${dropped} more bytes not shown)` : kept;
}
