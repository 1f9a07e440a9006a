/**
 * Captures what the program logs under the `crypto` categories, for tests of warnings.
 *
 * @module
 */
import { configure, type LogRecord, reset } from "@logtape/logtape";

/** A log record as text: its level and its message with the properties filled in. */
export interface LoggedLine {
  /** The level, e.g. `warning`. */
  level: string;
  /** The message, rendered. */
  text: string;
}

/**
 * Runs `fn` with the `crypto` loggers writing into a list, then puts logging back.
 *
 * @param fn The code under test.
 * @returns What was logged while it ran, in order.
 */
export async function captureLogs(fn: () => Promise<void> | void): Promise<LoggedLine[]> {
  const lines: LoggedLine[] = [];
  const sink = (record: LogRecord) => {
    lines.push({
      level: record.level,
      text: record.message.map((part) => typeof part === "string" ? part : String(part)).join(""),
    });
  };
  await configure({
    reset: true,
    sinks: { memory: sink },
    loggers: [
      { category: ["crypto"], lowestLevel: "debug", sinks: ["memory"] },
      { category: ["logtape", "meta"], lowestLevel: "error", sinks: [] },
    ],
  });
  try {
    await fn();
  } finally {
    await reset();
  }
  return lines;
}
