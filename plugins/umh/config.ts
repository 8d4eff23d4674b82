/**
 * `[[umh]]` configuration: rules that run a command when an update matches.
 *
 * ```toml
 * [[umh]]
 * [[umh.resource]]
 * name = "became-primary"
 * command = "/usr/local/bin/on-primary"
 * event-type = "Change"
 * old.role = { operator = "NotEquals", value = "Primary" }
 * new.role = "Primary"
 * ```
 *
 * Everything inside a rule is strict: a misspelt key (`resource_name`,
 * `old.disk`) is an error, because an ignored filter would make the rule
 * match more than its author meant. Enum values are DRBD's exact,
 * case-sensitive names.
 *
 * Every filter is normalised to `{ value, operator }`, so the bare form
 * (`new.role = "Primary"`) and the table form (`new.role = { value =
 * "Primary" }`) validate to the same config (and the same plugin identity).
 *
 * @module
 */
import * as v from "valibot";
import { isTable } from "../../src/config/describe.ts";
import { MAX_INTERVAL_SECONDS } from "../../src/config/globals.ts";
import {
  CONNECTION_STATES,
  type ConnectionState,
  DISK_STATES,
  type DiskState,
  EVENT_TYPES,
  type EventType,
  REPLICATION_STATES,
  type ReplicationState,
  ROLES,
  type Role,
} from "../../src/drbd/types.ts";

/** Comparison operators of a filter. */
export const OPERATORS = ["Equals", "NotEquals"] as const;
/** A filter's operator. */
export type Operator = (typeof OPERATORS)[number];

/** One filter, normalised: the bare form `x = V` becomes `{ value: V, operator: "Equals" }`. */
export interface Filter<T> {
  readonly value: T;
  readonly operator: Operator;
}

/** The rule tables of `[[umh]]`, in the order rules are checked against an update. */
export const RULE_TYPES = ["resource", "device", "peerdevice", "connection", "helper"] as const;
/** A rule table name. */
export type RuleType = (typeof RULE_TYPES)[number];

/** Helper events: DRBD called the helper, or the helper returned. */
export const HELPER_EVENTS = ["call", "response"] as const;
/** A helper event. */
export type HelperEvent = (typeof HELPER_EVENTS)[number];

/** Default of `max-concurrent`. */
export const DEFAULT_MAX_CONCURRENT = 32;

/** Environment variable names a rule's `env` may set. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A filter on values of `valueSchema`: either the bare value or a table
 * `{ value, operator }`. The form is chosen by the input's shape (not a
 * union), so a bad value is reported once, at its own key, with the values
 * that are allowed there.
 */
function filter<T>(valueSchema: v.GenericSchema<unknown, T>): v.GenericSchema<unknown, Filter<T>> {
  const bare = v.pipe(
    valueSchema,
    v.transform((value: T): Filter<T> => ({ value, operator: "Equals" })),
  );
  const table = v.strictObject({
    value: valueSchema,
    operator: v.optional(v.picklist(OPERATORS), "Equals"),
  });
  return v.lazy((input) => (isTable(input) ? table : bare)) as v.GenericSchema<unknown, Filter<T>>;
}

const role = () => filter<Role>(v.picklist(ROLES));
const diskState = () => filter<DiskState>(v.picklist(DISK_STATES));
const bool = () => filter<boolean>(v.boolean());
const str = () => filter<string>(v.string());
/** Volume numbers, node ids, sizes: what DRBD prints unsigned. */
const count = () => filter<number>(v.pipe(v.number(), v.integer(), v.minValue(0)));

const commandSchema = v.pipe(
  v.string(),
  v.check((s) => s.trim() !== "", "expected a non-empty command"),
  v.check((s) => !s.includes("\0"), "expected a command without NUL characters"),
);

const envSchema = v.record(
  v.pipe(
    v.string(),
    v.regex(ENV_NAME, "expected a variable name of letters, digits and _ that does not start with a digit"),
    v.check(
      (name) => !name.startsWith("DRBD_"),
      "expected a name that does not start with DRBD_ (the DRBD_* variables are set from the update)",
    ),
  ),
  v.pipe(
    v.string(),
    v.check((s) => !s.includes("\0"), "expected a value without NUL characters"),
  ),
);

const timeoutSchema = v.pipe(
  v.number(),
  v.gtValue(0, "expected a number of seconds > 0"),
  v.maxValue(MAX_INTERVAL_SECONDS, `expected at most ${MAX_INTERVAL_SECONDS} seconds (about 24 days)`),
);

/** Keys every rule type has. */
const common = {
  /** Shown in logs; rules without a name are called `<type>[<index>]`. */
  name: v.optional(v.string(), ""),
  command: commandSchema,
  env: v.optional(envSchema, () => ({})),
  /** Seconds; absent = no limit. */
  timeout: v.optional(timeoutSchema),
  "resource-name": v.optional(str()),
};

/** Keys of the rule types that match state updates. */
const stateCommon = {
  ...common,
  "event-type": v.optional(filter<EventType>(v.picklist(EVENT_TYPES))),
};

const resourceState = v.strictObject({
  role: v.optional(role()),
  "may-promote": v.optional(bool()),
  "promotion-score": v.optional(filter<number>(v.pipe(v.number(), v.integer()))),
});

const deviceState = v.strictObject({
  "disk-state": v.optional(diskState()),
  client: v.optional(bool()),
  quorum: v.optional(bool()),
  /** KiB. */
  size: v.optional(count()),
  open: v.optional(bool()),
});

const peerDeviceState = v.strictObject({
  "replication-state": v.optional(filter<ReplicationState>(v.picklist(REPLICATION_STATES))),
  "peer-disk-state": v.optional(diskState()),
  "peer-client": v.optional(bool()),
  "resync-suspended": v.optional(bool()),
});

const connectionState = v.strictObject({
  "conn-name": v.optional(str()),
  "connection-state": v.optional(filter<ConnectionState>(v.picklist(CONNECTION_STATES))),
  "peer-role": v.optional(role()),
  congested: v.optional(bool()),
});

/** `[[umh.resource]]`. */
export const resourceRuleSchema = v.strictObject({
  ...stateCommon,
  old: v.optional(resourceState),
  new: v.optional(resourceState),
});

/** `[[umh.device]]`. */
export const deviceRuleSchema = v.strictObject({
  ...stateCommon,
  volume: v.optional(count()),
  old: v.optional(deviceState),
  new: v.optional(deviceState),
});

/** `[[umh.peerdevice]]`. */
export const peerDeviceRuleSchema = v.strictObject({
  ...stateCommon,
  volume: v.optional(count()),
  "peer-node-id": v.optional(count()),
  old: v.optional(peerDeviceState),
  new: v.optional(peerDeviceState),
});

/** `[[umh.connection]]`. */
export const connectionRuleSchema = v.strictObject({
  ...stateCommon,
  "peer-node-id": v.optional(count()),
  old: v.optional(connectionState),
  new: v.optional(connectionState),
});

/** `[[umh.helper]]`: DRBD's `call helper` / `response helper` events. */
export const helperRuleSchema = v.strictObject({
  ...common,
  helper: v.optional(str()),
  event: v.optional(filter<HelperEvent>(v.picklist(HELPER_EVENTS))),
  volume: v.optional(count()),
  "peer-node-id": v.optional(count()),
});

function rules<S extends v.GenericSchema>(type: RuleType, schema: S) {
  return v.optional(v.array(schema, `expected an array of tables ([[umh.${type}]], not [umh.${type}])`), () => []);
}

/** Schema of one `[[umh]]` table. */
export const umhSchema = v.object({
  /** Deprecated upstream, ignored (the config loader warns). */
  id: v.optional(v.string()),
  "max-concurrent": v.optional(
    v.pipe(v.number(), v.integer("expected an integer ≥ 1"), v.minValue(1, "expected an integer ≥ 1")),
    DEFAULT_MAX_CONCURRENT,
  ),
  resource: rules("resource", resourceRuleSchema),
  device: rules("device", deviceRuleSchema),
  peerdevice: rules("peerdevice", peerDeviceRuleSchema),
  connection: rules("connection", connectionRuleSchema),
  helper: rules("helper", helperRuleSchema),
});

/** A validated `[[umh]]` table (defaults applied, filters normalised). */
export type UmhConfig = v.InferOutput<typeof umhSchema>;
/** A validated `[[umh.resource]]` rule. */
export type ResourceRule = v.InferOutput<typeof resourceRuleSchema>;
/** A validated `[[umh.device]]` rule. */
export type DeviceRule = v.InferOutput<typeof deviceRuleSchema>;
/** A validated `[[umh.peerdevice]]` rule. */
export type PeerDeviceRule = v.InferOutput<typeof peerDeviceRuleSchema>;
/** A validated `[[umh.connection]]` rule. */
export type ConnectionRule = v.InferOutput<typeof connectionRuleSchema>;
/** A validated `[[umh.helper]]` rule. */
export type HelperRule = v.InferOutput<typeof helperRuleSchema>;
/** Any validated rule. */
export type Rule = ResourceRule | DeviceRule | PeerDeviceRule | ConnectionRule | HelperRule;
