/**
 * Warns about snippet files changed after the last (re)load, so an admin who
 * edited a snippet and forgot to reload hears about it (spec core.md §4.9).
 * It never reloads by itself.
 *
 * @module
 */
import { stat } from "node:fs/promises";
import { listSnippetFiles, snippetsChangedSince } from "../config/index.ts";
import { MIN_SNIPPETS_MONITORING_INTERVAL } from "../config/globals.ts";
import type { Logger } from "../log/logger.ts";

/** A running monitor; {@link SnippetMonitor.stop} ends it. */
export class SnippetMonitor {
  #timer: ReturnType<typeof setInterval> | null = null;
  #warned = new Set<string>();

  /**
   * @param dir snippet directory (null: nothing to watch)
   * @param intervalSeconds 0 disables; smaller values than the minimum are raised to it
   * @param lastLoadMs wall-clock time of the last (re)load
   */
  constructor(
    readonly dir: string | null,
    intervalSeconds: number,
    readonly lastLoadMs: number,
    readonly log: Logger,
  ) {
    if (dir === null || intervalSeconds === 0) return;
    const seconds = Math.max(intervalSeconds, MIN_SNIPPETS_MONITORING_INTERVAL);
    this.#timer = setInterval(() => void this.check(), seconds * 1000);
    this.#timer.unref();
  }

  /** One check (also called by tests). */
  async check(now = Date.now()): Promise<string[]> {
    if (this.dir === null) return [];
    let files: string[];
    try {
      files = await listSnippetFiles(this.dir);
    } catch (e) {
      this.log.debug(`snippet check skipped: ${(e as Error).message}`);
      return [];
    }
    const stats = await Promise.all(
      files.map(async (path) => ({ path, mtimeMs: (await stat(path).catch(() => null))?.mtimeMs ?? 0 })),
    );
    const changed = snippetsChangedSince(stats, this.lastLoadMs, now);
    for (const path of changed) {
      if (this.#warned.has(path)) continue;
      this.#warned.add(path);
      this.log.warn(`${path} changed after the last reload; run 'systemctl reload drbd-reactor' to apply it`);
    }
    return changed;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
