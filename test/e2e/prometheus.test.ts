/**
 * Real Prometheus tooling against the compiled daemon (Debian's `prometheus`
 * package; `make test` and `.ci/run` install it):
 * - `promtool check metrics` on the live endpoint;
 * - a real Prometheus server on loopback scraping the daemon while the
 *   simulated cluster changes, asserted through Prometheus' query API.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { type SimCluster, startCluster } from "../sim/cluster.ts";
import { Daemon, Scratch } from "../integration/harness.ts";
import { freeTcpPort } from "../helpers/ports.ts";
import { runCommand } from "../helpers/run.ts";

const scratch = new Scratch();
let cluster: SimCluster;
let daemon: Daemon;
let target: string; // host:port of the daemon's endpoint

beforeAll(async () => {
  for (const tool of ["promtool", "prometheus"]) {
    if (!Bun.which(tool)) throw new Error(`${tool} is missing: install Debian's "prometheus" package (make test does)`);
  }
  cluster = await startCluster({
    dir: scratch.path("sim"),
    nodes: ["alpha", "bravo", "charlie"],
    resources: [
      { name: "r0", volumes: [{ minor: 1000 }] },
      { name: "r1", volumes: [{ minor: 1001 }, { minor: 1002 }] },
    ],
  });
  const config = scratch.write("exporter.toml", `[[prometheus]]\naddress = "127.0.0.1:0"\nenums = true\n`);
  daemon = Daemon.start({ config, pathPrefix: [cluster.binDir("alpha")] });
  const line = await daemon.waitFor(/serving metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/);
  target = /http:\/\/(127\.0\.0\.1:\d+)\/metrics/.exec(line)![1]!;
  await daemon.waitFor(/initial state complete/);
});

afterAll(async () => {
  await daemon?.stop();
  await cluster?.stop();
  scratch.remove();
});

describe("promtool check metrics", () => {
  // promtool lints the text format only; the Prometheus server test below scrapes
  // OpenMetrics (what Prometheus negotiates by default), so that format is covered there.
  test("no parse error; lint finds only the two documented legacy names", async () => {
    const body = await (await fetch(`http://${target}/metrics`)).text();
    const { code, stdout: out, stderr: err } = await runCommand(["promtool", "check", "metrics"], { stdin: body });
    expect(code).toBe(3);
    expect(`${out}${err}`.split("\n").filter(Boolean).sort()).toEqual([
      'drbd_peerdevice_received_bytes counter metrics should have "_total" suffix',
      'drbd_peerdevice_sent_bytes counter metrics should have "_total" suffix',
    ]);
  });
});

describe("a real Prometheus server", () => {
  test("scrapes the daemon; queries follow promotion and quorum loss", async () => {
    const port = freeTcpPort();
    const api = `http://127.0.0.1:${port}`;
    const yml = scratch.write(
      "prometheus.yml",
      `global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\nscrape_configs:\n  - job_name: drbd-reactor\n    static_configs: [{targets: ['${target}']}]\n`,
    );
    const check = Bun.spawnSync(["promtool", "check", "config", yml]);
    expect(check.exitCode).toBe(0);
    const prom = Bun.spawn(
      ["prometheus", `--config.file=${yml}`, `--storage.tsdb.path=${scratch.path("tsdb")}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdin: "ignore", stdout: "ignore", stderr: Bun.file(scratch.path("prometheus.log")) },
    );
    try {
      /** Instant query; returns `labels → value` for every series. */
      const query = async (expr: string): Promise<Map<string, number>> => {
        const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`).catch(() => null);
        const out = new Map<string, number>();
        if (!res?.ok) return out;
        const json = (await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
        for (const s of json.data.result) out.set(JSON.stringify({ ...s.metric, instance: undefined, job: undefined }), Number(s.value[1]));
        return out;
      };
      const waitQuery = async (expr: string, want: (m: Map<string, number>) => boolean, what: string) => {
        const deadline = performance.now() + 45_000;
        for (;;) {
          const m = await query(expr);
          if (want(m)) return m;
          if (performance.now() > deadline) throw new Error(`Prometheus never showed ${what}: ${expr} => ${JSON.stringify([...m])}`);
          await Bun.sleep(250);
        }
      };

      // Static targets show up after Prometheus' discovery throttle (a few seconds).
      await waitQuery("drbdreactor_up", (m) => [...m.values()].includes(1), "drbdreactor_up = 1");
      const targets = (await (await fetch(`${api}/api/v1/targets`)).json()) as {
        data: { activeTargets: { health: string; lastError: string }[] };
      };
      expect(targets.data.activeTargets.map((t) => [t.health, t.lastError])).toEqual([["up", ""]]);
      await waitQuery('drbd_resource_role{drbd_resource_role="Secondary"} == 1', (m) => m.size === 2, "both resources Secondary");

      expect(cluster.primary("alpha", "r0").exitCode).toBe(0);
      await waitQuery('drbd_resource_role{name="r0",drbd_resource_role="Primary"}', (m) => [...m.values()][0] === 1, "r0 Primary");

      // alpha cut off from both peers: it loses quorum on every volume.
      cluster.partition(["alpha"], ["bravo", "charlie"]);
      const lost = await waitQuery("drbd_device_quorum == 0", (m) => m.size === 3, "quorum lost on alpha's 3 volumes");
      expect([...lost.keys()].map((k) => JSON.parse(k).minor).sort()).toEqual(["1000", "1001", "1002"]);
      cluster.heal();
      await waitQuery("drbd_device_quorum == 1", (m) => m.size === 3, "quorum back");
      const labels = (await (await fetch(`${api}/api/v1/label/name/values?match[]=drbd_resource_role`)).json()) as { data: string[] };
      expect(labels.data).toEqual(["r0", "r1"]); // what the Grafana $resource variable needs
    } finally {
      cluster.heal();
      cluster.secondary("alpha", "r0");
      prom.kill("SIGTERM");
      await prom.exited;
    }
  }, 90_000);
});
