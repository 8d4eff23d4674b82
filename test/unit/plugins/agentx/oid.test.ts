import { describe, expect, test } from "bun:test";
import { compareOid, formatOid, type Oid, oidStartsWith, parseOid } from "../../../../plugins/agentx/protocol/index.ts";

describe("compareOid", () => {
  test("numeric sub-id order, prefix first", () => {
    const sorted: Oid[] = [
      [],
      [0],
      [1],
      [1, 3],
      [1, 3, 6, 1, 4, 1, 23302],
      [1, 3, 6, 1, 4, 1, 23302, 1, 1, 1],
      [1, 3, 6, 1, 4, 1, 23302, 1, 2, 1, 2, 1000],
      // 16 after 2 numerically (a string sort would put "16" before "2").
      [1, 3, 6, 1, 4, 1, 23302, 1, 2, 1, 16, 999],
      [1, 3, 6, 1, 4, 1, 23302, 1, 2, 1, 16, 1000],
      [1, 3, 6, 1, 4, 1, 23303],
      [1, 3, 6, 1, 4, 1, 4294967295],
      [2],
    ];
    for (let i = 0; i < sorted.length; i++) {
      for (let j = 0; j < sorted.length; j++) {
        expect(Math.sign(compareOid(sorted[i]!, sorted[j]!))).toBe(Math.sign(i - j));
      }
    }
    const shuffled = [...sorted].reverse();
    expect(shuffled.sort(compareOid)).toEqual(sorted);
  });

  test("fast enough for a binary search per GetNext (well under 30 µs)", () => {
    const table: Oid[] = [];
    for (let col = 1; col <= 49; col++) for (let minor = 0; minor < 1000; minor++) table.push([1, 3, 6, 1, 4, 1, 23302, 1, 2, 1, col, minor]);
    const search = (key: Oid): number => {
      let lo = 0;
      let hi = table.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareOid(table[mid]!, key) <= 0) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const keys = table.filter((_, i) => i % 7 === 0);
    for (const k of keys) search(k); // warm up the JIT
    const t0 = performance.now();
    let sum = 0;
    for (const k of keys) sum += search(k);
    const perLookupUs = ((performance.now() - t0) * 1000) / keys.length;
    expect(sum).toBeGreaterThan(0);
    expect(perLookupUs).toBeLessThan(30);
  });
});

describe("oidStartsWith", () => {
  test("prefix, equal, longer, different", () => {
    expect(oidStartsWith([1, 3, 6, 1, 4], [1, 3, 6])).toBe(true);
    expect(oidStartsWith([1, 3, 6], [1, 3, 6])).toBe(true);
    expect(oidStartsWith([1, 3], [1, 3, 6])).toBe(false);
    expect(oidStartsWith([1, 3, 7, 1], [1, 3, 6])).toBe(false);
    expect(oidStartsWith([1, 3], [])).toBe(true);
    // 23302 is not a prefix of 233021: sub-ids, not text.
    expect(oidStartsWith([1, 233021], [1, 23302])).toBe(false);
  });
});

describe("parseOid / formatOid", () => {
  test("with and without the leading dot", () => {
    expect(parseOid("1.3.6.1.4.1.23302")).toEqual([1, 3, 6, 1, 4, 1, 23302]);
    expect(parseOid(".1.3.6.1.4.1.23302")).toEqual([1, 3, 6, 1, 4, 1, 23302]);
    expect(parseOid("0")).toEqual([0]);
    expect(parseOid("1.4294967295")).toEqual([1, 4294967295]);
  });

  test("formats without a leading dot and round-trips", () => {
    expect(formatOid([1, 3, 6, 1, 4, 1, 23302])).toBe("1.3.6.1.4.1.23302");
    expect(formatOid([])).toBe("");
    const long = Array.from({ length: 128 }, (_, i) => i * 33_554_431);
    expect(parseOid(formatOid(long))).toEqual(long);
  });

  test("bad input throws quoting the value", () => {
    const cases: Array<[string, string]> = [
      ["", 'OID "" is empty'],
      [".", 'OID "." is empty'],
      ["1..3", 'OID "1..3": sub-identifier "" is not a decimal number'],
      ["1.3.", 'OID "1.3.": sub-identifier "" is not a decimal number'],
      ["1.a", 'OID "1.a": sub-identifier "a" is not a decimal number'],
      ["1.-3", 'OID "1.-3": sub-identifier "-3" is not a decimal number'],
      ["1. 3", 'OID "1. 3": sub-identifier " 3" is not a decimal number'],
      ["1.0x10", 'OID "1.0x10": sub-identifier "0x10" is not a decimal number'],
      ["1.1e3", 'OID "1.1e3": sub-identifier "1e3" is not a decimal number'],
      ["1.4294967296", 'OID "1.4294967296": sub-identifier 4294967296 exceeds 4294967295'],
      ["1.99999999999", 'OID "1.99999999999": sub-identifier "99999999999" is not a decimal number'],
      ["..1", 'OID "..1": sub-identifier "" is not a decimal number'],
    ];
    for (const [text, message] of cases) expect(() => parseOid(text)).toThrow(message);
    const tooLong = new Array<string>(129).fill("1").join(".");
    expect(() => parseOid(tooLong)).toThrow(`OID "${tooLong}": sub-identifier count 129 exceeds 128`);
  });
});
