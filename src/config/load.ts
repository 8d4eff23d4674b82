/**
 * Load the daemon configuration: the main file plus the snippet files.
 *
 * Unlike upstream, which parses the concatenation of all files as one TOML
 * document, every file is parsed and validated on its own: messages name the
 * file a problem is in, and a top-level key in a snippet cannot end up inside
 * a table that happened to be opened at the end of the previous file.
 * Arrays of tables (`[[log]]`, plugin kinds) are appended across files in
 * load order; scalar globals may be set in one file only.
 *
 * @module
 */
import { PLUGIN_KINDS, type PluginFactory, type PluginKind } from "../../plugins/plugin.ts";
import { GLOBAL_KEYS, mergeGlobals, validateGlobals, type FileGlobals } from "./globals.ts";
import { isPluginKind, reportDuplicates, validatePluginTables } from "./plugins.ts";
import { Report } from "./report.ts";
import { listSnippetFiles } from "./snippets.ts";
import { readTomlFile } from "./toml-file.ts";
import { ConfigError, type LoadedConfig, type PluginInstance } from "./types.ts";
import { unknownKeyText } from "./unknown-keys.ts";

const TOP_LEVEL_KEYS: readonly string[] = [...GLOBAL_KEYS, ...PLUGIN_KINDS];

/**
 * Read, parse and validate `file` and its snippets. Plugin tables of kinds in
 * `factories` are validated with the factory's schema; other known kinds are
 * reported as not implemented (a warning).
 *
 * @throws ConfigError with every problem found, one per line.
 */
export async function loadConfig(
  file: string,
  factories: ReadonlyMap<PluginKind, PluginFactory<any>>,
): Promise<LoadedConfig> {
  const main = await readTomlFile(file);
  // Nothing else can be checked without the main file; fail right away.
  if (!main.ok) throw new ConfigError(`${file}: ${main.problem}`, file);

  const report = new Report();
  const globals: FileGlobals[] = [];
  const plugins: PluginInstance[] = [];
  const check = (path: string, table: Record<string, unknown>) => {
    checkTopLevelKeys(path, table, report);
    globals.push(validateGlobals(path, table, report));
    plugins.push(...validatePluginTables(path, table, factories, report));
  };

  check(file, main.table);
  const snippetsDir = globals[0]!.snippets ?? null;
  let snippetFiles: string[] = [];
  if (snippetsDir !== null) {
    try {
      snippetFiles = await listSnippetFiles(snippetsDir);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      report.error(file, ["snippets"], e.message);
    }
  }
  const snippets = await Promise.all(snippetFiles.map(readTomlFile));
  snippets.forEach((snippet, i) => {
    const path = snippetFiles[i]!;
    if (!snippet.ok) {
      report.error(path, [], snippet.problem);
      return;
    }
    const { snippets: nested, ...table } = snippet.table;
    if (nested !== undefined) report.error(path, ["snippets"], `only allowed in the main config file (${file})`);
    check(path, table);
  });

  const merged = mergeGlobals(globals, report);
  reportDuplicates(plugins, report);
  report.throwIfFailed();
  return {
    config: {
      file,
      snippets: snippetsDir,
      snippetFiles,
      statisticsPollInterval: merged.statisticsPollInterval,
      snippetsMonitoringInterval: merged.snippetsMonitoringInterval,
      log: merged.log,
      plugins,
    },
    warnings: report.warnings,
  };
}

/** Warn about top-level keys that are neither globals nor plugin kinds (`[[debuger]]`). */
function checkTopLevelKeys(file: string, table: Record<string, unknown>, report: Report): void {
  for (const key of Object.keys(table)) {
    if (!(GLOBAL_KEYS as readonly string[]).includes(key) && !isPluginKind(key)) {
      report.warn(file, [key], unknownKeyText(key, TOP_LEVEL_KEYS), true);
    }
  }
}
