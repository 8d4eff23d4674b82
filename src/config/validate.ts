/**
 * Run a valibot schema over one piece of parsed TOML and turn its issues into
 * admin-readable lines: `debugger[0].id: expected a string, got 5`.
 *
 * Custom messages in schemas (`v.string("expected a directory path")`) are
 * used as they are and must therefore read as an expectation starting with
 * "expected"; the loader appends `, got <value>`. Issues without a custom
 * message get an expectation derived from the issue type.
 *
 * @module
 */
import * as v from "valibot";
import { describeValue, type PathSegment } from "./describe.ts";
import type { Report } from "./report.ts";

type AnyIssue = v.BaseIssue<unknown>;

/** Readable names for the type names valibot puts into `expected`. */
const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  boolean: "true or false",
  bigint: "an integer",
  Object: "a table",
  Array: "an array",
  Date: "a date",
};

/** `(string | number)` → `a string or a number`; `("a" | "b")` → `one of "a", "b"`. */
function describeExpected(expected: string): string {
  const inner = expected.startsWith("(") && expected.endsWith(")") ? expected.slice(1, -1) : expected;
  const options = inner.split(" | ").filter((o) => o !== "undefined" && o !== "null");
  if (options.length > 1 && options.every((o) => o.startsWith('"'))) return `one of ${options.join(", ")}`;
  return options.map((o) => TYPE_NAMES[o] ?? o).join(" or ");
}

/** The "expected …" phrase for an issue that has no custom message. */
function expectation(issue: AnyIssue): string {
  const req = String(issue.requirement);
  const unit = typeof issue.input === "string" ? "characters" : "items";
  switch (issue.type) {
    case "integer":
    case "safe_integer":
      return "expected an integer";
    case "min_value":
      return `expected a value ≥ ${req}`;
    case "max_value":
      return `expected a value ≤ ${req}`;
    case "gt_value":
      return `expected a value > ${req}`;
    case "lt_value":
      return `expected a value < ${req}`;
    case "min_length":
      return `expected at least ${req} ${unit}`;
    case "max_length":
      return `expected at most ${req} ${unit}`;
    case "length":
      return `expected exactly ${req} ${unit}`;
    case "non_empty":
      return "expected a non-empty value";
    case "regex":
      return `expected a value matching ${req}`;
  }
  if (issue.expected) return `expected ${describeExpected(issue.expected)}`;
  // Actions without an `expected` (check, custom …): valibot's own wording minus its prefix.
  return issue.message.replace(/^Invalid [^:]*: /, "");
}

const CONFIG: v.Config<AnyIssue> = { message: expectation };

/** The key path of an issue below `base`. */
function issuePath(base: readonly PathSegment[], issue: AnyIssue): PathSegment[] {
  const path = [...base];
  for (const item of issue.path ?? []) path.push(typeof item.key === "number" ? item.key : String(item.key));
  return path;
}

/** The text after the key path for one issue. */
function issueText(issue: AnyIssue): string {
  const last = issue.path?.at(-1);
  if (last?.origin === "key" && issue.expected === "never") return "unknown key";
  if (last?.origin === "key" && issue.input === undefined) return "missing required key";
  return `${issue.message}, got ${describeValue(issue.input)}`;
}

/**
 * Report a union's alternatives' own issues when valibot kept them; they say
 * more than "expected a table". Their paths are relative to the union, whose
 * own path valibot extended on the way up, so the two are joined here.
 */
function flatten(issue: AnyIssue): AnyIssue[] {
  // Alternatives that all failed on the type itself: "expected a string or a number" says it best.
  if (!issue.issues || issue.issues.every((sub) => !sub.path || sub.path.length === 0)) return [issue];
  const prefix = issue.path ?? [];
  return issue.issues.flatMap((sub) => flatten({ ...sub, path: [...prefix, ...(sub.path ?? [])] as AnyIssue["path"] }));
}

/** True if `path` is `prefix` or lies below it. */
function within(path: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);
}

/**
 * Validate `input` (found at `base` in `file`) against `schema`. Every issue is
 * recorded in `report`, except issues at or below a path in `skip` (already
 * reported in a better way); the output (defaults applied) is returned on
 * success.
 */
export function validate<T>(
  schema: v.GenericSchema<unknown, T>,
  input: unknown,
  file: string,
  base: readonly PathSegment[],
  report: Report,
  skip: readonly (readonly PathSegment[])[] = [],
): { ok: true; value: T } | { ok: false } {
  const result = v.safeParse(schema, input, CONFIG);
  if (result.success) return { ok: true, value: result.output };
  for (const issue of result.issues.flatMap(flatten)) {
    const path = issuePath(base, issue);
    if (!skip.some((prefix) => within(path, prefix))) report.error(file, path, issueText(issue));
  }
  return { ok: false };
}
