/**
 * Leveled logging with independent sinks (`[[log]]` entries).
 *
 * A line reads `LEVEL [module] message` with no timestamp (journald adds
 * one). When stderr is connected to the journal (`JOURNAL_STREAM` names the
 * device and inode of stderr, as systemd documents) the stderr sink prefixes
 * each line with its syslog priority (`<3>` … `<7>`), so `journalctl -p
 * warning` works. File sinks never get the prefix.
 *
 * Writes are synchronous (`writeSync`): a daemon that is about to die must not
 * lose the line that says why.
 *
 * @module
 */
import { closeSync, fstatSync, openSync, writeSync } from "node:fs";

/** Level names, least to most verbose; `off` disables a sink. */
export const LOG_LEVELS = ["off", "error", "warn", "info", "debug", "trace"] as const;
/** A log level name. */
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Record<LogLevel, number> = { off: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 };
const LABEL = ["", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"] as const;
/** syslog priorities: err, warning, info, debug, debug. */
const PRIORITY = ["", "<3>", "<4>", "<6>", "<7>", "<7>"] as const;

/** One `[[log]]` entry. */
export interface LogSinkConfig {
  readonly level: LogLevel;
  /** Append to this file; stderr when absent. */
  readonly file?: string;
}

/** Where formatted lines go. */
export interface LogSink {
  readonly rank: number;
  write(rank: number, line: string): void;
  close?(): void;
}

/** A module-scoped logger. */
export interface Logger {
  readonly module: string;
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  trace(message: string): void;
  /** True if a message at `level` would reach at least one sink; guard expensive messages with it. */
  enabled(level: LogLevel): boolean;
  /** A logger for another module sharing the same sinks. */
  child(module: string): Logger;
}

/** A sink writing to a file descriptor (stderr or an opened file). */
export class FdSink implements LogSink {
  readonly rank: number;
  readonly #fd: number;
  readonly #priorityPrefix: boolean;
  readonly #owned: boolean;
  #closed = false;

  constructor(level: LogLevel, fd: number, opts: { priorityPrefix?: boolean; owned?: boolean } = {}) {
    this.rank = RANK[level];
    this.#fd = fd;
    this.#priorityPrefix = opts.priorityPrefix ?? false;
    this.#owned = opts.owned ?? false;
  }

  write(rank: number, line: string): void {
    // After close the fd number may already belong to another file.
    if (this.#closed) return;
    // journald makes one entry per line: every line of a multi-line message
    // needs the prefix, or its continuation lines are filed at "info".
    const text = this.#priorityPrefix
      ? `${PRIORITY[rank]}${line.replaceAll("\n", `\n${PRIORITY[rank]}`)}\n`
      : `${line}\n`;
    try {
      writeSync(this.#fd, text);
    } catch {
      // A full disk or a closed stderr must not take the daemon down with it.
    }
  }

  /** Close an owned fd (once: a second close could hit a reused fd number). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) closeSync(this.#fd);
  }
}

/** A sink that keeps lines in memory (tests, and `--check` style tools). */
export class MemorySink implements LogSink {
  readonly rank: number;
  readonly lines: string[] = [];
  constructor(level: LogLevel = "trace") {
    this.rank = RANK[level];
  }
  write(_rank: number, line: string): void {
    this.lines.push(line);
  }
}

/**
 * True if `fd` is the journal stream systemd connected: `JOURNAL_STREAM` is
 * `<device>:<inode>` of that stream. The variable alone is not enough: it is
 * inherited by anything started from a service, also when that redirected
 * stderr to a file, which must not get `<N>` prefixes.
 */
export function isJournalStream(env: Record<string, string | undefined>, fd: number): boolean {
  const match = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? "");
  if (!match) return false;
  try {
    const st = fstatSync(fd, { bigint: true });
    return st.dev === BigInt(match[1]!) && st.ino === BigInt(match[2]!);
  } catch {
    return false;
  }
}

/**
 * Open the sinks for `[[log]]` entries. A file that cannot be opened is an
 * error naming the file (the caller reports it like a config error); the
 * files opened before it are closed again. `stderrFd` is for tests.
 */
export function openSinks(
  entries: readonly LogSinkConfig[],
  env: Record<string, string | undefined> = process.env,
  stderrFd = 2,
): LogSink[] {
  const journald = isJournalStream(env, stderrFd);
  const sinks: LogSink[] = [];
  for (const entry of entries) {
    if (entry.file === undefined) {
      sinks.push(new FdSink(entry.level, stderrFd, { priorityPrefix: journald }));
      continue;
    }
    let fd: number;
    try {
      fd = openSync(entry.file, "a", 0o640);
    } catch (e) {
      for (const sink of sinks) sink.close?.();
      throw new Error(`cannot open log file "${entry.file}": ${(e as Error).message}`);
    }
    sinks.push(new FdSink(entry.level, fd, { owned: true }));
  }
  return sinks;
}

/**
 * Owns the sinks; hands out module loggers. Sinks can be swapped at runtime
 * (loggers keep working) so the daemon can start logging to stderr before the
 * config is read.
 */
export class LogHub {
  #sinks: readonly LogSink[] = [];
  #maxRank = 0;

  constructor(sinks: readonly LogSink[] = []) {
    this.setSinks(sinks);
  }

  /** Replace the sinks, closing the previous ones that are not reused. */
  setSinks(sinks: readonly LogSink[]): void {
    for (const old of this.#sinks) if (!sinks.includes(old)) old.close?.();
    this.#sinks = sinks;
    this.#maxRank = sinks.reduce((max, s) => Math.max(max, s.rank), 0);
  }

  /** Close all sinks. */
  close(): void {
    this.setSinks([]);
  }

  /** A logger whose lines read `LEVEL [module] …`. */
  logger(module: string): Logger {
    return new ModuleLogger(this, module);
  }

  /** @internal */
  enabledRank(rank: number): boolean {
    // rank 0 is "off": nothing is ever logged at it.
    return rank > 0 && rank <= this.#maxRank;
  }

  /** @internal */
  emit(rank: number, module: string, message: string): void {
    if (rank > this.#maxRank) return;
    const line = `${LABEL[rank]} [${module}] ${message}`;
    for (const sink of this.#sinks) if (rank <= sink.rank) sink.write(rank, line);
  }
}

class ModuleLogger implements Logger {
  constructor(
    readonly hub: LogHub,
    readonly module: string,
  ) {}
  error(message: string): void {
    this.hub.emit(1, this.module, message);
  }
  warn(message: string): void {
    this.hub.emit(2, this.module, message);
  }
  info(message: string): void {
    this.hub.emit(3, this.module, message);
  }
  debug(message: string): void {
    this.hub.emit(4, this.module, message);
  }
  trace(message: string): void {
    this.hub.emit(5, this.module, message);
  }
  enabled(level: LogLevel): boolean {
    return this.hub.enabledRank(RANK[level]);
  }
  child(module: string): Logger {
    return new ModuleLogger(this.hub, module);
  }
}
