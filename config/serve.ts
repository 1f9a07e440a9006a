/**
 * The `serve` command's configuration: where the HTTP server listens, the candle store, Redis
 * or Kafka for the live stream, and the candle group whose lag is shown
 * (`docs/configuration.md`).
 *
 * @module
 */
import { type CommandSpec, commonFlags, parseFlags } from "./cli.ts";
import { ConfigError } from "./config_error.ts";
import { httpFlag, loadHttp } from "./http.ts";
import { instanceIdFlag, loadKafka, loadMembership } from "./kafka.ts";
import { loadLog } from "./logging.ts";
import { Settings } from "./settings.ts";
import { loadStoreUrl } from "./store.ts";
import type { Env, ServeConfig } from "./types.ts";
import { parseRedisUrl, parseTopic, quoted } from "./values.ts";

/** The `serve` command and its flags. */
export const serveCommand: CommandSpec = {
  name: "serve",
  summary:
    "Serve the HTTP API, the live stream, probes, metrics and the dashboard over the candle store.",
  flags: [
    httpFlag,
    {
      name: "store",
      type: "string",
      value: "<url>",
      help: "the candle store: sqlite:PATH or postgres://user:password@host:port/db",
      env: "CANDLE_STORE",
    },
    {
      name: "redis",
      type: "string",
      value: "<url>",
      help: "Redis for live events (else they are read from Kafka)",
      env: "REDIS_URL",
    },
    {
      name: "group",
      type: "string",
      value: "<id>",
      help: "the candle consumer group whose lag is shown",
      env: "CANDLES_CONSUMER_GROUP",
    },
    {
      ...instanceIdFlag,
      help:
        `${instanceIdFlag.help}; used when live events are read from Kafka (no REDIS_URL): the feed's groups are then crypto-serve-<id>-candle and -price`,
    },
    ...commonFlags,
  ],
};

/**
 * Loads the `serve` configuration from flags and the environment.
 *
 * @param args The command-line arguments.
 * @param env The environment lookup.
 * @returns The configuration, or `null` when `--help` was asked for.
 * @throws {ConfigError} For any bad flag or value, and for an address other than loopback
 * without `API_TOKEN`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadServeConfig } from "./serve.ts";
 * assert.equal(loadServeConfig([], () => undefined)?.http.port, 8080);
 * ```
 */
export function loadServeConfig(args: readonly string[], env: Env): ServeConfig | null {
  const parsed = parseFlags(serveCommand, args);
  if (parsed.help) return null;
  const s = new Settings(parsed.values, env);
  const log = loadLog(s);
  const http = loadHttp(s);
  const store = loadStoreUrl(s);
  const redisRaw = s.get("REDIS_URL", "redis", "");
  // Checked as `candles` checks it, so that no URL the client would choke on (and print) gets
  // through; empty means off.
  const redis = redisRaw[1].trim() === "" ? null : parseRedisUrl(...redisRaw);
  const [groupName, groupRaw] = s.get("CANDLES_CONSUMER_GROUP", "group", "crypto-candles");
  const group = groupRaw.trim();
  if (!/^[^\s]{1,255}$/.test(group)) {
    throw new ConfigError(
      `Invalid ${groupName}: expected 1-255 characters without spaces, current value is ${
        quoted(groupRaw)
      }`,
    );
  }
  const kafka = loadKafka(s, "crypto-serve");
  const membership = loadMembership(s);
  // Without Redis, the live candles come from the topic `candles` writes them to.
  const candlesTopic = parseTopic(...s.get("CANDLE_TOPIC", null, "crypto-candles"));
  return { http, store, redis, kafka, candlesTopic, group, membership, log };
}
