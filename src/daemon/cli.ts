/**
 * Command line of the daemon (pure: argv in, decision out).
 *
 * @module
 */
import { DEFAULT_CONFIG_FILE } from "../config/types.ts";

/** What the command line asks for. */
export type DaemonArgs =
  | { readonly action: "run"; readonly config: string; readonly allowTty: boolean }
  | { readonly action: "help" }
  | { readonly action: "version" }
  | { readonly action: "error"; readonly message: string };

/** `--help` text. */
export const DAEMON_USAGE = `Usage: drbd-reactor [OPTIONS]

Follows DRBD's event stream (drbdsetup events2) and runs the plugins
configured in the config file and its snippets.

Options:
  -c, --config FILE   main config file (default ${DEFAULT_CONFIG_FILE})
      --allow-tty     start even though a terminal is attached
  -h, --help          print this help
  -V, --version       print the version

Signals: SIGHUP reloads the config, SIGUSR1 logs the running plugin configs,
SIGTERM/SIGINT stop. Use drbd-reactorctl to manage and inspect plugins.
The same executable runs as drbd-reactorctl and ocf-rs-wrapper when started
under those names, or as "drbd-reactor ctl …" / "drbd-reactor ocf-rs-wrapper …".
`;

/** Parse the daemon's arguments (without program name). */
export function parseDaemonArgs(args: readonly string[]): DaemonArgs {
  let config = DEFAULT_CONFIG_FILE;
  let allowTty = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-h" || arg === "--help") return { action: "help" };
    if (arg === "-V" || arg === "--version") return { action: "version" };
    if (arg === "--allow-tty") allowTty = true;
    else if (arg === "-c" || arg === "--config") {
      const value = args[++i];
      if (value === undefined || value === "") return { action: "error", message: `${arg} needs a file name` };
      config = value;
    } else if (arg.startsWith("--config=")) config = arg.slice("--config=".length);
    else if (arg.startsWith("-c") && arg.length > 2) config = arg.slice(2);
    else return { action: "error", message: `unknown argument "${arg}" (see --help)` };
  }
  return { action: "run", config, allowTty };
}
