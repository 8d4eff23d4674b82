import { describe, expect, test } from "bun:test";
import { hookEnv } from "../../../../plugins/umh/env.ts";
import { compileRules, matchingJobs } from "../../../../plugins/umh/match.ts";
import type { PluginUpdate } from "../../../../src/core/updates.ts";
import { Node, umhConfig } from "./fixtures.ts";

/** Names of the rules of `body` that fire for `update`, in order. */
function fired(body: string, update: PluginUpdate): string[] {
  return compileRules(umhConfig(body))(update).map((job) => job.ruleName);
}

/** A resource "web" with one volume, one peer (node 1, "beta") and its peer device. */
function webNode(): Node {
  const node = new Node();
  node.feed(
    "exists resource name:web role:Secondary suspended:no force-io-failures:no may_promote:yes promotion_score:10102",
    "exists connection name:web peer-node-id:1 conn-name:beta connection:Connected role:Secondary congested:no",
    "exists device name:web volume:0 minor:1000 disk:UpToDate client:no backing_dev:/dev/vg/web quorum:yes open:no",
    "exists peer-device name:web peer-node-id:1 conn-name:beta volume:0 replication:Established peer-disk:UpToDate peer-client:no resync-suspended:no",
    "exists -",
  );
  return node;
}

const RESOURCE = (role: string, mayPromote = "no", score = 10102, name = "web") =>
  `change resource name:${name} role:${role} suspended:no force-io-failures:no may_promote:${mayPromote} promotion_score:${score}`;

const BECAME_PRIMARY = `
[[umh.resource]]
name = "became Primary"
event-type = "Change"
old.role = { operator = "NotEquals", value = "Primary" }
new.role = "Primary"
command = "on-primary"
`;

describe("resource rules", () => {
  test("the transition rule fires when the resource becomes Primary, and only then", () => {
    const node = webNode();
    expect(fired(BECAME_PRIMARY, node.one(RESOURCE("Primary")))).toEqual(["became Primary"]);
    // Still Primary, only the score changed: old.role is Primary now.
    expect(fired(BECAME_PRIMARY, node.one(RESOURCE("Primary", "no", 10101)))).toEqual([]);
    expect(fired(BECAME_PRIMARY, node.one(RESOURCE("Secondary", "yes")))).toEqual([]);
  });

  test("event-type filters out the initial state (Exists)", () => {
    const update = new Node().one(RESOURCE("Primary").replace("change", "exists"));
    expect(update).toMatchObject({ kind: "resource", event: "Exists", old: { role: "Unknown" } });
    expect(fired(BECAME_PRIMARY, update)).toEqual([]);
  });

  test("don't care: new.role alone fires on every change while Primary, and at startup", () => {
    const rule = '[[umh.resource]]\nname = "primary"\nnew.role = "Primary"\ncommand = "x"\n';
    const node = new Node();
    expect(fired(rule, node.one(RESOURCE("Primary").replace("change", "exists")))).toEqual(["primary"]);
    expect(fired(rule, node.one(RESOURCE("Primary", "no", 10101)))).toEqual(["primary"]);
    expect(fired(rule, node.one(RESOURCE("Primary", "yes", 10101)))).toEqual(["primary"]);
    expect(fired(rule, node.one(RESOURCE("Secondary")))).toEqual([]);
  });

  test("may-promote and promotion-score filters", () => {
    const node = webNode();
    const update = node.one(RESOURCE("Secondary", "no", 10101));
    expect(update).toMatchObject({ old: { mayPromote: true, promotionScore: 10102 }, new: { mayPromote: false } });
    const rules = [
      ["a", "old.may-promote = true"],
      ["b", "new.may-promote = true"],
      ["c", "new.promotion-score = 10101"],
      ["d", "new.promotion-score = { operator = \"NotEquals\", value = 10101 }"],
      ["e", "old.promotion-score = 10102\nnew.may-promote = false"],
    ]
      .map(([name, filter]) => `[[umh.resource]]\nname = "${name}"\ncommand = "x"\n${filter}\n`)
      .join("");
    expect(fired(rules, update)).toEqual(["a", "c", "e"]);
  });

  test("resource-name Equals and NotEquals", () => {
    const rules = `
[[umh.resource]]
name = "web only"
resource-name = "web"
command = "x"
[[umh.resource]]
name = "not web"
resource-name = { operator = "NotEquals", value = "web" }
command = "x"
`;
    const node = new Node();
    expect(fired(rules, node.one(RESOURCE("Primary", "no", 0, "web")))).toEqual(["web only"]);
    expect(fired(rules, node.one(RESOURCE("Primary", "no", 0, "db")))).toEqual(["not web"]);
  });

  test("a Destroy of the resource reports new = defaults", () => {
    const node = webNode();
    const update = node.feed("destroy resource name:web").find((u) => u.kind === "resource")!;
    const rules = `
[[umh.resource]]
name = "gone"
event-type = "Destroy"
command = "x"
[[umh.resource]]
name = "became Unknown"
new.role = "Unknown"
old.role = "Secondary"
command = "x"
`;
    expect(fired(rules, update)).toEqual(["gone", "became Unknown"]);
  });
});

describe("device rules", () => {
  const DEVICE = (disk: string, quorum: string, extra = "") =>
    `change device name:web volume:0 minor:1000 disk:${disk} client:no backing_dev:/dev/vg/web quorum:${quorum} open:no${extra}`;

  test("lost quorum", () => {
    const rule = `
[[umh.device]]
name = "lost quorum"
event-type = "Change"
old.quorum = true
new.quorum = false
command = "x"
`;
    const node = webNode();
    expect(fired(rule, node.one(DEVICE("UpToDate", "no")))).toEqual(["lost quorum"]);
    expect(fired(rule, node.one(DEVICE("Outdated", "no")))).toEqual([]);
    expect(fired(rule, node.one(DEVICE("Outdated", "yes")))).toEqual([]);
  });

  test("volume, disk-state, client, size and open filters, both operators", () => {
    const node = webNode();
    node.feed("create device name:web volume:1 minor:1001 disk:Attaching client:no backing_dev:/dev/vg/web1 quorum:yes open:no size:0");
    const update = node.one(
      "change device name:web volume:1 minor:1001 disk:UpToDate client:no backing_dev:/dev/vg/web1 quorum:yes open:yes size:1048576",
    );
    const rules = [
      ["volume 1", "volume = 1"],
      ["volume 0", "volume = 0"],
      ["volume not 0", 'volume = { operator = "NotEquals", value = 0 }'],
      ["UpToDate", 'new.disk-state = "UpToDate"'],
      ["was not Attaching", 'old.disk-state = { operator = "NotEquals", value = "Attaching" }'],
      ["client", "new.client = true"],
      ["not client", "new.client = false"],
      ["grew", "old.size = 0\nnew.size = 1048576"],
      ["opened", "old.open = false\nnew.open = true"],
      ["not opened", 'new.open = { value = true, operator = "NotEquals" }'],
    ]
      .map(([name, filter]) => `[[umh.device]]\nname = "${name}"\ncommand = "x"\n${filter}\n`)
      .join("");
    expect(fired(rules, update)).toEqual(["volume 1", "volume not 0", "UpToDate", "not client", "grew", "opened"]);
  });

  test("event-type: each verb fires only its own rule", () => {
    const rules = ["Exists", "Create", "Change", "Destroy"]
      .map((t) => `[[umh.device]]\nname = "${t}"\nevent-type = "${t}"\ncommand = "x"\n`)
      .join("");
    const node = new Node();
    const line = (verb: string, disk: string) =>
      `${verb} device name:web volume:0 minor:1000 disk:${disk} client:no backing_dev:/dev/vg/web quorum:yes open:no`;
    expect(fired(rules, node.one(line("exists", "UpToDate")))).toEqual(["Exists"]);
    node.feed("exists -");
    expect(fired(rules, node.one(line("change", "Outdated")))).toEqual(["Change"]);
    expect(fired(rules, node.one("destroy device name:web volume:0"))).toEqual(["Destroy"]);
    expect(fired(rules, node.one(line("create", "Diskless")))).toEqual(["Create"]);
    const notChange = '[[umh.device]]\nname = "not Change"\nevent-type = { operator = "NotEquals", value = "Change" }\ncommand = "x"\n';
    expect(fired(notChange, node.one("destroy device name:web volume:0"))).toEqual(["not Change"]);
  });
});

describe("peer device rules", () => {
  test("resync finished, with volume and peer-node-id", () => {
    const node = webNode();
    node.one(
      "change peer-device name:web peer-node-id:1 conn-name:beta volume:0 replication:SyncTarget peer-disk:UpToDate peer-client:no resync-suspended:no",
    );
    const update = node.one(
      "change peer-device name:web peer-node-id:1 conn-name:beta volume:0 replication:Established peer-disk:UpToDate peer-client:no resync-suspended:no",
    );
    const rules = [
      ["finished", 'old.replication-state = "SyncTarget"\nnew.replication-state = "Established"'],
      ["peer 1 volume 0", "peer-node-id = 1\nvolume = 0"],
      ["peer 2", "peer-node-id = 2"],
      ["not peer 2", 'peer-node-id = { operator = "NotEquals", value = 2 }'],
      ["volume 1", "volume = 1"],
      ["peer UpToDate", 'new.peer-disk-state = "UpToDate"'],
      ["peer not UpToDate", 'new.peer-disk-state = { operator = "NotEquals", value = "UpToDate" }'],
      ["peer client", "new.peer-client = true"],
      ["not suspended", "old.resync-suspended = false\nnew.resync-suspended = false"],
    ]
      .map(([name, filter]) => `[[umh.peerdevice]]\nname = "${name}"\ncommand = "x"\n${filter}\n`)
      .join("");
    expect(fired(rules, update)).toEqual(["finished", "peer 1 volume 0", "not peer 2", "peer UpToDate", "not suspended"]);
  });

  test("resync suspended and peer client", () => {
    const node = webNode();
    const update = node.one(
      "change peer-device name:web peer-node-id:1 conn-name:beta volume:0 replication:PausedSyncT peer-disk:Diskless peer-client:yes resync-suspended:user",
    );
    const rules = `
[[umh.peerdevice]]
name = "suspended"
old.resync-suspended = false
new.resync-suspended = true
command = "x"
[[umh.peerdevice]]
name = "peer became client"
old.peer-client = false
new.peer-client = true
new.peer-disk-state = "Diskless"
command = "x"
[[umh.peerdevice]]
name = "paused"
new.replication-state = { value = "PausedSyncT" }
command = "x"
`;
    expect(fired(rules, update)).toEqual(["suspended", "peer became client", "paused"]);
  });
});

describe("connection rules", () => {
  test("peer disconnected; conn-name, peer-role and congested filters", () => {
    const node = webNode();
    const update = node.one(
      "change connection name:web peer-node-id:1 conn-name:beta connection:NetworkFailure role:Unknown congested:yes",
    );
    const rules = [
      ["disconnected", 'old.connection-state = "Connected"\nnew.connection-state = { operator = "NotEquals", value = "Connected" }'],
      ["beta", 'new.conn-name = "beta"'],
      ["not beta", 'old.conn-name = { operator = "NotEquals", value = "beta" }'],
      ["peer lost", 'old.peer-role = "Secondary"\nnew.peer-role = "Unknown"'],
      ["congested", "old.congested = false\nnew.congested = true"],
      ["peer 1", "peer-node-id = 1"],
      ["peer 0", "peer-node-id = 0"],
    ]
      .map(([name, filter]) => `[[umh.connection]]\nname = "${name}"\ncommand = "x"\n${filter}\n`)
      .join("");
    expect(fired(rules, update)).toEqual(["disconnected", "beta", "peer lost", "congested", "peer 1"]);
  });
});

describe("helper rules", () => {
  const CALL = "call helper name:web peer-node-id:1 conn-name:beta volume:0 helper:before-resync-target";
  const RESPONSE = "response helper name:web peer-node-id:1 conn-name:beta volume:0 helper:before-resync-target status:1";
  const FENCE = "call helper name:web peer-node-id:1 conn-name:beta helper:fence-peer";
  const rules = [
    ["any", ""],
    ["before-resync-target", 'helper = "before-resync-target"'],
    ["split-brain", 'helper = "split-brain"'],
    ["not split-brain", 'helper = { operator = "NotEquals", value = "split-brain" }'],
    ["call", 'event = "call"'],
    ["response", 'event = "response"'],
    ["volume 0", "volume = 0"],
    ["volume not 1", 'volume = { operator = "NotEquals", value = 1 }'],
    ["peer 1", "peer-node-id = 1"],
    ["peer not 1", 'peer-node-id = { operator = "NotEquals", value = 1 }'],
    ["web", 'resource-name = "web"'],
    ["db", 'resource-name = "db"'],
  ]
    .map(([name, filter]) => `[[umh.helper]]\nname = "${name}"\ncommand = "x"\n${filter}\n`)
    .join("");

  test("call and response", () => {
    const node = webNode();
    const common = ["any", "before-resync-target", "not split-brain"];
    const tail = ["volume 0", "volume not 1", "peer 1", "web"];
    expect(fired(rules, node.one(CALL))).toEqual([...common, "call", ...tail]);
    expect(fired(rules, node.one(RESPONSE))).toEqual([...common, "response", ...tail]);
  });

  test("a filter on a field the helper call lacks never matches, whatever the operator", () => {
    const update = webNode().one(FENCE);
    expect(update).toMatchObject({ kind: "helper", volume: null });
    expect(fired(rules, update)).toEqual(["any", "not split-brain", "call", "peer 1", "web"]);
  });
});

describe("selection and order", () => {
  const ALL_KINDS = ["resource", "device", "peerdevice", "connection", "helper"]
    .map((type) => `[[umh.${type}]]\ncommand = "${type}"\n`)
    .join("");

  test("rules are checked against updates of their own kind only", () => {
    const node = new Node();
    const byKind = (line: string) => compileRules(umhConfig(ALL_KINDS))(node.one(line)).map((j) => j.ruleName);
    expect(byKind(RESOURCE("Secondary"))).toEqual(["resource[0]"]);
    expect(byKind("exists device name:web volume:0 minor:1 disk:UpToDate client:no backing_dev:none quorum:yes open:no")).toEqual([
      "device[0]",
    ]);
    expect(byKind("exists connection name:web peer-node-id:1 conn-name:b connection:Connected role:Secondary")).toEqual([
      "connection[0]",
    ]);
    expect(
      byKind("exists peer-device name:web peer-node-id:1 conn-name:b volume:0 replication:Established peer-disk:UpToDate"),
    ).toEqual(["peerdevice[0]"]);
    expect(byKind("call helper name:web helper:split-brain")).toEqual(["helper[0]"]);
  });

  test("a rename matches no rule", () => {
    const node = webNode();
    const update = node.one("rename resource name:web new_name:www");
    expect(update.kind).toBe("rename");
    expect(compileRules(umhConfig(ALL_KINDS))(update)).toEqual([]);
  });

  test("a config without rules matches nothing", () => {
    expect(compileRules(umhConfig(""))(webNode().one(RESOURCE("Primary")))).toEqual([]);
  });

  test("every matching rule fires, in config order, named or not, indexed by resource name or not", () => {
    const rules = `
[[umh.resource]]
command = "1"
[[umh.resource]]
name = "web 1"
resource-name = "web"
command = "2"
[[umh.resource]]
name = "db"
resource-name = "db"
command = "3"
[[umh.resource]]
name = "any Primary"
new.role = "Primary"
command = "4"
[[umh.resource]]
name = "web 2"
resource-name = "web"
new.role = "Primary"
command = "5"
[[umh.resource]]
name = "web but Secondary"
resource-name = "web"
new.role = "Secondary"
command = "6"
[[umh.resource]]
command = "7"
[[umh.device]]
command = "device"
`;
    const jobs = compileRules(umhConfig(rules))(webNode().one(RESOURCE("Primary")));
    expect(jobs.map((j) => [j.ruleName, j.command])).toEqual([
      ["resource[0]", "1"],
      ["web 1", "2"],
      ["any Primary", "4"],
      ["web 2", "5"],
      ["resource[6]", "7"],
    ]);
  });

  test("identical rules fire once each", () => {
    const rule = '[[umh.resource]]\nname = "same"\ncommand = "x"\n';
    expect(fired(rule + rule, webNode().one(RESOURCE("Primary")))).toEqual(["same", "same"]);
  });
});

describe("jobs", () => {
  test("a job carries command, timeout and the complete environment", () => {
    const config = umhConfig(`
[[umh.resource]]
name = "with timeout"
command = "echo $X"
env = { X = "1" }
timeout = 1.5
[[umh.resource]]
name = "without"
command = "true"
`);
    const update = webNode().one(RESOURCE("Primary"));
    const jobs = compileRules(config)(update);
    expect(jobs).toEqual([
      { ruleName: "with timeout", command: "echo $X", env: hookEnv({ X: "1" }, update), timeoutSeconds: 1.5 },
      { ruleName: "without", command: "true", env: hookEnv({}, update), timeoutSeconds: null },
    ]);
    expect(jobs[0]!.env).toMatchObject({ X: "1", DRBD_RES_NAME: "web", DRBD_NEW_ROLE: "Primary", PATH: "/sbin:/usr/sbin:/bin:/usr/bin" });
  });

  test("matchingJobs compiles a config once and gives the same jobs as compileRules", () => {
    const config = umhConfig(BECAME_PRIMARY);
    const update = webNode().one(RESOURCE("Primary"));
    expect(matchingJobs(config, update)).toEqual(compileRules(config)(update));
    expect(matchingJobs(config, update)).toEqual(matchingJobs(config, update));
    expect(matchingJobs(config, update).map((j) => j.ruleName)).toEqual(["became Primary"]);
  });

  test("jobs of successive calls are independent arrays", () => {
    const match = compileRules(umhConfig(BECAME_PRIMARY));
    const node = webNode();
    const none1 = match(node.one(RESOURCE("Secondary", "no")));
    const none2 = match(node.one(RESOURCE("Secondary", "yes")));
    expect(none1).toEqual([]);
    expect(none1).not.toBe(none2);
  });
});
