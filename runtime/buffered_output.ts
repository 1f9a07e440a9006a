/**
 * Console output gathered into few large writes: a burst of lines becomes one system call.
 *
 * @module
 */
import { setImmediate } from "node:timers";

const encoder = new TextEncoder();

/** Console output gathered into few large writes; see {@linkcode bufferedOutput}. */
export interface BufferedOutput {
  /** Adds a line; it is written within the current turn of the event loop. */
  print: (line: string) => void;
  /** Writes what is gathered, now. */
  flush: () => void;
}

/**
 * Gathers printed lines and writes them once the pending work of this turn is done (or 64 KiB
 * have gathered): one system call for a burst of messages rather than one a message. Call
 * `flush` before exiting, and before committing what the lines stand for.
 *
 * @param write Writes bytes, synchronously: it must be done with them when it returns (they are
 *   reused).
 * @returns The printer and its flush.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bufferedOutput } from "./buffered_output.ts";
 * const writes: string[] = [];
 * const output = bufferedOutput((bytes) => writes.push(new TextDecoder().decode(bytes)));
 * output.print("BTC $50,000");
 * output.print("ETH $3,000");
 * output.flush();
 * assert.deepEqual(writes, ["BTC $50,000\nETH $3,000\n"]);
 * ```
 */
export function bufferedOutput(write: (bytes: Uint8Array) => void): BufferedOutput {
  let lines: string[] = [];
  let size = 0;
  let scheduled = false;
  // One buffer, written synchronously and reused: no new 64 KiB of bytes for each write.
  const bytes = new Uint8Array(256 * 1024);
  const flush = () => {
    if (lines.length === 0) return;
    const text = lines.join("\n") + "\n";
    lines = [];
    size = 0;
    // UTF-8 takes at most 3 bytes per UTF-16 unit; a rare longer text gets bytes of its own.
    if (text.length * 3 > bytes.length) write(encoder.encode(text));
    else write(bytes.subarray(0, encoder.encodeInto(text, bytes).written));
  };
  return {
    print: (line) => {
      lines.push(line);
      size += line.length;
      if (size >= 65_536) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          flush();
        });
      }
    },
    flush,
  };
}
