/**
 * Read and parse one config file. Each file (main config, every snippet) is
 * parsed on its own so that a syntax error names the file it is in, with a
 * line and column that match what the admin sees in their editor.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { parse, TomlError } from "smol-toml";
import { osReason } from "./os-error.ts";

/** A parsed file, or the reason it could not be read or parsed (without the file name). */
export type TomlFileResult =
  | { readonly ok: true; readonly table: Record<string, unknown> }
  | { readonly ok: false; readonly problem: string };

/** Read `file` as UTF-8 TOML. */
export async function readTomlFile(file: string): Promise<TomlFileResult> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    return { ok: false, problem: `cannot read: ${osReason(e)}` };
  }
  let text: string;
  try {
    // TOML is UTF-8 by definition; replacing bad bytes silently would turn a
    // Latin-1 resource name into something that matches nothing. A leading
    // BOM (Windows editors) is dropped by the decoder.
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, problem: "not valid UTF-8 text" };
  }
  return parseTomlText(text);
}

/** Parse TOML text; syntax errors carry line and column (both 1-based). */
export function parseTomlText(text: string): TomlFileResult {
  try {
    // "throw" rejects `__proto__`/`constructor` keys, which can only be mistakes
    // here and would be awkward in plain objects.
    return { ok: true, table: parse(text, { unsafeKeyBehaviour: "throw" }) as Record<string, unknown> };
  } catch (e) {
    if (e instanceof TomlError) {
      // The first line of smol-toml's message is the reason; the rest is a code excerpt.
      const reason = e.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
      return { ok: false, problem: `line ${e.line}, column ${e.column}: invalid TOML: ${reason}` };
    }
    return { ok: false, problem: `invalid TOML: ${(e as Error).message}` };
  }
}
