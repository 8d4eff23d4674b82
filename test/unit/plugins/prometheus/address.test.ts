import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { formatAddress, parseAddress } from "../../../../plugins/prometheus/address.ts";
import { prometheusSchema } from "../../../../plugins/prometheus/config.ts";

describe("address", () => {
  test("accepted forms (upstream's tests: explicit v4/v6, ':port' = every address)", () => {
    expect(parseAddress("127.0.0.1:9999")).toEqual({ kind: "ip", host: "127.0.0.1", port: 9999 });
    expect(parseAddress("[::1]:9999")).toEqual({ kind: "ip", host: "::1", port: 9999 });
    expect(parseAddress(":9999")).toEqual({ kind: "any", port: 9999 });
    expect(parseAddress("0.0.0.0:9942")).toEqual({ kind: "ip", host: "0.0.0.0", port: 9942 });
  });

  test("refused forms name what is wrong", () => {
    expect(parseAddress("::9999")).toEqual({ error: 'expected "ip:port", "[ipv6]:port" or ":port"' });
    expect(parseAddress("")).toMatchObject({ error: expect.stringContaining("expected") });
    expect(parseAddress("localhost:9942")).toMatchObject({ error: expect.stringContaining('"localhost" is not an IPv4 address') });
    expect(parseAddress(":70000")).toMatchObject({ error: expect.stringContaining("port must be 0–65535") });
    expect(parseAddress("[fe80::zz]:1")).toMatchObject({ error: expect.stringContaining("not an IPv6 address") });
    expect(parseAddress("1.2.3.4")).toMatchObject({ error: expect.stringContaining("expected") });
  });

  test("formats back to what was written", () => {
    for (const text of ["127.0.0.1:9999", "[::1]:9999", ":9942"]) {
      const parsed = parseAddress(text);
      if ("error" in parsed) throw new Error(parsed.error);
      expect(formatAddress(parsed)).toBe(text);
    }
  });
});

describe("schema", () => {
  test("defaults", () => {
    expect(v.parse(prometheusSchema, {})).toEqual({ address: ":9942", enums: false });
  });
  test("a bad address is an issue quoting why", () => {
    const r = v.safeParse(prometheusSchema, { address: "::9999" });
    expect(r.success).toBe(false);
    expect(r.issues?.[0]?.message).toBe('expected "ip:port", "[ipv6]:port" or ":port"');
  });
});
