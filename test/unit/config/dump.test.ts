import { describe, expect, test } from "bun:test";
import { PLUGIN_FACTORIES } from "../../../plugins/registry.ts";
import { dumpPluginConfigs, loadConfig } from "../../../src/config/index.ts";
import { load, useTempDir } from "./fixtures.ts";

const dir = useTempDir();

const RICH = [
  "[[umh]]",
  'address = "[::1]:9000"',
  "[umh.resources.r0]",
  'start = ["a.mount", "b.service"]',
  "[umh.resources.\"weird name.x\"]",
  'runner = "shell"',
  "[[umh.rules]]",
  'command = "echo hi"',
  'filter = { name = "r0" }',
  'env = { "WITH SPACE" = "x", PLAIN = "y" }',
  "[[umh.rules]]",
  'command = "true"',
  "[[umh]]",
  "enums = true",
  "[[debugger]]",
  '[[debugger]]\nid = "quoted \\"id\\" \\n newline"',
  "",
].join("\n");

describe("dumpPluginConfigs", () => {
  test("round trip: the dump loads back to the same configs", async () => {
    const original = (await load(dir.file("r.toml", RICH))).config.plugins;
    const text = dumpPluginConfigs(original);
    const again = (await load(dir.file("dump.toml", text))).config.plugins;
    expect(again.map((p) => [p.kind, p.config])).toEqual(original.map((p) => [p.kind, p.config]));
    expect(again.map((p) => p.identity)).toEqual(original.map((p) => p.identity));
  });

  test("arrays of tables with a source comment per instance", async () => {
    const file = dir.file("r.toml", '[[debugger]]\n[[debugger]]\nid = "x"\n');
    const text = dumpPluginConfigs((await loadConfig(file, PLUGIN_FACTORIES)).config.plugins);
    expect(text).toBe(`# debugger[0] from ${file}\n[[debugger]]\n\n# debugger[1] from ${file}\n[[debugger]]\nid = "x"\n`);
  });

  test("defaults show up explicitly", async () => {
    const text = dumpPluginConfigs((await load(dir.file("r.toml", "[[umh]]\n"))).config.plugins);
    expect(text).toContain('address = ":9942"');
    expect(text).toContain("enums = false");
  });

  test("no instances, empty text", () => {
    expect(dumpPluginConfigs([])).toBe("");
  });
});
