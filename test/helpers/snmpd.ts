/**
 * A real net-snmp `snmpd` as a plain foreground process for tests (spec
 * monitoring.md §5): AgentX master on a Unix socket and on TCP, SNMP on UDP,
 * all on loopback ports picked free at start, nothing read from /etc/snmp.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freeTcpPort, freeUdpPort } from "./ports.ts";
import { type RunResult, runCommand } from "./run.ts";
import { until } from "./until.ts";

/** Community the tests read with. */
export const COMMUNITY = "testcomm";

/** Output of one net-snmp client run. */
export type ClientResult = RunResult;

/** A running snmpd; `restart()` brings it back on the same sockets. */
export class Snmpd {
  #proc: ReturnType<typeof Bun.spawn> | null = null;
  #log = "";

  private constructor(
    readonly dir: string,
    /** `host:port` of the SNMP (UDP) agent. */
    readonly snmpTarget: string,
    /** The AgentX master's Unix socket. */
    readonly agentxSocket: string,
    /** The AgentX master's TCP port on 127.0.0.1. */
    readonly agentxTcpPort: number,
  ) {}

  /** Write the config under `dir` and start snmpd; resolves once it answers SNMP. */
  static async start(dir: string, opts: { readonly extraConfig?: string } = {}): Promise<Snmpd> {
    for (const tool of ["snmpd", "snmpget", "snmpwalk"]) {
      if (!Bun.which(tool) && !Bun.which(tool, { PATH: "/usr/sbin:/usr/bin" })) {
        throw new Error(`${tool} is missing: install Debian's "snmpd" and "snmp" packages (make test does)`);
      }
    }
    mkdirSync(join(dir, "persist"), { recursive: true });
    const udp = await freeUdpPort();
    const tcp = freeTcpPort();
    const socket = join(dir, "agentx.sock");
    const config = [
      `agentAddress udp:127.0.0.1:${udp}`,
      "master agentx",
      `agentXSocket unix:${socket},tcp:127.0.0.1:${tcp}`,
      "agentXPerms 0660 0755",
      // Fail fast when a subagent hangs (net-snmp's default is 1 s × 6 tries).
      "agentXTimeout 2",
      "agentXRetries 0",
      "view drbdview included .1.3.6.1.2.1.1",
      "view drbdview included .1.3.6.1.4.1.23302",
      `rocommunity ${COMMUNITY} 127.0.0.1 -V drbdview`,
      "dontLogTCPWrappersConnects yes",
      opts.extraConfig ?? "",
    ].join("\n");
    writeFileSync(join(dir, "snmpd.conf"), `${config}\n`);
    const snmpd = new Snmpd(dir, `127.0.0.1:${udp}`, socket, tcp);
    await snmpd.#launch();
    return snmpd;
  }

  async #launch(): Promise<void> {
    const binary = Bun.which("snmpd") ?? Bun.which("snmpd", { PATH: "/usr/sbin:/usr/bin" })!;
    this.#proc = Bun.spawn(
      [binary, "-f", "-Lo", "-C", "-m", "", "-I", "-smux", "-c", join(this.dir, "snmpd.conf"), "-p", join(this.dir, "snmpd.pid")],
      {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", SNMP_PERSISTENT_DIR: join(this.dir, "persist") },
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    this.#collect(this.#proc.stdout as ReadableStream<Uint8Array>);
    this.#collect(this.#proc.stderr as ReadableStream<Uint8Array>);
    await until(
      "snmpd answering SNMP",
      async () => (await this.client("snmpget", ["-v2c", "-c", COMMUNITY, "-t", "0.3", "-r", "0", this.snmpTarget, ".1.3.6.1.2.1.1.5.0"])).code === 0,
      10_000,
    ).catch(async (e: Error) => {
      // Never leave a half-started snmpd behind: the caller gets no handle to stop it.
      await this.kill("SIGKILL");
      throw new Error(`${e.message}\nsnmpd output:\n${this.#log}`);
    });
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) this.#log += decoder.decode(chunk, { stream: true });
  }

  /** Everything snmpd printed so far. */
  get log(): string {
    return this.#log;
  }

  /** snmpd's PID (while it runs). */
  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  /** Run a net-snmp client (`snmpwalk`, `snmpget`, `snmptable`, …) to completion. */
  client(tool: string, args: readonly string[], env: Record<string, string> = {}): Promise<ClientResult> {
    return runCommand([tool, ...args], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } });
  }

  /** `snmpwalk -v2c -On` of `oid` with the test community (numeric names). */
  walk(oid: string, extra: readonly string[] = []): Promise<ClientResult> {
    return this.client("snmpwalk", ["-v2c", "-c", COMMUNITY, "-On", "-t", "5", "-r", "0", ...extra, this.snmpTarget, oid]);
  }

  /** Kill snmpd (SIGTERM by default) and wait for it. */
  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const proc = this.#proc;
    if (!proc) return;
    this.#proc = null;
    proc.kill(signal);
    await proc.exited;
  }

  /** Start it again with the same config and sockets. */
  async restart(): Promise<void> {
    await this.kill();
    await this.#launch();
  }

  /** Stop for good. */
  async stop(): Promise<void> {
    await this.kill();
  }
}

/**
 * Parse `snmpwalk -On` / `snmpbulkwalk -On` output into OID → value text as
 * printed (`STRING: "r0"`, `INTEGER: 2`, `""` …), without the end-of-view line.
 */
export function parseWalk(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^(\.[0-9.]+) = (.*)$/.exec(line);
    // snmpwalk ends by repeating the last OID with "No more variables left in this MIB View".
    if (m && !m[2]!.startsWith("No more variables left")) out.set(m[1]!, m[2]!);
  }
  return out;
}
