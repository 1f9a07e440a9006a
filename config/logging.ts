/**
 * Sets up LogTape once, for the program's entry points: every log line goes to stderr, as
 * pretty text or JSON lines, so stdout keeps only the console output of SPEC §5.
 *
 * @module
 */
import {
  configure,
  getTextFormatter,
  jsonLinesFormatter,
  type LogRecord,
  reset,
} from "@logtape/logtape";
import type { LogConfig } from "./config.ts";

const encoder = new TextEncoder();

/**
 * Configures logging for the `crypto` categories (the Kafka transports log under `crypto.kafka`).
 *
 * @param log Level and format.
 * @returns Resolves once configured.
 */
export async function setupLogging(log: LogConfig): Promise<void> {
  const formatter = log.format === "json" ? jsonLinesFormatter : getTextFormatter({
    timestamp: "time",
    category: ".",
    value: "bare",
  });
  const sink = (record: LogRecord) => {
    Deno.stderr.writeSync(encoder.encode(formatter(record)));
  };
  await configure({
    reset: true,
    sinks: { stderr: sink },
    loggers: [
      { category: ["crypto"], lowestLevel: log.level, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

/** Removes the logging configuration (tests). */
export { reset as resetLogging };
