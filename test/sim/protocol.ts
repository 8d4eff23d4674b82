/**
 * Wire format between shim processes and the simulator server: one JSON
 * object per line over a Unix stream socket.
 *
 * shim → server: first `run`, then (for `events2 --poll`) one `poll` per `n`
 * read from stdin. server → shim: `out`/`err` text to copy to stdout/stderr,
 * `stdin` (start reading stdin for polls), and finally `exit`.
 *
 * @module
 */
import type { Tool } from "./cmd-common.ts";

/** The shim's first message: who runs what. */
export interface RunMessage {
  readonly t: "run";
  readonly node: string;
  readonly tool: Tool;
  readonly argv: readonly string[];
  /** The shim's pid (the `#!/bin/sh` wrapper execs, so it is the pid the caller spawned). */
  readonly pid: number;
}

/** An `n` read from stdin by `events2 --poll`. */
export interface PollMessage {
  readonly t: "poll";
}

/** Messages the shim sends. */
export type ShimMessage = RunMessage | PollMessage;

/** Messages the server sends. */
export type ServerMessage =
  | { readonly t: "out"; readonly d: string }
  | { readonly t: "err"; readonly d: string }
  | { readonly t: "stdin" }
  | { readonly t: "exit"; readonly code: number };

/** One message as a line. */
export function encode(msg: ShimMessage | ServerMessage): string {
  return `${JSON.stringify(msg)}\n`;
}

/** Reassembles lines from arbitrary chunks (UTF-8 safe). */
export class LineSplitter {
  private readonly decoder = new TextDecoder();
  private buffer = "";

  /** Feed a chunk; returns the complete lines it finished (without `\n`). */
  push(chunk: Uint8Array): string[] {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    const parts = this.buffer.split("\n");
    this.buffer = parts.pop() ?? "";
    return parts;
  }
}
