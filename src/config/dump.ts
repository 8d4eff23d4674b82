/**
 * Plugin configs back to TOML, for the SIGUSR1 dump: what the daemon is
 * actually running, defaults included, in a form that can be pasted into a
 * config file.
 *
 * @module
 */
import { stringify } from "smol-toml";
import type { PluginInstance } from "./types.ts";

/**
 * Render instances as `[[kind]]` tables in the given order, each preceded by
 * a comment naming where it came from. The text parses back (and validates)
 * to the same configs, as long as the plugin schemas output TOML-representable
 * values (tables, arrays, strings, numbers, booleans).
 */
export function dumpPluginConfigs(instances: readonly PluginInstance[]): string {
  return instances
    .map((instance) => {
      const header = `# ${instance.kind}[${instance.index}] from ${instance.source}`;
      // One document per instance: a later `[[kind]]` header starts a new
      // element, and its sub-tables (`[kind.sub]`) attach to that element, so
      // the concatenation has the same meaning as one big array of tables.
      const body = stringify({ [instance.kind]: [instance.config ?? {}] }).trimEnd();
      return `${header.replaceAll("\n", " ")}\n${body}\n`;
    })
    .join("\n");
}
