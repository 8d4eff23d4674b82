/**
 * Shared pieces of the umh tests: configs from TOML text, updates from real
 * events2 lines (parser + store), and config loading with full messages.
 *
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import * as v from "valibot";
import type { PluginFactory, PluginKind } from "../../../../plugins/plugin.ts";
import { type UmhConfig, umhSchema } from "../../../../plugins/umh/config.ts";
import { ConfigError, loadConfig, type LoadedConfig } from "../../../../src/config/index.ts";
import { parseLine } from "../../../../src/core/events2.ts";
import { ResourceStore } from "../../../../src/core/state.ts";
import type { PluginUpdate } from "../../../../src/core/updates.ts";

/** The validated config of `[[umh]]` followed by `body`. */
export function umhConfig(body: string): UmhConfig {
  const table = parse(`[[umh]]\n${body}`) as { umh: unknown[] };
  return v.parse(umhSchema, table.umh[0]);
}

/** A node's state: feed it events2 lines, get the updates they cause. */
export class Node {
  readonly store = new ResourceStore();

  /** Apply `lines` in order; every update they caused, in order. */
  feed(...lines: string[]): PluginUpdate[] {
    const updates: PluginUpdate[] = [];
    for (const line of lines) {
      const event = parseLine(line);
      if (event.kind === "error") throw new Error(`test line rejected: ${event.message}: ${line}`);
      this.store.apply(event, (u) => updates.push(u));
    }
    return updates;
  }

  /** Like {@link feed} for one line that must cause exactly one update. */
  one(line: string): PluginUpdate {
    const updates = this.feed(line);
    if (updates.length !== 1) throw new Error(`expected one update from ${line}, got ${updates.length}`);
    return updates[0]!;
  }
}

/** Only umh, with the real schema and a plugin that does nothing. */
const FACTORIES = new Map<PluginKind, PluginFactory<any>>([
  [
    "umh",
    {
      kind: "umh",
      schema: umhSchema,
      wants: "changes",
      async create() {
        return { async stop() {} };
      },
    },
  ],
]);

/** Write `text` to a temp file and load it; the file is removed afterwards. */
export async function loadText(text: string): Promise<{ file: string; result: LoadedConfig | ConfigError }> {
  const dir = mkdtempSync(join(tmpdir(), "umh-config-"));
  const file = join(dir, "umh.toml");
  writeFileSync(file, text);
  try {
    return { file, result: await loadConfig(file, FACTORIES) };
  } catch (e) {
    if (e instanceof ConfigError) return { file, result: e };
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The error lines of loading `text`, with the file name written as `FILE`. */
export async function errorLines(text: string): Promise<string[]> {
  const { file, result } = await loadText(text);
  if (!(result instanceof ConfigError)) throw new Error(`expected a config error for:\n${text}`);
  return result.message.split("\n").map((line) => line.replaceAll(file, "FILE"));
}

/** The loaded config of `text` (which must be valid). */
export async function loaded(text: string): Promise<LoadedConfig> {
  const { result } = await loadText(text);
  if (result instanceof ConfigError) throw result;
  return result;
}
