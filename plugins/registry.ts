/**
 * Every plugin kind this build can run, by explicit static import: no
 * side-effect registration, so `bun build --compile` bundles exactly these.
 *
 * @module
 */
import type { PluginFactory, PluginKind } from "./plugin.ts";
import { agentxPlugin } from "./agentx/index.ts";
import { debuggerPlugin } from "./debugger/index.ts";
import { prometheusPlugin } from "./prometheus/index.ts";
import { umhPlugin } from "./umh/index.ts";

/** Implemented plugin kinds. Kinds absent here are known upstream but not implemented yet. */
export const PLUGIN_FACTORIES: ReadonlyMap<PluginKind, PluginFactory<any>> = new Map<PluginKind, PluginFactory<any>>([
  ["debugger", debuggerPlugin],
  ["umh", umhPlugin],
  ["prometheus", prometheusPlugin],
  ["agentx", agentxPlugin],
]);
