/**
 * The loaded daemon configuration (main file + snippets), after validation.
 *
 * @module
 */
import type { PluginKind } from "../../plugins/plugin.ts";
import type { LogSinkConfig } from "../log/logger.ts";

/** Default main config file. */
export const DEFAULT_CONFIG_FILE = "/etc/drbd-reactor.toml";

/** One configured plugin instance (`[[kind]]` table). */
export interface PluginInstance {
  readonly kind: PluginKind;
  /** The validated config, defaults applied. */
  readonly config: unknown;
  /** The file the table came from. */
  readonly source: string;
  /** Position of the table among the `[[kind]]` tables of `source` (0-based). */
  readonly index: number;
  /**
   * Canonical JSON of `{kind, config}` with sorted keys: equal identities mean
   * the same instance (kept running across reloads); two equal identities in
   * one config are an error.
   */
  readonly identity: string;
}

/** The whole validated configuration. */
export interface DaemonConfig {
  /** The main config file. */
  readonly file: string;
  /** Snippet directory, or null when not configured. */
  readonly snippets: string | null;
  /** Snippet files that were read, in load order (sorted by path). */
  readonly snippetFiles: readonly string[];
  /** Seconds between statistics polls (`n\n` to drbdsetup); read at start only. */
  readonly statisticsPollInterval: number;
  /** Seconds between snippet-change checks; 0 disables; values below 30 are raised to 30. */
  readonly snippetsMonitoringInterval: number;
  /** `[[log]]` sinks; read at start only. */
  readonly log: readonly LogSinkConfig[];
  /** Every plugin instance of an implemented kind, in load order. */
  readonly plugins: readonly PluginInstance[];
}

/**
 * A configuration problem. The message always names the file, and where it
 * applies the key path and the offending value, e.g.
 * `/etc/drbd-reactor.d/web.toml: debugger[0].id: expected a string, got 5`.
 */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Result of loading: the config and the warnings (unknown keys, deprecated keys …) to log. */
export interface LoadedConfig {
  readonly config: DaemonConfig;
  readonly warnings: readonly string[];
}
