import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, listSnippetFiles, snippetsChangedSince } from "../../../src/config/index.ts";
import { load, loadError, useTempDir } from "./fixtures.ts";

const dir = useTempDir();

/** Main file pointing at `<tmp>/d`, plus the given snippets. */
function setup(snippets: Record<string, string>, main = ""): { main: string; d: string } {
  const d = join(dir.path, "d");
  mkdirSync(d, { recursive: true });
  for (const [name, text] of Object.entries(snippets)) dir.file(`d/${name}`, text);
  return { main: dir.file("reactor.toml", `snippets = "${d}"\n${main}`), d };
}

describe("listSnippetFiles", () => {
  test("*.toml only, regular files and symlinks to them, sorted byte-wise, not recursive", async () => {
    const { d } = setup({
      "b.toml": "",
      "a.toml": "",
      "B.toml": "",
      ".hidden.toml": "",
      "c.toml.disabled": "",
      "notes.txt": "",
      "sub/x.toml": "",
    });
    mkdirSync(join(d, "dir.toml"));
    dir.file("elsewhere/linked.txt", "");
    symlinkSync(join(dir.path, "elsewhere/linked.txt"), join(d, "link.toml"));
    symlinkSync(join(dir.path, "nowhere"), join(d, "dangling.toml"));
    expect(await listSnippetFiles(d)).toEqual(
      [".hidden.toml", "B.toml", "a.toml", "b.toml", "link.toml"].map((n) => join(d, n)),
    );
  });

  test("byte-wise order, not locale order", async () => {
    const { d } = setup({ "é.toml": "", "z.toml": "", "Z.toml": "" });
    expect(await listSnippetFiles(d)).toEqual(["Z.toml", "z.toml", "é.toml"].map((n) => join(d, n)));
  });

  test("missing directory: ConfigError naming it", async () => {
    const missing = join(dir.path, "missing");
    const e = await listSnippetFiles(missing).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).message).toBe(
      `cannot read snippets directory ${missing}: no such file or directory (ENOENT)`,
    );
    expect((e as ConfigError).file).toBe(missing);
  });

  test("a file is not a directory", async () => {
    const file = dir.file("plain", "");
    await expect(listSnippetFiles(file)).rejects.toThrow(
      `cannot read snippets directory ${file}: not a directory (ENOTDIR)`,
    );
  });
});

describe("loading with snippets", () => {
  test("snippet files are read in order; tables append; globals may live in a snippet", async () => {
    const { main, d } = setup(
      {
        "20-web.toml": '[[debugger]]\nid = "web"\n[[log]]\nlevel = "debug"\n',
        "10-base.toml": "statistics-poll-interval = 10\n[[debugger]]\n",
        "30-off.toml.disabled": "[[debugger]]\n",
      },
      '[[log]]\nlevel = "warn"\n[[debugger]]\nid = "main"\n',
    );
    const { config } = await load(main);
    expect(config.snippets).toBe(d);
    expect(config.snippetFiles).toEqual([join(d, "10-base.toml"), join(d, "20-web.toml")]);
    expect(config.statisticsPollInterval).toBe(10);
    expect(config.log).toEqual([{ level: "warn" }, { level: "debug" }]);
    expect(config.plugins.map((p) => [p.source, p.index, (p.config as { id?: string }).id])).toEqual([
      [main, 0, "main"],
      [join(d, "10-base.toml"), 0, undefined],
      [join(d, "20-web.toml"), 0, "web"],
    ]);
  });

  test("an empty snippets directory is fine", async () => {
    const { main } = setup({});
    expect((await load(main)).config.snippetFiles).toEqual([]);
  });

  test("a symlinked snippet is read", async () => {
    const { main, d } = setup({});
    const target = dir.file("shared/common.toml", "[[debugger]]\n");
    symlinkSync(target, join(d, "common.toml"));
    const { config } = await load(main);
    expect(config.plugins).toHaveLength(1);
    expect(config.plugins[0]!.source).toBe(join(d, "common.toml"));
  });

  test("missing snippets directory: error naming the main file, the key and the directory", async () => {
    const missing = join(dir.path, "nope");
    const main = dir.file("reactor.toml", `snippets = "${missing}"\n`);
    expect((await loadError(main)).message).toBe(
      `${main}: snippets: cannot read snippets directory ${missing}: no such file or directory (ENOENT)`,
    );
  });

  test("errors name the snippet they are in, all files are checked", async () => {
    const { main, d } = setup(
      {
        "a.toml": "[[debugger]]\nid = 5\n",
        "b.toml": "[[log]]\nlevel = 'loud'\n",
        "c.toml": "[[umh]\n",
      },
      "statistics-poll-interval = 0\n",
    );
    const e = await loadError(main);
    expect(e.file).toBe(main);
    const lines = e.message.split("\n");
    expect(lines[0]).toBe(`${main}: statistics-poll-interval: expected an integer ≥ 1, got 0`);
    expect(lines[1]).toBe(`${join(d, "a.toml")}: debugger[0].id: expected a string, got 5`);
    expect(lines[2]).toBe(
      `${join(d, "b.toml")}: log[0].level: expected one of "off", "error", "warn", "info", "debug", "trace", got "loud"`,
    );
    expect(lines[3]).toMatch(new RegExp(`^${join(d, "c.toml")}: line 1, column \\d+: invalid TOML: `));
    expect(lines).toHaveLength(4);
  });

  test("syntax error in a snippet gives its own line numbers", async () => {
    const { main, d } = setup({ "x.toml": "# one\n# two\nkey = = 1\n" }, "# main\n# main\n# main\n# main\n");
    expect((await loadError(main)).message).toMatch(new RegExp(`^${join(d, "x.toml")}: line 3, column \\d+: `));
  });

  test("a top-level key after a table header in the previous file stays top-level", async () => {
    // Upstream concatenates files, so this key would land inside [[debugger]].
    const { main } = setup({ "x.toml": "statistics-poll-interval = 5\n" }, "[[debugger]]\n");
    const { config } = await load(main);
    expect(config.statisticsPollInterval).toBe(5);
    expect(config.plugins[0]!.config).toEqual({});
  });

  test("a scalar global set in two files: error naming both", async () => {
    const { main, d } = setup({ "x.toml": "statistics-poll-interval = 5\nsnippets-monitoring-interval = 0\n" }, "statistics-poll-interval = 6\n");
    expect((await loadError(main)).message).toBe(
      `${join(d, "x.toml")}: statistics-poll-interval: already set in ${main}; set it in one file only`,
    );
  });

  test("snippets inside a snippet is an error", async () => {
    const { main, d } = setup({ "x.toml": 'snippets = "/elsewhere"\n' });
    expect((await loadError(main)).message).toBe(
      `${join(d, "x.toml")}: snippets: only allowed in the main config file (${main})`,
    );
  });

  test("identical instances in two files: error naming both places", async () => {
    const { main, d } = setup({ "x.toml": "[[umh]]\n[[debugger]]\n" }, "[[debugger]]\n");
    expect((await loadError(main)).message).toBe(
      `${join(d, "x.toml")}: debugger[0]: duplicate plugin instance: identical to ${main}: debugger[0]`,
    );
  });

  test("warnings name the snippet", async () => {
    const { main, d } = setup({ "x.toml": "[[debugger]]\nidd = 1\n[[agentx]]\n" });
    expect((await load(main)).warnings).toEqual([
      `${join(d, "x.toml")}: debugger[0].idd: unknown key (did you mean "id"?)`,
      `${join(d, "x.toml")}: agentx: 1 table ignored: the agentx plugin is not implemented in this build`,
    ]);
  });
});

describe("snippetsChangedSince", () => {
  const lastLoad = 1_000_000;
  const files = (...mtimes: number[]) => mtimes.map((mtimeMs, i) => ({ path: `/d/${i}.toml`, mtimeMs }));

  test("reports files modified after the last load and settled for 20 s", () => {
    const now = lastLoad + 60_000;
    expect(snippetsChangedSince(files(lastLoad + 1_000, lastLoad + 40_000), lastLoad, now)).toEqual([
      "/d/0.toml",
      "/d/1.toml",
    ]);
  });

  test("ignores files modified less than 20 s ago", () => {
    const now = lastLoad + 60_000;
    expect(snippetsChangedSince(files(now - 19_999, now - 20_000, now), lastLoad, now)).toEqual(["/d/1.toml"]);
  });

  test("ignores files not newer than the last load", () => {
    const now = lastLoad + 60_000;
    expect(snippetsChangedSince(files(lastLoad, lastLoad - 5_000), lastLoad, now)).toEqual([]);
  });

  test("a file from the future (clock step) is not reported yet", () => {
    expect(snippetsChangedSince(files(lastLoad + 500_000), lastLoad, lastLoad + 60_000)).toEqual([]);
  });

  test("no files, nothing to report", () => {
    expect(snippetsChangedSince([], lastLoad, lastLoad + 60_000)).toEqual([]);
  });
});
