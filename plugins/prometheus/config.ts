/**
 * `[[prometheus]]` configuration.
 *
 * @module
 */
import * as v from "valibot";
import { DEFAULT_ADDRESS, parseAddress } from "./address.ts";

/** Schema of one `[[prometheus]]` table. */
export const prometheusSchema = v.object({
  /** Deprecated upstream, ignored (the config loader warns). */
  id: v.optional(v.string()),
  address: v.optional(
    v.pipe(
      v.string(),
      v.check((text) => !("error" in parseAddress(text)), (issue) => {
        const parsed = parseAddress(issue.input as string);
        return "error" in parsed ? parsed.error : "invalid address";
      }),
    ),
    DEFAULT_ADDRESS,
  ),
  /** Also export role, connection state and disk state as one series per possible value. */
  enums: v.optional(v.boolean(), false),
});

/** A validated `[[prometheus]]` table. */
export type PrometheusConfig = v.InferOutput<typeof prometheusSchema>;
