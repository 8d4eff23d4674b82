/**
 * Multi-call entry point: one executable acts as `drbd-reactor`,
 * `drbd-reactorctl` or `ocf-rs-wrapper`, chosen by the first argument
 * (`drbd-reactor ctl …`) or else by the name it was started under.
 *
 * @module
 */
import { basename } from "node:path";
import { runDaemon } from "./daemon/daemon.ts";
import { VERSION } from "./version.ts";

type Tool = "daemon" | "ctl" | "ocf";

const TOOL_BY_NAME: Record<string, Tool> = {
  "drbd-reactor": "daemon",
  "drbd-reactorctl": "ctl",
  ctl: "ctl",
  "ocf-rs-wrapper": "ocf",
};

/** Pick the tool and its arguments from argv0 and the arguments. */
export function selectTool(argv0: string, args: readonly string[]): { tool: Tool; args: readonly string[] } {
  const first = args[0];
  if (first !== undefined && first !== "drbd-reactor" && TOOL_BY_NAME[first]) {
    return { tool: TOOL_BY_NAME[first]!, args: args.slice(1) };
  }
  return { tool: TOOL_BY_NAME[basename(argv0)] ?? "daemon", args };
}

function notImplemented(name: string, args: readonly string[]): number {
  if (args.includes("--version") || args.includes("-V")) {
    process.stdout.write(`${name} ${VERSION}\n`);
    return 0;
  }
  process.stderr.write(`${name}: not implemented yet in drbd-reactor ${VERSION}\n`);
  return 2;
}

async function main(): Promise<number> {
  const { tool, args } = selectTool(process.argv0, process.argv.slice(2));
  switch (tool) {
    case "daemon":
      return runDaemon(args);
    case "ctl":
      return notImplemented("drbd-reactorctl", args);
    case "ocf":
      return notImplemented("ocf-rs-wrapper", args);
  }
}

if (import.meta.main) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`Error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
