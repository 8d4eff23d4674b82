/**
 * `drbdsetup` subcommands of the shim (pure): events2, status, show,
 * primary, secondary, role, resource-options, suspend-io/resume-io, --version.
 *
 * @module
 */
import { type Dispatch, flag, once, splitArgs, versionText } from "./cmd-common.ts";
import { parseEvents2Args } from "./events2-session.ts";
import { findResource, type ResourceOptions, type SimModel, type SimNode } from "./model.ts";
import { demote, type OpResult, promote, setResourceOptions, setSuspendedUser } from "./ops.ts";
import { showResourceJson, statusJson, statusText } from "./status-json.ts";
import { viewOf } from "./view.ts";

const USAGE = `USAGE: drbdsetup command {arguments} [options]

Commands (drbd simulator subset):
    primary         secondary        events2          status
    show            role             resource-options suspend-io
    resume-io
`;

function fromOp(m: SimModel, r: OpResult): Dispatch {
  const stderr = r.error ? `${r.error.message}\n` : "";
  return once(m, "", stderr, r.error?.exitCode ?? 0, r.steps);
}

function status(m: SimModel, n: SimNode, args: readonly string[]): Dispatch {
  const { positional, options } = splitArgs(args);
  const res = positional[0] ?? "all";
  const views = viewOf(m, n.name).filter((v) => res === "all" || v.resource.name === res);
  const json = options.has("json") || options.has("j");
  const stdout = json ? (views.length === 0 ? "[\n]\n" : statusJson(views)) : statusText(views);
  if (views.length === 0 && res !== "all") return once(m, json ? stdout : "", `${res}: No such resource\n`, 10);
  return once(m, stdout);
}

function show(m: SimModel, n: SimNode, args: readonly string[]): Dispatch {
  const { positional, options } = splitArgs(args);
  const res = positional[0] ?? "all";
  const ids = new Map(m.nodes.map((x) => [x.name, x.id]));
  const names = new Set(viewOf(m, n.name).map((v) => v.resource.name));
  const resources = m.resources
    .filter((r) => names.has(r.name) && (res === "all" || r.name === res))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  if (resources.length === 0 && res !== "all") return once(m, "", `${res}: No such resource\n`, 10);
  if (options.has("json") || options.has("j")) {
    return once(m, `${JSON.stringify(resources.map((r) => showResourceJson(r, n.name, ids)), null, 4)}\n`);
  }
  const text = resources
    .map((r) => {
      const o = r.options;
      return (
        `resource "${r.name}" {\n    options {\n        auto-promote ${o.autoPromote ? "yes" : "no"};\n` +
        `        quorum ${o.quorum};\n        on-no-quorum ${o.onNoQuorum};\n` +
        `        on-suspended-primary-outdated ${o.onSuspendedPrimaryOutdated};\n` +
        `        on-no-data-accessible ${o.onNoDataAccessible};\n    }\n}\n`
      );
    })
    .join("\n");
  return once(m, text);
}

const OPTION_KEYS: Record<string, keyof ResourceOptions> = {
  "auto-promote": "autoPromote",
  quorum: "quorum",
  "on-no-quorum": "onNoQuorum",
  "on-suspended-primary-outdated": "onSuspendedPrimaryOutdated",
  "on-no-data-accessible": "onNoDataAccessible",
};

function resourceOptions(m: SimModel, n: SimNode, args: readonly string[]): Dispatch {
  const { positional, options } = splitArgs(args);
  const res = positional[0];
  if (!res) return once(m, "", "USAGE: drbdsetup resource-options {resource} [options]\n", 20);
  const r = findResource(m, res);
  if (!r?.nodes[n.name]?.up) return once(m, "", `${res}: Failure: (158) Unknown resource\n`, 10);
  const patch: Partial<ResourceOptions> = {};
  for (const [k, v] of options) {
    const key = OPTION_KEYS[k];
    if (!key) continue; // other options are accepted and ignored, like settings the simulator does not model
    const value = v === true ? "yes" : v;
    if (key === "autoPromote") patch.autoPromote = value === "yes" || value === "true";
    else if (key === "quorum") patch.quorum = /^\d+$/.test(value) ? Number(value) : (value as ResourceOptions["quorum"]);
    else (patch as Record<string, string>)[key] = value;
  }
  return once(m, "", "", 0, setResourceOptions(m, res, patch));
}

function minorResource(m: SimModel, n: SimNode, minor: string | undefined): string | null {
  for (const r of m.resources) {
    if (r.nodes[n.name] && r.volumes.some((v) => String(v.minor) === minor)) return r.name;
  }
  return null;
}

/** Run `drbdsetup ARGV` on node `n`. */
export function runDrbdsetup(m: SimModel, n: SimNode, argv: readonly string[]): Dispatch {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      return once(m, USAGE, "", cmd === undefined ? 20 : 0);
    case "--version":
    case "-V":
    case "version":
      return once(m, versionText(n));
    case "events2": {
      const args = parseEvents2Args(rest);
      return typeof args === "string" ? once(m, "", `${args}\n`, 20) : { kind: "events2", args };
    }
    case "status":
      return status(m, n, rest);
    case "show":
      return show(m, n, rest);
    case "primary":
    case "secondary": {
      const { positional, options } = splitArgs(rest);
      const res = positional[0];
      if (!res) return once(m, "", `USAGE: drbdsetup ${cmd} {resource} [--force]\n`, 20);
      const force = flag(options, "force");
      return fromOp(m, cmd === "primary" ? promote(m, n.name, res, { force }) : demote(m, n.name, res, { force }));
    }
    case "role": {
      const res = splitArgs(rest).positional[0] ?? "";
      const v = viewOf(m, n.name).find((x) => x.resource.name === res);
      return v ? once(m, `${v.resource.role}\n`) : once(m, "", `${res}: Unknown resource\n`, 10);
    }
    case "resource-options":
      return resourceOptions(m, n, rest);
    case "suspend-io":
    case "resume-io": {
      const minor = splitArgs(rest).positional[0];
      const res = minorResource(m, n, minor);
      if (!res) return once(m, "", `${minor ?? ""}: No such device\n`, 10);
      return fromOp(m, setSuspendedUser(m, n.name, res, cmd === "suspend-io"));
    }
    default:
      return once(m, "", `drbdsetup: unknown command '${cmd}'\n${USAGE}`, 20);
  }
}
