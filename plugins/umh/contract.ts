/**
 * The seams of the umh plugin: config → matching → environment (pure, in
 * config.ts / match.ts / env.ts) and the hook runner (runner.ts, processes).
 *
 * @module
 */

/** A rule that matched an update, ready to run. */
export interface HookJob {
  /** `rule.name`, or `<type>[<index>]` when the rule has no name (for logs). */
  readonly ruleName: string;
  /** Run as `sh -c command`. */
  readonly command: string;
  /** The complete environment of the hook process (nothing else is inherited). */
  readonly env: Readonly<Record<string, string>>;
  /** Seconds before the hook's process group is killed; null = no limit. */
  readonly timeoutSeconds: number | null;
}
