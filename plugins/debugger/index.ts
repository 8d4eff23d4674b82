/**
 * The debugger plugin: logs every update at debug level as one JSON line,
 * `DEBUG [debugger] {"type":"Resource","event":"Change",…}`.
 *
 * At info level it costs one level check per update, so it can stay
 * configured in production.
 *
 * @module
 */
import type { Plugin, PluginFactory } from "../plugin.ts";
import { type DebuggerConfig, debuggerSchema } from "./config.ts";
import { debugRecord } from "./format.ts";

/** `[[debugger]]`. */
export const debuggerPlugin: PluginFactory<DebuggerConfig> = {
  kind: "debugger",
  schema: debuggerSchema,
  wants: "changes",
  async create(_config, ctx): Promise<Plugin> {
    const log = ctx.log;
    log.trace("start");
    return {
      onUpdate(update) {
        if (log.enabled("debug")) log.debug(JSON.stringify(debugRecord(update)));
      },
      async stop() {
        log.trace("exit");
      },
    };
  },
};
