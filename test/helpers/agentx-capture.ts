/**
 * The hex fixture format of `test/fixtures/agentx/` and the tool that
 * captures those fixtures from a real net-snmp snmpd.
 *
 * Regenerate (needs Debian's `snmpd` and `snmp` packages; runs as any user):
 *
 *     bun test/helpers/agentx-capture.ts [out-dir]      # default test/fixtures/agentx
 *
 * It starts a private snmpd in the foreground (temp dir, free UDP port, AgentX
 * on a Unix socket), connects a small subagent built on this project's codec
 * once with a little-endian and once with a big-endian Open, drives snmpget,
 * snmpgetnext, snmpwalk, snmpbulkwalk and snmpset against it, and writes every
 * PDU snmpd sent, byte for byte, one file each. snmpd is stopped by its PID.
 *
 * @module
 */
import { createSocket } from "node:dgram";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  compareOid,
  decodePdu,
  encodePdu,
  Flags,
  formatOid,
  parseOid,
  type Pdu,
  PduFramer,
  PduType,
  ResponseError,
  type SearchRange,
  type Value,
  type VarBind,
  ValueType,
} from "../../plugins/agentx/protocol/index.ts";

/**
 * Bytes from fixture/test hex: `#` starts a comment line, whitespace and `|`
 * separate fields, and `"text"` stands for its ASCII bytes.
 */
export function parseHex(text: string): Uint8Array {
  const hex = text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join(" ")
    .replace(/"([^"]*)"/g, (_, s: string) => Buffer.from(s, "latin1").toString("hex"))
    .replace(/[\s|]/g, "");
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`not hex: "${hex.slice(0, 60)}"`);
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/** Hex in 4-byte groups, 8 groups a line (AgentX is 4-byte aligned, so fields line up). */
export function formatHex(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < bytes.length; i += 4) groups.push(Buffer.from(bytes.subarray(i, i + 4)).toString("hex"));
  const lines: string[] = [];
  for (let i = 0; i < groups.length; i += 8) lines.push(groups.slice(i, i + 8).join(" "));
  return lines.join("\n");
}

// ---------------------------------------------------------------------------
// The capture tool.

const LINBIT = parseOid("1.3.6.1.4.1.23302");
const text = (s: string): Value => ({ type: ValueType.OctetString, value: new TextEncoder().encode(s) });

/** drbd-reactor's OID layout with a few rows; Read is above 2^32 to exercise Counter64. */
const MIB: VarBind[] = [
  { name: [...LINBIT, 1, 1, 1], value: text("9.2.12") },
  { name: [...LINBIT, 1, 1, 2], value: text("9.29.0") },
  ...[1000, 1001].flatMap((minor): VarBind[] => [
    { name: [...LINBIT, 1, 2, 1, 1, minor], value: { type: ValueType.Integer, value: minor } },
    { name: [...LINBIT, 1, 2, 1, 2, minor], value: text("r0") },
    { name: [...LINBIT, 1, 2, 1, 16, minor], value: { type: ValueType.Counter64, value: 5_000_000_000n + BigInt(minor) } },
  ]),
].sort((a, b) => compareOid(a.name, b.name));

function answer(req: Pdu): VarBind[] {
  if (req.type === PduType.Get) {
    return req.ranges.map(
      (r) => MIB.find((vb) => compareOid(vb.name, r.start) === 0) ?? { name: r.start, value: { type: ValueType.NoSuchObject } },
    );
  }
  if (req.type === PduType.GetNext) {
    return req.ranges.map((r) => {
      const hit = MIB.find((vb) => {
        const c = compareOid(vb.name, r.start);
        return (c > 0 || (c === 0 && r.include)) && (r.end.length === 0 || compareOid(vb.name, r.end) < 0);
      });
      return hit ?? { name: r.start, value: { type: ValueType.EndOfMibView } };
    });
  }
  return [];
}

interface Captured {
  readonly label: string;
  readonly bytes: Uint8Array;
  readonly pdu: Pdu;
}

/** A subagent session that records every PDU the master sends. */
class Subagent {
  readonly captured: Captured[] = [];
  label = "open";
  sessionId = 0;
  #packetId = 0;
  #framer = new PduFramer();
  #socket!: Bun.Socket<undefined>;
  #waiting: ((pdu: Pdu) => void) | null = null;

  constructor(readonly flags: number) {}

  async connect(path: string): Promise<void> {
    this.#socket = await Bun.connect({
      unix: path,
      socket: { data: (_s, chunk) => this.#receive(chunk) },
    });
  }

  #receive(chunk: Uint8Array): void {
    this.#framer.push(chunk);
    for (let bytes = this.#framer.next(); bytes !== null; bytes = this.#framer.next()) {
      const pdu = decodePdu(bytes);
      this.captured.push({ label: this.label, bytes: bytes.slice(), pdu });
      if (pdu.type === PduType.Response) {
        this.#waiting?.(pdu);
        this.#waiting = null;
      } else if (pdu.type !== PduType.CleanupSet) {
        this.#reply(pdu);
      }
    }
  }

  #reply(req: Pdu): void {
    const notWritable = req.type === PduType.TestSet;
    this.#socket.write(
      encodePdu({
        type: PduType.Response,
        flags: this.flags,
        sessionId: req.sessionId,
        transactionId: req.transactionId,
        packetId: req.packetId,
        sysUpTime: 0,
        error: notWritable ? ResponseError.NotWritable : ResponseError.NoError,
        index: notWritable ? 1 : 0,
        varbinds: answer(req),
      }),
    );
  }

  /** Send an administrative PDU and wait for its Response. */
  async request(pdu: Pdu): Promise<Pdu> {
    const response = new Promise<Pdu>((resolve, reject) => {
      this.#waiting = resolve;
      setTimeout(() => reject(new Error(`no Response to PDU type ${pdu.type} within 5 s`)), 5000).unref();
    });
    this.#socket.write(encodePdu(pdu));
    return response;
  }

  header(): { flags: number; sessionId: number; transactionId: number; packetId: number } {
    return { flags: this.flags, sessionId: this.sessionId, transactionId: 0, packetId: ++this.#packetId };
  }

  close(): void {
    this.#socket.end();
  }
}

async function freeUdpPort(): Promise<number> {
  const sock = createSocket("udp4");
  await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", resolve));
  const { port } = sock.address();
  await new Promise<void>((resolve) => sock.close(() => resolve()));
  return port;
}

async function run(cmd: string[]): Promise<string> {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return (out + err).trim();
}

/** Run the whole capture and write the fixtures to `outDir`. */
export async function capture(outDir: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "agentx-capture-"));
  const sock = join(dir, "agentx.sock");
  const port = await freeUdpPort();
  const agent = `127.0.0.1:${port}`;
  writeFileSync(
    join(dir, "snmpd.conf"),
    [
      `agentAddress  udp:${agent}`,
      "master        agentx",
      `agentXSocket  unix:${sock}`,
      "agentXPerms   0660 0755",
      "agentXTimeout 5",
      "agentXRetries 1",
      "view   drbdview  included  .1.3.6.1.2.1.1",
      "view   drbdview  included  .1.3.6.1.4.1.23302",
      "rocommunity   testcomm  127.0.0.1  -V drbdview",
      "rwcommunity   testrw    127.0.0.1  -V drbdview",
      "dontLogTCPWrappersConnects yes",
      "",
    ].join("\n"),
  );
  const snmpd = Bun.spawn(
    ["snmpd", "-f", "-Lo", "-C", "-m", "", "-I", "-smux", "-c", join(dir, "snmpd.conf"), "-p", join(dir, "snmpd.pid")],
    { env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, "persist") }, stdout: "ignore", stderr: "ignore" },
  );
  const files: Array<{ name: string; comment: string[]; bytes: Uint8Array }> = [];
  try {
    const deadline = performance.now() + 10_000;
    while (!(await run(["snmpget", "-v2c", "-c", "testcomm", "-t", "0.2", "-r", "0", agent, ".1.3.6.1.2.1.1.5.0"])).includes("STRING")) {
      if (performance.now() > deadline) throw new Error("snmpd did not answer within 10 s");
      await Bun.sleep(50);
    }
    const snmp = (tool: string, community: string, ...args: string[]) =>
      [tool, "-v2c", "-c", community, "-On", "-t", "2", "-r", "0", agent, ...args];
    const lin = ".1.3.6.1.4.1.23302";
    const commands: Array<[label: string, cmd: string[]]> = [
      // Four OIDs in the region (two without a value) and sysName.0, which snmpd answers itself.
      ["get", snmp("snmpget", "testcomm", `${lin}.1.1.1`, `${lin}.1.2.1.16.1000`, `${lin}.1.2.1.99.1000`, `${lin}.1.1.1.0`, ".1.3.6.1.2.1.1.5.0")],
      ["getnext-before-region", snmp("snmpgetnext", "testcomm", ".1.3.6.1.4.1")],
      ["getnext-two", snmp("snmpgetnext", "testcomm", `${lin}.1.1.1`, `${lin}.1.2.1.1.1000`)],
      ["walk", snmp("snmpwalk", "testcomm", lin)],
      ["bulkwalk", snmp("snmpbulkwalk", "testcomm", "-Cr4", lin)],
      ["set", snmp("snmpset", "testrw", `${lin}.1.2.1.2.1000`, "s", "r9")],
    ];
    for (const [order, flags] of [["le", 0], ["be", Flags.NetworkByteOrder]] as const) {
      const sub = new Subagent(flags);
      await sub.connect(sock);
      const open = await sub.request({
        type: PduType.Open,
        ...sub.header(),
        timeout: 60,
        id: LINBIT,
        description: new TextEncoder().encode(`agentx-capture ${order}`),
      });
      sub.sessionId = open.sessionId;
      sub.label = "register";
      const reg = await sub.request({ type: PduType.Register, ...sub.header(), timeout: 0, priority: 127, rangeSubid: 0, subtree: LINBIT });
      if (reg.type !== PduType.Response || reg.error !== 0) throw new Error(`Register failed: ${describe(reg)}`);
      const outputs = new Map<string, string>();
      for (const [label, cmd] of commands) {
        sub.label = label;
        outputs.set(label, `$ ${cmd.join(" ")}`);
        const out = await run(cmd);
        outputs.set(label, `${outputs.get(label)}\n${out}`);
        await Bun.sleep(200); // CleanupSet may follow the client's answer
      }
      sub.label = "close";
      await sub.request({ type: PduType.Close, ...sub.header(), reason: 5 });
      sub.close();

      const counts = new Map<string, number>();
      for (const c of sub.captured) {
        const kind = c.pdu.type === PduType.Response ? "response" : pduName(c.pdu.type);
        const key = c.label.startsWith(kind) ? c.label : `${c.label}-${kind}`;
        const n = (counts.get(key) ?? 0) + 1;
        counts.set(key, n);
        const many = sub.captured.filter((x) => x.label === c.label && x.pdu.type === c.pdu.type).length > 1;
        files.push({
          name: `${order}-${key}${many ? `-${n}` : ""}.hex`,
          comment: [
            `Captured from net-snmp snmpd ${await snmpdVersion()} by test/helpers/agentx-capture.ts ` +
              `(${order === "le" ? "little-endian" : "big-endian"} session).`,
            `Step "${c.label}"${outputs.has(c.label) ? ":" : ""}`,
            // The port is picked at run time; keep regenerated files diffable.
            ...(outputs.get(c.label)?.replaceAll(agent, "127.0.0.1:$PORT").split("\n") ?? []),
            `Decoded: ${describe(c.pdu)}`,
          ],
          bytes: c.bytes,
        });
      }
    }
  } finally {
    snmpd.kill("SIGTERM");
    await snmpd.exited;
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(outDir, { recursive: true });
  for (const f of files) {
    writeFileSync(join(outDir, f.name), `${f.comment.map((l) => `# ${l}`.trimEnd()).join("\n")}\n${formatHex(f.bytes)}\n`);
  }
  console.log(`wrote ${files.length} fixtures to ${outDir}`);
}

let version: string | undefined;
async function snmpdVersion(): Promise<string> {
  version ??= /version:\s*(\S+)/.exec(await run(["snmpd", "-v"]))?.[1] ?? "?";
  return version;
}

function pduName(type: number): string {
  return (Object.entries(PduType).find(([, code]) => code === type)?.[0] ?? `type${type}`).toLowerCase();
}

function describe(pdu: Pdu): string {
  const fields: string[] = [pduName(pdu.type), `flags=0x${pdu.flags.toString(16)}`];
  fields.push(`sid=${pdu.sessionId}`, `tid=${pdu.transactionId}`, `pid=${pdu.packetId}`);
  const vb = (v: VarBind) => `${formatOid(v.name)}=${valueText(v.value)}`;
  const range = (r: SearchRange) => `[${formatOid(r.start)} include=${r.include ? 1 : 0} end=${formatOid(r.end) || "null"}]`;
  if ("ranges" in pdu) fields.push(...pdu.ranges.map(range));
  if (pdu.type === PduType.Response) fields.push(`sysUpTime=${pdu.sysUpTime} error=${pdu.error} index=${pdu.index}`);
  if ("varbinds" in pdu) fields.push(...pdu.varbinds.map(vb));
  return fields.join(" ");
}

function valueText(v: Value): string {
  switch (v.type) {
    case ValueType.OctetString:
      return `"${new TextDecoder().decode(v.value)}"`;
    case ValueType.ObjectIdentifier:
      return formatOid(v.value);
    case ValueType.Integer:
    case ValueType.Counter32:
    case ValueType.Gauge32:
    case ValueType.TimeTicks:
    case ValueType.Counter64:
      return `${v.value}(type ${v.type})`;
    default:
      return `(type ${v.type})`;
  }
}

if (import.meta.main) await capture(process.argv[2] ?? join(import.meta.dir, "../fixtures/agentx"));
