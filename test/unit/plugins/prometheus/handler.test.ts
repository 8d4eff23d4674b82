/** The HTTP handler in-process (Hono style): no sockets. */
import { describe, expect, test } from "bun:test";
import type { ExpositionFormat } from "../../../../plugins/prometheus/collector.ts";
import { metricsHandler, negotiate } from "../../../../plugins/prometheus/handler.ts";

const provider = {
  calls: [] as ExpositionFormat[],
  async text(format: ExpositionFormat) {
    this.calls.push(format);
    return format === "openmetrics" ? "om\n# EOF\n" : "drbdreactor_up 1\n";
  },
};
const handler = metricsHandler(provider);
const req = (path: string, init: RequestInit = {}) => handler(new Request(`http://localhost${path}`, init));

describe("metrics handler", () => {
  test("GET /metrics and / serve the text format", async () => {
    for (const path of ["/metrics", "/"]) {
      const res = await req(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      expect(await res.text()).toBe("drbdreactor_up 1\n");
    }
  });

  test("Accept: application/openmetrics-text gets OpenMetrics (what Prometheus sends)", async () => {
    const accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    const res = await req("/metrics", { headers: { accept } });
    expect(res.headers.get("content-type")).toContain("application/openmetrics-text");
    expect(await res.text()).toBe("om\n# EOF\n");
  });

  test("HEAD: headers, no body", async () => {
    const res = await req("/metrics", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(await res.text()).toBe("");
  });

  test("other paths 404, other methods 405 with Allow", async () => {
    expect((await req("/nope")).status).toBe(404);
    expect((await req("/metrics/")).status).toBe(404);
    const post = await req("/metrics", { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  test("negotiate", () => {
    expect(negotiate(null)).toBe("text");
    expect(negotiate("text/plain")).toBe("text");
    expect(negotiate("Application/OpenMetrics-Text; version=1.0.0")).toBe("openmetrics");
  });
});
