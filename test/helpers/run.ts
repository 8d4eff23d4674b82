/**
 * Run a command to completion and collect its output: the one way tests
 * start a short-lived program (never through a shell).
 *
 * @module
 */

/** Outcome of a finished command. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runCommand}. */
export interface RunOptions {
  readonly cwd?: string;
  /** The whole environment (default: this process's). */
  readonly env?: Record<string, string>;
  /** Fed to stdin (default: none, stdin is /dev/null). */
  readonly stdin?: string | Blob;
  /** Kill the process (SIGKILL, by its PID) and reject after this long (default: no limit). */
  readonly timeoutMs?: number;
}

/** Run `argv`; resolves with its exit code and output, whatever the exit code. */
export async function runCommand(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const proc = Bun.spawn([...argv], {
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    env: opts.env ?? (process.env as Record<string, string>),
    stdin: opts.stdin === undefined ? "ignore" : typeof opts.stdin === "string" ? new Blob([opts.stdin]) : opts.stdin,
    stdout: "pipe",
    stderr: "pipe",
  });
  const finished = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout =
    opts.timeoutMs === undefined
      ? null
      : new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            proc.kill("SIGKILL");
            reject(new Error(`timed out after ${opts.timeoutMs} ms: ${argv.join(" ")}`));
          }, opts.timeoutMs);
        });
  try {
    const [stdout, stderr, code] = await (timeout ? Promise.race([finished, timeout]) : finished);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}
