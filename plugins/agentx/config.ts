/**
 * `[[agentx]]` configuration (keys as upstream: kebab-case).
 *
 * @module
 */
import * as v from "valibot";
import { DEFAULT_AGENTX_ADDRESS, parseAgentxAddress } from "./address.ts";

/** Schema of one `[[agentx]]` table. */
export const agentxSchema = v.object({
  address: v.optional(
    v.pipe(
      v.string(),
      v.check((text) => !("error" in parseAgentxAddress(text)), (issue) => {
        const parsed = parseAgentxAddress(issue.input as string);
        return "error" in parsed ? parsed.error : "invalid address";
      }),
    ),
    DEFAULT_AGENTX_ADDRESS,
  ),
  /** Seconds a changed MIB may stay stale before it is rebuilt (upstream default 60). */
  "cache-max": v.optional(
    v.pipe(v.number("expected a number of seconds"), v.minValue(0, "must be 0 or more seconds"), v.maxValue(86400, "must be at most 86400 seconds")),
    60,
  ),
  /** Sent in the Open PDU (one byte). net-snmp ignores it; its `agentXTimeout` is what counts. */
  "agent-timeout": v.optional(
    v.pipe(
      v.number("expected whole seconds 0–255"),
      v.integer("expected whole seconds 0–255"),
      v.minValue(0, "expected whole seconds 0–255"),
      v.maxValue(255, "expected whole seconds 0–255 (it is one byte in the Open PDU)"),
    ),
    60,
  ),
  /** Serve the per-peer counting columns 24–49. */
  "peer-states": v.optional(v.boolean(), true),
});

/** A validated `[[agentx]]` table. */
export type AgentxConfig = v.InferOutput<typeof agentxSchema>;
