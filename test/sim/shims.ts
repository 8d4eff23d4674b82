/**
 * The per-node `drbdsetup`/`drbdadm` scripts: tiny `#!/bin/sh` wrappers that
 * `exec` bun on `shim.ts` with the socket and node baked in, so the pid a
 * caller spawns is the shim's own.
 *
 * @module
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Tool } from "./cmd-common.ts";

/** The tools a node's bin directory provides. */
export const TOOLS: readonly Tool[] = ["drbdsetup", "drbdadm"];

/** Absolute path of `shim.ts`. */
export const SHIM_PATH = join(import.meta.dir, "shim.ts");

/** Quote for a POSIX shell (single quotes). */
export function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * What a shim script `exec`s in front of `<socket> <node> <tool> "$@"`: either an
 * interpreter that runs `shim.ts` (`{ bun }`), or a ready command (`{ command }`,
 * e.g. a compiled simulator and its `shim` subcommand, see cli.ts).
 */
export type ShimRunner = { readonly bun: string } | { readonly command: readonly string[] };

/** The command words a shim runs before its socket, node and tool. */
export function shimCommand(runner: ShimRunner): readonly string[] {
  return "command" in runner ? runner.command : [runner.bun, SHIM_PATH];
}

/** The text of one shim script (pure). */
export function shimScript(opts: ShimRunner & { socketPath: string; node: string; tool: Tool }): string {
  const prefix = shimCommand(opts).map(shQuote).join(" ");
  return [
    "#!/bin/sh",
    `# ${opts.tool} of simulated DRBD node '${opts.node}' (drbd-reactor test simulator, generated)`,
    `exec ${prefix} ${shQuote(opts.socketPath)} ${shQuote(opts.node)} ${opts.tool} "$@"`,
    "",
  ].join("\n");
}

/** Write `drbdsetup` and `drbdadm` for `node` into `dir` (created if needed). */
export async function writeShimScripts(dir: string, opts: ShimRunner & { socketPath: string; node: string }): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const tool of TOOLS) {
    const path = join(dir, tool);
    await writeFile(path, shimScript({ ...opts, tool }));
    await chmod(path, 0o755);
  }
}
