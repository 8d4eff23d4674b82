/**
 * String interning for values cut out of events2 lines.
 *
 * In JavaScriptCore a `substring` keeps its whole parent string alive. The
 * parent of every events2 value is a 64 KiB chunk of drbdsetup's output, so
 * storing `name:` values as plain substrings pinned every chunk that ever
 * held a still-current value (measured: 100+ MiB for 1000 resources). An
 * interned value is a standalone copy, made once per distinct text; repeats
 * (resource and peer names occur on every line) cost one Map lookup and then
 * share one string, which also makes later Map lookups by name cheaper.
 *
 * @module
 */

/** Bound on distinct values; the table starts over when it is reached. */
const MAX_ENTRIES = 65_536;

let table = new Map<string, string>();

/** A copy of `text` that references no parent string. */
function standalone(text: string): string {
  return Buffer.from(text, "utf8").toString("utf8");
}

/** The interned, standalone form of `line[start, end)`. */
export function internSlice(line: string, start: number, end: number): string {
  return intern(line.substring(start, end));
}

/** The interned, standalone form of `text`. */
export function intern(text: string): string {
  const known = table.get(text);
  if (known !== undefined) return known;
  if (table.size >= MAX_ENTRIES) table = new Map();
  const copy = standalone(text);
  table.set(copy, copy);
  return copy;
}
