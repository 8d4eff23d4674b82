/**
 * Collects the problems found while loading the config, so that one run
 * reports all of them instead of making the admin fix one line per restart.
 *
 * @module
 */
import { formatPath, type PathSegment } from "./describe.ts";
import { ConfigError } from "./types.ts";

/** `file: key.path: text`, or `file: text` for a problem of the whole file. */
export function locate(file: string, path: readonly PathSegment[], text: string): string {
  return path.length === 0 ? `${file}: ${text}` : `${file}: ${formatPath(path)}: ${text}`;
}

/** Errors and warnings of one load, in the order they were found. */
export class Report {
  readonly #errors: { file: string; line: string }[] = [];
  readonly #warnings: { line: string; explainsErrors: boolean }[] = [];

  /** Record an error; loading goes on so later problems are reported too. */
  error(file: string, path: readonly PathSegment[], text: string): void {
    const line = locate(file, path, text);
    // Two checks of one pipe can fail with the same custom message.
    if (!this.#errors.some((e) => e.line === line)) this.#errors.push({ file, line });
  }

  /**
   * Record a warning. `explainsErrors` marks warnings that are worth showing
   * next to errors (an unknown key is often the misspelling of a missing one).
   */
  warn(file: string, path: readonly PathSegment[], text: string, explainsErrors = false): void {
    this.#warnings.push({ line: locate(file, path, text), explainsErrors });
  }

  /** True once any error was recorded. */
  get failed(): boolean {
    return this.#errors.length > 0;
  }

  /** All warnings, in order. */
  get warnings(): string[] {
    return this.#warnings.map((w) => w.line);
  }

  /** Throw one ConfigError with every error (one per line) if there is any. */
  throwIfFailed(): void {
    const first = this.#errors[0];
    if (first === undefined) return;
    const lines = this.#errors.map((e) => e.line);
    for (const w of this.#warnings) if (w.explainsErrors) lines.push(w.line);
    throw new ConfigError(lines.join("\n"), first.file);
  }
}
