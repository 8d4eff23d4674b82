/**
 * Runs the daemon (compiled binary or `bun src/main.ts`) against a fake
 * `drbdsetup` for the benchmark and reports when it became ready and when it
 * consumed the whole stream.
 *
 * - The fake `drbdsetup` is a shell script first in PATH: it records its PIDs,
 *   `cat`s the stream file named by `BENCH_STREAM`, then waits for stdin EOF
 *   with stdout still open (like drbdsetup, which keeps running), so nothing
 *   simulates anything while the daemon is measured.
 * - READY=1 arrives on a notification socket (test/helpers/notify-receiver.ts).
 * - "Consumed everything" is seen on stderr: the stream ends with a line the
 *   daemon rejects and logs at WARN (its first rejected line).
 * - Every process started here is ended by PID: the daemon (TERM, then KILL),
 *   and any fake drbdsetup still alive afterwards (KILL, after checking
 *   through /proc/<pid>/environ that it is one of ours).
 *
 * @module
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NotifyReceiver } from "../helpers/notify-receiver.ts";

/** A temp dir with the fake drbdsetup, the daemon config and the PID file. */
export interface BenchEnv {
  readonly dir: string;
  readonly binDir: string;
  readonly config: string;
  readonly pidFile: string;
}

/** Create the fake drbdsetup and a config (`[[debugger]]`, log level info) in `dir`. */
export function prepareEnv(dir: string): BenchEnv {
  const binDir = join(dir, "bin");
  const snippets = join(dir, "snippets");
  mkdirSync(binDir, { recursive: true });
  mkdirSync(snippets, { recursive: true });
  const pidFile = join(dir, "drbdsetup.pids");
  writeFileSync(pidFile, "");
  const script = join(binDir, "drbdsetup");
  writeFileSync(
    script,
    [
      "#!/bin/sh",
      "# Benchmark stand-in for drbdsetup events2: print a prepared stream, then wait for stdin EOF.",
      'echo $$ >> "$BENCH_PIDFILE"',
      'cat "$BENCH_STREAM" &',
      'echo $! >> "$BENCH_PIDFILE"',
      "wait $! || exit 1",
      "# fd 3 keeps stdout (the pipe to the daemon) open: EOF there would make the daemon respawn us.",
      "exec cat 3>&1 >/dev/null",
      "",
    ].join("\n"),
  );
  chmodSync(script, 0o755);
  const config = join(dir, "drbd-reactor.toml");
  writeFileSync(
    config,
    [`snippets = ${JSON.stringify(snippets)}`, "", "[[log]]", 'level = "info"', "", "[[debugger]]", ""].join("\n"),
  );
  return { dir, binDir, config, pidFile };
}

/** Memory figures of a live process, in KiB (from /proc/<pid>/status). */
export interface MemoryKiB {
  readonly vmRss: number;
  readonly vmHwm: number;
}

/** VmRSS and VmHWM of `pid`, or null when it is gone. */
export function readMemory(pid: number): MemoryKiB | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
    return m ? Number(m[1]) : Number.NaN;
  };
  return { vmRss: field("VmRSS"), vmHwm: field("VmHWM") };
}

/** PIDs of daemons started here and not yet stopped (for an emergency cleanup on SIGINT/SIGTERM). */
export const liveDaemons = new Set<number>();

/** KILL every daemon still running (by PID) and every fake drbdsetup left. */
export function killEverything(env: BenchEnv): void {
  for (const pid of liveDaemons) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  liveDaemons.clear();
  killLeftovers(env);
}

/** What to start. */
export interface DaemonCommand {
  /** argv before `-c <config>`, e.g. `[binary]` or `[bun, "--cpu-prof", "src/main.ts"]`. */
  readonly argv: readonly string[];
  readonly cwd?: string;
}

/** One running daemon. Times are ms since just before the spawn. */
export interface DaemonRun {
  readonly pid: number;
  /** Resolves with the time READY=1 was received. */
  readonly ready: Promise<number>;
  /** Resolves with the time the sentinel's log line appeared on stderr. */
  readonly sentinel: Promise<number>;
  /** Everything the daemon wrote to stderr so far. */
  stderr(): string;
  /** End the daemon (TERM, KILL after `graceMs`), any fake drbdsetup left, and the notify socket. */
  stop(graceMs?: number): Promise<{ exitCode: number | null; signal: string | null }>;
}

/** Start the daemon on `stream`; `sentinelText` is what its log line contains once it consumed the stream. */
export function startDaemon(
  env: BenchEnv,
  cmd: DaemonCommand,
  stream: string,
  sentinelText: string,
  timeoutMs: number,
): DaemonRun {
  const receiver = NotifyReceiver.bind();
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && k !== "JOURNAL_STREAM" && k !== "NOTIFY_SOCKET" && k !== "LISTEN_FDS") childEnv[k] = v;
  }
  childEnv.PATH = `${env.binDir}:${process.env.PATH ?? "/usr/bin:/bin"}`;
  childEnv.NOTIFY_SOCKET = receiver.name;
  childEnv.BENCH_STREAM = stream;
  childEnv.BENCH_PIDFILE = env.pidFile;

  const t0 = performance.now();
  let proc: ReturnType<typeof Bun.spawn>;
  try {
    proc = Bun.spawn([...cmd.argv, "-c", env.config], {
      cwd: cmd.cwd,
      env: childEnv,
      stdin: "ignore", // /dev/null: the daemon refuses a terminal
      stdout: "pipe",
      stderr: "pipe",
    });
  } catch (e) {
    receiver.close();
    throw e;
  }
  liveDaemons.add(proc.pid);
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
    liveDaemons.delete(proc.pid);
  });

  let stopped = false;
  let stderrText = "";
  let sentinelSeen: (t: number) => void = () => {};
  let sentinelFailed: (e: Error) => void = () => {};
  const sentinel = new Promise<number>((resolve, reject) => {
    sentinelSeen = resolve;
    sentinelFailed = reject;
  });
  sentinel.catch(() => {});

  // stderr: keep it all (it is short at info level) and spot the sentinel as soon as it arrives.
  const stderrDone = (async () => {
    const decoder = new TextDecoder();
    let found = false;
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) {
      const from = Math.max(0, stderrText.length - sentinelText.length);
      stderrText += decoder.decode(chunk, { stream: true });
      if (!found && stderrText.indexOf(sentinelText, from) >= 0) {
        found = true;
        sentinelSeen(performance.now() - t0);
      }
    }
    if (!found) sentinelFailed(new Error(`daemon ended its stderr before logging ${JSON.stringify(sentinelText)}`));
  })();
  // stdout: drained so the daemon can never block on it.
  const stdoutDone = (async () => {
    for await (const _ of proc.stdout as ReadableStream<Uint8Array>) {
      // discard
    }
  })();

  const ready = (async () => {
    const deadline = t0 + timeoutMs;
    let buffered = "";
    for (;;) {
      const message = receiver.tryReceive();
      if (message !== null) {
        const at = performance.now() - t0;
        buffered += `${message}\n`;
        if (message.split("\n").includes("READY=1")) return at;
        continue;
      }
      if (exited || stopped) throw new Error(`daemon ended before READY=1 (notifications: ${JSON.stringify(buffered)})`);
      if (performance.now() > deadline) throw new Error(`no READY=1 within ${timeoutMs} ms`);
      await Bun.sleep(1);
    }
  })();
  ready.catch(() => {});

  const timer = setTimeout(() => sentinelFailed(new Error(`sentinel not seen within ${timeoutMs} ms`)), timeoutMs);

  return {
    pid: proc.pid,
    ready,
    sentinel,
    stderr: () => stderrText,
    async stop(graceMs = 3000) {
      stopped = true;
      clearTimeout(timer);
      if (!exited) proc.kill("SIGTERM");
      const killer = setTimeout(() => {
        if (!exited) proc.kill("SIGKILL");
      }, graceMs);
      await proc.exited;
      clearTimeout(killer);
      await Promise.allSettled([stderrDone, stdoutDone]);
      sentinelFailed(new Error("daemon stopped before the sentinel"));
      receiver.close();
      killLeftovers(env);
      return { exitCode: proc.exitCode, signal: proc.signalCode === null ? null : String(proc.signalCode) };
    },
  };
}

/** KILL every fake drbdsetup of `env` that is still alive (by PID, verified through its environment). */
export function killLeftovers(env: BenchEnv): number {
  if (!existsSync(env.pidFile)) return 0;
  let killed = 0;
  for (const text of readFileSync(env.pidFile, "utf8").split("\n")) {
    const pid = Number(text);
    if (!Number.isInteger(pid) || pid <= 1) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, "utf8");
    } catch {
      continue; // gone
    }
    if (!environ.split("\0").includes(`BENCH_PIDFILE=${env.pidFile}`)) continue; // PID reused by someone else
    try {
      process.kill(pid, "SIGKILL");
      killed++;
    } catch {
      // exited meanwhile
    }
  }
  writeFileSync(env.pidFile, "");
  return killed;
}

/** A fake `drbdadm` in `binDir` that reports drbd-utils 9.29.0 and kernel module 9.2.12 (`--version`), nothing else. */
export function writeFakeDrbdadm(binDir: string): void {
  const path = join(binDir, "drbdadm");
  writeFileSync(
    path,
    ["#!/bin/sh", "# bench stand-in: versions only.", "echo DRBDADM_VERSION_CODE=0x091d00", "echo DRBD_KERNEL_VERSION_CODE=0x09020c", ""].join("\n"),
  );
  chmodSync(path, 0o755);
}
