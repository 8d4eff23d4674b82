/**
 * Shared pieces of the config tests: a temp dir per test and plugin
 * factories with schemas rich enough to exercise the unknown-key walker.
 *
 * @module
 */
import { afterEach, beforeEach } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as v from "valibot";
import type { PluginFactory, PluginKind } from "../../../plugins/plugin.ts";
import { debuggerSchema } from "../../../plugins/debugger/config.ts";
import { ConfigError, loadConfig, type LoadedConfig } from "../../../src/config/index.ts";

/** A temp dir created before and removed after each test of the calling file. */
export function useTempDir(): { readonly path: string; file(name: string, text: string): string } {
  let root = "";
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "config-test-"));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });
  return {
    get path() {
      return root;
    },
    file(name: string, text: string): string {
      const path = join(root, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      return path;
    },
  };
}

function fake<C>(kind: PluginKind, schema: v.GenericSchema<unknown, C>): PluginFactory<C> {
  return {
    kind,
    schema,
    wants: "changes",
    async create() {
      return { async stop() {} };
    },
  };
}

/** A promoter-like schema: records of tables, arrays of tables, nested tables, defaults. */
export const richSchema = v.object({
  id: v.optional(v.string()),
  address: v.optional(v.string(), ":9942"),
  enums: v.optional(v.boolean(), false),
  resources: v.optional(
    v.record(
      v.string(),
      v.object({
        start: v.optional(v.array(v.string()), []),
        runner: v.optional(v.picklist(["systemd", "shell"]), "systemd"),
        "fencing-promote-delay": v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 5),
      }),
    ),
    {},
  ),
  rules: v.optional(
    v.array(
      v.object({
        command: v.string(),
        filter: v.optional(v.object({ name: v.optional(v.string()), role: v.optional(v.string()) })),
        env: v.optional(v.record(v.string(), v.string())),
      }),
    ),
    [],
  ),
});

/** debugger (real schema) and umh (rich fake schema); promoter, prometheus and agentx are "not implemented". */
export const FACTORIES: ReadonlyMap<PluginKind, PluginFactory<any>> = new Map<PluginKind, PluginFactory<any>>([
  ["debugger", fake("debugger", debuggerSchema)],
  ["umh", fake("umh", richSchema)],
]);

/** Load `file` with {@link FACTORIES}. */
export function load(file: string, factories = FACTORIES): Promise<LoadedConfig> {
  return loadConfig(file, factories);
}

/** Load `file` expecting a ConfigError; returns it. */
export async function loadError(file: string, factories = FACTORIES): Promise<ConfigError> {
  try {
    await loadConfig(file, factories);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`expected a ConfigError loading ${file}`);
}
