/**
 * `[[debugger]]` configuration: no options. `id` is accepted for upstream
 * compatibility (deprecated there and ignored here too).
 *
 * @module
 */
import * as v from "valibot";

/** Schema of one `[[debugger]]` table. */
export const debuggerSchema = v.object({
  id: v.optional(v.string()),
});

/** A validated `[[debugger]]` table. */
export type DebuggerConfig = v.InferOutput<typeof debuggerSchema>;
