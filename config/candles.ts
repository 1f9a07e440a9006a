/**
 * The candle pipeline's configuration: the `candles` command, and the candle settings that
 * `start` shares with it (`docs/configuration.md`).
 *
 * @module
 */
import { type Interval, intervalMs, isInterval } from "../market/candle.ts";
import { DLQ_TOPIC } from "../market/messages/dead_letter_message.ts";
import { alertFlags, loadAlertSettings } from "./alerts.ts";
import { type CommandSpec, commonFlags, type FlagSpec, parseFlags } from "./cli.ts";
import { ConfigError } from "./config_error.ts";
import { instanceIdFlag, loadKafka, loadMembership } from "./kafka.ts";
import { loadLog } from "./logging.ts";
import { Settings } from "./settings.ts";
import { loadStoreUrl } from "./store.ts";
import type { CandleConfig, CandlesCommandConfig, Env } from "./types.ts";
import { parseChoice, parseNumber, parseRedisUrl, parseTopic, quoted } from "./values.ts";

/** The topic closed candles and revisions are published to, unless `CANDLE_TOPIC` names another. */
const CANDLE_TOPIC = "crypto-candles";

/** The candle flags `candles` and `start` share. */
export const candleFlags: readonly FlagSpec[] = [
  {
    name: "intervals",
    type: "string",
    value: "<1m,5m,...>",
    help: "candle intervals, of 1m 5m 15m 30m 1h 4h 1d (default: 1m,5m,15m,1h)",
    env: "CANDLE_INTERVALS",
  },
  {
    name: "store",
    type: "string",
    value: "<url>",
    help: "candle store: sqlite:PATH or postgres://… (default: sqlite:.data/market.db)",
    env: "CANDLE_STORE",
  },
  {
    name: "redis",
    type: "string",
    value: "<url>",
    help: "Redis for the latest prices, current candles and pub/sub (default: off)",
    env: "REDIS_URL",
  },
  {
    name: "out-of-orderness",
    type: "string",
    value: "<seconds>",
    help: "how far a market's watermark trails its latest event time (default: 10)",
    env: "CANDLE_OUT_OF_ORDERNESS",
  },
  {
    name: "allowed-lateness",
    type: "string",
    value: "<seconds>",
    help: "how long a closed candle still takes late prices, as revisions (default: 60)",
    env: "CANDLE_ALLOWED_LATENESS",
  },
  {
    name: "idle-timeout",
    type: "string",
    value: "<seconds>",
    help: "close a market's open candles after this long without a new observation (default: 120)",
    env: "CANDLE_IDLE_TIMEOUT",
  },
  {
    name: "max-ahead",
    type: "string",
    value: "<seconds>",
    help:
      "refuse (dead-letter) a record whose event time is further ahead of the clock (default: 300)",
    env: "CANDLE_MAX_AHEAD",
  },
];

/**
 * Reads how far ahead of the clock an event time may be when a record is read
 * (`CANDLE_MAX_AHEAD`, `--max-ahead` where the command has it), in seconds.
 *
 * @param s The settings.
 * @returns Milliseconds.
 * @throws {ConfigError} For a value that is not a number of seconds from 0 to 7 days.
 */
export function loadMaxAhead(s: Settings): number {
  return 1000 * parseNumber(...s.get("CANDLE_MAX_AHEAD", "max-ahead", "300"), {
    min: 0,
    max: 7 * 86_400,
  });
}

/**
 * Reads the dead-letter topic (`DLQ_TOPIC`).
 *
 * @param s The settings.
 * @returns The topic's name.
 * @throws {ConfigError} For a name Kafka does not take.
 */
export function loadDlqTopic(s: Settings): string {
  return parseTopic(...s.get("DLQ_TOPIC", null, DLQ_TOPIC));
}

/** The `candles` command and its flags. */
export const candlesCommand: CommandSpec = {
  name: "candles",
  summary:
    "Aggregate prices and trades from Kafka into OHLC candles per interval (event time), stored in SQLite or PostgreSQL, mirrored to Redis and published to the topic crypto-candles; raise price-move and anomaly alerts on the closed candles (topic crypto-alerts).",
  flags: [
    {
      name: "topic",
      type: "string",
      value: "<name,...>",
      help: "the topics read (default: $KAFKA_TOPIC or crypto-prices, and crypto-trades)",
    },
    ...candleFlags,
    ...alertFlags,
    {
      name: "from-beginning",
      type: "boolean",
      help: "start at the oldest message when the group has no committed offset",
    },
    {
      name: "format",
      type: "string",
      value: "<pretty|line|json>",
      help: "how closed candles are printed (default: pretty)",
    },
    {
      name: "group",
      type: "string",
      value: "<id>",
      help: "consumer group (default: crypto-candles)",
      env: "CANDLES_CONSUMER_GROUP",
    },
    instanceIdFlag,
    ...commonFlags.filter((f) => f.name !== "topic"),
  ],
};

/**
 * Reads the candle settings.
 *
 * @param s The settings.
 * @returns The candle configuration.
 * @throws {ConfigError} For a bad value.
 */
export function loadCandleSettings(s: Settings): CandleConfig {
  const [intervalsName, intervalsRaw] = s.get("CANDLE_INTERVALS", "intervals", "1m,5m,15m,1h");
  const parts = intervalsRaw.split(",").map((x) => x.trim()).filter((x) => x !== "");
  const bad = parts.find((x) => !isInterval(x));
  if (parts.length === 0 || bad !== undefined) {
    throw new ConfigError(
      `Invalid ${intervalsName}: expected intervals of 1m, 5m, 15m, 30m, 1h, 4h, 1d separated by commas, current value is ${
        quoted(intervalsRaw)
      }`,
    );
  }
  const intervals = [...new Set(parts as Interval[])].sort((a, b) => intervalMs(a) - intervalMs(b));
  const seconds = (variable: string, flag: string, fallback: string, max: number) =>
    1000 * parseNumber(...s.get(variable, flag, fallback), { min: 0, max });
  const redisRaw = s.get("REDIS_URL", "redis", "");
  return {
    intervals,
    store: loadStoreUrl(s),
    // An empty REDIS_URL means off; an empty --redis is a mistake.
    redis: redisRaw[1].trim() === "" && redisRaw[0] !== "--redis"
      ? null
      : parseRedisUrl(...redisRaw),
    outOfOrdernessMs: seconds("CANDLE_OUT_OF_ORDERNESS", "out-of-orderness", "10", 86_400),
    allowedLatenessMs: seconds("CANDLE_ALLOWED_LATENESS", "allowed-lateness", "60", 7 * 86_400),
    idleTimeoutMs: 1000 * parseNumber(...s.get("CANDLE_IDLE_TIMEOUT", "idle-timeout", "120"), {
      min: 0,
      exclusiveMin: true,
      max: 7 * 86_400,
    }),
    storeTimeoutMs: 1000 * parseNumber(...s.get("CANDLE_STORE_TIMEOUT", null, "30"), {
      min: 0,
      exclusiveMin: true,
      max: 3_600,
    }),
    topic: parseTopic(...s.get("CANDLE_TOPIC", null, CANDLE_TOPIC)),
    maxAheadMs: loadMaxAhead(s),
    dlqTopic: loadDlqTopic(s),
  };
}

/**
 * Loads the `candles` configuration from flags and the environment.
 *
 * @param args The command-line arguments.
 * @param env The environment lookup.
 * @returns The configuration, or `null` when `--help` was asked for.
 * @throws {ConfigError} For any bad flag or value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCandlesConfig } from "./candles.ts";
 * const config = loadCandlesConfig([], () => undefined);
 * assert.deepEqual(config?.topics, ["crypto-prices", "crypto-trades"]);
 * ```
 */
export function loadCandlesConfig(args: readonly string[], env: Env): CandlesCommandConfig | null {
  const parsed = parseFlags(candlesCommand, args);
  if (parsed.help) return null;
  const s = new Settings(parsed.values, env);
  const log = loadLog(s);
  // --topic names the topics read, not KAFKA_TOPIC's one: Kafka's settings are read without it.
  const withoutTopic = new Map([...parsed.values].filter(([name]) => name !== "topic"));
  const kafka = loadKafka(new Settings(withoutTopic, env), "crypto-candles");
  const topicsRaw = parsed.values.get("topic");
  const topics = typeof topicsRaw === "string"
    ? [...new Set(topicsRaw.split(",").map((t) => parseTopic("--topic", t)))]
    : [...new Set([kafka.topic, "crypto-trades"])];
  const [groupName, groupRaw] = s.get("CANDLES_CONSUMER_GROUP", "group", "crypto-candles");
  const group = groupRaw.trim();
  if (group === "" || group.length > 255 || /\s/.test(group)) {
    throw new ConfigError(
      `Invalid ${groupName}: expected 1-255 characters without spaces, current value is ${
        quoted(groupRaw)
      }`,
    );
  }
  const formatRaw = parsed.values.get("format");
  return {
    kafka: { ...kafka, topic: topics[0]! },
    topics,
    group,
    membership: loadMembership(s),
    fromBeginning: parsed.values.get("from-beginning") === true,
    format: typeof formatRaw === "string"
      ? parseChoice("--format", formatRaw, ["pretty", "line", "json"] as const)
      : "pretty",
    candles: loadCandleSettings(s),
    alerts: loadAlertSettings(s),
    log,
  };
}
