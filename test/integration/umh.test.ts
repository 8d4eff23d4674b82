/**
 * The umh plugin in the compiled daemon on node "alpha" of a simulated
 * cluster, with real `sh` hooks that write their environment to files.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { simulatedCluster } from "./cluster-fixture.ts";
import { until } from "../helpers/until.ts";
import { Daemon } from "./harness.ts";

const fx = simulatedCluster([{ name: "r0", volumes: [{ minor: 1000 }] }]);
const { scratch, running } = fx;

/**
 * A directory for hook output and a command that dumps the environment there,
 * one file per run. The dump is renamed into place so a reader never sees a
 * half-written file.
 */
function outDir(name: string): { dir: string; command: string } {
  const dir = scratch.path(`out-${name}`);
  mkdirSync(dir);
  return { dir, command: `env | sort > "${dir}/.part-$$" && mv "${dir}/.part-$$" "${dir}/$(date +%s%N)-$$.env"` };
}

/** Environments written so far (as objects), oldest first. */
function envs(dir: string): Record<string, string>[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".env"))
    .sort()
    .map((f) =>
      Object.fromEntries(
        readFileSync(`${dir}/${f}`, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      ),
    );
}


function start(name: string, toml: string): Daemon {
  const config = scratch.write(`${name}.toml`, toml);
  const d = Daemon.start({ config, pathPrefix: [fx.cluster.binDir("alpha")] });
  running.push(d);
  return d;
}

describe("rules", () => {
  test("resource: becoming Primary runs the hook on that node with the documented variables", async () => {
    const out = outDir("primary");
    const d = start(
      "primary",
      `[[umh]]
[[umh.resource]]
name = "became primary"
command = '${out.command}'
event-type = "Change"
resource-name = "r0"
old.role = { operator = "NotEquals", value = "Primary" }
new.role = "Primary"

[[umh.resource]]
name = "back to secondary"
command = "true"
event-type = "Change"
old.role = "Primary"
new.role = "Secondary"
`,
    );
    await d.waitFor(/initial state complete/);
    expect(envs(out.dir)).toEqual([]);
    expect(fx.cluster.primary("alpha", "r0").exitCode).toBe(0);
    try {
      const [env] = await until("the hook", () => envs(out.dir).length > 0 && envs(out.dir), 8000);
      expect(env).toMatchObject({
        DRBD_RES_NAME: "r0",
        DRBD_OLD_ROLE: "Secondary",
        DRBD_NEW_ROLE: "Primary",
        DRBD_OLD_MAY_PROMOTE: "true",
        DRBD_NEW_MAY_PROMOTE: "false",
        PATH: "/sbin:/usr/sbin:/bin:/usr/bin",
        HOME: "/",
      });
      await d.waitFor(/INFO \[umh\] .*became primary/);
    } finally {
      fx.cluster.secondary("alpha", "r0");
    }
    // Becoming Secondary again does not match the first rule. Matches of one update are
    // logged in rule order, so once the second rule's match is read, a first-rule match would be too.
    await d.waitFor(/match for rule "back to secondary"/);
    expect(d.matching(/match for rule "became primary"/).length).toBe(1);
    expect(envs(out.dir).length).toBe(1);
  }, 20_000);

  test("connection and peer device rules see a peer crash; NotEquals filters work", async () => {
    const conn = outDir("conn");
    const pd = outDir("pd");
    const d = start(
      "peer",
      `[[umh]]
[[umh.connection]]
command = '${conn.command}'
old.connection-state = "Connected"
new.connection-state = { operator = "NotEquals", value = "Connected" }

[[umh.peerdevice]]
command = '${pd.command}'
event-type = "Change"
new.peer-disk-state = "DUnknown"
`,
    );
    await d.waitFor(/initial state complete/);
    fx.cluster.crash("charlie");
    try {
      const [c] = await until("connection hook", () => envs(conn.dir).length > 0 && envs(conn.dir), 8000);
      expect(c).toMatchObject({
        DRBD_RES_NAME: "r0",
        DRBD_PEER_NODE_ID: "2",
        DRBD_OLD_CONN_NAME: "charlie",
        DRBD_NEW_CONN_NAME: "charlie",
        DRBD_OLD_CONN_STATE: "Connected",
        DRBD_OLD_PEER_ROLE: "Secondary",
        DRBD_NEW_PEER_ROLE: "Unknown",
        DRBD_OLD_CONGESTED: "false",
        DRBD_NEW_CONGESTED: "false",
      });
      expect(c!.DRBD_CSTATE).toBe(c!.DRBD_NEW_CONN_STATE);
      const [p] = await until("peer device hook", () => envs(pd.dir).length > 0 && envs(pd.dir), 8000);
      expect(p).toMatchObject({
        DRBD_RES_NAME: "r0",
        DRBD_PEER_NODE_ID: "2",
        DRBD_VOLUME: "0",
        DRBD_OLD_PEER_DISK_STATE: "UpToDate",
        DRBD_NEW_PEER_DISK_STATE: "DUnknown",
        DRBD_OLD_PEER_REPLICATION_STATE: "Established",
        DRBD_NEW_PEER_REPLICATION_STATE: "Off",
        DRBD_MINOR: "1000",
        DRBD_MINOR_0: "1000",
      });
    } finally {
      fx.cluster.restore("charlie");
    }
  }, 20_000);

  test("device rule: a failing disk, with minor and backing device from the state", async () => {
    const out = outDir("disk");
    const d = start(
      "disk",
      `[[umh]]
[[umh.device]]
command = '${out.command}'
volume = 0
new.disk-state = "Failed"
`,
    );
    await d.waitFor(/initial state complete/);
    fx.cluster.failDisk("alpha", "r0", 0);
    try {
      const [env] = await until("device hook", () => envs(out.dir).length > 0 && envs(out.dir), 8000);
      expect(env).toMatchObject({
        DRBD_RES_NAME: "r0",
        DRBD_VOLUME: "0",
        DRBD_OLD_DISK_STATE: "UpToDate",
        DRBD_NEW_DISK_STATE: "Failed",
        DRBD_MINOR: "1000",
        DRBD_MINOR_0: "1000",
        DRBD_OLD_QUORUM: "true",
        DRBD_OLD_OPEN: "false",
        DRBD_NEW_OPEN: "false",
      });
      expect(env!.DRBD_BACKING_DEV).toBe(env!.DRBD_BACKING_DEV_0);
    } finally {
      fx.cluster.attachDisk("alpha", "r0", 0);
    }
  }, 20_000);
});

describe("helper rules", () => {
  test("call and response helper lines run [[umh.helper]] rules with the helper variables", async () => {
    // The simulator does not call helpers; a scripted drbdsetup prints what DRBD 9 prints (drbd-utils test vectors).
    const bin = scratch.path("helper-bin");
    mkdirSync(bin);
    const lines = [
      "exists resource name:r9 role:Secondary suspended:no force-io-failures:no write-ordering:flush may_promote:no promotion_score:0",
      "exists device name:r9 volume:0 minor:1009 backing_dev:/dev/vg/r9 disk:UpToDate client:no open:no quorum:yes size:8 read:0 written:0 al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no blocked:no",
      "exists -",
      "call helper name:r9 peer-node-id:1 conn-name:bravo volume:0 helper:before-resync-target",
      "response helper name:r9 peer-node-id:1 conn-name:bravo volume:0 helper:before-resync-target status:1",
      "call helper name:r9 peer-node-id:1 conn-name:bravo helper:fence-peer",
      // Rejected and logged: once its log line is read, every earlier line's log is too (stderr is in order).
      "end-of-test marker",
    ];
    writeFileSync(`${bin}/drbdsetup`, `#!/bin/sh\ncat <<'EOF'\n${lines.join("\n")}\nEOF\nexec cat 3>&1 >/dev/null\n`, { mode: 0o755 });
    const calls = outDir("helper-call");
    const responses = outDir("helper-response");
    const config = scratch.write(
      "helpers.toml",
      `[[umh]]
[[umh.helper]]
command = '${calls.command}'
helper = "before-resync-target"
event = "call"

[[umh.helper]]
command = '${responses.command}'
event = "response"
`,
    );
    const d = Daemon.start({ config, pathPrefix: [bin] });
    running.push(d);
    const [call] = await until("the call hook", () => envs(calls.dir).length > 0 && envs(calls.dir), 8000);
    expect(call).toMatchObject({
      DRBD_RES_NAME: "r9",
      DRBD_HELPER: "before-resync-target",
      DRBD_PEER_NODE_ID: "1",
      DRBD_VOLUME: "0",
      DRBD_MINOR: "1009",
    });
    expect(call!.DRBD_HELPER_STATUS).toBeUndefined();
    const [response] = await until("the response hook", () => envs(responses.dir).length > 0 && envs(responses.dir), 8000);
    expect(response).toMatchObject({ DRBD_HELPER: "before-resync-target", DRBD_HELPER_STATUS: "1" });
    // The fence-peer call matched nothing: exactly two matches before the marker.
    await d.waitFor(/rejected events2 line "end-of-test marker"/);
    expect(d.matching(/INFO \[umh\] match for rule/).length).toBe(2);
    expect(envs(calls.dir).length).toBe(1);
  }, 20_000);
});

describe("execution", () => {
  test("a failing hook and a hanging hook with a timeout are reported; the stream goes on", async () => {
    const out = outDir("after");
    const d = start(
      "bad-hooks",
      `[[umh]]
[[umh.resource]]
name = "fails"
command = "echo broken >&2; exit 7"
new.role = "Primary"

[[umh.resource]]
name = "hangs"
command = "sleep 60"
timeout = 0.5
new.role = "Primary"

[[umh.resource]]
name = "after"
command = '${out.command}'
new.role = "Secondary"
event-type = "Change"
`,
    );
    await d.waitFor(/initial state complete/);
    fx.cluster.primary("alpha", "r0");
    await d.waitFor(/WARN \[umh\] hook "fails" exited with status 7/);
    await d.waitFor(/hook "fails" stderr: broken/);
    await d.waitFor(/WARN \[umh\] hook "hangs" timed out after 0.5 s: killing its process group/);
    fx.cluster.secondary("alpha", "r0");
    await until("a hook after the bad ones", () => envs(out.dir).length > 0, 8000);
  }, 20_000);

  test("max-concurrent = 1: hooks of one event burst run one after another, none dropped", async () => {
    const log = scratch.path("serial.log");
    const hook = `echo "start $(date +%s%N)" >> ${log}; sleep 0.2; echo "end $(date +%s%N)" >> ${log}`;
    const d = start(
      "serial",
      `[[umh]]
max-concurrent = 1
[[umh.connection]]
command = '${hook}'
event-type = "Change"
new.connection-state = { operator = "NotEquals", value = "Connected" }

[[umh.peerdevice]]
command = '${hook}'
event-type = "Change"
new.peer-disk-state = "DUnknown"
`,
    );
    await d.waitFor(/initial state complete/);
    fx.cluster.crash("charlie");
    try {
      // One connection and one peer-device update: two hooks, strictly one after the other.
      const lines = await until("both hooks", () => {
        const text = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
        return text.length === 4 && text;
      }, 8000);
      expect(lines.map((l) => l.split(" ")[0])).toEqual(["start", "end", "start", "end"]);
      await d.waitFor(/1 hook\(s\) waiting: max-concurrent \(1\) reached/);
    } finally {
      fx.cluster.restore("charlie");
    }
  }, 20_000);

  test("reload while a hook runs: the unchanged instance keeps running its hook", async () => {
    const marker = scratch.path("slow-done");
    const snippets = scratch.path("umh.d");
    mkdirSync(snippets);
    writeFileSync(
      `${snippets}/slow.toml`,
      `[[umh]]\n[[umh.resource]]\nname = "slow"\ncommand = "sleep 1; touch ${marker}"\nnew.role = "Primary"\nevent-type = "Change"\n`,
    );
    const d = start("reload", `snippets = "${snippets}"\n`);
    await d.waitFor(/initial state complete/);
    fx.cluster.primary("alpha", "r0");
    try {
      await d.waitFor(/match for rule "slow"/);
      writeFileSync(`${snippets}/other.toml`, "[[debugger]]\n");
      d.signal("SIGHUP");
      await d.waitFor(/reload done: 1 plugin\(s\) kept, 1 started, 0 stopped/);
      // The kept instance's hook was not killed by the reload: it finishes.
      await until("the slow hook to finish", () => existsSync(marker), 5000);
    } finally {
      fx.cluster.secondary("alpha", "r0");
    }
  }, 20_000);
});

describe("invalid rules", () => {
  test("an unknown role value and a typo'd key are errors naming the file, rule and value", async () => {
    const config = scratch.write(
      "bad-rules.toml",
      `[[umh]]\n[[umh.resource]]\ncommand = "true"\nnew.role = "primary"\n\n[[umh.device]]\ncommand = "true"\nresource_name = "r0"\n`,
    );
    const d = Daemon.start({ config, notify: false });
    running.push(d);
    expect(await d.exitCode()).toBe(1);
    const text = d.lines.join("\n");
    expect(text).toContain(config);
    expect(text).toMatch(/umh\[0\]\.resource\[0\]\.new\.role.*"primary"/);
    expect(text).toMatch(/umh\[0\]\.device\[0\]\.resource_name/);
    expect(text).toContain('did you mean "resource-name"');
  });
});
