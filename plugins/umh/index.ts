/**
 * The umh plugin ("user mode helper"): rules that run a hook script when a
 * state change matches them. See README.md for the rule reference.
 *
 * Matching is synchronous and cheap (rules are compiled once per config);
 * hooks run in the background through a {@link HookRunner}, so a slow hook
 * never holds up the event stream or other plugins.
 *
 * @module
 */
import type { Plugin, PluginFactory } from "../plugin.ts";
import { type UmhConfig, umhSchema } from "./config.ts";
import { compileRules } from "./match.ts";
import { HookRunner } from "./runner.ts";

/**
 * Time running hooks get when the plugin stops (reload of a changed
 * instance, daemon stop) before their process groups are killed. Below the
 * core's stop grace, so every hook is reaped before the daemon exits.
 */
export const HOOK_STOP_GRACE_MS = 1000;

/** `[[umh]]`. */
export const umhPlugin: PluginFactory<UmhConfig> = {
  kind: "umh",
  schema: umhSchema,
  wants: "changes",
  async create(config, ctx): Promise<Plugin> {
    const match = compileRules(config);
    const runner = new HookRunner({ log: ctx.log, maxConcurrent: config["max-concurrent"] });
    return {
      onUpdate(update) {
        for (const job of match(update)) {
          ctx.log.info(`match for rule "${job.ruleName}" (${update.kind} ${update.resourceName})`);
          runner.submit(job);
        }
      },
      stop: () => runner.stop(HOOK_STOP_GRACE_MS),
    };
  },
};
