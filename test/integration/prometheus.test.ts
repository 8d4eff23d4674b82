/**
 * The prometheus plugin in the compiled daemon on node "alpha" of a
 * simulated cluster: what a scrape returns, how it follows the cluster,
 * promtool's verdict, and robustness against bad clients.
 */
import { describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { simulatedCluster } from "./cluster-fixture.ts";
import { until } from "../helpers/until.ts";
import { Daemon } from "./harness.ts";

const fx = simulatedCluster([{ name: "r0", volumes: [{ minor: 1000 }] }]);
const { scratch, running } = fx;

/** Start the daemon with a prometheus plugin on a free loopback port; returns the daemon and the scrape URL. */
async function startExporter(name: string, extra = ""): Promise<{ d: Daemon; url: string }> {
  const config = scratch.write(`${name}.toml`, `[[prometheus]]\naddress = "127.0.0.1:0"\nenums = true\n${extra}`);
  const d = Daemon.start({ config, pathPrefix: [fx.cluster.binDir("alpha")] });
  running.push(d);
  const line = await d.waitFor(/serving metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/);
  await d.waitFor(/initial state complete/);
  return { d, url: /(http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(line)![1]! };
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return res.text();
}


describe("scrape", () => {
  test("upstream metrics from the cluster state, versions from drbdadm, plugin health", async () => {
    const { url } = await startExporter("basic");
    const text = await scrape(url);
    expect(text).toContain('drbd_resource_role{name="r0",drbd_resource_role="Secondary"} 1');
    expect(text).toContain('drbd_version{kmod="9.2.12",utils="9.29.0"} 1');
    expect(text).toContain('drbd_device_quorum{name="r0",volume="0",minor="1000"} 1');
    expect(text).toContain('drbd_connection_state{name="r0",conn_name="bravo",peer_node_id="1",drbd_connection_state="Connected"} 1');
    expect(text).toMatch(/drbdreactor_plugin_up\{kind="prometheus",source="[^"]+basic\.toml"\} 1/);
    expect(text).toMatch(/drbdreactor_events_total [1-9]\d*/);
  }, 20_000);

  test("follows state changes at once", async () => {
    const { url } = await startExporter("follow");
    expect(fx.cluster.primary("alpha", "r0").exitCode).toBe(0);
    try {
      await until("Primary in the scrape", async () =>
        (await scrape(url)).includes('drbd_resource_role{name="r0",drbd_resource_role="Primary"} 1'),
      );
    } finally {
      fx.cluster.secondary("alpha", "r0");
    }
  }, 20_000);

  test("port in use: a loud error naming the address and the reason; the daemon keeps running", async () => {
    const { url } = await startExporter("first");
    const port = new URL(url).port;
    const config = scratch.write("second.toml", `[[prometheus]]\naddress = "127.0.0.1:${port}"\n[[debugger]]\n`);
    const d = Daemon.start({ config, pathPrefix: [fx.cluster.binDir("alpha")] });
    running.push(d);
    await d.waitFor(new RegExp(`ERROR \\[prometheus\\] .*cannot listen on "127\\.0\\.0\\.1:${port}": the port is in use \\(EADDRINUSE\\)`));
    await d.waitFor(/initial state complete/);
    expect(d.proc.exitCode).toBeNull();
  }, 20_000);
});

describe("robustness", () => {
  test("200 concurrent scrapes are all served", async () => {
    const { url } = await startExporter("concurrent");
    const results = await Promise.all(Array.from({ length: 200 }, () => fetch(url).then(async (r) => [r.status, (await r.text()).length])));
    expect(results.every(([status, length]) => status === 200 && (length as number) > 1000)).toBe(true);
  }, 20_000);

  test("a stalled client does not hold up events or other scrapes; malformed and oversized requests are refused", async () => {
    const { d, url } = await startExporter("stalled");
    const { port } = new URL(url);
    // A client that sends half a request and then nothing.
    const stalled = connect(Number(port), "127.0.0.1");
    await new Promise<void>((resolve) => stalled.once("connect", () => resolve()));
    stalled.write("GET /metrics HTTP/1.1\r\nHost: x\r\n");
    try {
      expect(fx.cluster.primary("alpha", "r0").exitCode).toBe(0);
      await until("the change while a client stalls", async () =>
        (await scrape(url)).includes('drbd_resource_role{name="r0",drbd_resource_role="Primary"} 1'),
      );
      // Garbage instead of HTTP.
      const garbage = await rawRequest(Number(port), "\x00\x01NOT HTTP\r\n\r\n");
      expect(garbage).toMatch(/^HTTP\/1\.1 4\d\d/);
      // A body far beyond what a scrape needs.
      const big = await fetch(url, { method: "POST", body: "x".repeat(1024 * 1024) });
      expect([405, 413]).toContain(big.status);
      expect((await fetch(url)).status).toBe(200);
      expect(d.proc.exitCode).toBeNull();
    } finally {
      stalled.destroy();
      fx.cluster.secondary("alpha", "r0");
    }
  }, 20_000);
});

/** Send raw bytes, return what comes back before the server closes (or 2 s pass). */
function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    const done = () => {
      socket.destroy();
      resolve(answer);
    };
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
    });
    socket.on("close", done);
    socket.on("error", done);
    setTimeout(done, 2000);
    socket.write(bytes, "latin1");
  });
}
