/**
 * `make demo`: the compiled daemon on node "alpha" of a simulated 3-node
 * DRBD cluster, through a short scenario. Prints what the cluster does and
 * what the daemon sees (its debugger plugin's updates), then a summary, and
 * exits by itself (exit code 0 when every step was observed).
 *
 * @module
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Daemon } from "../integration/harness.ts";
import { startCluster } from "./cluster.ts";

const dir = mkdtempSync(join(tmpdir(), "drbd-reactor-demo-"));
const started = performance.now();
const seen = new Map<string, number>();
let printed = 0;

const cluster = await startCluster({
  dir: join(dir, "sim"),
  nodes: ["alpha", "bravo", "charlie"],
  resources: [
    { name: "web", volumes: [{ minor: 1000, sizeKiB: 4 * 1024 * 1024 }] },
    { name: "db", volumes: [{ minor: 1001 }, { minor: 1002 }] },
  ],
});
const snippets = join(dir, "drbd-reactor.d");
mkdirSync(snippets);
writeFileSync(join(snippets, "debugger.toml"), "[[debugger]]\n");
// A umh rule with a real script: it runs when a resource becomes Primary on alpha.
const hookLog = join(dir, "became-primary.log");
writeFileSync(
  join(snippets, "umh.toml"),
  `[[umh]]
[[umh.resource]]
name = "became Primary"
event-type = "Change"
old.role = { operator = "NotEquals", value = "Primary" }
new.role = "Primary"
command = 'echo "$DRBD_RES_NAME became Primary (was $DRBD_OLD_ROLE)" >> ${hookLog}; echo "hook ran for $DRBD_RES_NAME"'
`,
);
const config = join(dir, "drbd-reactor.toml");
writeFileSync(config, `snippets = "${snippets}"\nstatistics-poll-interval = 1\n\n[[log]]\nlevel = "debug"\n`);

console.log(`drbd-reactor demo: 3 simulated nodes (alpha, bravo, charlie), resources web and db;`);
console.log(`the daemon runs on alpha with the debugger plugin and a umh rule for "became Primary".`);
console.log(`Work dir: ${dir}\n`);
const daemon = Daemon.start({ config, pathPrefix: [cluster.binDir("alpha")] });

/** Print the daemon's output since last time: updates condensed, other lines as they are. */
function show(): void {
  for (const line of daemon.lines.slice(printed)) {
    printed++;
    if (line.startsWith("DEBUG [debugger] ")) {
      const r = JSON.parse(line.slice(17));
      seen.set(r.type, (seen.get(r.type) ?? 0) + 1);
      console.log(`    alpha sees  ${describe(r)}`);
    } else if (!line.startsWith("DEBUG") && !line.startsWith("TRACE")) {
      console.log(`    log         ${line}`);
    }
  }
}

function describe(r: Record<string, any>): string {
  const where = [r.resource, r.volume !== undefined ? `vol ${r.volume}` : "", r["peer-node-id"] !== undefined ? `peer ${r["peer-node-id"]}` : ""]
    .filter(Boolean)
    .join(" ");
  const changes = r.old
    ? Object.keys(r.new)
        .filter((k) => r.old[k] !== r.new[k])
        .map((k) => `${k} ${r.old[k]}→${r.new[k]}`)
        .join(", ")
    : "";
  return `${r.type} ${r.event} ${where}${changes ? `: ${changes}` : ""}`;
}

/** Run a step: narrate, act, wait until the daemon logged `expect`. */
async function step(title: string, act: () => unknown, expect: RegExp): Promise<void> {
  console.log(`\n▶ ${title}`);
  const from = daemon.lines.length;
  await act();
  await daemon.waitFor(expect, { from, timeoutMs: 15_000 });
  show();
}

let exitCode = 1;
let hookRuns: string[] = [];
try {
  await step("start drbd-reactor on alpha", () => daemon.waitForNotify("READY=1"), /initial state complete: 2 resource/);
  await step(
    "bravo promotes web (drbdsetup primary web)",
    () => cluster.primary("bravo", "web"),
    /"type":"Resource".*"resource":"web".*"may-promote":false/,
  );
  await step(
    "bravo hands web over to alpha (secondary on bravo, primary on alpha): the umh hook runs on alpha",
    () => {
      cluster.secondary("bravo", "web");
      cluster.primary("alpha", "web");
    },
    /hook "became Primary" stdout: hook ran for web/,
  );
  await step(
    "charlie crashes while alpha keeps writing to web",
    () => {
      cluster.crash("charlie");
      cluster.write("alpha", "web", 512 * 1024);
    },
    /"type":"Connection".*"resource":"web","peer-node-id":2.*"new":\{"conn-name":"charlie","connection-state":"Connecting"/,
  );
  await step(
    "charlie comes back and catches up (resync)",
    () => cluster.restore("charlie"),
    /"type":"PeerDevice".*"resource":"web","volume":0,"peer-node-id":2.*"new":\{"replication-state":"Established","peer-disk-state":"UpToDate"/,
  );
  await step(
    "alpha's disk under db volume 1 fails",
    () => cluster.failDisk("alpha", "db", 1),
    /"type":"Device".*"resource":"db","volume":1.*"new":\{"disk-state":"Diskless"/,
  );
  await step(
    "drbdsetup events2 on alpha dies (as on a module reload); the daemon respawns it and reconciles",
    () => cluster.killEvents2("alpha"),
    /reconciling its initial state/,
  );
  await daemon.waitFor(/initial state complete/, { count: 2, timeoutMs: 10_000 });
  show();
  await step(
    "an admin adds a snippet and reloads (SIGHUP): the old plugin keeps running, the new one gets the state replayed",
    () => {
      writeFileSync(join(snippets, "second.toml"), '[[debugger]]\nid = "second"\n');
      daemon.signal("SIGHUP");
    },
    /reload done: 2 plugin\(s\) kept, 1 started, 0 stopped/,
  );
  await step("stop (SIGTERM)", () => daemon.signal("SIGTERM"), /INFO \[core\] stopped/);
  exitCode = await daemon.exitCode(3000);
  show();
} catch (e) {
  show();
  console.error(`\ndemo step failed: ${(e as Error).message.split("\n")[0]}`);
} finally {
  await daemon.stop();
  await cluster.stop();
  hookRuns = existsSync(hookLog) ? readFileSync(hookLog, "utf8").trim().split("\n") : [];
  rmSync(dir, { recursive: true, force: true });
}

const total = [...seen.values()].reduce((a, b) => a + b, 0);
console.log(`\nSummary: daemon exit code ${exitCode}; ${total} updates seen on alpha`);
console.log(`  ${[...seen].map(([k, v]) => `${k}: ${v}`).join(", ")}`);
console.log(`  umh hook runs: ${hookRuns.length}${hookRuns.length ? ` (${hookRuns.join("; ")})` : ""}`);
console.log(`  ${(performance.now() - started).toFixed(0)} ms in all`);
process.exit(exitCode === 0 ? 0 : 1);
