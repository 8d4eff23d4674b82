/** The hook runner with real `sh` processes. */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HookJob } from "../../../../plugins/umh/contract.ts";
import { type HookOutcome, HookRunner } from "../../../../plugins/umh/runner.ts";
import { until } from "../../../helpers/until.ts";
import { LogHub, MemorySink } from "../../../../src/log/logger.ts";

const dir = mkdtempSync(join(tmpdir(), "umh-runner-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setup(maxConcurrent = 8) {
  const sink = new MemorySink("trace");
  const runner = new HookRunner({ log: new LogHub([sink]).logger("umh"), maxConcurrent });
  const outcomes: HookOutcome[] = [];
  runner.onOutcome = (o) => outcomes.push(o);
  return { runner, outcomes, lines: sink.lines };
}

const job = (ruleName: string, command: string, extra: Partial<HookJob> = {}): HookJob => ({
  ruleName,
  command,
  env: { PATH: "/usr/bin:/bin", DRBD_RES_NAME: "r0" },
  timeoutSeconds: null,
  ...extra,
});


test("exactly the job's environment, stdin /dev/null, output captured and logged with the rule name", async () => {
  const { runner, outcomes, lines } = setup();
  runner.submit(job("env-dump", 'env | sort; read x || echo "stdin is empty"; echo oops >&2'));
  await until("condition", () => outcomes.length === 1);
  const env = outcomes[0]!.stdout.split("\n").filter((l) => /^[A-Z_]+=/.test(l) && !l.startsWith("PWD=") && !l.startsWith("SHLVL=") && !l.startsWith("_="));
  expect(env).toEqual(["DRBD_RES_NAME=r0", "PATH=/usr/bin:/bin"]);
  expect(outcomes[0]!.stdout).toContain("stdin is empty");
  expect(lines.some((l) => l.startsWith('INFO [umh] hook "env-dump" stderr: oops'))).toBe(true);
});

test("a failing hook is reported at warn with its status", async () => {
  const { runner, outcomes, lines } = setup();
  runner.submit(job("fails", "exit 3"));
  await until("condition", () => outcomes.length === 1);
  expect(outcomes[0]).toMatchObject({ exitCode: 3, signal: null });
  expect(lines).toContain('WARN [umh] hook "fails" exited with status 3');
});

test("a hanging hook is killed with its whole process group at its timeout", async () => {
  const { runner, outcomes, lines } = setup();
  const pidFile = join(dir, "grandchild.pid");
  runner.submit(job("hangs", `sleep 60 & echo $! > ${pidFile}; wait`, { timeoutSeconds: 0.3 }));
  await until("condition", () => outcomes.length === 1, 5000);
  expect(outcomes[0]).toMatchObject({ timedOut: true, signal: "SIGTERM" });
  expect(lines).toContain('WARN [umh] hook "hangs" timed out after 0.3 s: killing its process group');
  const grandchild = Number(readFileSync(pidFile, "utf8"));
  await until("condition", () => !existsSync(`/proc/${grandchild}`) || readFileSync(`/proc/${grandchild}/stat`, "utf8").includes(") Z "));
});

test("max-concurrent queues in order and never drops", async () => {
  const { runner, outcomes, lines } = setup(2);
  const log = join(dir, "order.log");
  for (let i = 0; i < 6; i++) {
    runner.submit(job(`j${i}`, `echo start >> ${log}; sleep 0.2; echo end >> ${log}`));
  }
  expect(runner.running).toBe(2);
  expect(runner.queued).toBe(4);
  await until("condition", () => outcomes.length === 6);
  // Started in submission order (the runner logs each start synchronously)…
  const starts = lines.filter((l) => l.includes(": starting sh -c")).map((l) => /hook "(j\d)"/.exec(l)![1]);
  expect(starts).toEqual(["j0", "j1", "j2", "j3", "j4", "j5"]);
  // …and never more than two at once (appends to one file are ordered in time).
  let now = 0;
  let peak = 0;
  for (const l of readFileSync(log, "utf8").trim().split("\n")) {
    now += l === "start" ? 1 : -1;
    peak = Math.max(peak, now);
  }
  expect(peak).toBe(2);
  expect(outcomes.every((o) => o.exitCode === 0)).toBe(true);
});

test("stop: running hooks get the grace period, then are killed; queued ones are not started", async () => {
  const { runner, outcomes, lines } = setup(1);
  runner.submit(job("slow", "sleep 60"));
  runner.submit(job("waiting", "echo never"));
  await until("condition", () => runner.running === 1);
  const t0 = performance.now();
  await runner.stop(200);
  expect(performance.now() - t0).toBeLessThan(2000);
  expect(outcomes.map((o) => [o.ruleName, o.signal])).toEqual([["slow", "SIGKILL"]]);
  expect(lines).toContain("WARN [umh] 1 queued hook(s) not started: the plugin is stopping");
  runner.submit(job("late", "true"));
  expect(runner.running).toBe(0);
});

test("stop waits for hooks that finish within the grace period", async () => {
  const { runner, outcomes } = setup();
  runner.submit(job("quick", "sleep 0.1; exit 0"));
  await runner.stop(3000);
  expect(outcomes).toMatchObject([{ ruleName: "quick", exitCode: 0 }]);
});
