/**
 * The commands' console output, written synchronously so nothing is lost at exit. When the
 * reader of stdout has gone (`| head`), nothing more can be shown: the program ends with one
 * line, or, with {@linkcode closableStdout}, stops cleanly.
 *
 * @module
 */
import { fail } from "./exit.ts";

const encoder = new TextEncoder();

/**
 * Writes bytes to stdout, all of them, synchronously. When the reader has gone (`| head`),
 * the program ends with one line and exit 1: nothing more can be shown, and a consumer has
 * committed only what was written.
 *
 * @param bytes What to write.
 */
export function writeStdout(bytes: Uint8Array): void {
  if (!tryWriteStdout(bytes)) fail("standard output was closed by its reader; stopping", 1);
}

/** False when the reader has gone (`| head`), and nothing more can be written. */
function tryWriteStdout(bytes: Uint8Array): boolean {
  try {
    let at = 0;
    while (at < bytes.length) at += Deno.stdout.writeSync(bytes.subarray(at));
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) return false;
    throw error;
  }
}

/**
 * Writes a line to stdout (see {@linkcode writeStdout}).
 *
 * @param line The text.
 */
export function print(line: string): void {
  writeStdout(encoder.encode(`${line}\n`));
}

/**
 * Writes a line to stderr.
 *
 * @param line The text.
 */
export function printErr(line: string): void {
  Deno.stderr.writeSync(encoder.encode(`${line}\n`));
}

/** Console output that outlives its reader; see {@linkcode closableStdout}. */
export interface ClosableOutput {
  /** Writes a line to stdout; once stdout was closed, drops it. */
  print: (line: string) => void;
  /** Writes a line to stdout, or to stderr once stdout was closed (notices, the summary). */
  say: (line: string) => void;
  /** Whether stdout was closed by its reader. */
  closed: () => boolean;
}

/**
 * Console output for a program that can stop cleanly when its reader goes away (`| head`): the
 * first write that finds stdout closed calls `onClosed` once, instead of ending the program;
 * later progress lines are dropped, and what must be seen goes to stderr.
 *
 * @param onClosed Called once, when stdout is found closed.
 * @returns The output.
 */
export function closableStdout(onClosed: () => void): ClosableOutput {
  let closed = false;
  const print = (line: string) => {
    if (closed || tryWriteStdout(encoder.encode(`${line}\n`))) return;
    closed = true;
    onClosed();
  };
  return {
    print,
    say: (line) => (closed ? printErr(line) : print(line)),
    closed: () => closed,
  };
}
