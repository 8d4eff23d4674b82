#!/usr/bin/env bun
/**
 * Run a simulated DRBD cluster by hand:
 *
 * ```
 * bun test/sim/cli.ts --dir /tmp/sim --nodes alpha,bravo,charlie --resource r0:1000
 * ```
 *
 * It prints where each node's shims are, runs an optional scenario script,
 * then reads scenario commands from stdin (see `--help`) until `quit` or EOF
 * (with `--serve`: runs until SIGTERM/SIGINT without reading stdin).
 * In another shell: `PATH=/tmp/sim/nodes/alpha/bin:$PATH drbdsetup events2 --full --poll`.
 *
 * Compiled (`bun build --compile test/sim/cli.ts --outfile drbd-sim`) it is
 * self-contained: `drbd-sim shim <socket> <node> <tool> [args…]` is the shim
 * process, and the shims it writes run that instead of bun on shim.ts.
 *
 * @module
 */
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startCluster } from "./cluster.ts";
import type { ResourceSpec } from "./model.ts";
import { runScenarioLine, SCENARIO_HELP } from "./scenario.ts";
import { shimMain } from "./shim.ts";

/** Running as a `bun build --compile` executable (sources are in Bun's embedded filesystem). */
const COMPILED = import.meta.dir.startsWith("/$bunfs/");

const USAGE = `Usage: bun test/sim/cli.ts [options]

Starts a simulated DRBD cluster (the stand-in for the DRBD kernel module in
this project's tests) with drbdsetup/drbdadm shims per node, then reads
scenario commands from stdin.

Options:
  --dir DIR             state directory (default: a new directory under $TMPDIR)
  --nodes A,B,C         node names (default: alpha,bravo,charlie)
  --resource SPEC       NAME[:MINOR[:SIZE_KIB[:VOLUMES]]], repeatable
                        (default: r0:1000:1048576:1); minors of further volumes count up
  --diskless NODE       make NODE an intentionally diskless client of every resource (repeatable)
  --advance MODE        poll (default): every 'n' poll advances time one tick; manual: only 'tick'
  --script FILE         run the commands in FILE first
  --exit                exit after the script (do not read stdin)
  --serve               do not read stdin; run until SIGTERM or SIGINT (as a service)
  -h, --help            this help

Subcommand:
  shim SOCKET NODE drbdsetup|drbdadm [ARGS...]
                        be that node's tool (what the shims of a compiled simulator run)

${SCENARIO_HELP}
`;

function parseResource(spec: string, diskless: string[]): ResourceSpec {
  const [name, minor = "1000", size = "1048576", vols = "1"] = spec.split(":");
  if (!name) throw new Error(`bad --resource '${spec}'`);
  const first = Number(minor);
  const count = Number(vols);
  if (!Number.isInteger(first) || !Number.isInteger(count) || count < 1 || !Number.isInteger(Number(size))) {
    throw new Error(`bad --resource '${spec}' (want NAME[:MINOR[:SIZE_KIB[:VOLUMES]]])`);
  }
  return {
    name,
    volumes: Array.from({ length: count }, (_, i) => ({ minor: first + i, sizeKiB: Number(size) })),
    diskless,
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      dir: { type: "string" },
      nodes: { type: "string", default: "alpha,bravo,charlie" },
      resource: { type: "string", multiple: true },
      diskless: { type: "string", multiple: true },
      advance: { type: "string", default: "poll" },
      script: { type: "string" },
      exit: { type: "boolean", default: false },
      serve: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.advance !== "poll" && values.advance !== "manual") throw new Error("--advance must be poll or manual");
  const dir = values.dir ?? (await mkdtemp(join(tmpdir(), "drbd-sim-")));
  const diskless = values.diskless ?? [];
  const resources = (values.resource ?? ["r0:1000:1048576"]).map((r) => parseResource(r, diskless));
  const c = await startCluster({
    dir,
    nodes: values.nodes.split(",").filter(Boolean),
    resources,
    advance: values.advance,
    ...(COMPILED ? { shimCommand: [process.execPath, "shim"] } : {}),
  });
  process.stdout.write(`drbd simulator running in ${dir} (socket ${c.socketPath})\n`);
  for (const n of c.nodes) process.stdout.write(`  ${n}: PATH=${c.binDir(n)}:$PATH\n`);

  const run = async (line: string): Promise<boolean> => {
    try {
      const out = await runScenarioLine(c, line);
      if (out === "quit") return false;
      if (out) process.stdout.write(`${out}\n`);
    } catch (e) {
      process.stderr.write(`error: ${(e as Error).message}\n`);
    }
    return true;
  };

  let going = true;
  if (values.script) {
    for (const line of (await readFile(values.script, "utf8")).split("\n")) {
      if (!(await run(line))) {
        going = false;
        break;
      }
    }
  }
  if (going && values.serve && !values.exit) {
    await new Promise<void>((resolve) => {
      process.once("SIGTERM", resolve);
      process.once("SIGINT", resolve);
    });
  } else if (going && !values.exit) {
    // Prompt only for a person at a terminal; piped scenarios stay clean.
    const prompt = (): void => {
      if (process.stdin.isTTY) process.stdout.write("> ");
    };
    prompt();
    for await (const line of console) {
      if (!(await run(line))) break;
      prompt();
    }
  }
  await c.stop();
  return 0;
}

try {
  if (Bun.argv[2] === "shim") await shimMain(Bun.argv.slice(3));
  else process.exit(await main());
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n${USAGE}`);
  process.exit(2);
}
