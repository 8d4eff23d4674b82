import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BASE_ENV, hookEnv, updateVariables } from "../../../../plugins/umh/env.ts";
import type { PluginUpdate } from "../../../../src/core/updates.ts";
import { Node } from "./fixtures.ts";

const BASE = { PATH: "/sbin:/usr/sbin:/bin:/usr/bin", HOME: "/", TERM: "linux" };

const DEVICE_0 = "exists device name:web volume:0 minor:1000 disk:UpToDate client:no backing_dev:/dev/vg/web quorum:yes open:no";
const CONNECTION_1 = "exists connection name:web peer-node-id:1 conn-name:beta connection:Connected role:Secondary congested:no";
const PEER_DEVICE_1_0 =
  "exists peer-device name:web peer-node-id:1 conn-name:beta volume:0 replication:Established peer-disk:UpToDate peer-client:no resync-suspended:no";

function webNode(): Node {
  const node = new Node();
  node.feed(
    "exists resource name:web role:Secondary suspended:no force-io-failures:no may_promote:yes promotion_score:10102",
    CONNECTION_1,
    DEVICE_0,
    PEER_DEVICE_1_0,
    "exists -",
  );
  return node;
}

describe("variables per rule type", () => {
  test("resource", () => {
    const update = webNode().one(
      "change resource name:web role:Primary suspended:no force-io-failures:no may_promote:no promotion_score:10102",
    );
    expect(hookEnv({}, update)).toEqual({
      ...BASE,
      DRBD_RES_NAME: "web",
      DRBD_OLD_ROLE: "Secondary",
      DRBD_NEW_ROLE: "Primary",
      DRBD_OLD_MAY_PROMOTE: "true",
      DRBD_NEW_MAY_PROMOTE: "false",
    });
  });

  test("device, with minor and backing device by volume", () => {
    const node = webNode();
    node.feed("create device name:web volume:1 minor:1001 disk:Attaching client:no backing_dev:/dev/vg/web1 quorum:no open:no");
    const update = node.one(
      "change device name:web volume:1 minor:1001 disk:UpToDate client:no backing_dev:/dev/vg/web1 quorum:yes open:yes",
    );
    expect(hookEnv({}, update)).toEqual({
      ...BASE,
      DRBD_RES_NAME: "web",
      DRBD_VOLUME: "1",
      DRBD_OLD_DISK_STATE: "Attaching",
      DRBD_NEW_DISK_STATE: "UpToDate",
      DRBD_OLD_CLIENT: "false",
      DRBD_NEW_CLIENT: "false",
      DRBD_OLD_QUORUM: "false",
      DRBD_NEW_QUORUM: "true",
      DRBD_OLD_OPEN: "false",
      DRBD_NEW_OPEN: "true",
      DRBD_MINOR: "1001",
      DRBD_MINOR_1: "1001",
      DRBD_BACKING_DEV: "/dev/vg/web1",
      DRBD_BACKING_DEV_1: "/dev/vg/web1",
    });
  });

  test("device: a diskless client has backing device none", () => {
    const update = webNode().one(
      "change device name:web volume:0 minor:1000 disk:Diskless client:yes backing_dev:none quorum:yes open:no",
    );
    expect(updateVariables(update)).toMatchObject({
      DRBD_NEW_DISK_STATE: "Diskless",
      DRBD_OLD_CLIENT: "false",
      DRBD_NEW_CLIENT: "true",
      DRBD_MINOR: "1000",
      DRBD_MINOR_0: "1000",
      DRBD_BACKING_DEV: "none",
      DRBD_BACKING_DEV_0: "none",
    });
  });

  test("device: a Destroy has no minor or backing device (the device is gone)", () => {
    const update = webNode().one("destroy device name:web volume:0");
    expect(updateVariables(update)).toEqual({
      DRBD_RES_NAME: "web",
      DRBD_VOLUME: "0",
      DRBD_OLD_DISK_STATE: "UpToDate",
      DRBD_NEW_DISK_STATE: "DUnknown",
      DRBD_OLD_CLIENT: "false",
      DRBD_NEW_CLIENT: "false",
      DRBD_OLD_QUORUM: "true",
      DRBD_NEW_QUORUM: "false",
      DRBD_OLD_OPEN: "false",
      DRBD_NEW_OPEN: "false",
    });
  });

  test("peer device, with DRBD_VOLUME and the local device's minor and backing device", () => {
    const update = webNode().one(
      "change peer-device name:web peer-node-id:1 conn-name:beta volume:0 replication:SyncSource peer-disk:Inconsistent peer-client:no resync-suspended:yes",
    );
    expect(hookEnv({}, update)).toEqual({
      ...BASE,
      DRBD_RES_NAME: "web",
      DRBD_PEER_NODE_ID: "1",
      DRBD_VOLUME: "0",
      DRBD_OLD_PEER_REPLICATION_STATE: "Established",
      DRBD_NEW_PEER_REPLICATION_STATE: "SyncSource",
      DRBD_OLD_PEER_DISK_STATE: "UpToDate",
      DRBD_NEW_PEER_DISK_STATE: "Inconsistent",
      DRBD_OLD_PEER_CLIENT: "false",
      DRBD_NEW_PEER_CLIENT: "false",
      DRBD_OLD_PEER_RESYNC_SUSPENDED: "false",
      DRBD_NEW_PEER_RESYNC_SUSPENDED: "true",
      DRBD_MINOR: "1000",
      DRBD_MINOR_0: "1000",
      DRBD_BACKING_DEV: "/dev/vg/web",
      DRBD_BACKING_DEV_0: "/dev/vg/web",
    });
  });

  test("peer device: no minor or backing device without a local device of that volume", () => {
    const update = webNode().one(
      "exists peer-device name:web peer-node-id:1 conn-name:beta volume:7 replication:Established peer-disk:UpToDate peer-client:yes resync-suspended:no",
    );
    const env = updateVariables(update);
    expect(env).toMatchObject({ DRBD_VOLUME: "7", DRBD_OLD_PEER_DISK_STATE: "DUnknown", DRBD_NEW_PEER_CLIENT: "true" });
    expect(Object.keys(env).filter((k) => k.includes("MINOR") || k.includes("BACKING"))).toEqual([]);
  });

  test("connection, with CSTATE and CONGESTED", () => {
    const update = webNode().one(
      "change connection name:web peer-node-id:1 conn-name:beta connection:NetworkFailure role:Unknown congested:yes",
    );
    expect(hookEnv({}, update)).toEqual({
      ...BASE,
      DRBD_RES_NAME: "web",
      DRBD_PEER_NODE_ID: "1",
      DRBD_CSTATE: "NetworkFailure",
      DRBD_OLD_CONN_NAME: "beta",
      DRBD_NEW_CONN_NAME: "beta",
      DRBD_OLD_CONN_STATE: "Connected",
      DRBD_NEW_CONN_STATE: "NetworkFailure",
      DRBD_OLD_PEER_ROLE: "Secondary",
      DRBD_NEW_PEER_ROLE: "Unknown",
      DRBD_OLD_CONGESTED: "false",
      DRBD_NEW_CONGESTED: "true",
    });
  });

  test("helper call: minor from the local device of the volume; no status", () => {
    const update = webNode().one("call helper name:web peer-node-id:1 conn-name:beta volume:0 helper:before-resync-target");
    expect(hookEnv({}, update)).toEqual({
      ...BASE,
      DRBD_RES_NAME: "web",
      DRBD_HELPER: "before-resync-target",
      DRBD_PEER_NODE_ID: "1",
      DRBD_VOLUME: "0",
      DRBD_MINOR: "1000",
    });
  });

  test("helper response: status; a minor printed by DRBD wins", () => {
    const update = webNode().one(
      "response helper name:web peer-node-id:1 conn-name:beta volume:0 minor:42 helper:before-resync-target status:3",
    );
    expect(updateVariables(update)).toEqual({
      DRBD_RES_NAME: "web",
      DRBD_HELPER: "before-resync-target",
      DRBD_PEER_NODE_ID: "1",
      DRBD_VOLUME: "0",
      DRBD_MINOR: "42",
      DRBD_HELPER_STATUS: "3",
    });
  });

  test("helper: only what is known (no peer, no volume, no device)", () => {
    const node = new Node();
    expect(updateVariables(node.one("call helper name:r9 helper:split-brain"))).toEqual({
      DRBD_RES_NAME: "r9",
      DRBD_HELPER: "split-brain",
    });
    expect(updateVariables(node.one("call helper name:r9 volume:3 helper:before-resync-target"))).toEqual({
      DRBD_RES_NAME: "r9",
      DRBD_HELPER: "before-resync-target",
      DRBD_VOLUME: "3",
    });
    expect(updateVariables(node.one("response helper name:r9 helper:split-brain status:0"))).toEqual({
      DRBD_RES_NAME: "r9",
      DRBD_HELPER: "split-brain",
      DRBD_HELPER_STATUS: "0",
    });
  });

  test("rename: no DRBD_* variables", () => {
    const update = webNode().one("rename resource name:web new_name:www");
    expect(updateVariables(update)).toEqual({});
    expect(hookEnv({ A: "1" }, update)).toEqual({ ...BASE, A: "1" });
  });
});

describe("precedence", () => {
  const update = (): PluginUpdate =>
    webNode().one("change resource name:web role:Primary suspended:no force-io-failures:no may_promote:no promotion_score:1");

  test("the base is PATH, HOME and TERM only", () => {
    expect(BASE_ENV).toEqual(BASE);
    expect(Object.isFrozen(BASE_ENV)).toBe(true);
  });

  test("the rule's env adds variables and may replace PATH, HOME and TERM", () => {
    const env = hookEnv({ PATH: "/opt/bin:/usr/bin", HOME: "/root", TERM: "dumb", MAILTO: "ops" }, update());
    expect(env).toMatchObject({ PATH: "/opt/bin:/usr/bin", HOME: "/root", TERM: "dumb", MAILTO: "ops", DRBD_RES_NAME: "web" });
  });

  test("DRBD_* variables of the update cannot be overridden", () => {
    // The config refuses DRBD_ names; even if one got through, the update wins.
    const env = hookEnv({ DRBD_RES_NAME: "spoofed", DRBD_NEW_ROLE: "Secondary" }, update());
    expect(env.DRBD_RES_NAME).toBe("web");
    expect(env.DRBD_NEW_ROLE).toBe("Primary");
  });

  test("nothing of the daemon's own environment leaks in", () => {
    process.env.UMH_TEST_LEAK = "1";
    try {
      const env = hookEnv({}, update());
      expect(env.UMH_TEST_LEAK).toBeUndefined();
      expect(Object.keys(env).filter((k) => !k.startsWith("DRBD_")).sort()).toEqual(["HOME", "PATH", "TERM"]);
    } finally {
      delete process.env.UMH_TEST_LEAK;
    }
  });

  test("the rule's env object is not changed", () => {
    const ruleEnv = Object.freeze({ A: "1" });
    hookEnv(ruleEnv, update());
    expect(ruleEnv).toEqual({ A: "1" });
  });
});

test("the README documents exactly the variables that are set, letter for letter", () => {
  const node = webNode();
  const updates = [
    ...node.feed(
      "change resource name:web role:Primary suspended:no force-io-failures:no may_promote:no promotion_score:1",
      "change device name:web volume:0 minor:1000 disk:Outdated client:no backing_dev:/dev/vg/web quorum:yes open:no",
      "change connection name:web peer-node-id:1 conn-name:beta connection:Connecting role:Unknown congested:no",
      "change peer-device name:web peer-node-id:1 conn-name:beta volume:0 replication:Off peer-disk:DUnknown peer-client:no resync-suspended:no",
      "response helper name:web peer-node-id:1 volume:0 helper:fence-peer status:4",
    ),
  ];
  expect(updates.map((u) => u.kind)).toEqual(["resource", "device", "connection", "peer-device", "helper"]);
  const produced = new Set(updates.flatMap((u) => Object.keys(updateVariables(u))));
  // Per-volume names are documented as DRBD_MINOR_<volume>.
  const normalised = new Set([...produced].map((name) => name.replace(/_0$/, "_<volume>")));
  const readme = readFileSync(join(import.meta.dir, "../../../../plugins/umh/README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Environment variables"), readme.indexOf("### Precedence"));
  const documented = new Set([...section.matchAll(/`(DRBD_[A-Z_]+(?:<volume>)?)`/g)].map((m) => m[1]!));
  expect([...documented].sort()).toEqual([...normalised].sort());
});
