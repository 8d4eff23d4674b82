/**
 * Find keys in a parsed TOML table that a valibot schema does not know.
 * valibot's `object` silently drops such keys; for hand-written config that
 * hides typos (`fencing-promote-dealy` would quietly keep its default), so
 * the loader warns about each one.
 *
 * The same walk finds arrays and dates where the schema wants a table:
 * valibot's `object` and `record` accept any JS object, so `resources = [1]`
 * would otherwise be read as a table with keys "0" and "1".
 *
 * The walk follows the schema: object entries, wrappers (optional, nullable,
 * default …), arrays, tuples, records (their keys are free-form names such as
 * resource names), unions (the first alternative that accepts the value) and
 * lazy schemas. `loose_object` allows extra keys by design; unknown keys of a
 * `strict_object` are errors, listed separately so they can carry a
 * did-you-mean (valibot's own issue cannot: it does not know the valid keys).
 *
 * @module
 */
import * as v from "valibot";
import { isTable, type PathSegment } from "./describe.ts";
import { suggestKey } from "./suggest.ts";

/** One unknown key: where it is and which keys were possible there. */
export interface UnknownKey {
  /** Path of the unknown key itself (the last segment is the key). */
  readonly path: readonly PathSegment[];
  /** Keys the schema knows at that level, in schema order. */
  readonly known: readonly string[];
}

/** A value that is not a table where the schema wants one. */
export interface NotATable {
  readonly path: readonly PathSegment[];
  readonly value: unknown;
}

/** What {@link inspectKeys} found. */
export interface KeyFindings {
  /** Unknown keys where the schema tolerates them (`object`): warnings. */
  readonly unknown: UnknownKey[];
  /** Unknown keys inside a `strict_object`: errors, reported here with a suggestion. */
  readonly strictUnknown: UnknownKey[];
  readonly notTables: NotATable[];
}

/** Schema shapes the walker reads. valibot exposes them as plain properties. */
interface SchemaShape {
  readonly type: string;
  readonly wrapped?: SchemaShape;
  readonly entries?: Record<string, SchemaShape>;
  readonly rest?: SchemaShape;
  readonly item?: SchemaShape;
  readonly items?: readonly SchemaShape[];
  readonly value?: SchemaShape;
  readonly options?: readonly (SchemaShape | string)[];
  readonly getter?: (input: unknown) => SchemaShape;
}

/** Schema types that only wrap another schema. */
const WRAPPERS = new Set([
  "optional",
  "exact_optional",
  "nullable",
  "nullish",
  "undefinedable",
  "non_optional",
  "non_nullable",
  "non_nullish",
]);

function unwrap(schema: SchemaShape, input: unknown): SchemaShape {
  let current = schema;
  for (let depth = 0; depth < 100; depth++) {
    if (WRAPPERS.has(current.type) && current.wrapped) current = current.wrapped;
    else if (current.type === "lazy" && current.getter) current = current.getter(input);
    else break;
  }
  return current;
}

/**
 * List every key of `input` (a value found at `path`) that `schema` does not
 * know, and every non-table object where the schema wants a table.
 */
export function inspectKeys(schema: v.GenericSchema, input: unknown, path: readonly PathSegment[] = []): KeyFindings {
  const found: KeyFindings = { unknown: [], strictUnknown: [], notTables: [] };
  walk(schema as unknown as SchemaShape, input, [...path], found);
  return found;
}

const TABLE_TYPES = new Set(["object", "loose_object", "strict_object", "object_with_rest", "record"]);

function walk(raw: SchemaShape, input: unknown, path: PathSegment[], found: KeyFindings): void {
  const schema = unwrap(raw, input);
  if (TABLE_TYPES.has(schema.type) && typeof input === "object" && input !== null && !isTable(input)) {
    found.notTables.push({ path, value: input });
    return;
  }
  switch (schema.type) {
    case "object":
    case "loose_object":
    case "strict_object":
    case "object_with_rest":
      if (isTable(input)) walkEntries(schema, input, path, found);
      return;
    case "record":
      if (isTable(input) && schema.value) {
        for (const [key, value] of Object.entries(input)) walk(schema.value, value, [...path, key], found);
      }
      return;
    case "array":
      if (Array.isArray(input) && schema.item) {
        input.forEach((value, i) => walk(schema.item!, value, [...path, i], found));
      }
      return;
    case "tuple":
    case "loose_tuple":
    case "strict_tuple":
    case "tuple_with_rest":
      if (Array.isArray(input) && schema.items) {
        input.forEach((value, i) => {
          const item = schema.items![i] ?? schema.rest;
          if (item) walk(item, value, [...path, i], found);
        });
      }
      return;
    case "union":
    case "variant": {
      // The alternative that accepts the value is the one the admin meant; if
      // none does, validation reports it and guessing here would only add noise.
      const options = (schema.options ?? []).filter((o): o is SchemaShape => typeof o === "object");
      const match = options.find((o) => v.is(o as unknown as v.GenericSchema, input));
      if (match) walk(match, input, path, found);
      return;
    }
    case "intersect": {
      const options = (schema.options ?? []).filter((o): o is SchemaShape => typeof o === "object");
      const tables = options.map((o) => unwrap(o, input)).filter((o) => o.entries !== undefined);
      if (tables.length > 0 && isTable(input)) {
        const entries = Object.assign({}, ...tables.map((t) => t.entries)) as Record<string, SchemaShape>;
        walkEntries({ type: "object", entries }, input, path, found);
      }
      return;
    }
  }
}

function walkEntries(
  schema: SchemaShape,
  input: Record<string, unknown>,
  path: PathSegment[],
  found: KeyFindings,
): void {
  const entries = schema.entries ?? {};
  for (const [key, value] of Object.entries(input)) {
    // Object.hasOwn, not `in`: a key named "toString" must not match Object.prototype.
    const entry = Object.hasOwn(entries, key) ? entries[key] : undefined;
    if (entry) walk(entry, value, [...path, key], found);
    else if (schema.type === "object_with_rest" && schema.rest) walk(schema.rest, value, [...path, key], found);
    else if (schema.type === "object") found.unknown.push({ path: [...path, key], known: Object.keys(entries) });
    else if (schema.type === "strict_object") found.strictUnknown.push({ path: [...path, key], known: Object.keys(entries) });
  }
}

/** Beyond this many keys a list of them is more noise than help. */
const MAX_LISTED_KEYS = 12;

/**
 * The warning text for an unknown key: `unknown key (did you mean "id"?)`,
 * or the keys that are allowed there when none is close.
 */
export function unknownKeyText(key: string, known: readonly string[]): string {
  const suggestion = suggestKey(key, known);
  if (suggestion !== undefined) return `unknown key (did you mean ${JSON.stringify(suggestion)}?)`;
  if (known.length === 0) return "unknown key (this table takes no keys)";
  if (known.length <= MAX_LISTED_KEYS) return `unknown key (known keys: ${known.map((k) => JSON.stringify(k)).join(", ")})`;
  return "unknown key";
}
