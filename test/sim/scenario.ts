/**
 * A tiny line-oriented scenario language for driving a {@link SimCluster}
 * by hand or from a script file (used by `cli.ts`). One command per line,
 * `#` starts a comment:
 *
 * ```
 * primary alpha r0
 * workload alpha r0 1024
 * crash charlie
 * tick 3
 * restore charlie
 * wait-sync charlie r0
 * ```
 *
 * @module
 */
import type { SimCluster } from "./cluster.ts";
import { Events2Stream, parseEvents2Args } from "./events2-session.ts";
import { statusJson } from "./status-json.ts";

/** Help text listing every command. */
export const SCENARIO_HELP = `Scenario commands (one per line, # comments):
  state NODE [RES]              events2 --now --full dump of NODE
  status NODE [RES]             drbdsetup status --json of NODE
  primary NODE RES [--force]    promote (prints DRBD's error on refusal)
  secondary NODE RES [--force]  demote
  crash NODE | restore NODE     node crash / reboot
  partition A,B C,D ...         split the network into groups (unlisted nodes isolated)
  heal                          undo partitions and cuts
  cut A B | uncut A B           one link down / up
  fail-disk NODE RES [VOL]      I/O error: Failed, then Diskless
  detach-disk NODE RES [VOL] | attach-disk NODE RES [VOL]
  open NODE RES | close NODE RES
  workload NODE RES WRITE_KIB [READ_KIB]   application I/O per tick while Primary
  write NODE RES KIB            one write now
  tick [N]                      advance time (I/O, resync)
  resync SOURCE TARGET RES [KIB]  invalidate-remote: TARGET resyncs from SOURCE
  wait-sync NODE RES [MAX_TICKS]  tick until NODE has no running resync for RES
  disconnect NODE RES [PEER] | connect NODE RES [PEER]
  up NODE RES | down NODE RES
  kill-events2 NODE [EXIT_CODE] end NODE's events2 processes
  calls                         the shim call log
  env NODE                      a shell line putting NODE's shims first in PATH
  help                          this text
  quit                          stop the cluster and exit`;

/** Split a line into words, dropping comments; empty for blank lines. */
export function words(line: string): string[] {
  const hash = line.indexOf("#");
  const text = hash >= 0 ? line.slice(0, hash) : line;
  return text.trim().split(/\s+/).filter(Boolean);
}

function need(args: string[], n: number, usage: string): void {
  if (args.length < n) throw new Error(`usage: ${usage}`);
}

function int(s: string | undefined, what: string, fallback?: number): number {
  if (s === undefined && fallback !== undefined) return fallback;
  const n = Number(s);
  if (!Number.isInteger(n)) throw new Error(`${what} must be an integer, got '${s}'`);
  return n;
}

const roleResult = (r: { exitCode: number; stderr: string }): string =>
  r.exitCode === 0 ? "ok" : `exit ${r.exitCode}: ${r.stderr.trimEnd()}`;

/**
 * Run one scenario line; returns the text to show (may be empty). Throws on
 * usage errors. `quit` returns the string `"quit"` for the caller to act on.
 */
export async function runScenarioLine(c: SimCluster, line: string): Promise<string> {
  const [cmd, ...a] = words(line);
  const force = a.includes("--force");
  const args = a.filter((x) => x !== "--force");
  switch (cmd) {
    case undefined:
      return "";
    case "help":
      return SCENARIO_HELP;
    case "quit":
    case "exit":
      return "quit";
    case "state": {
      need(args, 1, "state NODE [RES]");
      const parsed = parseEvents2Args(["--now", "--full", ...(args[1] ? [args[1]] : [])]);
      if (typeof parsed === "string") throw new Error(parsed);
      return new Events2Stream(parsed).dump(c.state(args[0] as string)).join("\n");
    }
    case "status": {
      need(args, 1, "status NODE [RES]");
      const views = c.state(args[0] as string).filter((v) => !args[1] || v.resource.name === args[1]);
      return statusJson(views).trimEnd();
    }
    case "primary":
      need(args, 2, "primary NODE RES [--force]");
      return roleResult(c.primary(args[0] as string, args[1] as string, { force }));
    case "secondary":
      need(args, 2, "secondary NODE RES [--force]");
      return roleResult(c.secondary(args[0] as string, args[1] as string, { force }));
    case "crash":
      need(args, 1, "crash NODE");
      c.crash(args[0] as string);
      return "";
    case "restore":
      need(args, 1, "restore NODE");
      c.restore(args[0] as string);
      return "";
    case "partition":
      need(args, 1, "partition A,B C ...");
      c.partition(...args.map((g) => g.split(",").filter(Boolean)));
      return "";
    case "heal":
      c.heal();
      return "";
    case "cut":
    case "uncut":
      need(args, 2, `${cmd} A B`);
      if (cmd === "cut") c.cut(args[0] as string, args[1] as string);
      else c.uncut(args[0] as string, args[1] as string);
      return "";
    case "fail-disk":
    case "detach-disk":
    case "attach-disk": {
      need(args, 2, `${cmd} NODE RES [VOL]`);
      const vol = int(args[2], "VOL", 0);
      const [node, res] = args as [string, string];
      if (cmd === "fail-disk") c.failDisk(node, res, vol);
      else if (cmd === "detach-disk") c.detachDisk(node, res, vol);
      else c.attachDisk(node, res, vol);
      return "";
    }
    case "open":
    case "close":
      need(args, 2, `${cmd} NODE RES`);
      c.setOpen(args[0] as string, args[1] as string, cmd === "open");
      return "";
    case "workload":
      need(args, 3, "workload NODE RES WRITE_KIB [READ_KIB]");
      c.setWorkload(args[0] as string, args[1] as string, {
        writeKiBPerTick: int(args[2], "WRITE_KIB"),
        readKiBPerTick: int(args[3], "READ_KIB", 0),
      });
      return "";
    case "write":
      need(args, 3, "write NODE RES KIB");
      c.write(args[0] as string, args[1] as string, int(args[2], "KIB"));
      return "";
    case "tick":
      c.tick(int(args[0], "N", 1));
      return "";
    case "resync":
      need(args, 3, "resync SOURCE TARGET RES [KIB]");
      c.startResync(args[0] as string, args[1] as string, args[2] as string, {
        ...(args[3] ? { kib: int(args[3], "KIB") } : {}),
      });
      return "";
    case "wait-sync": {
      need(args, 2, "wait-sync NODE RES [MAX_TICKS]");
      const max = int(args[2], "MAX_TICKS", 10000);
      const syncing = (): boolean =>
        (c.resource(args[0] as string, args[1] as string)?.connections ?? []).some((x) =>
          x.peerDevices.some((pd) => pd.rsTotalSectors > 0),
        );
      let n = 0;
      while (syncing()) {
        if (n++ >= max) throw new Error(`still syncing after ${max} ticks`);
        c.tick();
      }
      return `${n} tick(s)`;
    }
    case "disconnect":
    case "connect": {
      need(args, 2, `${cmd} NODE RES [PEER]`);
      const [node, res, peer] = args as [string, string, string | undefined];
      const r = cmd === "disconnect" ? c.disconnect(node, res, peer) : c.connect(node, res, peer ? { peer } : {});
      return roleResult(r);
    }
    case "up":
    case "down": {
      need(args, 2, `${cmd} NODE RES`);
      const r = cmd === "up" ? c.up(args[0] as string, args[1] as string) : c.down(args[0] as string, args[1] as string);
      return roleResult(r);
    }
    case "kill-events2":
      need(args, 1, "kill-events2 NODE [EXIT_CODE]");
      return `${c.killEvents2(args[0] as string, { exitCode: int(args[1], "EXIT_CODE", 0) })} process(es) ended`;
    case "calls":
      return c
        .calls()
        .map((k) => `${k.seq} ${k.time} ${k.node} ${k.tool} ${k.argv.join(" ")} -> ${k.exitCode ?? "running"}`)
        .join("\n");
    case "env":
      need(args, 1, "env NODE");
      return `export PATH=${c.binDir(args[0] as string)}:$PATH`;
    default:
      throw new Error(`unknown command '${cmd}' (try: help)`);
  }
}
