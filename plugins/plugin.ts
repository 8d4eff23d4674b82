/**
 * The contract between the core and a plugin.
 *
 * A plugin kind is a {@link PluginFactory}: a valibot schema for one
 * `[[kind]]` table (defaults applied there) and a `create` function. The core
 * owns parsing, state, reload, replay and error reporting; a plugin only
 * reacts.
 *
 * - `wants: "changes"` plugins get every {@link PluginUpdate} in order through
 *   `onUpdate`, serialized per plugin (a returned promise is awaited before the
 *   next update is delivered to that plugin; other plugins are not held up).
 * - `wants: "snapshots"` plugins read `ctx.store` when they need to (its
 *   `generation` tells whether anything changed); they get no per-line copies.
 *
 * A plugin whose `create`, `onUpdate` or `stop` throws is logged with its kind
 * and config file, stopped, and started again with backoff (and the current
 * state replayed). It never takes the daemon down.
 *
 * @module
 */
import type { GenericSchema } from "valibot";
import type { PluginUpdate } from "../src/core/updates.ts";
import type { ReadonlyResourceStore } from "../src/core/state.ts";
import type { CoreCounters } from "../src/core/counters.ts";
import type { Logger } from "../src/log/logger.ts";

/** Plugin kinds upstream drbd-reactor knows, in its documentation order. */
export const PLUGIN_KINDS = ["promoter", "debugger", "umh", "prometheus", "agentx"] as const;
/** A plugin kind (the `[[kind]]` table name). */
export type PluginKind = (typeof PLUGIN_KINDS)[number];

/** One running plugin instance as others (the metrics plugins) may see it. */
export interface PluginStatus {
  readonly kind: PluginKind;
  /** Config file the instance came from. */
  readonly source: string;
  /** Whether it runs (false while it waits to be restarted after a failure). */
  readonly up: boolean;
}

/** The daemon's own health, read-only, for self-monitoring metrics. */
export interface CoreView {
  readonly counters: CoreCounters;
  /** Every configured plugin instance, in start order. */
  plugins(): readonly PluginStatus[];
}

/** What the core hands to a plugin. */
export interface PluginContext {
  /** Logger whose module is the plugin kind. */
  readonly log: Logger;
  /** Live, read-only view of all resources. */
  readonly store: ReadonlyResourceStore;
  /** Config file this instance came from (for messages). */
  readonly source: string;
  /** The daemon's counters and plugin health. */
  readonly core: CoreView;
}

/** A running plugin instance. */
export interface Plugin {
  /** Change plugins: one update, in stream order. May be async; a rejection counts as a crash. */
  onUpdate?(update: PluginUpdate): void | Promise<void>;
  /** Release everything (sockets, children). Must finish promptly; the core waits at most a grace period. */
  stop(): Promise<void>;
}

/** Describes one plugin kind. */
export interface PluginFactory<C = unknown> {
  readonly kind: PluginKind;
  /** Validates one `[[kind]]` table and applies defaults. */
  readonly schema: GenericSchema<unknown, C>;
  readonly wants: "changes" | "snapshots";
  create(config: C, ctx: PluginContext): Promise<Plugin>;
}
