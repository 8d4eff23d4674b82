/**
 * Plugin tables (`[[promoter]]`, `[[debugger]]` …) of one file → validated
 * {@link PluginInstance}s, and the duplicate check across all files.
 *
 * @module
 */
import { PLUGIN_KINDS, type PluginFactory, type PluginKind } from "../../plugins/plugin.ts";
import { checkTable } from "./check-table.ts";
import { pluginIdentity } from "./identity.ts";
import type { Report } from "./report.ts";
import { arrayOfTables } from "./tables.ts";
import type { PluginInstance } from "./types.ts";

/** True for a top-level key that names a plugin kind. */
export function isPluginKind(key: string): key is PluginKind {
  return (PLUGIN_KINDS as readonly string[]).includes(key);
}

/** Kinds without an `id` key upstream (an `id` there is just an unknown key). */
const KINDS_WITHOUT_ID: ReadonlySet<PluginKind> = new Set(["agentx"]);

/**
 * Validate every plugin table of one file, in the file's key order. Kinds
 * absent from `factories` are not implemented in this build: their tables
 * are counted and warned about, never silently dropped.
 */
export function validatePluginTables(
  file: string,
  table: Record<string, unknown>,
  factories: ReadonlyMap<PluginKind, PluginFactory<any>>,
  report: Report,
): PluginInstance[] {
  const instances: PluginInstance[] = [];
  for (const [kind, value] of Object.entries(table)) {
    if (!isPluginKind(kind)) continue;
    const tables = arrayOfTables(file, kind, value, report);
    const factory = factories.get(kind);
    if (!factory) {
      if (tables.length > 0) {
        const what = tables.length === 1 ? "1 table" : `${tables.length} tables`;
        report.warn(file, [kind], `${what} ignored: the ${kind} plugin is not implemented in this build`);
      }
      continue;
    }
    for (const { table: raw, index } of tables) {
      const path = [kind, index];
      if (Object.hasOwn(raw, "id") && !KINDS_WITHOUT_ID.has(kind)) {
        report.warn(file, [...path, "id"], "'id' is deprecated and ignored");
      }
      const checked = checkTable(factory.schema, raw, file, path, report);
      if (!checked.ok) continue;
      instances.push({
        kind,
        config: checked.value,
        source: file,
        index,
        identity: pluginIdentity(kind, checked.value),
      });
    }
  }
  return instances;
}

/**
 * Report instances with equal identities. Upstream refuses them too: two
 * identical instances would, for example, run every umh handler twice.
 */
export function reportDuplicates(instances: readonly PluginInstance[], report: Report): void {
  const seen = new Map<string, PluginInstance>();
  for (const instance of instances) {
    const first = seen.get(instance.identity);
    if (first === undefined) {
      seen.set(instance.identity, instance);
      continue;
    }
    report.error(
      instance.source,
      [instance.kind, instance.index],
      `duplicate plugin instance: identical to ${first.source}: ${first.kind}[${first.index}]`,
    );
  }
}
