/**
 * Runs `drbdsetup events2 --full --poll` and hands its lines to a sink,
 * forever: when drbdsetup exits or cannot start, it says why once and tries
 * again every 2 s (spec core.md §1).
 *
 * - `n\n` goes to drbdsetup's stdin right away and every poll interval: each
 *   one makes drbdsetup print the objects whose statistics changed.
 * - drbdsetup's stderr goes to the log: libgenl's `<N>…` chatter at debug,
 *   anything else at warn (once per distinct line while it keeps failing).
 * - Lines are delivered in order; between reads the source awaits the sink's
 *   backpressure promise, so a slow consumer stalls drbdsetup instead of
 *   growing a queue.
 *
 * @module
 */
import type { Logger } from "../log/logger.ts";

/** drbdsetup's command line: all resources, full lines, statistics on demand. */
export const EVENTS2_COMMAND = ["drbdsetup", "events2", "--full", "--poll"] as const;
/** Delay between an exit (or failed start) and the next attempt. */
export const RESPAWN_DELAY_MS = 2000;
/** Longest line accepted; longer ones are counted and skipped (a sane events2 line is < 1 KiB). */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

/** Where lines go. */
export interface LineSink {
  /** A new drbdsetup was started; `respawn` is false for the very first one. */
  started(respawn: boolean): void;
  /** One line without its newline. */
  line(text: string): void;
  /** A line longer than {@link MAX_LINE_BYTES} was skipped. */
  tooLong(length: number): void;
  /** Backpressure: null to go on reading, or a promise to await first. */
  capacity(): Promise<void> | null;
  /** drbdsetup exited or could not start (for counters and status). */
  stopped?(reason: string): void;
}

/** Options of an {@link Events2Source}. */
export interface Events2SourceOptions {
  readonly log: Logger;
  readonly sink: LineSink;
  /** Seconds between statistics polls. */
  readonly pollIntervalSeconds: number;
  readonly command?: readonly string[];
  readonly respawnDelayMs?: number;
}

/** Follows drbdsetup events2 until {@link Events2Source.stop}. */
export class Events2Source {
  readonly #opts: Events2SourceOptions;
  readonly #log: Logger;
  #stopped = false;
  #proc: ReturnType<typeof Bun.spawn> | null = null;
  #wake: (() => void) | null = null;
  #loop: Promise<void> | null = null;
  /** Why the previous attempt ended; repeated identical reasons are logged at debug only. */
  #lastFailure: string | null = null;
  #failures = 0;
  #stderrSeen = new Set<string>();

  constructor(opts: Events2SourceOptions) {
    this.#opts = opts;
    this.#log = opts.log;
  }

  /** Start following (returns at once). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stop following: ends drbdsetup (TERM, then KILL after 1 s) and waits for the loop. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    const proc = this.#proc;
    if (proc) {
      proc.kill("SIGTERM");
      const killer = setTimeout(() => proc.kill("SIGKILL"), 1000);
      await proc.exited;
      clearTimeout(killer);
    }
    await this.#loop;
  }

  async #run(): Promise<void> {
    let first = true;
    while (!this.#stopped) {
      const outcome = await this.#runOnce(first);
      if (outcome.started) first = false;
      if (this.#stopped) break;
      this.#failed(outcome.reason, outcome.started);
      await this.#sleep(this.#opts.respawnDelayMs ?? RESPAWN_DELAY_MS);
    }
  }

  /** Report why the last attempt ended: once at error (cannot start) or warn (exited), repeats at debug. */
  #failed(reason: string, started: boolean): void {
    this.#opts.sink.stopped?.(reason);
    this.#failures++;
    if (reason === this.#lastFailure) {
      this.#log.debug(`${reason} (again, attempt ${this.#failures}); retrying in 2 s`);
      return;
    }
    this.#lastFailure = reason;
    const message = `${reason}; retrying every 2 s (repeats are logged at debug level)`;
    if (started) this.#log.warn(message);
    else this.#log.error(message);
  }

  #recovered(): void {
    if (this.#failures > 0) {
      this.#log.info(`drbdsetup events2 is running again (${this.#failures} attempt(s) since it stopped)`);
    }
    this.#failures = 0;
    this.#lastFailure = null;
    this.#stderrSeen.clear();
  }

  async #runOnce(first: boolean): Promise<{ started: boolean; reason: string }> {
    const command = [...(this.#opts.command ?? EVENTS2_COMMAND)];
    let proc: ReturnType<typeof Bun.spawn>;
    try {
      proc = Bun.spawn(command, { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const reason =
        err.code === "ENOENT"
          ? `${command[0]} not found in PATH (${process.env.PATH ?? ""}) — is drbd-utils installed?`
          : `cannot start ${command.join(" ")}: ${err.message}`;
      return { started: false, reason };
    }
    this.#proc = proc;
    this.#log.debug(`started ${command.join(" ")} (pid ${proc.pid})`);
    this.#opts.sink.started(!first);

    const poll = this.#startPolling(proc);
    const stderrDone = this.#forwardStderr(proc.stderr as ReadableStream<Uint8Array>);
    let gotLine = false;
    try {
      gotLine = await this.#readLines(proc.stdout as ReadableStream<Uint8Array>, () => {
        this.#recovered();
      });
    } catch (e) {
      this.#log.warn(`reading drbdsetup events2 output failed: ${(e as Error).message}`);
    } finally {
      clearInterval(poll);
    }
    if (!this.#stopped) proc.kill("SIGTERM");
    const code = await proc.exited;
    await stderrDone;
    this.#proc = null;
    if (proc.signalCode === "SIGTERM" || proc.signalCode === "SIGINT") {
      // systemd (and timeout, ^C) signal the whole group: the daemon's own handler is about to run.
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const how = proc.signalCode ? `was killed by ${proc.signalCode}` : `exited with code ${code}`;
    return { started: true, reason: `drbdsetup events2 ${how}${gotLine ? "" : " before printing anything"}` };
  }

  #startPolling(proc: ReturnType<typeof Bun.spawn>): ReturnType<typeof setInterval> {
    const stdin = proc.stdin as import("bun").FileSink;
    let warned = false;
    const write = (): void => {
      try {
        stdin.write("n\n");
        const flushed = stdin.flush();
        if (flushed instanceof Promise) flushed.catch(onError);
      } catch (e) {
        onError(e);
      }
    };
    const onError = (e: unknown): void => {
      if (warned || this.#stopped) return;
      warned = true;
      this.#log.warn(`could not ask drbdsetup for statistics: ${(e as Error).message}`);
    };
    write();
    return setInterval(write, this.#opts.pollIntervalSeconds * 1000);
  }

  /** Split stdout into lines and feed the sink; resolves true if at least one line arrived. */
  async #readLines(stdout: ReadableStream<Uint8Array>, onFirstLine: () => void): Promise<boolean> {
    const sink = this.#opts.sink;
    const decoder = new TextDecoder();
    let pending = "";
    let skipping = 0; // > 0 while discarding the rest of an over-long line
    let gotLine = false;
    for await (const chunk of stdout) {
      if (this.#stopped) return gotLine;
      const text = pending + decoder.decode(chunk, { stream: true });
      let start = 0;
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
        if (skipping > 0) {
          sink.tooLong(skipping + nl);
          skipping = 0;
        } else {
          if (!gotLine) {
            gotLine = true;
            onFirstLine();
          }
          sink.line(text.substring(start, nl));
        }
        start = nl + 1;
      }
      pending = start === 0 ? text : text.substring(start);
      if (pending.length > MAX_LINE_BYTES) {
        skipping += pending.length;
        pending = "";
      }
      const wait = sink.capacity();
      if (wait) await wait;
    }
    if (pending.length > 0 && !this.#stopped) sink.line(pending);
    return gotLine;
  }

  async #forwardStderr(stderr: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let pending = "";
    const emit = (line: string): void => {
      if (line.trim() === "") return;
      // libgenl prints `<N>` kernel-style chatter (e.g. "<1>tried to set SO_RCVBUF…"): harmless.
      if (/^<\d>/.test(line)) return this.#log.debug(`drbdsetup: ${line}`);
      if (this.#stderrSeen.has(line)) return this.#log.debug(`drbdsetup: ${line}`);
      if (this.#stderrSeen.size < 100) this.#stderrSeen.add(line);
      this.#log.warn(`drbdsetup: ${line}`);
    };
    try {
      for await (const chunk of stderr) {
        const lines = (pending + decoder.decode(chunk, { stream: true })).split("\n");
        pending = lines.pop() ?? "";
        for (const l of lines) emit(l);
      }
    } catch {
      // stderr closing with the process is the normal end.
    }
    if (pending) emit(pending);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}
