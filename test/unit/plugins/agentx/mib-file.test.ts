/**
 * example/LINBIT-DRBD-MIB.mib against real tools, and against the code:
 * - net-snmp (`snmptranslate`) loads it silently, and every object the agent
 *   serves has, in the file, the name and syntax mib.ts declares;
 * - `smilint` finds nothing wrong with it beyond what its upper-case
 *   descriptors cause. Those names are upstream's and users' scripts use
 *   them (`LINBIT-DRBD-MIB::Read.1000`; net-snmp matches names
 *   case-sensitively), but libsmi's grammar rejects an upper-case name
 *   before OBJECT-TYPE as a syntax error and drops the definition, so on the
 *   file itself smilint cannot check anything else. So it also lints a copy
 *   with only those descriptors' first letters lowered, which must be clean
 *   up to one explained warning.
 *
 * Debian ships no SNMPv2-SMI/TC/CONF for either tool, hence the stubs in
 * test/fixtures/mibs (see the comment in each). `make test` installs the
 * tools (Debian packages smitools and snmp).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildMib, MIB_COLUMNS, MIB_SCALARS, type ColumnSyntax } from "../../../../plugins/agentx/mib.ts";
import type { Oid } from "../../../../plugins/agentx/protocol/types.ts";
import { storeFromLines } from "../../../helpers/store.ts";

const ROOT = resolve(import.meta.dir, "../../../..");
const MIB_FILE = join(ROOT, "example/LINBIT-DRBD-MIB.mib");
const STUBS = join(ROOT, "test/fixtures/mibs");
const LINBIT = [1, 3, 6, 1, 4, 1, 23302];
const ENTRY = [...LINBIT, 1, 2, 1];

/** All 51 names the agent serves, upper-case first letter as upstream. */
const NAMES = [...MIB_SCALARS.map((s) => s.name), ...MIB_COLUMNS.map((c) => c.name)];

function tool(name: string): string {
  const path = Bun.which(name);
  if (path === null) {
    throw new Error(
      `${name} is not installed: this test needs Debian's smitools (smilint) and snmp (snmptranslate) packages; \`make test\` installs them`,
    );
  }
  return path;
}

/** Environment without MIB settings a developer may have, so only our paths count. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(MIBS|MIBDIRS|SMIPATH|SNMPCONFPATH)$/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function run(cmd: string[], env: Record<string, string> = cleanEnv()): { code: number; stdout: string; stderr: string } {
  const p = Bun.spawnSync(cmd, { env, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

function snmptranslate(...args: string[]) {
  // -M +DIRS: the stubs and the example directory after the default path; -m: only this module and its imports.
  return run([tool("snmptranslate"), "-M", `+${STUBS}:${join(ROOT, "example")}`, "-m", "LINBIT-DRBD-MIB", ...args]);
}

/** smilint's diagnostics, one per line, for `file` (the stubs resolve the imports). */
function smilint(file: string): string[] {
  const r = run([tool("smilint"), "-l", "6", "-s", file], cleanEnv({ SMIPATH: STUBS }));
  return (r.stdout + r.stderr).split("\n").filter(Boolean);
}

const severity = (line: string) => Number(/: \[(\d)\] /.exec(line)?.[1] ?? -1);

const scratch = mkdtempSync(join(tmpdir(), "agentx-mib-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("smilint", () => {
  test("the file: only diagnostics caused by upstream's upper-case descriptors", () => {
    const lines = smilint(MIB_FILE);
    // What an upper-case descriptor makes libsmi say, directly or by dropping the definition.
    const causedByNames = [
      /\[2\] `(\w+)' should start with a lower case letter$/,
      /\[1\] syntax error, unexpected OBJECT_TYPE, expecting OBJECT$/,
      /\[1\] syntax error, unexpected UPPERCASE_IDENTIFIER, expecting LOWERCASE_IDENTIFIER$/, // in the SEQUENCE
      /\[1\] unknown object identifier label `(\w+)'$/, // group members whose definition was dropped
      /\[2\] unknown type `DrbdEntry'$/, // the SEQUENCE was dropped
      /\[5\] warning: flushing recent incorrect declaration, see previous error\(s\)$/,
      /\[5\] warning: exactly one index element of row `drbdEntry' must be accessible$/, // INDEX { Minor } dropped
      /\[5\] warning: identifier `\S+' imported from module `SNMPv2-\w+' is never used$/, // used only by dropped definitions
    ];
    const other = lines.filter((l) => !causedByNames.some((re) => re.test(l)));
    expect(other).toEqual([]);
    const flagged = new Set(lines.flatMap((l) => /`(\w+)' should start with a lower case letter/.exec(l)?.[1] ?? []));
    expect([...flagged].sort()).toEqual([...NAMES].sort());
    const unknown = new Set(lines.flatMap((l) => /unknown object identifier label `(\w+)'/.exec(l)?.[1] ?? []));
    for (const name of unknown) expect(NAMES).toContain(name);
  });

  test("a copy with lower-case descriptors: no errors, only the index-column warning", () => {
    let text = readFileSync(MIB_FILE, "utf8");
    for (const name of NAMES) text = text.replace(new RegExp(`\\b${name}\\b`, "g"), name[0]!.toLowerCase() + name.slice(1));
    const copy = join(scratch, "LINBIT-DRBD-MIB.mib");
    writeFileSync(copy, text);
    const lines = smilint(copy);
    expect(lines.filter((l) => severity(l) <= 4)).toEqual([]);
    // Minor is the index and also served as column 1, as upstream does: SMIv2 would make it not-accessible.
    expect(lines.map((l) => l.replace(/^.*?: \[/, "["))).toEqual([
      "[5] warning: index element `minor' of row `drbdEntry' should be not-accessible in SMIv2 MIB",
    ]);
  });
});

describe("net-snmp", () => {
  test("loads the module silently; scalars without .0", () => {
    const r = snmptranslate("-IR", "-On", "ModuleVersion");
    expect(r).toEqual({ code: 0, stdout: ".1.3.6.1.4.1.23302.1.1.1\n", stderr: "" });
    const read = snmptranslate("-On", "LINBIT-DRBD-MIB::Read.1000");
    expect(read).toEqual({ code: 0, stdout: ".1.3.6.1.4.1.23302.1.2.1.16.1000\n", stderr: "" });
  });

  test("-Tp shows the tree with the index", () => {
    const r = snmptranslate("-IR", "-Tp", "linbit");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("+--linbit(23302)");
    expect(r.stdout).toContain("+--drbdEntry(1)");
    expect(r.stdout).toContain("Index: Minor");
    expect(r.stdout).toContain("Counter64 Read(16)");
  });

  test("every object the agent serves has mib.ts's name and syntax in the file, and nothing else is there", () => {
    // Objects the code produces: walk a MIB built from a device with a peer (peer-states on).
    const store = storeFromLines([
      "exists resource name:r0 role:Primary",
      "exists device name:r0 volume:0 minor:1000 disk:UpToDate size:1024",
      "exists peer-device name:r0 peer-node-id:1 conn-name:b volume:0 replication:Established peer-disk:UpToDate",
    ]);
    const mib = buildMib(store.resources(), { utils: "9.29.0", kmod: "9.2.12" }, { peerStates: true });
    const served = new Map<string, number>(); // object OID → wire type
    for (let start: Oid = [], vb = mib.next(start, false, []); vb.value.type !== 130; vb = mib.next(start, false, [])) {
      const object = vb.name.length === ENTRY.length + 2 ? vb.name.slice(0, -1) : vb.name; // strip the minor
      served.set(object.join("."), vb.value.type);
      start = vb.name;
    }
    expect(served.size).toBe(51);

    // Names in the file: -Tso prints each node as a numeric line followed by its label path.
    const tso = snmptranslate("-Tso");
    expect(tso.stderr).toBe("");
    const lines = tso.stdout.split("\n").filter(Boolean);
    const fileNames = new Map<string, string>();
    for (let i = 0; i + 1 < lines.length; i += 2) {
      fileNames.set(lines[i]!.replace(/^\./, ""), lines[i + 1]!.split(".").pop()!);
    }
    const expected = new Map<string, { name: string; syntax: ColumnSyntax | "DisplayString" }>([
      ...MIB_SCALARS.map((s) => [s.oid.join("."), { name: s.name, syntax: s.syntax }] as const),
      ...MIB_COLUMNS.map((c) => [[...ENTRY, c.column].join("."), { name: c.name, syntax: c.syntax }] as const),
    ]);
    expect([...served.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [oid, { name }] of expected) expect([oid, fileNames.get(oid)]).toEqual([oid, name]);
    // No leaf in the file that the code does not serve.
    const fileLeaves = [...fileNames.keys()].filter(
      (oid) => oid.startsWith(`${[...LINBIT, 1, 1].join(".")}.`) || oid.startsWith(`${ENTRY.join(".")}.`),
    );
    expect(fileLeaves.sort()).toEqual([...expected.keys()].sort());

    // Syntax in the file (-Td), and the wire type the code sends for it.
    const td = snmptranslate("-Td", ...[...expected.keys()].map((oid) => `.${oid}`));
    expect(td.stderr).toBe("");
    const blocks = td.stdout.split(/\n(?=LINBIT-DRBD-MIB::)/);
    expect(blocks).toHaveLength(51);
    const wireOf: Record<ColumnSyntax, number> = {
      Integer32: 2,
      TruthValue: 2,
      DisplayString: 4,
      Unsigned32: 66,
      Counter64: 70,
    };
    for (const block of blocks) {
      const name = /^LINBIT-DRBD-MIB::(\w+)/.exec(block)![1]!;
      const [oid, want] = [...expected].find(([, v]) => v.name === name)!;
      const tc = /-- TEXTUAL CONVENTION (\w+)/.exec(block)?.[1];
      const syntax = tc ?? /\n {2}SYNTAX\t(\w+)/.exec(block)?.[1];
      expect([name, syntax, /MAX-ACCESS\tread-only/.test(block)]).toEqual([name, want.syntax, true]);
      expect([name, served.get(oid)]).toEqual([name, wireOf[want.syntax]]);
    }
  });
});
