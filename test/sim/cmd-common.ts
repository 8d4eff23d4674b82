/**
 * Types and helpers shared by the shim command implementations (pure).
 *
 * @module
 */
import type { Events2Args } from "./events2-session.ts";
import type { SimModel, SimNode } from "./model.ts";
import type { Steps } from "./ops.ts";

/** The two tools the shims impersonate. */
export type Tool = "drbdsetup" | "drbdadm";

/** Everything a one-shot command produces. */
export interface CommandOutput {
  readonly steps: Steps;
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** A one-shot command, or a long-running `drbdsetup events2`. */
export type Dispatch =
  | { readonly kind: "once"; readonly out: CommandOutput }
  | { readonly kind: "events2"; readonly args: Events2Args };

/** Helper: a one-shot result. */
export function once(m: SimModel, stdout: string, stderr = "", exitCode = 0, steps: Steps = [m]): Dispatch {
  return { kind: "once", out: { steps, stdout, stderr, exitCode } };
}

/** `9.29.0` → `0x091d00` (major.minor.patch, one byte each). */
export function versionCode(version: string): string {
  const [maj = 0, min = 0, pat = 0] = version.split(".").map((x) => Number.parseInt(x, 10) || 0);
  return `0x${((maj << 16) | (min << 8) | pat).toString(16).padStart(6, "0")}`;
}

/** `drbdadm --version` / `drbdsetup --version` output (KEY=value lines, core.md §1.5). */
export function versionText(n: SimNode): string {
  return [
    "DRBDADM_BUILDTAG=GIT-hash:\\ drbd-sim\\ build\\ by\\ drbd-reactor\\ tests",
    "DRBDADM_API_VERSION=2",
    `DRBD_KERNEL_VERSION_CODE=${versionCode(n.kmodVersion)}`,
    `DRBD_KERNEL_VERSION=${n.kmodVersion}`,
    `DRBDADM_VERSION_CODE=${versionCode(n.utilsVersion)}`,
    `DRBDADM_VERSION=${n.utilsVersion}`,
    "",
  ].join("\n");
}

/** Split argv into positional arguments and `--key[=value]` / `-x` options. */
export function splitArgs(argv: readonly string[]): { positional: string[]; options: Map<string, string | true> } {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (const a of argv) {
    if (a === "--") continue;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 0) options.set(a.slice(2, eq), a.slice(eq + 1));
      else options.set(a.slice(2), true);
    } else if (a.startsWith("-") && a.length > 1) {
      options.set(a.slice(1), true);
    } else positional.push(a);
  }
  return { positional, options };
}

/** `--force`, `--force=yes` → true; `--force=no` → false. */
export function flag(options: Map<string, string | true>, name: string): boolean {
  const v = options.get(name);
  return v === true || v === "yes" || v === "true";
}
