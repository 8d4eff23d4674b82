/** may_promote / promotion_score as drbd-utils computes them (core.md §3.7). */
import { describe, expect, test } from "bun:test";
import { emptyModel, type ResourceSpec, type SimModel } from "../../sim/model.ts";
import { addResource, crash, demote, promote, setLink, setOpen } from "../../sim/ops.ts";
import { promotionInfo } from "../../sim/promotion.ts";
import type { ResourceView } from "../../sim/records.ts";
import { resourceViewOf } from "../../sim/view.ts";

function cluster(nodes: string[], spec: Partial<ResourceSpec> = {}): SimModel {
  const m = emptyModel({ nodes });
  return addResource(m, { name: "r0", volumes: [{ minor: 1000 }], ...spec }).at(-1) as SimModel;
}

function view(m: SimModel, node: string): ResourceView {
  const r = m.resources[0];
  if (!r) throw new Error("no resource");
  const v = resourceViewOf(m, r, node);
  if (!v) throw new Error(`r0 not up on ${node}`);
  return v;
}

const info = (m: SimModel, node: string) => promotionInfo(view(m, node));

describe("promotion info", () => {
  test("one UpToDate device without peers: yes/10101", () => {
    expect(info(cluster(["a"]), "a")).toEqual({ mayPromote: true, promotionScore: 10101 });
  });

  test("plus one UpToDate peer: 10102; two peers: 10103", () => {
    expect(info(cluster(["a", "b"]), "a")).toEqual({ mayPromote: true, promotionScore: 10102 });
    expect(info(cluster(["a", "b", "c"]), "a")).toEqual({ mayPromote: true, promotionScore: 10103 });
  });

  test("two local UpToDate devices without peers: 10201", () => {
    const m = cluster(["a"], { volumes: [{ minor: 1000 }, { minor: 1001 }] });
    expect(info(m, "a")).toEqual({ mayPromote: true, promotionScore: 10201 });
  });

  test("no quorum: no/0", () => {
    // Three nodes, two crashed: a alone is not a majority.
    let m = cluster(["a", "b", "c"]);
    m = crash(m, "b").at(-1) as SimModel;
    m = crash(m, "c").at(-1) as SimModel;
    expect(view(m, "a").devices[0]?.quorum).toBe(false);
    expect(info(m, "a")).toEqual({ mayPromote: false, promotionScore: 0 });
  });

  test("quorum off keeps a lone node promotable", () => {
    let m = cluster(["a", "b"], { options: { quorum: "off" } });
    m = crash(m, "b").at(-1) as SimModel;
    expect(info(m, "a")).toEqual({ mayPromote: true, promotionScore: 10101 });
  });

  test("any Primary (local or peer): may_promote no, score kept", () => {
    const m = promote(cluster(["a", "b"]), "a", "r0").steps.at(-1) as SimModel;
    expect(info(m, "a")).toEqual({ mayPromote: false, promotionScore: 10102 });
    expect(info(m, "b")).toEqual({ mayPromote: false, promotionScore: 10102 });
  });

  test("force-io-failures: no/0", () => {
    let m = promote(cluster(["a", "b"]), "a", "r0").steps.at(-1) as SimModel;
    m = setOpen(m, "a", "r0", true).at(-1) as SimModel;
    m = demote(m, "a", "r0", { force: true }).steps.at(-1) as SimModel;
    expect(view(m, "a").resource.forceIoFailures).toBe(true);
    expect(info(m, "a")).toEqual({ mayPromote: false, promotionScore: 0 });
  });

  test("diskless client: score counts peers only, needs a stable UpToDate peer", () => {
    const m = cluster(["a", "b", "c"], { diskless: ["c"] });
    expect(info(m, "c")).toEqual({ mayPromote: true, promotionScore: 2 });
    // A peer that is Primary is not stable; may_promote is no anyway because of the Primary.
    const p = promote(m, "a", "r0").steps.at(-1) as SimModel;
    expect(info(p, "c")).toEqual({ mayPromote: false, promotionScore: 2 });
  });

  test("diskless client whose only UpToDate peer is connected to a Primary it cannot see: no", () => {
    let m = cluster(["a", "b", "c"], { diskless: ["c"] });
    m = setLink(m, "a", "c", false).at(-1) as SimModel;
    m = promote(m, "a", "r0").steps.at(-1) as SimModel;
    const v = view(m, "c");
    expect(v.connections.map((x) => x.connection.role)).toEqual(["Unknown", "Secondary"]);
    expect(v.connections[1]?.peerDevices[0]?.stable).toBe(false);
    expect(promotionInfo(v)).toEqual({ mayPromote: false, promotionScore: 1 });
  });

  test("Inconsistent local disk without UpToDate replica: no/0; with a peer: 10001", () => {
    const lone = cluster(["a"], { initialDisk: "Inconsistent" });
    expect(info(lone, "a")).toEqual({ mayPromote: false, promotionScore: 0 });
    const v = view(cluster(["a", "b"]), "a");
    const inconsistent: ResourceView = {
      ...v,
      devices: v.devices.map((d) => ({ ...d, disk: "Inconsistent" })),
    };
    expect(promotionInfo(inconsistent)).toEqual({ mayPromote: true, promotionScore: 10001 });
  });

  test("no devices: no/0", () => {
    const v = view(cluster(["a"]), "a");
    expect(promotionInfo({ ...v, devices: [] })).toEqual({ mayPromote: false, promotionScore: 0 });
  });
});
