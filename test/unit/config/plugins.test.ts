import { describe, expect, test } from "bun:test";
import { PLUGIN_FACTORIES } from "../../../plugins/registry.ts";
import { loadConfig } from "../../../src/config/index.ts";
import { load, loadError, useTempDir } from "./fixtures.ts";

const dir = useTempDir();

describe("plugin instances", () => {
  test("bare [[debugger]] with the real registry", async () => {
    const file = dir.file("r.toml", "[[debugger]]\n");
    const { config, warnings } = await loadConfig(file, PLUGIN_FACTORIES);
    expect(config.plugins).toEqual([
      { kind: "debugger", config: {}, source: file, index: 0, identity: '{"config":{},"kind":"debugger"}' },
    ]);
    expect(warnings).toEqual([]);
  });

  test("defaults are applied; identity has sorted keys at every level", async () => {
    const file = dir.file(
      "r.toml",
      '[[umh]]\n[[umh.rules]]\ncommand = "true"\nfilter = { role = "Primary", name = "r0" }\n',
    );
    const { config } = await load(file);
    expect(config.plugins).toHaveLength(1);
    const [umh] = config.plugins;
    expect(umh!.config).toEqual({
      address: ":9942",
      enums: false,
      resources: {},
      rules: [{ command: "true", filter: { role: "Primary", name: "r0" } }],
    });
    expect(umh!.identity).toBe(
      '{"config":{"address":":9942","enums":false,"resources":{},"rules":[{"command":"true","filter":{"name":"r0","role":"Primary"}}]},"kind":"umh"}',
    );
  });

  test("key order in the file does not change the identity", async () => {
    const a = await load(dir.file("a.toml", '[[umh]]\naddress = "x"\nenums = true\n'));
    const b = await load(dir.file("b.toml", '[[umh]]\nenums = true\naddress = "x"\n'));
    expect(a.config.plugins[0]!.identity).toBe(b.config.plugins[0]!.identity);
  });

  test("instances keep file order and their index among the file's tables of that kind", async () => {
    const file = dir.file("r.toml", '[[debugger]]\n[[umh]]\n[[debugger]]\nid = "two"\n');
    const { config } = await load(file);
    expect(config.plugins.map((p) => [p.kind, p.index])).toEqual([
      ["debugger", 0],
      ["debugger", 1],
      ["umh", 0],
    ]);
  });

  test("nested validation errors carry the full key path and the value", async () => {
    const file = dir.file(
      "r.toml",
      [
        "[[umh]]",
        "enums = 'yes'",
        "[umh.resources.r0]",
        'runner = "bash"',
        "fencing-promote-delay = 1.5",
        'start = ["a", 2]',
        '[umh.resources."my.res"]',
        "start = 'a'",
        "[[umh.rules]]",
        "filter = { name = 3 }",
        "env = { A = 1 }",
        "",
      ].join("\n"),
    );
    expect((await loadError(file)).message.split("\n")).toEqual([
      `${file}: umh[0].enums: expected true or false, got "yes"`,
      `${file}: umh[0].resources.r0.start[1]: expected a string, got 2`,
      `${file}: umh[0].resources.r0.runner: expected one of "systemd", "shell", got "bash"`,
      `${file}: umh[0].resources.r0.fencing-promote-delay: expected an integer, got 1.5`,
      `${file}: umh[0].resources."my.res".start: expected an array, got "a"`,
      `${file}: umh[0].rules[0].command: missing required key`,
      `${file}: umh[0].rules[0].filter.name: expected a string, got 3`,
      `${file}: umh[0].rules[0].env.A: expected a string, got 1`,
    ]);
  });

  test("wrong type for a whole table quotes it inline", async () => {
    const file = dir.file("r.toml", "[[umh]]\nresources = [1, 2]\n");
    expect((await loadError(file)).message).toBe(`${file}: umh[0].resources: expected a table, got [1, 2]`);
  });
});

describe("array-of-tables structure", () => {
  test("[debugger] instead of [[debugger]]", async () => {
    const file = dir.file("r.toml", "[debugger]\n");
    const e = await loadError(file);
    expect(e.message).toBe(`${file}: debugger: expected an array of tables: write [[debugger]] instead of [debugger]`);
  });

  test("a scalar or an array of scalars", async () => {
    const file = dir.file("r.toml", "debugger = true\numh = [1, {}]\n");
    expect((await loadError(file)).message.split("\n")).toEqual([
      `${file}: debugger: expected an array of tables ([[debugger]]), got true`,
      `${file}: umh[0]: expected a table, got 1`,
    ]);
  });

  test("inline arrays of tables are fine", async () => {
    const { config } = await load(dir.file("r.toml", 'debugger = [{}, { id = "x" }]\n'));
    expect(config.plugins).toHaveLength(2);
  });

  test("also checked for kinds not implemented here", async () => {
    const file = dir.file("r.toml", "[promoter]\n");
    expect((await loadError(file)).message).toBe(
      `${file}: promoter: expected an array of tables: write [[promoter]] instead of [promoter]`,
    );
  });
});

describe("kinds not implemented in this build", () => {
  test("are ignored with a warning naming file, kind and count", async () => {
    const file = dir.file(
      "r.toml",
      "[[promoter]]\n[promoter.resources.r0]\nstart = ['a']\n[[promoter]]\n[[prometheus]]\n[[debugger]]\n",
    );
    const { config, warnings } = await load(file);
    expect(config.plugins.map((p) => p.kind)).toEqual(["debugger"]);
    expect(warnings).toEqual([
      `${file}: promoter: 2 tables ignored: the promoter plugin is not implemented in this build`,
      `${file}: prometheus: 1 table ignored: the prometheus plugin is not implemented in this build`,
    ]);
  });

  test("an empty array needs no warning", async () => {
    expect((await load(dir.file("r.toml", "agentx = []\n"))).warnings).toEqual([]);
  });
});

describe("unknown keys in plugin tables", () => {
  test("top level of the table, with suggestion", async () => {
    const file = dir.file("r.toml", "[[debugger]]\nidd = 5\n");
    const { config, warnings } = await load(file);
    expect(config.plugins[0]!.config).toEqual({});
    expect(warnings).toEqual([`${file}: debugger[0].idd: unknown key (did you mean "id"?)`]);
  });

  test("inside records, arrays of tables and nested tables; record keys are free-form", async () => {
    const file = dir.file(
      "r.toml",
      [
        "[[umh]]",
        "adress = ':1'",
        "[umh.resources.any-name-at-all]",
        "start = ['a']",
        "fencing-promote-dealy = 3",
        "[[umh.rules]]",
        "command = 'x'",
        "filter = { nmae = 'r0', color = 'red' }",
        "env = { WHATEVER = 'ok' }",
        "",
      ].join("\n"),
    );
    const { warnings } = await load(file);
    expect(warnings).toEqual([
      `${file}: umh[0].adress: unknown key (did you mean "address"?)`,
      `${file}: umh[0].resources.any-name-at-all.fencing-promote-dealy: unknown key (did you mean "fencing-promote-delay"?)`,
      `${file}: umh[0].rules[0].filter.nmae: unknown key (did you mean "name"?)`,
      `${file}: umh[0].rules[0].filter.color: unknown key (known keys: "name", "role")`,
    ]);
  });

  test("a table that takes no keys says so", async () => {
    const file = dir.file("r.toml", "[[debugger]]\n[debugger.settings]\n");
    expect((await load(file)).warnings).toEqual([`${file}: debugger[0].settings: unknown key (known keys: "id")`]);
  });

  test("key names from Object.prototype are unknown keys, not matches", async () => {
    const file = dir.file("r.toml", "[[debugger]]\ntoString = 1\n");
    expect((await load(file)).warnings).toEqual([`${file}: debugger[0].toString: unknown key (known keys: "id")`]);
  });
});

describe("deprecated id", () => {
  test("warns but stays part of the identity", async () => {
    const file = dir.file("r.toml", '[[debugger]]\nid = "a"\n[[debugger]]\nid = "b"\n');
    const { config, warnings } = await load(file);
    expect(config.plugins).toHaveLength(2);
    expect(config.plugins[0]!.identity).not.toBe(config.plugins[1]!.identity);
    expect(warnings).toEqual([
      `${file}: debugger[0].id: 'id' is deprecated and ignored`,
      `${file}: debugger[1].id: 'id' is deprecated and ignored`,
    ]);
  });
});

describe("duplicates", () => {
  test("two bare [[debugger]] in one file", async () => {
    const file = dir.file("r.toml", "[[debugger]]\n[[debugger]]\n");
    expect((await loadError(file)).message).toBe(
      `${file}: debugger[1]: duplicate plugin instance: identical to ${file}: debugger[0]`,
    );
  });

  test("equal after defaults are applied", async () => {
    const file = dir.file("r.toml", '[[umh]]\n[[umh]]\naddress = ":9942"\nenums = false\n');
    expect((await loadError(file)).message).toBe(
      `${file}: umh[1]: duplicate plugin instance: identical to ${file}: umh[0]`,
    );
  });
});
