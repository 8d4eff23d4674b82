/**
 * Shim command dispatch (pure): `drbdsetup …` / `drbdadm …` argv on a node →
 * new model steps plus stdout/stderr/exit code, or "start an events2 stream".
 *
 * @module
 */
import { runDrbdadm } from "./cmd-drbdadm.ts";
import { type Dispatch, once, type Tool } from "./cmd-common.ts";
import { runDrbdsetup } from "./cmd-drbdsetup.ts";
import { nodeOf, type SimModel } from "./model.ts";

export type { CommandOutput, Dispatch, Tool } from "./cmd-common.ts";

/** Run one shim invocation against the model. */
export function dispatch(m: SimModel, node: string, tool: Tool, argv: readonly string[]): Dispatch {
  const n = nodeOf(m, node);
  if (!n.up) {
    return once(m, "", `${tool}: node '${node}' is down (simulated crash): Could not connect to 'drbd' generic netlink family\n`, 20);
  }
  return tool === "drbdsetup" ? runDrbdsetup(m, n, argv) : runDrbdadm(m, n, argv);
}

