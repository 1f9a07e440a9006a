/**
 * The `start` command's configuration: the producing and consuming sides, the candles and alerts
 * and the HTTP server, in one process (`docs/configuration.md`).
 *
 * @module
 */
import { alertFlags, loadAlertSettings } from "./alerts.ts";
import { candleFlags, loadCandleSettings } from "./candles.ts";
import { type CommandSpec, commonFlags, parseFlags } from "./cli.ts";
import { ConfigError } from "./config_error.ts";
import { consumeFlags, CONSUMER_ACTORS, loadConsumerSettings } from "./consume.ts";
import { httpFlag, loadHttp } from "./http.ts";
import { loadMembership } from "./kafka.ts";
import { loadProducerSettings, produceFlags, PRODUCER_ACTORS } from "./produce.ts";
import { Settings } from "./settings.ts";
import type { Env, StartConfig } from "./types.ts";
import { parseChoice } from "./values.ts";

/** What `start` adds to the instance id for the printer's group and for the candles'. */
const PRINTER_SUFFIX = "-printer";
const CANDLES_SUFFIX = "-candles";

/** The `start` command and its flags. */
export const startCommand: CommandSpec = {
  name: "start",
  summary:
    "Run producer, consumer, candle aggregator and alerts in one process: over an embedded in-process log (no broker needed), or through Kafka.",
  flags: [
    {
      name: "transport",
      type: "string",
      value: "<memory|kafka>",
      help: "memory: the embedded log (default); kafka: through the broker",
    },
    ...produceFlags,
    // One process shows both sides, so a message is one line unless a format is asked for.
    ...consumeFlags.filter((f) => f.name !== "max-messages").map((f) =>
      f.name === "format"
        ? { ...f, help: "how each consumed message is printed (default: line)" }
        : f.name === "instance-id"
        ? {
          ...f,
          help:
            `with --transport kafka: ${f.help}; the printer's member is <id>-printer, the candles' <id>-candles`,
        }
        : f
    ),
    ...candleFlags,
    {
      name: "no-candles",
      type: "boolean",
      help: "do not aggregate candles (they are made and stored by default)",
    },
    ...alertFlags,
    httpFlag,
    { name: "no-http", type: "boolean", help: "run without the HTTP server" },
    ...commonFlags,
  ],
};

/**
 * Loads the `start` configuration from flags and the environment.
 *
 * @param args The command-line arguments.
 * @param env The environment lookup.
 * @returns The configuration, or `null` when `--help` was asked for.
 * @throws {ConfigError} For any bad flag or value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadStartConfig } from "./start.ts";
 * assert.equal(loadStartConfig([], () => undefined)?.transport, "memory");
 * ```
 */
export function loadStartConfig(args: readonly string[], env: Env): StartConfig | null {
  const parsed = parseFlags(startCommand, args);
  if (parsed.help) return null;
  const s = new Settings(parsed.values, env);
  const transportRaw = parsed.values.get("transport");
  const transport = typeof transportRaw === "string"
    ? parseChoice("--transport", transportRaw, ["memory", "kafka"] as const)
    : "memory";
  const actors = [...PRODUCER_ACTORS, ...CONSUMER_ACTORS];
  // Each group gets an id of its own, so that no two members of one process share one even
  // when KAFKA_CONSUMER_GROUP names the candles' group.
  const consumer = loadConsumerSettings(s, parsed.values, actors, PRINTER_SUFFIX);
  // One process shows both sides: one line a message unless a format was asked for.
  if (!parsed.values.has("format")) consumer.format = "line";
  if (parsed.values.has("http") && parsed.values.get("no-http") === true) {
    throw new ConfigError("Invalid flags: --http and --no-http cannot both be given");
  }
  const http = parsed.values.get("no-http") === true ? null : loadHttp(s);
  const candleSettings = loadCandleSettings(s);
  const alerts = loadAlertSettings(s);
  return {
    transport,
    http,
    producer: loadProducerSettings(s, parsed.values, actors),
    consumer,
    candles: s.flag("no-candles") ? null : candleSettings,
    candleMembership: loadMembership(s, CANDLES_SUFFIX),
    alerts: s.flag("no-candles") ? null : alerts,
    store: { url: candleSettings.store, timeoutMs: candleSettings.storeTimeoutMs },
  };
}
