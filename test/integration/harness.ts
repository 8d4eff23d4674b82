/**
 * Runs the compiled binary (dist/drbd-reactor) as a test subject: captures
 * its stderr line by line, waits for log lines and notify messages with
 * deadlines, and kills it by PID when the test ends.
 *
 * @module
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NotifyReceiver } from "../helpers/notify-receiver.ts";

/** Repository root. */
export const ROOT = join(import.meta.dir, "../..");
/** The compiled binary under test. */
export const BINARY = join(ROOT, "dist/drbd-reactor");

/** Build the binary when it is missing (plain `bun test` without `make`). */
export function ensureBinary(): void {
  if (existsSync(BINARY)) return;
  const r = Bun.spawnSync(["make", "build"], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error("make build failed");
}

/** A scratch directory removed by {@link Scratch.remove}. */
export class Scratch {
  readonly dir = mkdtempSync(join(tmpdir(), "reactor-it-"));
  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }
  write(name: string, text: string): string {
    const p = this.path(name);
    writeFileSync(p, text);
    return p;
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Options for {@link Daemon.start}. */
export interface DaemonOptions {
  /** Main config file. */
  readonly config: string;
  /** Directories put first in PATH (simulator shims). */
  readonly pathPrefix?: readonly string[];
  /** Replace PATH entirely (to hide the system's drbdsetup). */
  readonly path?: string;
  readonly notify?: boolean;
  readonly args?: readonly string[];
}

/** A running daemon. */
export class Daemon {
  readonly lines: string[] = [];
  readonly notifications: string[] = [];
  readonly proc: ReturnType<typeof Bun.spawn>;
  readonly exited: Promise<number>;
  readonly #notify: NotifyReceiver | null;
  readonly startedAt = performance.now();
  #notifyTimer: ReturnType<typeof setInterval> | null = null;

  private constructor(opts: DaemonOptions) {
    this.#notify = opts.notify === false ? null : NotifyReceiver.bind();
    const basePath = opts.path ?? process.env.PATH ?? "/usr/bin:/bin";
    const env: Record<string, string> = {
      PATH: [...(opts.pathPrefix ?? []), basePath].join(":"),
      HOME: process.env.HOME ?? "/root",
    };
    if (this.#notify) env.NOTIFY_SOCKET = this.#notify.name;
    this.proc = Bun.spawn([BINARY, "-c", opts.config, ...(opts.args ?? [])], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env,
    });
    this.exited = this.proc.exited;
    void this.#collect(this.proc.stderr as ReadableStream<Uint8Array>);
    void this.#collect(this.proc.stdout as ReadableStream<Uint8Array>);
    if (this.#notify) {
      this.#notifyTimer = setInterval(() => {
        for (let m = this.#notify!.tryReceive(); m !== null; m = this.#notify!.tryReceive()) this.notifications.push(m);
      }, 5);
    }
  }

  /** Start the binary with `opts`. */
  static start(opts: DaemonOptions): Daemon {
    ensureBinary();
    return new Daemon(opts);
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of stream) {
      const parts = (pending + decoder.decode(chunk, { stream: true })).split("\n");
      pending = parts.pop() ?? "";
      this.lines.push(...parts);
    }
    if (pending) this.lines.push(pending);
  }

  /** Lines matching `re` so far. */
  matching(re: RegExp): string[] {
    return this.lines.filter((l) => re.test(l));
  }

  /** Wait until `count` lines match `re` (counting from `from`); returns the last match. */
  async waitFor(re: RegExp, opts: { timeoutMs?: number; count?: number; from?: number } = {}): Promise<string> {
    const deadline = performance.now() + (opts.timeoutMs ?? 10_000);
    const count = opts.count ?? 1;
    for (;;) {
      const found = this.lines.slice(opts.from ?? 0).filter((l) => re.test(l));
      if (found.length >= count) return found[count - 1]!;
      if (performance.now() > deadline) {
        throw new Error(`no ${count}× ${re} within ${opts.timeoutMs ?? 10_000} ms; output:\n${this.lines.join("\n")}`);
      }
      await Bun.sleep(10);
    }
  }

  /** Wait for a notify datagram containing `text` (counting from index `from`). */
  async waitForNotify(text: string, opts: { timeoutMs?: number; from?: number } = {}): Promise<number> {
    const deadline = performance.now() + (opts.timeoutMs ?? 10_000);
    for (;;) {
      const i = this.notifications.findIndex((m, idx) => idx >= (opts.from ?? 0) && m.split("\n").includes(text));
      if (i >= 0) return i;
      if (performance.now() > deadline) {
        throw new Error(`no notification ${text}; got ${JSON.stringify(this.notifications)}; output:\n${this.lines.join("\n")}`);
      }
      await Bun.sleep(5);
    }
  }

  signal(sig: NodeJS.Signals): void {
    this.proc.kill(sig);
  }

  /** Wait for exit with a deadline; returns the exit code. */
  async exitCode(timeoutMs = 5000): Promise<number> {
    const timer = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`daemon did not exit within ${timeoutMs} ms`)), timeoutMs),
    );
    return Promise.race([this.exited, timer]);
  }

  /** Kill (if still running) and release the notify socket. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
    await this.exited;
    if (this.#notifyTimer) clearInterval(this.#notifyTimer);
    this.#notify?.close();
  }
}

/** Write an executable shell script. */
export function writeScript(path: string, body: string): string {
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}
