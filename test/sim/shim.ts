/**
 * The process behind every `drbdsetup`/`drbdadm` shim script:
 * `bun shim.ts <socket> <node> <tool> [args…]` (or, in a simulator compiled
 * from cli.ts, `drbd-sim shim <socket> <node> <tool> [args…]`).
 *
 * It forwards its command line to the simulator server, copies what comes
 * back to stdout/stderr and exits with the code the server sends. For
 * `drbdsetup events2 --poll` it reads stdin like drbdsetup: each `n` asks
 * for a poll, `\n` is ignored, any other byte or EOF ends the process with 0.
 *
 * @module
 */
import { encode, LineSplitter, type ServerMessage } from "./protocol.ts";

/** Run as the shim: `args` = `<socket> <node> <tool> [args…]`; ends the process with the tool's exit code. */
export async function shimMain(args: readonly string[]): Promise<void> {
  const [socketPath, node, tool, ...argv] = args;

  const stdout = Bun.stdout.writer();
  const stderr = Bun.stderr.writer();
  let chain: Promise<unknown> = Promise.resolve();
  let exiting = false;

  /** Queue output so it stays ordered and is flushed before we exit. */
  function emit(sink: typeof stdout, text: string): void {
    chain = chain
      .then(async () => {
        sink.write(text);
        await sink.flush();
      })
      .catch(() => {
        // Reader gone (EPIPE): drbdsetup would die of SIGPIPE here.
        process.exit(141);
      });
  }

  function exit(code: number): void {
    if (exiting) return;
    exiting = true;
    void chain.then(() => process.exit(code));
  }

  async function pollStdin(send: (text: string) => void): Promise<void> {
    const reader = Bun.stdin.stream().getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return exit(0);
      for (const byte of value) {
        if (byte === 0x6e /* n */) send(encode({ t: "poll" }));
        else if (byte !== 0x0a /* \n */) return exit(0);
      }
    }
  }

  if (!socketPath || !node || (tool !== "drbdsetup" && tool !== "drbdadm")) {
    process.stderr.write("usage: bun shim.ts <socket> <node> drbdsetup|drbdadm [args...]\n");
    process.exit(20);
  }

  const splitter = new LineSplitter();
  try {
    await Bun.connect({
      unix: socketPath,
      socket: {
        open(socket) {
          socket.write(encode({ t: "run", node, tool, argv, pid: process.pid }));
        },
        data(socket, chunk) {
          for (const line of splitter.push(chunk)) {
            if (line === "") continue;
            const msg = JSON.parse(line) as ServerMessage;
            if (msg.t === "out") emit(stdout, msg.d);
            else if (msg.t === "err") emit(stderr, msg.d);
            else if (msg.t === "stdin") void pollStdin((text) => socket.write(text));
            else if (msg.t === "exit") exit(msg.code);
          }
        },
        close() {
          // Server gone without saying how we end (simulator stopped hard).
          exit(20);
        },
        error() {
          exit(20);
        },
      },
    });
  } catch (e) {
    process.stderr.write(`${tool}: DRBD simulator not reachable at ${socketPath}: ${(e as Error).message}\n`);
    process.exit(20);
  }
}

if (import.meta.main) await shimMain(process.argv.slice(2));
