import { describe, expect, test } from "bun:test";
import { load, loadError, useTempDir } from "./fixtures.ts";
import { LOG_LEVELS } from "../../../src/log/logger.ts";

const dir = useTempDir();

describe("defaults", () => {
  test("an empty file gives the documented defaults", async () => {
    const file = dir.file("reactor.toml", "");
    const { config, warnings } = await load(file);
    expect(config).toEqual({
      file,
      snippets: null,
      snippetFiles: [],
      statisticsPollInterval: 60,
      snippetsMonitoringInterval: 120,
      log: [{ level: "info" }],
      plugins: [],
    });
    expect(warnings).toEqual([]);
  });

  test("comments and blank lines only are fine too", async () => {
    const { config } = await load(dir.file("r.toml", "# nothing here\n\n"));
    expect(config.plugins).toEqual([]);
  });
});

describe("main file", () => {
  test("missing file: error names the file and the OS reason", async () => {
    const file = `${dir.path}/absent.toml`;
    const e = await loadError(file);
    expect(e.message).toBe(`${file}: cannot read: no such file or directory (ENOENT)`);
    expect(e.file).toBe(file);
  });

  test("a directory is not a config file", async () => {
    const e = await loadError(dir.path);
    expect(e.message).toBe(`${dir.path}: cannot read: illegal operation on a directory (EISDIR)`);
  });

  test("syntax error: file, line and column", async () => {
    const file = dir.file("r.toml", 'statistics-poll-interval = 5\n[[log]]\nlevel = "info\n');
    const e = await loadError(file);
    expect(e.message).toMatch(new RegExp(`^${file}: line 3, column \\d+: invalid TOML: `));
    expect(e.message.split("\n")).toHaveLength(1);
  });

  test("redefined key: reported with its line", async () => {
    const file = dir.file("r.toml", "statistics-poll-interval = 5\nstatistics-poll-interval = 6\n");
    expect((await loadError(file)).message).toBe(
      `${file}: line 2, column 1: invalid TOML: trying to redefine an already defined table or value`,
    );
  });

  test("invalid UTF-8 is refused instead of being mangled", async () => {
    const file = dir.file("r.toml", "");
    await Bun.write(file, new Uint8Array([0x61, 0x20, 0x3d, 0x20, 0x22, 0xe9, 0x22, 0x0a]));
    expect((await loadError(file)).message).toBe(`${file}: not valid UTF-8 text`);
  });

  test("a UTF-8 byte order mark is accepted", async () => {
    const file = dir.file("r.toml", "\uFEFFstatistics-poll-interval = 7\n");
    expect((await load(file)).config.statisticsPollInterval).toBe(7);
  });
});

describe("statistics-poll-interval", () => {
  test("valid integer", async () => {
    const { config } = await load(dir.file("r.toml", "statistics-poll-interval = 5\n"));
    expect(config.statisticsPollInterval).toBe(5);
  });

  test.each([
    ['"60s"', '"60s"'],
    ["0", "0"],
    ["-1", "-1"],
    ["1.5", "1.5"],
    ["true", "true"],
    ["[60]", "[60]"],
    ["nan", "nan"],
  ])("%s is refused", async (toml, shown) => {
    const file = dir.file("r.toml", `statistics-poll-interval = ${toml}\n`);
    expect((await loadError(file)).message).toBe(
      `${file}: statistics-poll-interval: expected an integer ≥ 1, got ${shown}`,
    );
  });

  test("values beyond what a timer can wait are refused", async () => {
    const file = dir.file("r.toml", "statistics-poll-interval = 2147484\n");
    expect((await loadError(file)).message).toBe(
      `${file}: statistics-poll-interval: expected at most 2147483 seconds (about 24 days), got 2147484`,
    );
    const ok = dir.file("ok.toml", "statistics-poll-interval = 2147483\n");
    expect((await load(ok)).config.statisticsPollInterval).toBe(2147483);
  });
});

describe("snippets-monitoring-interval", () => {
  test("0 disables, no warning", async () => {
    const { config, warnings } = await load(dir.file("r.toml", "snippets-monitoring-interval = 0\n"));
    expect(config.snippetsMonitoringInterval).toBe(0);
    expect(warnings).toEqual([]);
  });

  test("30 and above are kept", async () => {
    const { config, warnings } = await load(dir.file("r.toml", "snippets-monitoring-interval = 45\n"));
    expect(config.snippetsMonitoringInterval).toBe(45);
    expect(warnings).toEqual([]);
  });

  test("1 to 29 are raised to 30 with a warning", async () => {
    const file = dir.file("r.toml", "snippets-monitoring-interval = 10\n");
    const { config, warnings } = await load(file);
    expect(config.snippetsMonitoringInterval).toBe(30);
    expect(warnings).toEqual([`${file}: snippets-monitoring-interval: 10 is below the minimum, using 30`]);
  });

  test.each([
    ["-5", "-5"],
    ['"2m"', '"2m"'],
    ["2.5", "2.5"],
  ])("%s is refused", async (toml, shown) => {
    const file = dir.file("r.toml", `snippets-monitoring-interval = ${toml}\n`);
    expect((await loadError(file)).message).toBe(
      `${file}: snippets-monitoring-interval: expected an integer ≥ 0, got ${shown}`,
    );
  });
});

describe("snippets", () => {
  test("must be a non-empty string", async () => {
    const file = dir.file("r.toml", "snippets = 5\n");
    expect((await loadError(file)).message).toBe(`${file}: snippets: expected a path (a non-empty string), got 5`);
    const empty = dir.file("e.toml", 'snippets = ""\n');
    expect((await loadError(empty)).message).toBe(`${empty}: snippets: expected a path (a non-empty string), got ""`);
  });
});

describe("[[log]]", () => {
  test("absent: one stderr sink at info", async () => {
    expect((await load(dir.file("r.toml", ""))).config.log).toEqual([{ level: "info" }]);
  });

  test("explicit empty array: no sinks", async () => {
    expect((await load(dir.file("r.toml", "log = []\n"))).config.log).toEqual([]);
  });

  test("levels are case-insensitive, default info, file optional", async () => {
    const file = dir.file(
      "r.toml",
      '[[log]]\nlevel = "DEBUG"\n[[log]]\nlevel = "Trace"\nfile = "/var/log/reactor.log"\n[[log]]\n[[log]]\nlevel = "off"\n',
    );
    expect((await load(file)).config.log).toEqual([
      { level: "debug" },
      { level: "trace", file: "/var/log/reactor.log" },
      { level: "info" },
      { level: "off" },
    ]);
  });

  test("every level name is accepted", async () => {
    for (const level of LOG_LEVELS) {
      const { config } = await load(dir.file(`${level}.toml`, `[[log]]\nlevel = "${level.toUpperCase()}"\n`));
      expect(config.log).toEqual([{ level }]);
    }
  });

  test("bad level, bad file: all reported, quoting the values", async () => {
    const file = dir.file("r.toml", '[[log]]\nlevel = "verbose"\n[[log]]\nlevel = 3\nfile = 7\n');
    expect((await loadError(file)).message).toBe(
      [
        `${file}: log[0].level: expected one of "off", "error", "warn", "info", "debug", "trace", got "verbose"`,
        `${file}: log[1].level: expected one of "off", "error", "warn", "info", "debug", "trace", got 3`,
        `${file}: log[1].file: expected a path (a non-empty string), got 7`,
      ].join("\n"),
    );
  });

  test("[log] instead of [[log]]", async () => {
    const file = dir.file("r.toml", '[log]\nlevel = "info"\n');
    expect((await loadError(file)).message).toBe(
      `${file}: log: expected an array of tables: write [[log]] instead of [log]`,
    );
  });

  test("unknown key in a log table: warning with suggestion", async () => {
    const file = dir.file("r.toml", '[[log]]\nlevle = "debug"\n');
    const { config, warnings } = await load(file);
    expect(config.log).toEqual([{ level: "info" }]);
    expect(warnings).toEqual([`${file}: log[0].levle: unknown key (did you mean "level"?)`]);
  });
});

describe("several problems", () => {
  test("are reported together, one per line", async () => {
    const file = dir.file(
      "r.toml",
      'statistics-poll-interval = "60s"\nsnippets-monitoring-interval = -1\n[[debugger]]\nid = 5\n',
    );
    const e = await loadError(file);
    expect(e.message.split("\n")).toEqual([
      `${file}: statistics-poll-interval: expected an integer ≥ 1, got "60s"`,
      `${file}: snippets-monitoring-interval: expected an integer ≥ 0, got -1`,
      `${file}: debugger[0].id: expected a string, got 5`,
    ]);
    expect(e.file).toBe(file);
  });
});

describe("unknown top-level keys", () => {
  test("warn with a suggestion, including snake_case and misspelled plugin kinds", async () => {
    const file = dir.file(
      "r.toml",
      "statistics_poll_interval = 5\nsnipets = '/x'\ncompletely-unrelated = 1\n[[debuger]]\n",
    );
    const { config, warnings } = await load(file);
    expect(config.statisticsPollInterval).toBe(60);
    expect(config.plugins).toEqual([]);
    expect(warnings).toEqual([
      `${file}: statistics_poll_interval: unknown key (did you mean "statistics-poll-interval"?)`,
      `${file}: snipets: unknown key (did you mean "snippets"?)`,
      `${file}: completely-unrelated: unknown key (known keys: "snippets", "statistics-poll-interval", "snippets-monitoring-interval", "log", "promoter", "debugger", "umh", "prometheus", "agentx")`,
      `${file}: debuger: unknown key (did you mean "debugger"?)`,
    ]);
  });

  test("are listed next to errors, where they often explain them", async () => {
    const file = dir.file("r.toml", "statistics-poll-interval = 0\nstatistics-pol-interval = 5\n");
    expect((await loadError(file)).message.split("\n")).toEqual([
      `${file}: statistics-poll-interval: expected an integer ≥ 1, got 0`,
      `${file}: statistics-pol-interval: unknown key (did you mean "statistics-poll-interval"?)`,
    ]);
  });
});
