/**
 * DRBD versions from `drbdadm --version` (drbd-utils prints KEY=value lines
 * with hex version codes: `DRBDADM_VERSION_CODE=0x091d00` is 9.29.0).
 *
 * @module
 */

/** Utils and kernel module versions as `major.minor.patch`. */
export interface DrbdVersions {
  readonly utils: string;
  readonly kmod: string;
}

/** What is reported when `drbdadm --version` cannot be run or read. */
export const UNKNOWN_VERSIONS: DrbdVersions = Object.freeze({ utils: "0.0.0", kmod: "0.0.0" });

function codeToVersion(code: number): string {
  return `${(code >> 16) & 255}.${(code >> 8) & 255}.${code & 255}`;
}

/** Parse `drbdadm --version` output; a missing code gives null for that part. */
export function parseDrbdadmVersion(output: string): { utils: string | null; kmod: string | null } {
  const utils = /^DRBDADM_VERSION_CODE=0x([0-9a-fA-F]+)$/m.exec(output);
  const kmod = /^DRBD_KERNEL_VERSION_CODE=0x([0-9a-fA-F]+)$/m.exec(output);
  return {
    utils: utils ? codeToVersion(Number.parseInt(utils[1]!, 16)) : null,
    kmod: kmod ? codeToVersion(Number.parseInt(kmod[1]!, 16)) : null,
  };
}

/** Run `drbdadm --version` (from PATH); any failure gives {@link UNKNOWN_VERSIONS}. */
export async function readDrbdVersions(): Promise<DrbdVersions> {
  try {
    const proc = Bun.spawn(["drbdadm", "--version"], { stdin: "ignore", stdout: "pipe", stderr: "ignore" });
    const [text, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    if (code !== 0) return UNKNOWN_VERSIONS;
    const parsed = parseDrbdadmVersion(text);
    if (parsed.utils === null || parsed.kmod === null) return UNKNOWN_VERSIONS;
    return { utils: parsed.utils, kmod: parsed.kmod };
  } catch {
    return UNKNOWN_VERSIONS;
  }
}
