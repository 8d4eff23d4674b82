/**
 * The setup every simulator-driven integration file shares: a 3-node
 * simulated cluster (alpha, bravo, charlie) for the whole file, daemons
 * stopped after each test, everything removed at the end.
 *
 * @module
 */
import { afterAll, afterEach, beforeAll } from "bun:test";
import { type SimCluster, startCluster } from "../sim/cluster.ts";
import type { ResourceSpec } from "../sim/model.ts";
import { type Daemon, Scratch } from "./harness.ts";

/** What a test file gets from {@link simulatedCluster}. */
export interface ClusterFixture {
  readonly scratch: Scratch;
  /** Daemons started by the current test; stopped after it. */
  readonly running: Daemon[];
  /** The cluster (available from `beforeAll` on). */
  readonly cluster: SimCluster;
}

/** Register the file's hooks and return the fixture. */
export function simulatedCluster(resources: ResourceSpec[]): ClusterFixture {
  const scratch = new Scratch();
  const running: Daemon[] = [];
  let cluster: SimCluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster({ dir: scratch.path("sim"), nodes: ["alpha", "bravo", "charlie"], resources });
  });
  afterEach(async () => {
    for (const d of running.splice(0)) await d.stop();
  });
  afterAll(async () => {
    await cluster?.stop();
    scratch.remove();
  });
  return {
    scratch,
    running,
    get cluster(): SimCluster {
      if (!cluster) throw new Error("the simulated cluster is not started yet (use it inside tests)");
      return cluster;
    },
  };
}
