/**
 * Snippet files: which files of the `snippets` directory are config, and
 * which of them changed since the last (re)load.
 *
 * @module
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { osReason } from "./os-error.ts";
import { ConfigError } from "./types.ts";

/**
 * Files younger than this are skipped by the change check: an admin still
 * editing (or a config tool writing several files) should not get a warning
 * per save.
 */
export const SNIPPET_SETTLE_MS = 20_000;

/** Byte-wise order of the UTF-8 paths, as upstream sorts (not locale order). */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * The snippet files of `dir`: entries directly in it (not recursive) whose
 * name ends in `.toml` (so `web.toml.disabled`, drbd-reactorctl's way of
 * disabling, is skipped; dotfiles are kept) and that are regular files,
 * symlinks followed (a dangling link is skipped). Sorted by full path,
 * byte-wise. A missing or unreadable directory is a {@link ConfigError}
 * naming it.
 */
export async function listSnippetFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new ConfigError(`cannot read snippets directory ${dir}: ${osReason(e)}`, dir);
  }
  const files: string[] = [];
  for (const name of names) {
    if (!name.endsWith(".toml")) continue;
    const path = join(dir, name);
    try {
      if ((await stat(path)).isFile()) files.push(path);
    } catch {
      // Dangling symlink or a file removed meanwhile: not a snippet.
    }
  }
  return files.sort(compareBytes);
}

/** A snippet file and its modification time. */
export interface SnippetStat {
  readonly path: string;
  readonly mtimeMs: number;
}

/**
 * The snippets that were modified after the last load (`lastLoadMs`) and
 * have been left alone for at least {@link SNIPPET_SETTLE_MS} (measured from
 * `nowMs`); the daemon warns that a reload is needed for them. Pure, so the
 * monitor's timing rules can be tested without sleeping.
 */
export function snippetsChangedSince(files: readonly SnippetStat[], lastLoadMs: number, nowMs: number): string[] {
  return files.filter((f) => nowMs - f.mtimeMs >= SNIPPET_SETTLE_MS && f.mtimeMs > lastLoadMs).map((f) => f.path);
}
