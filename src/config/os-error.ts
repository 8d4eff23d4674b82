/**
 * OS errors in config messages: `no such file or directory (ENOENT)` rather
 * than Node's `ENOENT: no such file or directory, open '/etc/…'`, whose path
 * would repeat the file name the message already starts with.
 *
 * @module
 */
import { getSystemErrorMessage } from "node:util";

/** The reason of a failed file-system call, e.g. `permission denied (EACCES)`. */
export function osReason(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.errno === "number" && typeof e.code === "string") {
    try {
      return `${getSystemErrorMessage(e.errno)} (${e.code})`;
    } catch {
      // Unknown errno: fall through to the runtime's own text.
    }
  }
  return e instanceof Error ? e.message : String(error);
}
