/**
 * `[[agentx]]` address forms and config validation, through the real config
 * loader so the messages users see (file, key, value) are what is checked.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../../../src/config/index.ts";
import { formatAgentxAddress, parseAgentxAddress } from "../../../../plugins/agentx/address.ts";
import { PLUGIN_FACTORIES } from "../../../../plugins/registry.ts";

describe("address", () => {
  test("Unix socket forms (net-snmp style) and TCP forms (upstream style)", () => {
    expect(parseAgentxAddress("unix:/var/agentx/master")).toEqual({ kind: "unix", path: "/var/agentx/master" });
    expect(parseAgentxAddress("/run/agentx.sock")).toEqual({ kind: "unix", path: "/run/agentx.sock" });
    expect(parseAgentxAddress("tcp:localhost:705")).toEqual({ kind: "tcp", host: "localhost", port: 705 });
    expect(parseAgentxAddress("localhost:705")).toEqual({ kind: "tcp", host: "localhost", port: 705 });
    expect(parseAgentxAddress("127.0.0.1:17705")).toEqual({ kind: "tcp", host: "127.0.0.1", port: 17705 });
    expect(parseAgentxAddress("[::1]:705")).toEqual({ kind: "tcp", host: "::1", port: 705 });
    expect(parseAgentxAddress("tcp:[fe80::1]:705")).toEqual({ kind: "tcp", host: "fe80::1", port: 705 });
  });

  test("refused forms say what is wrong and quote the value", () => {
    expect(parseAgentxAddress("unix:relative/sock")).toMatchObject({ error: expect.stringContaining('the socket path "relative/sock" must be absolute') });
    expect(parseAgentxAddress(`/${"x".repeat(120)}`)).toMatchObject({ error: expect.stringContaining("longer than 107 bytes") });
    expect(parseAgentxAddress("localhost")).toMatchObject({ error: expect.stringContaining('expected "unix:/path"') });
    expect(parseAgentxAddress("localhost:0")).toMatchObject({ error: expect.stringContaining('port "0" must be 1–65535') });
    expect(parseAgentxAddress("localhost:70000")).toMatchObject({ error: expect.stringContaining('port "70000"') });
    expect(parseAgentxAddress("::1:705")).toMatchObject({ error: expect.stringContaining("expected") });
    expect(parseAgentxAddress(":705")).toMatchObject({ error: expect.stringContaining("expected") });
  });

  test("formatted for messages with the transport named", () => {
    const f = (t: string) => {
      const a = parseAgentxAddress(t);
      if ("error" in a) throw new Error(a.error);
      return formatAgentxAddress(a);
    };
    expect(f("/var/agentx/master")).toBe("unix:/var/agentx/master");
    expect(f("localhost:705")).toBe("tcp:localhost:705");
    expect(f("[::1]:705")).toBe("tcp:[::1]:705");
  });
});

async function load(text: string): Promise<{ config?: unknown; warnings?: string[]; error?: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), "agentx-config-"));
  const file = join(dir, "agentx.toml");
  writeFileSync(file, text);
  try {
    const loaded = await loadConfig(file, PLUGIN_FACTORIES);
    return {
      config: loaded.config.plugins.map((p) => p.config),
      warnings: loaded.warnings.map((w) => String(w).replaceAll(file, "FILE")),
    };
  } catch (e) {
    if (e instanceof ConfigError) return { error: e.message.replaceAll(file, "FILE").split("\n") };
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("config", () => {
  test("defaults: net-snmp's stock socket, upstream's cache-max, agent-timeout and peer-states", async () => {
    expect((await load("[[agentx]]\n")).config).toEqual([
      { address: "unix:/var/agentx/master", "cache-max": 60, "agent-timeout": 60, "peer-states": true },
    ]);
  });

  test("agent-timeout must fit the Open PDU's byte (upstream crashed on 256)", async () => {
    const r = await load("[[agentx]]\nagent-timeout = 256\n");
    expect(r.error?.join("\n")).toContain("agentx[0].agent-timeout");
    expect(r.error?.join("\n")).toContain("expected whole seconds 0–255 (it is one byte in the Open PDU)");
  });

  test("a bad address names the file, key and value", async () => {
    const r = await load(`[[agentx]]\naddress = "unix:var/agentx"\n`);
    expect(r.error?.join("\n")).toContain("FILE");
    expect(r.error?.join("\n")).toContain("agentx[0].address");
    expect(r.error?.join("\n")).toContain('the socket path "var/agentx" must be absolute');
  });

  test("negative cache-max is refused; a typo is warned with a suggestion", async () => {
    expect((await load("[[agentx]]\ncache-max = -1\n")).error?.join("\n")).toContain("must be 0 or more seconds");
    const r = await load("[[agentx]]\npeer-state = false\n");
    expect(r.warnings?.join("\n")).toContain('unknown key (did you mean "peer-states"?)');
  });
});
