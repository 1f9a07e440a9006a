/**
 * The embedded log end to end: the real `start --transport memory --source replay:FILE`
 * command as a subprocess (replay → Encoder → Publisher → embedded log → Subscriber → Printer,
 * `--format json` to /dev/null), wall time from spawn to exit, less the start-up and
 * shut-down of the same command on a one-line recording.
 *
 * @module
 */
import { median } from "./common.ts";

/** Embedded-log figures. */
export interface MemoryRun {
  /** Messages produced and printed. */
  messages: number;
  /** Seconds, spawn to exit. */
  grossSeconds: number;
  /** Seconds of the same command on one message. */
  baseSeconds: number;
  /** Messages per second over (gross - base). */
  rate: number;
}

async function timeStart(file: string, passes: number): Promise<number> {
  const started = performance.now();
  const out = await new Deno.Command("deno", {
    args: [
      "run",
      "-q",
      "--v8-flags=--max-semi-space-size=2",
      "--deny-ffi",
      "--allow-net",
      "--allow-env",
      "--allow-sys=hostname,osRelease,networkInterfaces,userInfo",
      "--allow-read",
      "--allow-write=.data",
      "bin/start.ts",
      "--transport",
      "memory",
      // The producer, the embedded log and the consumer, as this figure always measured.
      "--no-candles",
      "--no-http",
      "--source",
      `replay:${file}`,
      "--iterations",
      String(passes),
      "--format",
      "json",
    ],
    env: { LOG_LEVEL: "warning" },
    stdout: "null",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  if (!out.success) {
    throw new Error(`start --transport memory failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return seconds;
}

/**
 * Runs `start --transport memory` over the recording.
 *
 * @param options The recording, its lines, passes, a one-line recording and repetitions.
 * @returns The median run.
 */
export async function memoryThroughput(
  options: { file: string; lines: number; passes: number; oneLine: string; repetitions: number },
): Promise<MemoryRun> {
  const bases: number[] = [];
  const grosses: number[] = [];
  for (let r = 0; r < options.repetitions; r++) {
    bases.push(await timeStart(options.oneLine, 1));
    grosses.push(await timeStart(options.file, options.passes));
  }
  const baseSeconds = median(bases)!;
  const grossSeconds = median(grosses)!;
  const messages = options.lines * options.passes;
  return { messages, grossSeconds, baseSeconds, rate: messages / (grossSeconds - baseSeconds) };
}
