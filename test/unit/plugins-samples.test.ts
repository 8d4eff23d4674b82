/**
 * Every plugin's sample.toml is real, loadable configuration, and its README
 * shows it (telegraf-style: docs and code cannot drift).
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PLUGIN_FACTORIES } from "../../plugins/registry.ts";
import { loadConfig } from "../../src/config/index.ts";

const dir = mkdtempSync(join(tmpdir(), "samples-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const root = join(import.meta.dir, "../..");

for (const kind of PLUGIN_FACTORIES.keys()) {
  test(`${kind}: sample.toml loads without warnings and the README quotes its config`, async () => {
    const sample = readFileSync(join(root, "plugins", kind, "sample.toml"), "utf8");
    const file = join(dir, `${kind}.toml`);
    writeFileSync(file, sample);
    const { config, warnings } = await loadConfig(file, PLUGIN_FACTORIES);
    expect(warnings).toEqual([]);
    expect(config.plugins.filter((p) => p.kind === kind).length).toBeGreaterThan(0);
    const readme = readFileSync(join(root, "plugins", kind, "README.md"), "utf8");
    expect(readme).toContain(`[[${kind}]]`);
  });
}

test("example/drbd-reactor.toml loads (with its snippet directory present)", async () => {
  const snippets = mkdtempSync(join(dir, "snippets-"));
  const text = readFileSync(join(root, "example/drbd-reactor.toml"), "utf8").replace(
    'snippets = "/etc/drbd-reactor.d"',
    `snippets = "${snippets}"`,
  );
  const file = join(dir, "main.toml.example");
  writeFileSync(file, text);
  const { config } = await loadConfig(file, PLUGIN_FACTORIES);
  expect(config.statisticsPollInterval).toBe(60);
  expect(config.log).toEqual([{ level: "info" }]);
});
