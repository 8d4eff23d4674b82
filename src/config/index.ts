/**
 * Configuration loading: the public entry points.
 *
 * @module
 */
export { loadConfig } from "./load.ts";
export { listSnippetFiles, snippetsChangedSince, SNIPPET_SETTLE_MS, type SnippetStat } from "./snippets.ts";
export { dumpPluginConfigs } from "./dump.ts";
export { pluginIdentity, canonicalJson } from "./identity.ts";
export {
  DEFAULT_SNIPPETS_MONITORING_INTERVAL,
  DEFAULT_STATISTICS_POLL_INTERVAL,
  MIN_SNIPPETS_MONITORING_INTERVAL,
  MAX_INTERVAL_SECONDS,
} from "./globals.ts";
export * from "./types.ts";
