/**
 * `drbdadm` subcommands of the shim (pure). drbdadm works on the resources
 * *configured* for the node (the simulator's resource definitions), calls
 * drbdsetup for the kernel part and reports drbdsetup failures with its
 * `Command '…' terminated with exit code N` line.
 *
 * @module
 */
import { type Dispatch, flag, once, splitArgs, versionText } from "./cmd-common.ts";
import { findResource, type SimModel, type SimNode } from "./model.ts";
import {
  adjustOp,
  attachDisk,
  connectOp,
  demote,
  detachDisk,
  disconnectOp,
  downOp,
  type OpResult,
  outdateOp,
  promote,
  setSyncPaused,
  type Steps,
  upOp,
} from "./ops.ts";
import { statusText } from "./status-json.ts";
import { viewOf } from "./view.ts";

const USAGE = `USAGE: drbdadm COMMAND [OPTION...] {all|RESOURCE...}

COMMANDS (drbd simulator subset):
 primary            secondary          up                 down
 adjust             connect            disconnect         attach
 detach             outdate            pause-sync         resume-sync
 sh-ll-dev          status
`;

/** Resources `arg` names on node `n`: `all` = every configured one; null when unknown. */
function configured(m: SimModel, n: SimNode, arg: string): string[] | null {
  const mine = m.resources.filter((r) => r.nodes[n.name]).map((r) => r.name);
  if (arg === "all") return mine.sort();
  return mine.includes(arg) ? [arg] : null;
}

function notDefined(m: SimModel, res: string): Dispatch {
  return once(m, "", `'${res}' not defined in your config (for this host).\n`, 10);
}

/** Run one drbdsetup-backed operation per resource, stopping at the first failure like drbdadm. */
function perResource(
  m: SimModel,
  resources: string[],
  setupCmd: (res: string) => string,
  op: (model: SimModel, res: string) => OpResult,
): Dispatch {
  let model = m;
  const steps: Steps = [];
  for (const res of resources) {
    const r = op(model, res);
    steps.push(...r.steps);
    model = r.steps[r.steps.length - 1] ?? model;
    if (r.error) {
      const stderr = `${r.error.message}\nCommand '${setupCmd(res)}' terminated with exit code ${r.error.exitCode}\n`;
      return once(m, "", stderr, r.error.exitCode, steps.length > 0 ? steps : [m]);
    }
  }
  return once(m, "", "", 0, steps.length > 0 ? steps : [m]);
}

const ok = (steps: Steps): OpResult => ({ steps, error: null });

/** Run `drbdadm ARGV` on node `n`. */
export function runDrbdadm(m: SimModel, n: SimNode, argv: readonly string[]): Dispatch {
  const { positional, options } = splitArgs(argv);
  if (options.has("version") || options.has("V")) return once(m, versionText(n));
  if (options.has("help") || options.has("h")) return once(m, USAGE);
  const [cmd, ...targets] = positional;
  if (cmd === undefined) return once(m, "", USAGE, 20);
  const force = flag(options, "force");
  const needTargets = (): string[] | Dispatch => {
    if (targets.length === 0) return once(m, "", `drbdadm ${cmd}: missing resource name\n${USAGE}`, 20);
    const out: string[] = [];
    for (const t of targets) {
      const rs = configured(m, n, t);
      if (!rs) return notDefined(m, t);
      out.push(...rs);
    }
    return out;
  };
  const run = (setupCmd: (res: string) => string, op: (model: SimModel, res: string) => OpResult): Dispatch => {
    const rs = needTargets();
    return Array.isArray(rs) ? perResource(m, rs, setupCmd, op) : rs;
  };
  const volumes = (res: string): number[] => findResource(m, res)?.volumes.map((v) => v.volume) ?? [];
  const eachVolume = (model: SimModel, res: string, f: (mm: SimModel, v: number) => Steps): Steps => {
    const steps: Steps = [];
    let cur = model;
    for (const v of volumes(res)) {
      const s = f(cur, v);
      steps.push(...s);
      cur = s[s.length - 1] ?? cur;
    }
    return steps.length > 0 ? steps : [model];
  };

  switch (cmd) {
    case "primary":
      return run(
        (res) => `drbdsetup primary ${res}${force ? " --force" : ""}`,
        (mm, res) => promote(mm, n.name, res, { force }),
      );
    case "secondary":
      return run(
        (res) => `drbdsetup secondary ${res}${force ? " --force" : ""}`,
        (mm, res) => demote(mm, n.name, res, { force }),
      );
    case "up":
      return run((res) => `drbdsetup new-resource ${res}`, (mm, res) => upOp(mm, n.name, res));
    case "down":
      return run((res) => `drbdsetup down ${res}`, (mm, res) => downOp(mm, n.name, res));
    case "adjust":
      return run((res) => `drbdsetup adjust ${res}`, (mm, res) => adjustOp(mm, n.name, res));
    case "connect":
      return run(
        (res) => `drbdsetup connect ${res}`,
        (mm, res) => connectOp(mm, n.name, res, { discardMyData: flag(options, "discard-my-data") }),
      );
    case "disconnect":
      return run((res) => `drbdsetup disconnect ${res}`, (mm, res) => disconnectOp(mm, n.name, res));
    case "outdate":
      return run((res) => `drbdsetup outdate ${res}`, (mm, res) => outdateOp(mm, n.name, res));
    case "attach":
      return run(
        (res) => `drbdsetup attach ${res}`,
        (mm, res) => ok(eachVolume(mm, res, (x, v) => attachDisk(x, n.name, res, v))),
      );
    case "detach":
      return run(
        (res) => `drbdsetup detach ${res}`,
        (mm, res) => ok(eachVolume(mm, res, (x, v) => detachDisk(x, n.name, res, v))),
      );
    case "pause-sync":
    case "resume-sync":
      return run(
        (res) => `drbdsetup ${cmd} ${res}`,
        (mm, res) => {
          let steps: Steps = [mm];
          for (const peer of Object.keys(findResource(mm, res)?.nodes[n.name]?.peers ?? {})) {
            const last = steps[steps.length - 1] ?? mm;
            steps = [...steps, ...setSyncPaused(last, n.name, peer, res, cmd === "pause-sync")];
          }
          return ok(steps);
        },
      );
    case "sh-ll-dev": {
      const rs = needTargets();
      if (!Array.isArray(rs)) return rs;
      const lines = rs.flatMap((res) => {
        const r = findResource(m, res);
        return (r?.volumes ?? []).map((v) => r?.nodes[n.name]?.volumes[v.volume]?.configuredDisk ?? "none");
      });
      return once(m, `${lines.join("\n")}\n`);
    }
    case "status": {
      const wanted = targets.length === 0 ? ["all"] : targets;
      const names = new Set<string>();
      for (const t of wanted) {
        const rs = configured(m, n, t);
        if (!rs) return notDefined(m, t);
        for (const r of rs) names.add(r);
      }
      return once(m, statusText(viewOf(m, n.name).filter((v) => names.has(v.resource.name))));
    }
    default:
      return once(m, "", `drbdadm: Unknown command '${cmd}'\n`, 20);
  }
}
