import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import * as v from "valibot";
import { umhSchema } from "../../../../plugins/umh/config.ts";
import { dumpPluginConfigs } from "../../../../src/config/index.ts";
import { errorLines, loaded, umhConfig } from "./fixtures.ts";

const rule = (type: string, body: string) => `[[umh]]\n[[umh.${type}]]\ncommand = "true"\n${body}\n`;

describe("valid configs", () => {
  test("a bare [[umh]] has no rules and max-concurrent 32", () => {
    expect(umhConfig("")).toEqual({
      "max-concurrent": 32,
      resource: [],
      device: [],
      peerdevice: [],
      connection: [],
      helper: [],
    });
  });

  test("a rule with only a command gets name \"\", env {} and no timeout or filters", () => {
    const config = umhConfig('[[umh.resource]]\ncommand = "true"\n');
    expect(config.resource).toEqual([{ name: "", command: "true", env: {} }]);
    expect(config.resource[0]!.timeout).toBeUndefined();
  });

  test("bare values and every table form normalise to { value, operator }", () => {
    const config = umhConfig(
      [
        "[[umh.resource]]",
        'command = "a"',
        'new.role = "Primary"',
        "[[umh.resource]]",
        'command = "a"',
        'new.role = { value = "Primary" }',
        "[[umh.resource]]",
        'command = "a"',
        'new.role.value = "Primary"',
        'new.role.operator = "NotEquals"',
        "[[umh.resource]]",
        'command = "a"',
        "[umh.resource.new.role]",
        'operator = "NotEquals"',
        'value = "Primary"',
      ].join("\n"),
    );
    expect(config.resource.map((r) => r.new)).toEqual([
      { role: { value: "Primary", operator: "Equals" } },
      { role: { value: "Primary", operator: "Equals" } },
      { role: { value: "Primary", operator: "NotEquals" } },
      { role: { value: "Primary", operator: "NotEquals" } },
    ]);
  });

  test("every filter of every rule type is accepted", () => {
    const config = umhConfig(
      [
        "max-concurrent = 4",
        "[[umh.resource]]",
        'name = "r"',
        'command = "r"',
        'env = { A = "1", PATH = "/opt/bin" }',
        "timeout = 2.5",
        'resource-name = "web"',
        'event-type = "Change"',
        'old = { role = "Secondary", may-promote = true, promotion-score = 10101 }',
        'new = { role = "Primary", may-promote = false, promotion-score = -1 }',
        "[[umh.device]]",
        'command = "d"',
        'resource-name = { value = "web", operator = "NotEquals" }',
        'event-type = "Create"',
        "volume = 1",
        'old = { disk-state = "UpToDate", client = false, quorum = true, size = 1048576, open = true }',
        'new = { disk-state = "Failed", client = true, quorum = false, size = 0, open = false }',
        "[[umh.peerdevice]]",
        'command = "p"',
        'event-type = "Destroy"',
        "volume = 0",
        "peer-node-id = 2",
        'old = { replication-state = "SyncTarget", peer-disk-state = "UpToDate", peer-client = false, resync-suspended = true }',
        'new = { replication-state = "Established", peer-disk-state = "DUnknown", peer-client = true, resync-suspended = false }',
        "[[umh.connection]]",
        'command = "c"',
        'event-type = "Exists"',
        "peer-node-id = 1",
        'old = { conn-name = "alpha", connection-state = "Connected", peer-role = "Primary", congested = false }',
        'new = { conn-name = "beta", connection-state = "NetworkFailure", peer-role = "Unknown", congested = true }',
        "[[umh.helper]]",
        'command = "h"',
        'resource-name = "web"',
        'helper = "fence-peer"',
        'event = "response"',
        "volume = 0",
        "peer-node-id = 3",
      ].join("\n"),
    );
    const eq = (value: unknown) => ({ value, operator: "Equals" });
    expect(config["max-concurrent"]).toBe(4);
    expect(config.resource[0] as unknown).toEqual({
      name: "r",
      command: "r",
      env: { A: "1", PATH: "/opt/bin" },
      timeout: 2.5,
      "resource-name": eq("web"),
      "event-type": eq("Change"),
      old: { role: eq("Secondary"), "may-promote": eq(true), "promotion-score": eq(10101) },
      new: { role: eq("Primary"), "may-promote": eq(false), "promotion-score": eq(-1) },
    });
    expect(config.device[0]!["resource-name"] as unknown).toEqual({ value: "web", operator: "NotEquals" });
    expect(config.device[0]!.new as unknown).toEqual({
      "disk-state": eq("Failed"),
      client: eq(true),
      quorum: eq(false),
      size: eq(0),
      open: eq(false),
    });
    expect(config.peerdevice[0]!.old as unknown).toEqual({
      "replication-state": eq("SyncTarget"),
      "peer-disk-state": eq("UpToDate"),
      "peer-client": eq(false),
      "resync-suspended": eq(true),
    });
    expect(config.connection[0]!.new as unknown).toEqual({
      "conn-name": eq("beta"),
      "connection-state": eq("NetworkFailure"),
      "peer-role": eq("Unknown"),
      congested: eq(true),
    });
    expect(config.helper[0] as unknown).toEqual({
      name: "",
      command: "h",
      env: {},
      "resource-name": eq("web"),
      helper: eq("fence-peer"),
      event: eq("response"),
      volume: eq(0),
      "peer-node-id": eq(3),
    });
  });

  test("the bare and the table form give the same plugin identity", async () => {
    const bare = await loaded(rule("resource", 'new.role = "Primary"'));
    const table = await loaded(rule("resource", 'new.role = { operator = "Equals", value = "Primary" }'));
    expect(bare.config.plugins[0]!.identity).toBe(table.config.plugins[0]!.identity);
  });

  test("a rule's defaults do not share objects between configs", () => {
    const a = umhConfig('[[umh.device]]\ncommand = "a"\n');
    const b = umhConfig('[[umh.device]]\ncommand = "a"\n');
    expect(a.device[0]!.env).not.toBe(b.device[0]!.env);
    expect(a.helper).not.toBe(b.helper);
  });

  test("sample.toml loads without warnings", async () => {
    const text = readFileSync(join(import.meta.dir, "../../../../plugins/umh/sample.toml"), "utf8");
    const { config, warnings } = await loaded(text);
    expect(warnings).toEqual([]);
    const umh = v.parse(umhSchema, (parse(text) as { umh: unknown[] }).umh[0]);
    expect(config.plugins.map((p) => p.config)).toEqual([umh]);
    expect(umh.resource.length + umh.device.length + umh.peerdevice.length).toBeGreaterThan(0);
    expect(umh.connection.length).toBeGreaterThan(0);
    expect(umh.helper.length).toBeGreaterThan(0);
  });

  test("the SIGUSR1 dump parses back to the same instance", async () => {
    const text = readFileSync(join(import.meta.dir, "../../../../plugins/umh/sample.toml"), "utf8");
    const first = await loaded(text);
    const again = await loaded(dumpPluginConfigs(first.config.plugins));
    expect(again.warnings).toEqual([]);
    expect(again.config.plugins.map((p) => p.identity)).toEqual(first.config.plugins.map((p) => p.identity));
  });

  test("a misspelt key of [[umh]] itself is a warning with a suggestion", async () => {
    const { warnings } = await loaded('[[umh]]\nmax-concurent = 4\n[[umh.resources]]\ncommand = "x"\n');
    expect(warnings.map((w) => w.replace(/^.*?: /, ""))).toEqual([
      'umh[0].max-concurent: unknown key (did you mean "max-concurrent"?)',
      'umh[0].resources: unknown key (did you mean "resource"?)',
    ]);
  });
});

describe("invalid configs: each message names file, rule and value", () => {
  const cases: [string, string, string[]][] = [
    // Unknown enum values, bare and in the table form.
    ["unknown role", rule("resource", 'new.role = "primary"'), [
      'FILE: umh[0].resource[0].new.role: expected one of "Unknown", "Primary", "Secondary", got "primary"',
    ]],
    ["unknown role in the table form", rule("resource", 'old.role = { value = "Primay", operator = "NotEquals" }'), [
      'FILE: umh[0].resource[0].old.role.value: expected one of "Unknown", "Primary", "Secondary", got "Primay"',
    ]],
    ["unknown disk state", rule("device", 'new.disk-state = "Uptodate"'), [
      'FILE: umh[0].device[0].new.disk-state: expected one of "Diskless", "Attaching", "Detaching", "Failed", "Negotiating", "Inconsistent", "Outdated", "DUnknown", "Consistent", "UpToDate", got "Uptodate"',
    ]],
    ["unknown peer disk state", rule("peerdevice", 'old.peer-disk-state = "Unknown"'), [
      'FILE: umh[0].peerdevice[0].old.peer-disk-state: expected one of "Diskless", "Attaching", "Detaching", "Failed", "Negotiating", "Inconsistent", "Outdated", "DUnknown", "Consistent", "UpToDate", got "Unknown"',
    ]],
    ["unknown replication state", rule("peerdevice", 'new.replication-state = "Synced"'), [
      'FILE: umh[0].peerdevice[0].new.replication-state: expected one of "Off", "Established", "StartingSyncS", "StartingSyncT", "WFBitMapS", "WFBitMapT", "WFSyncUUID", "SyncSource", "SyncTarget", "VerifyS", "VerifyT", "PausedSyncS", "PausedSyncT", "Ahead", "Behind", got "Synced"',
    ]],
    ["unknown connection state", rule("connection", 'new.connection-state = "Disconnected"'), [
      'FILE: umh[0].connection[0].new.connection-state: expected one of "StandAlone", "Disconnecting", "Unconnected", "Timeout", "BrokenPipe", "NetworkFailure", "ProtocolError", "TearDown", "Connecting", "Connected", got "Disconnected"',
    ]],
    ["unknown peer role", rule("connection", 'new.peer-role = "primary"'), [
      'FILE: umh[0].connection[0].new.peer-role: expected one of "Unknown", "Primary", "Secondary", got "primary"',
    ]],
    ["unknown event type (lower case)", rule("device", 'event-type = "change"'), [
      'FILE: umh[0].device[0].event-type: expected one of "Exists", "Create", "Change", "Destroy", got "change"',
    ]],
    ["unknown helper event", rule("helper", 'event = "Call"'), [
      'FILE: umh[0].helper[0].event: expected one of "call", "response", got "Call"',
    ]],
    // Wrong value types.
    ["bool filter given a string", rule("device", 'new.quorum = "no"'), [
      'FILE: umh[0].device[0].new.quorum: expected true or false, got "no"',
    ]],
    ["negative volume", rule("device", "volume = -1"), [
      "FILE: umh[0].device[0].volume: expected a value ≥ 0, got -1",
    ]],
    ["fractional peer-node-id", rule("connection", "peer-node-id = 1.5"), [
      "FILE: umh[0].connection[0].peer-node-id: expected an integer, got 1.5",
    ]],
    ["old given a value instead of a table", rule("resource", 'old = "Primary"'), [
      'FILE: umh[0].resource[0].old: expected a table, got "Primary"',
    ]],
    // Typos: errors, not warnings.
    ["resource_name instead of resource-name", rule("resource", 'resource_name = "web"'), [
      'FILE: umh[0].resource[0].resource_name: unknown key (did you mean "resource-name"?)',
    ]],
    ["old.disk instead of old.disk-state", rule("device", 'old.disk = "UpToDate"'), [
      'FILE: umh[0].device[0].old.disk: unknown key (did you mean "disk-state"?)',
    ]],
    ["a filter of another rule type", rule("resource", "volume = 0"), [
      'FILE: umh[0].resource[0].volume: unknown key (known keys: "name", "command", "env", "timeout", "resource-name", "event-type", "old", "new")',
    ]],
    ["event-type in a helper rule", rule("helper", 'event-type = "Change"'), [
      'FILE: umh[0].helper[0].event-type: unknown key (did you mean "event"?)',
    ]],
    ["misspelt key in a filter table", rule("resource", 'new.role = { value = "Primary", oprator = "NotEquals" }'), [
      'FILE: umh[0].resource[0].new.role.oprator: unknown key (did you mean "operator"?)',
    ]],
    // Operators.
    ["wrong operator", rule("resource", 'new.role = { value = "Primary", operator = "NotEqual" }'), [
      'FILE: umh[0].resource[0].new.role.operator: expected one of "Equals", "NotEquals", got "NotEqual"',
    ]],
    ["operator without value", rule("resource", 'new.role = { operator = "NotEquals" }'), [
      "FILE: umh[0].resource[0].new.role.value: missing required key",
    ]],
    // command.
    ["missing command", '[[umh]]\n[[umh.peerdevice]]\nname = "x"\n', [
      "FILE: umh[0].peerdevice[0].command: missing required key",
    ]],
    ["blank command", '[[umh]]\n[[umh.device]]\ncommand = "  "\n', [
      'FILE: umh[0].device[0].command: expected a non-empty command, got "  "',
    ]],
    // env.
    ["DRBD_ name in env", rule("connection", 'env = { DRBD_RES_NAME = "x" }'), [
      'FILE: umh[0].connection[0].env.DRBD_RES_NAME: expected a name that does not start with DRBD_ (the DRBD_* variables are set from the update), got "DRBD_RES_NAME"',
    ]],
    ["invalid env name", rule("device", 'env = { "MY-VAR" = "x", 1X = "y" }'), [
      'FILE: umh[0].device[0].env.MY-VAR: expected a variable name of letters, digits and _ that does not start with a digit, got "MY-VAR"',
      'FILE: umh[0].device[0].env.1X: expected a variable name of letters, digits and _ that does not start with a digit, got "1X"',
    ]],
    ["env value not a string", rule("device", "env = { N = 3 }"), [
      "FILE: umh[0].device[0].env.N: expected a string, got 3",
    ]],
    // timeout.
    ["timeout 0", rule("resource", "timeout = 0"), [
      "FILE: umh[0].resource[0].timeout: expected a number of seconds > 0, got 0",
    ]],
    ["negative timeout", rule("resource", "timeout = -5"), [
      "FILE: umh[0].resource[0].timeout: expected a number of seconds > 0, got -5",
    ]],
    ["timeout as a string", rule("resource", 'timeout = "10s"'), [
      'FILE: umh[0].resource[0].timeout: expected a number, got "10s"',
    ]],
    ["infinite timeout", rule("resource", "timeout = inf"), [
      "FILE: umh[0].resource[0].timeout: expected at most 2147483 seconds (about 24 days), got inf",
    ]],
    // max-concurrent.
    ["max-concurrent 0", "[[umh]]\nmax-concurrent = 0\n", ["FILE: umh[0].max-concurrent: expected an integer ≥ 1, got 0"]],
    ["max-concurrent 2.5", "[[umh]]\nmax-concurrent = 2.5\n", ["FILE: umh[0].max-concurrent: expected an integer ≥ 1, got 2.5"]],
    ["max-concurrent as a string", '[[umh]]\nmax-concurrent = "8"\n', [
      'FILE: umh[0].max-concurrent: expected a number, got "8"',
    ]],
    // Shapes.
    ["[umh.resource] instead of [[umh.resource]]", '[[umh]]\n[umh.resource]\ncommand = "x"\n', [
      'FILE: umh[0].resource: expected an array of tables ([[umh.resource]], not [umh.resource]), got { command = "x" }',
    ]],
    ["mixing the bare and the table form (a TOML error)", rule("resource", 'old.role = "Primary"\nold.role.operator = "NotEquals"'), [
      "FILE: line 5, column 1: invalid TOML: trying to redefine an already defined table or value",
    ]],
  ];
  for (const [what, text, expected] of cases) {
    test(what, async () => {
      expect(await errorLines(text)).toEqual(expected);
    });
  }

  test("every problem of a file is reported at once, in rule order", async () => {
    const text = [
      "[[umh]]",
      "[[umh.resource]]",
      'name = "first"',
      'command = "a"',
      'new.role = "Master"',
      "[[umh.resource]]",
      'name = "second"',
      "timeout = 0",
      'old.may_promote = true',
    ].join("\n");
    expect(await errorLines(text)).toEqual([
      'FILE: umh[0].resource[0].new.role: expected one of "Unknown", "Primary", "Secondary", got "Master"',
      "FILE: umh[0].resource[1].command: missing required key",
      "FILE: umh[0].resource[1].timeout: expected a number of seconds > 0, got 0",
      'FILE: umh[0].resource[1].old.may_promote: unknown key (did you mean "may-promote"?)',
    ]);
  });
});
