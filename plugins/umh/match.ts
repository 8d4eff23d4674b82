/**
 * Rule matching (spec core.md §5.3): which rules of a `[[umh]]` table fire
 * for an update, as ready-to-run {@link HookJob}s.
 *
 * - Only rules of the update's kind are checked: resource rules against
 *   resource updates, device rules against device updates, peerdevice rules
 *   against peer-device updates, connection rules against connection
 *   updates, helper rules against helper updates. Rename updates match
 *   nothing.
 * - A rule matches when every filter it sets holds (AND); a filter it does
 *   not set does not matter.
 * - Every matching rule fires, in config order, each with its own job.
 *
 * Rules are compiled once per config into flat lists of (field, operator,
 * value) and indexed by their `resource-name` Equals filter. Per update the
 * fields are read once into an array; only the rules of that kind that name
 * this resource or no resource are looked at, and a rule whose first filter
 * fails costs one array read and one comparison. Matching stays far from
 * being the bottleneck with hundreds of rules and thousands of resources.
 *
 * @module
 */
import type {
  ConnectionUpdate,
  DeviceUpdate,
  HelperUpdate,
  PeerDeviceUpdate,
  PluginUpdate,
  ResourceUpdate,
} from "../../src/core/updates.ts";
import { type Filter, RULE_TYPES, type RuleType, type UmhConfig } from "./config.ts";
import type { HookJob } from "./contract.ts";
import { hookEnv } from "./env.ts";

/** Returns the jobs of every rule that matches `update`, in config order. */
export type Matcher = (update: PluginUpdate) => HookJob[];

/**
 * What a rule type is matched against: the update kind, the filterable
 * fields (config key paths; a field's position is its code) and a function
 * that copies those fields of an update into a scratch array, in that order.
 * Reading every field once per update and comparing array slots keeps the
 * per-rule loop free of dynamic property lookups and indirect calls.
 */
interface KindSpec<U extends PluginUpdate> {
  readonly kind: U["kind"];
  readonly fields: readonly string[];
  readonly extract: (update: U, out: unknown[]) => void;
}

const RESOURCE: KindSpec<ResourceUpdate> = {
  kind: "resource",
  // prettier-ignore
  fields: ["resource-name", "event-type",
    "old.role", "old.may-promote", "old.promotion-score",
    "new.role", "new.may-promote", "new.promotion-score"],
  extract(u, out) {
    out[0] = u.resourceName;
    out[1] = u.event;
    out[2] = u.old.role;
    out[3] = u.old.mayPromote;
    out[4] = u.old.promotionScore;
    out[5] = u.new.role;
    out[6] = u.new.mayPromote;
    out[7] = u.new.promotionScore;
  },
};

const DEVICE: KindSpec<DeviceUpdate> = {
  kind: "device",
  // prettier-ignore
  fields: ["resource-name", "event-type", "volume",
    "old.disk-state", "old.client", "old.quorum", "old.size", "old.open",
    "new.disk-state", "new.client", "new.quorum", "new.size", "new.open"],
  extract(u, out) {
    out[0] = u.resourceName;
    out[1] = u.event;
    out[2] = u.volume;
    out[3] = u.old.diskState;
    out[4] = u.old.client;
    out[5] = u.old.quorum;
    out[6] = u.old.size;
    out[7] = u.old.open;
    out[8] = u.new.diskState;
    out[9] = u.new.client;
    out[10] = u.new.quorum;
    out[11] = u.new.size;
    out[12] = u.new.open;
  },
};

const PEER_DEVICE: KindSpec<PeerDeviceUpdate> = {
  kind: "peer-device",
  // prettier-ignore
  fields: ["resource-name", "event-type", "volume", "peer-node-id",
    "old.replication-state", "old.peer-disk-state", "old.peer-client", "old.resync-suspended",
    "new.replication-state", "new.peer-disk-state", "new.peer-client", "new.resync-suspended"],
  extract(u, out) {
    out[0] = u.resourceName;
    out[1] = u.event;
    out[2] = u.volume;
    out[3] = u.peerNodeId;
    out[4] = u.old.replicationState;
    out[5] = u.old.peerDiskState;
    out[6] = u.old.peerClient;
    out[7] = u.old.resyncSuspended;
    out[8] = u.new.replicationState;
    out[9] = u.new.peerDiskState;
    out[10] = u.new.peerClient;
    out[11] = u.new.resyncSuspended;
  },
};

const CONNECTION: KindSpec<ConnectionUpdate> = {
  kind: "connection",
  // prettier-ignore
  fields: ["resource-name", "event-type", "peer-node-id",
    "old.conn-name", "old.connection-state", "old.peer-role", "old.congested",
    "new.conn-name", "new.connection-state", "new.peer-role", "new.congested"],
  extract(u, out) {
    out[0] = u.resourceName;
    out[1] = u.event;
    out[2] = u.peerNodeId;
    out[3] = u.old.connName;
    out[4] = u.old.connectionState;
    out[5] = u.old.peerRole;
    out[6] = u.old.congested;
    out[7] = u.new.connName;
    out[8] = u.new.connectionState;
    out[9] = u.new.peerRole;
    out[10] = u.new.congested;
  },
};

const HELPER: KindSpec<HelperUpdate> = {
  kind: "helper",
  fields: ["resource-name", "event", "helper", "volume", "peer-node-id"],
  extract(u, out) {
    out[0] = u.resourceName;
    out[1] = u.event;
    out[2] = u.helper;
    out[3] = u.volume;
    out[4] = u.peerNodeId;
  },
};

/** The rule types and what they match. */
const SPECS: { readonly [T in RuleType]: KindSpec<any> } = {
  resource: RESOURCE,
  device: DEVICE,
  peerdevice: PEER_DEVICE,
  connection: CONNECTION,
  helper: HELPER,
};

/** One rule, compiled. */
interface CompiledRule {
  /** Pairs of field code (bitwise-negated for NotEquals) and value. */
  readonly terms: readonly unknown[];
  /** The value of a `resource-name` Equals filter (for the index), else null. */
  readonly resourceName: string | null;
  readonly ruleName: string;
  readonly command: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number | null;
}

/** The rules of one update kind. */
interface KindRules {
  readonly extract: (update: PluginUpdate, out: unknown[]) => void;
  readonly rules: readonly CompiledRule[];
  /** Indices of the rules without a `resource-name` Equals filter, ascending. */
  readonly anyName: readonly number[];
  /** Indices of the rules with a `resource-name` Equals filter, by that name, ascending. */
  readonly byName: ReadonlyMap<string, readonly number[]>;
  /** Scratch space for the extracted fields (matching is synchronous). */
  readonly scratch: unknown[];
}

const NONE: readonly number[] = [];

/** The filters a rule sets, as `[config key path, filter]`, identity filters first. */
function filtersOf(rule: Readonly<Record<string, unknown>>): [string, Filter<unknown>][] {
  const out: [string, Filter<unknown>][] = [];
  for (const [key, value] of Object.entries(rule)) {
    if (value === undefined) continue;
    if (key === "old" || key === "new") {
      for (const [sub, f] of Object.entries(value as Record<string, Filter<unknown> | undefined>)) {
        if (f !== undefined) out.push([`${key}.${sub}`, f]);
      }
    } else if (key !== "name" && key !== "command" && key !== "env" && key !== "timeout") {
      out.push([key, value as Filter<unknown>]);
    }
  }
  // Identity filters (resource-name, event-type …) reject most updates: test them first.
  return out.sort(([a], [b]) => Number(a.includes(".")) - Number(b.includes(".")));
}

function compileRule(type: RuleType, index: number, rule: UmhConfig[RuleType][number]): CompiledRule {
  const name = rule["resource-name"];
  const fields = SPECS[type].fields;
  const terms: unknown[] = [];
  for (const [path, f] of filtersOf(rule as unknown as Record<string, unknown>)) {
    const code = fields.indexOf(path);
    // The schema only lets through keys of this rule type; this guards the two tables against drifting apart.
    if (code < 0) throw new Error(`umh: ${type} rules have no filter ${JSON.stringify(path)}`);
    terms.push(f.operator === "NotEquals" ? ~code : code, f.value);
  }
  return {
    terms,
    resourceName: name !== undefined && name.operator === "Equals" ? name.value : null,
    ruleName: rule.name !== "" ? rule.name : `${type}[${index}]`,
    command: rule.command,
    env: rule.env,
    timeoutSeconds: rule.timeout ?? null,
  };
}

/**
 * True if every filter of `rule` holds for the extracted `fields`. A field
 * the update does not carry (null: a helper call without a volume) matches
 * no filter, whatever the operator: the filter asks about something the
 * event is not about.
 */
function holds(rule: CompiledRule, fields: readonly unknown[]): boolean {
  const terms = rule.terms;
  for (let j = 0; j < terms.length; j += 2) {
    const code = terms[j] as number;
    const want = terms[j + 1];
    if (code >= 0) {
      if (fields[code] !== want) return false;
    } else {
      const got = fields[~code];
      if (got === want || got === null) return false;
    }
  }
  return true;
}

/** Index the rules of one kind by their `resource-name` Equals filter. */
function kindRules(spec: KindSpec<any>, rules: readonly CompiledRule[]): KindRules {
  const anyName: number[] = [];
  const byName = new Map<string, number[]>();
  rules.forEach((rule, i) => {
    if (rule.resourceName === null) anyName.push(i);
    else {
      const list = byName.get(rule.resourceName);
      if (list === undefined) byName.set(rule.resourceName, [i]);
      else list.push(i);
    }
  });
  return { extract: spec.extract, rules, anyName, byName, scratch: new Array(spec.fields.length).fill(null) };
}

/**
 * Compile the rules of one `[[umh]]` table. The returned function is
 * synchronous, has no side effects and is cheap; call it for every update.
 *
 * Rules that name a resource (`resource-name` Equals) are only looked at for
 * updates of that resource, so per-resource rules for a thousand resources
 * cost one map lookup per update, not a thousand checks.
 */
export function compileRules(config: UmhConfig): Matcher {
  const byKind = new Map<PluginUpdate["kind"], KindRules>();
  for (const type of RULE_TYPES) {
    const rules = config[type].map((rule, i) => compileRule(type, i, rule));
    if (rules.length > 0) byKind.set(SPECS[type].kind, kindRules(SPECS[type], rules));
  }
  return (update) => {
    const group = byKind.get(update.kind);
    if (group === undefined) return [];
    const { rules, anyName } = group;
    const named = group.byName.get(update.resourceName) ?? NONE;
    if (named.length === 0 && anyName.length === 0) return [];
    const fields = group.scratch;
    group.extract(update, fields);
    let jobs: HookJob[] | undefined;
    // Both index lists are ascending: merge them to keep config order.
    let a = 0;
    let b = 0;
    while (a < anyName.length || b < named.length) {
      const i = b >= named.length || (a < anyName.length && anyName[a]! < named[b]!) ? anyName[a++]! : named[b++]!;
      const rule = rules[i]!;
      if (!holds(rule, fields)) continue;
      (jobs ??= []).push({
        ruleName: rule.ruleName,
        command: rule.command,
        env: hookEnv(rule.env, update),
        timeoutSeconds: rule.timeoutSeconds,
      });
    }
    return jobs ?? [];
  };
}

const compiledConfigs = new WeakMap<UmhConfig, Matcher>();

/**
 * The jobs of every rule of `config` that matches `update`, in config order.
 * Compiles `config` on first use and keeps the result for as long as the
 * config object lives.
 */
export function matchingJobs(config: UmhConfig, update: PluginUpdate): HookJob[] {
  let matcher = compiledConfigs.get(config);
  if (matcher === undefined) {
    matcher = compileRules(config);
    compiledConfigs.set(config, matcher);
  }
  return matcher(update);
}
