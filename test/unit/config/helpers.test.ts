import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { describeValue, formatPath } from "../../../src/config/describe.ts";
import { canonicalJson, pluginIdentity } from "../../../src/config/identity.ts";
import { Report } from "../../../src/config/report.ts";
import { editDistance, suggestKey } from "../../../src/config/suggest.ts";
import { inspectKeys, unknownKeyText } from "../../../src/config/unknown-keys.ts";
import { validate } from "../../../src/config/validate.ts";
import { ConfigError } from "../../../src/config/types.ts";

describe("editDistance / suggestKey", () => {
  test("distances", () => {
    expect(editDistance("idd", "id")).toBe(1);
    expect(editDistance("debgu", "debug")).toBe(1); // a swap counts once
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });

  test("suggestions tolerate case and snake_case, not wild guesses", () => {
    expect(suggestKey("Level", ["level", "file"])).toBe("level");
    expect(suggestKey("cache_max", ["cache-max", "agent-timeout"])).toBe("cache-max");
    expect(suggestKey("x", ["id"])).toBeUndefined();
    expect(suggestKey("adress", ["address", "enums"])).toBe("address");
    expect(suggestKey("completely-different", ["id"])).toBeUndefined();
  });

  test("unknownKeyText", () => {
    expect(unknownKeyText("idd", ["id"])).toBe('unknown key (did you mean "id"?)');
    expect(unknownKeyText("zzz", ["id", "file"])).toBe('unknown key (known keys: "id", "file")');
    expect(unknownKeyText("zzz", [])).toBe("unknown key (this table takes no keys)");
    const many = Array.from({ length: 13 }, (_, i) => `key-${i}-long-name`);
    expect(unknownKeyText("zzz", many)).toBe("unknown key");
  });
});

describe("describe", () => {
  test("paths in TOML dotted-key syntax", () => {
    expect(formatPath(["debugger", 0, "id"])).toBe("debugger[0].id");
    expect(formatPath(["promoter", 1, "resources", "my.res", "start", 2])).toBe(
      'promoter[1].resources."my.res".start[2]',
    );
    expect(formatPath([])).toBe("");
  });

  test("values as typed in TOML", () => {
    expect(describeValue("60s")).toBe('"60s"');
    expect(describeValue(5)).toBe("5");
    expect(describeValue(Number.NaN)).toBe("nan");
    expect(describeValue(-Infinity)).toBe("-inf");
    expect(describeValue([1, "a", { b: true }])).toBe('[1, "a", { b = true }]');
    expect(describeValue({})).toBe("{}");
    expect(describeValue(undefined)).toBe("nothing");
    expect(describeValue("x".repeat(200))).toHaveLength(80);
  });
});

describe("canonicalJson / pluginIdentity", () => {
  test("keys sorted recursively, array order kept, undefined members dropped", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: undefined, b: null } })).toBe('{"a":{"b":null,"d":[2,1]},"b":1}');
    expect(pluginIdentity("debugger", {})).toBe('{"config":{},"kind":"debugger"}');
  });

  test("a __proto__ key stays data", () => {
    const value = JSON.parse('{"__proto__": {"x": 1}}');
    expect(canonicalJson(value)).toBe('{"__proto__":{"x":1}}');
  });
});

describe("validate messages", () => {
  const messages = (schema: v.GenericSchema, input: unknown): string[] => {
    const report = new Report();
    validate(schema, input, "/f.toml", ["k"], report);
    try {
      report.throwIfFailed();
    } catch (e) {
      return (e as ConfigError).message.split("\n");
    }
    return [];
  };

  test("type names", () => {
    expect(messages(v.string(), 1)).toEqual(["/f.toml: k: expected a string, got 1"]);
    expect(messages(v.number(), "1")).toEqual(['/f.toml: k: expected a number, got "1"']);
    expect(messages(v.boolean(), "yes")).toEqual(['/f.toml: k: expected true or false, got "yes"']);
    expect(messages(v.array(v.string()), "a")).toEqual(['/f.toml: k: expected an array, got "a"']);
    expect(messages(v.object({}), 1)).toEqual(["/f.toml: k: expected a table, got 1"]);
    expect(messages(v.union([v.string(), v.number()]), true)).toEqual([
      "/f.toml: k: expected a string or a number, got true",
    ]);
    expect(messages(v.literal("x"), "y")).toEqual(['/f.toml: k: expected "x", got "y"']);
  });

  test("actions", () => {
    expect(messages(v.pipe(v.number(), v.minValue(3)), 1)).toEqual(["/f.toml: k: expected a value ≥ 3, got 1"]);
    expect(messages(v.pipe(v.number(), v.maxValue(3)), 4)).toEqual(["/f.toml: k: expected a value ≤ 3, got 4"]);
    expect(messages(v.pipe(v.string(), v.minLength(2)), "a")).toEqual([
      '/f.toml: k: expected at least 2 characters, got "a"',
    ]);
    expect(messages(v.pipe(v.array(v.string()), v.nonEmpty()), [])).toEqual([
      "/f.toml: k: expected a non-empty value, got []",
    ]);
    expect(messages(v.pipe(v.string(), v.regex(/^[a-z]+$/)), "A")).toEqual([
      '/f.toml: k: expected a value matching /^[a-z]+$/, got "A"',
    ]);
  });

  test("custom messages are expectations; the value is appended", () => {
    expect(messages(v.string("expected a unit name"), 1)).toEqual(["/f.toml: k: expected a unit name, got 1"]);
  });

  test("strict objects: unknown key; objects: missing key", () => {
    expect(messages(v.strictObject({ a: v.optional(v.string()) }), { b: 1 })).toEqual(["/f.toml: k.b: unknown key"]);
    expect(messages(v.object({ a: v.string() }), {})).toEqual(["/f.toml: k.a: missing required key"]);
  });

  test("a union of tables reports the nested problem with its full path", () => {
    const schema = v.object({
      rule: v.union([v.object({ a: v.string() }), v.object({ b: v.number() })]),
    });
    expect(messages(schema, { rule: { a: 1 } })).toEqual([
      "/f.toml: k.rule.a: expected a string, got 1",
      "/f.toml: k.rule.b: missing required key",
    ]);
  });
});

describe("inspectKeys (schema walker)", () => {
  const unknown = (schema: v.GenericSchema, input: unknown) => inspectKeys(schema, input).unknown.map((u) => u.path);

  test("wrappers, nested objects, arrays, tuples, records", () => {
    const schema = v.object({
      a: v.nullish(v.optional(v.object({ b: v.number() }))),
      list: v.array(v.object({ x: v.string() })),
      pair: v.tuple([v.object({ p: v.string() }), v.string()]),
      map: v.record(v.string(), v.object({ y: v.string() })),
      lazy: v.lazy(() => v.object({ z: v.string() })),
    });
    const input = {
      a: { b: 1, bb: 2 },
      list: [{ x: "" }, { x: "", xx: 1 }],
      pair: [{ p: "", q: 1 }, ""],
      map: { anything: { y: "", yy: 1 } },
      lazy: { z: "", zz: 1 },
      top: 1,
    };
    expect(unknown(schema, input)).toEqual([
      ["a", "bb"],
      ["list", 1, "xx"],
      ["pair", 0, "q"],
      ["map", "anything", "yy"],
      ["lazy", "zz"],
      ["top"],
    ]);
  });

  test("loose objects allow extras, strict objects are left to validation, rest schemas are walked", () => {
    expect(unknown(v.looseObject({ a: v.string() }), { b: 1 })).toEqual([]);
    expect(unknown(v.strictObject({ a: v.string() }), { b: 1 })).toEqual([]);
    expect(
      unknown(v.objectWithRest({ a: v.string() }, v.object({ c: v.string() })), { a: "", other: { c: "", d: 1 } }),
    ).toEqual([["other", "d"]]);
  });

  test("unions: the alternative that accepts the value; intersections: all entries", () => {
    const union = v.union([v.object({ kind: v.literal("a"), x: v.string() }), v.object({ kind: v.literal("b") })]);
    expect(unknown(union, { kind: "b", x: "" })).toEqual([["x"]]);
    expect(unknown(union, { kind: "c", x: "" })).toEqual([]);
    const variant = v.variant("kind", [v.object({ kind: v.literal("a"), x: v.string() })]);
    expect(unknown(variant, { kind: "a", x: "", y: 1 })).toEqual([["y"]]);
    const both = v.intersect([v.object({ a: v.string() }), v.object({ b: v.string() })]);
    expect(unknown(both, { a: "", b: "", c: "" })).toEqual([["c"]]);
  });

  test("pipes keep the walk going", () => {
    const schema = v.pipe(
      v.object({ a: v.string() }),
      v.check(() => true),
    );
    expect(unknown(schema, { a: "", b: 1 })).toEqual([["b"]]);
  });

  test("arrays and dates where a table belongs", () => {
    const schema = v.object({ t: v.object({}), r: v.record(v.string(), v.string()) });
    const date = new Date(0);
    expect(inspectKeys(schema, { t: [1], r: date }, ["x", 0]).notTables).toEqual([
      { path: ["x", 0, "t"], value: [1] },
      { path: ["x", 0, "r"], value: date },
    ]);
  });
});
