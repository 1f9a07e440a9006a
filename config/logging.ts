/**
 * Logging: `LOG_LEVEL` (`--log-level`) and `LOG_FORMAT` (`--log-format`), and LogTape set up once
 * for the program's entry points. Every log line goes to stderr, as pretty text or JSON lines, so
 * stdout keeps only the console output (`docs/configuration.md`).
 *
 * @module
 */
import { configure, getTextFormatter, jsonLinesFormatter, type LogRecord } from "@logtape/logtape";
import type { Settings } from "./settings.ts";
import type { LogConfig } from "./types.ts";
import { parseChoice, redactUrl } from "./values.ts";

const LOG_LEVELS = ["trace", "debug", "info", "warning", "error", "fatal"] as const;

/**
 * Reads the logging settings; `warn` is taken for `warning`.
 *
 * @param s The settings.
 * @returns Level and format.
 * @throws {ConfigError} For a level or format not in the lists.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadLog } from "./logging.ts";
 * import { Settings } from "./settings.ts";
 * const env = (name: string) => name === "LOG_LEVEL" ? "warn" : undefined;
 * assert.deepEqual(loadLog(new Settings(new Map(), env)), { level: "warning", format: "pretty" });
 * ```
 */
export function loadLog(s: Settings): LogConfig {
  const [levelName, levelRaw] = s.get("LOG_LEVEL", "log-level", "info");
  return {
    level: parseChoice(levelName, levelRaw === "warn" ? "warning" : levelRaw, LOG_LEVELS),
    format: parseChoice(
      ...s.get("LOG_FORMAT", "log-format", "pretty"),
      [
        "pretty",
        "json",
      ] as const,
    ),
  };
}

const encoder = new TextEncoder();

/** A value of a log record with any password in it hidden: strings and errors' messages. */
function redactValue(value: unknown): unknown {
  if (typeof value === "string") return redactUrl(value);
  if (value instanceof Error) {
    const copy = new Error(redactUrl(value.message));
    copy.name = value.name;
    if (value.stack !== undefined) copy.stack = redactUrl(value.stack);
    return copy;
  }
  return value;
}

/**
 * A log record fit to write: every password in its message and properties hidden
 * ({@linkcode redactUrl}), the values one by one so that a JSON line stays JSON.
 *
 * @param record The record.
 * @returns The record to format.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactRecord } from "./logging.ts";
 * const record = redactRecord({
 *   category: ["crypto"], level: "warning", timestamp: 0, rawMessage: "{error}",
 *   message: ["", "cannot reach redis://:s3cret@cache", ""],
 *   properties: { error: "cannot reach redis://:s3cret@cache" },
 * });
 * const redacted = "cannot reach redis://:***@cache";
 * assert.deepEqual([record.message[1], record.properties.error], [redacted, redacted]);
 * ```
 */
export function redactRecord(record: LogRecord): LogRecord {
  return {
    ...record,
    message: record.message.map(redactValue),
    properties: Object.fromEntries(
      Object.entries(record.properties).map(([name, value]) => [name, redactValue(value)]),
    ),
  };
}

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
    Deno.stderr.writeSync(encoder.encode(formatter(redactRecord(record))));
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
