/**
 * The program's configuration: environment variables (with `.env` loaded by `--env-file`),
 * overridden by flags, every value validated before anything connects.
 *
 * @module
 */
import { type CommandSpec, commonFlags, type FlagSpec, parseFlags } from "./cli.ts";
import { ConfigError } from "./config_error.ts";
import { type FaultInjection, parseFaultInjection } from "./fault_injection.ts";
import { type AlertConfig, alertFlags, loadAlertSettings } from "./alerts.ts";
import { backfillFlag, COINBASE_REST_URL, parseBackfill } from "./backfill.ts";
import { type CandleConfig, candleFlags, loadCandleSettings } from "./candles.ts";
import { loadKafka, loadLog, Settings } from "./settings.ts";
import {
  type Coin,
  parseChoice,
  parseCoins,
  parseHttpUrl,
  parseNumber,
  parseProducts,
  parseSecret,
  parseStoreUrl,
  parseTopic,
  parseWebSocketUrl,
  shown,
} from "./values.ts";

export type { Coin } from "./values.ts";
export type { FaultInjection } from "./fault_injection.ts";

/** The environment as the loader sees it: a lookup by name. */
export type Env = (name: string) => string | undefined;

/** SASL authentication to the broker. */
export interface SaslConfig {
  /** The mechanism. */
  mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
  /** The user name. */
  username: string;
  /** The password; never logged. */
  password: string;
}

/** How to reach Kafka. */
export interface KafkaConfig {
  /** Bootstrap servers, `host:port`. */
  brokers: string[];
  /** The topic. */
  topic: string;
  /** Partitions of the topic when the program creates it. */
  partitions: number;
  /** Replication factor of the topic when the program creates it. */
  replicationFactor: number;
  /** The client id. */
  clientId: string;
  /** Whether to use TLS. */
  ssl: boolean;
  /** SASL credentials, or null. */
  sasl: SaslConfig | null;
  /** How long the broker may stay unreachable at start-up, in milliseconds. */
  connectTimeoutMs: number;
}

/** How to reach CoinGecko. */
export interface CoinGeckoConfig {
  /** Base URL of the API, without a trailing slash. */
  baseUrl: string;
  /** The API key, or null; never logged. */
  apiKey: string | null;
  /** Which header the key goes in. */
  apiKeyType: "demo" | "pro";
  /** Time allowed for one request, in milliseconds. */
  timeoutMs: number;
  /** Retries of a failed request within one fetch cycle. */
  maxRetries: number;
  /** Least gap between two API calls, and the base of backoff, in milliseconds. */
  rateLimitDelayMs: number;
  /** The longest wait a `Retry-After` is honoured for, in milliseconds; a longer one is capped. */
  maxRetryAfterMs: number;
}

/** How to reach the Coinbase Exchange feed (SPEC §11). */
export interface CoinbaseConfig {
  /** The feed's WebSocket URL. */
  url: string;
  /** The products subscribed to, `BASE-QUOTE`, upper case; no two of one base currency. */
  products: string[];
  /** Silence (heartbeats included) after which the feed is taken as dead and reconnected, ms. */
  staleAfterMs: number;
  /** The Exchange REST API's base URL, for gap repair and backfill, without a trailing slash. */
  restUrl: string;
}

/** The topic trades go to unless `--topic` names another (`KAFKA_TOPIC` is the price topic). */
export const TRADE_TOPIC = "crypto-trades";

/** Logging. */
export interface LogConfig {
  /** The lowest level shown. */
  level: "trace" | "debug" | "info" | "warning" | "error" | "fatal";
  /** `pretty` text or JSON lines, on stderr. */
  format: "pretty" | "json";
}

/** Everything `produce` needs. */
export interface ProducerConfig {
  /** Kafka. */
  kafka: KafkaConfig;
  /** CoinGecko. */
  coingecko: CoinGeckoConfig;
  /** The coins to fetch. */
  coins: Coin[];
  /** Time from one fetch to the next, in milliseconds. */
  intervalMs: number;
  /** Fetch cycles before stopping, or null to run until stopped. */
  iterations: number | null;
  /** Publish a coin only when its `last_updated` moved. */
  onlyChanged: boolean;
  /** Prices held while the broker is away; past it the oldest is dropped. */
  bufferSize: number;
  /**
   * Where prices come from: CoinGecko, a recording of JSON lines replayed at full speed, or the
   * trades of the Coinbase Exchange feed (SPEC §11).
   */
  source: { kind: "coingecko" } | { kind: "replay"; path: string } | { kind: "coinbase" };
  /** The Coinbase feed (validated whatever the source). */
  coinbase: CoinbaseConfig;
  /** `--backfill`: the past span published before going live, ms, or null for none. */
  backfillMs: number | null;
  /** Actors made to throw on purpose (`FAULT_INJECT`: `encoder`, `publisher`); empty by default. */
  faults: FaultInjection[];
  /** Logging. */
  log: LogConfig;
}

const produceFlags: CommandSpec["flags"] = [
  {
    name: "interval",
    type: "string",
    value: "<seconds>",
    help: "time between fetches",
    env: "PRODUCER_FETCH_INTERVAL",
  },
  {
    name: "coins",
    type: "string",
    value: "<id:SYMBOL,...>",
    help: "coins to fetch, e.g. bitcoin:BTC,ethereum:ETH",
    env: "CRYPTO_COINS",
  },
  {
    name: "iterations",
    type: "string",
    value: "<n>",
    help: "stop after n fetch cycles, flush and exit (default: run until stopped)",
  },
  {
    name: "only-changed",
    type: "boolean",
    help: "publish a coin only when its last_updated moved",
  },
  {
    name: "source",
    type: "string",
    value: "<coingecko|replay:FILE|coinbase>",
    help:
      "where prices come from; replay:FILE sends a JSON-lines recording (such as consume --format json prints) at full speed, --iterations times; coinbase: every trade of the Coinbase Exchange feed, to the topic crypto-trades",
  },
  {
    name: "products",
    type: "string",
    value: "<BASE-QUOTE,...>",
    help: "with --source coinbase: the products whose trades are read, e.g. BTC-USD,ETH-USD",
    env: "COINBASE_PRODUCTS",
  },
  backfillFlag,
];

const consumeFlags: CommandSpec["flags"] = [
  {
    name: "filter",
    type: "string",
    value: "<SYMBOL,...>",
    help: "print only these symbols (case-insensitive)",
  },
  {
    name: "from-beginning",
    type: "boolean",
    help: "start at the oldest message when the group has no committed offset",
  },
  {
    name: "max-messages",
    type: "string",
    value: "<n>",
    help: "exit 0 after printing n messages (their offsets committed)",
  },
  {
    name: "format",
    type: "string",
    value: "<pretty|line|json>",
    help: "how each message is printed (default: pretty)",
  },
  {
    name: "group",
    type: "string",
    value: "<id>",
    help: "consumer group",
    env: "KAFKA_CONSUMER_GROUP",
  },
];

/** The `produce` command and its flags. */
export const produceCommand: CommandSpec = {
  name: "produce",
  summary:
    "Fetch cryptocurrency prices from CoinGecko and publish them to a Kafka topic, keyed by symbol.",
  flags: [...produceFlags, ...commonFlags],
};

/** The `consume` command and its flags. */
export const consumeCommand: CommandSpec = {
  name: "consume",
  summary:
    "Read prices from the Kafka topic and print them; offsets are committed after printing (at-least-once).",
  flags: [...consumeFlags, ...commonFlags],
};

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
        : f
    ),
    ...candleFlags,
    {
      name: "no-candles",
      type: "boolean",
      help: "do not aggregate candles (they are made and stored by default)",
    },
    ...alertFlags,
    httpFlag(),
    { name: "no-http", type: "boolean", help: "run without the HTTP server" },
    ...commonFlags,
  ],
};

/** The `lag` command and its flags. */
export const lagCommand: CommandSpec = {
  name: "lag",
  summary:
    "Show a consumer group's committed offset, end offset and lag per partition, and the total.",
  flags: [consumeFlags.find((f) => f.name === "group")!, ...commonFlags],
};

function loadCoinGecko(s: Settings): CoinGeckoConfig {
  const keyRaw = s.optional("COINGECKO_API_KEY");
  const apiKey = keyRaw === undefined ? null : parseSecret("COINGECKO_API_KEY", keyRaw);
  const apiKeyType = parseChoice(
    ...s.get("COINGECKO_API_KEY_TYPE", null, "demo"),
    [
      "demo",
      "pro",
    ] as const,
  );
  const defaultBase = apiKeyType === "pro"
    ? "https://pro-api.coingecko.com/api/v3"
    : "https://api.coingecko.com/api/v3";
  return {
    baseUrl: parseHttpUrl(...s.get("COINGECKO_BASE_URL", null, defaultBase)),
    apiKey,
    apiKeyType,
    timeoutMs: 1000 * parseNumber(...s.get("API_TIMEOUT", null, "10"), {
      min: 0,
      exclusiveMin: true,
      max: 600,
    }),
    maxRetries: parseNumber(...s.get("API_MAX_RETRIES", null, "3"), {
      min: 0,
      max: 100,
      integer: true,
    }),
    rateLimitDelayMs: 1000 * parseNumber(...s.get("API_RATE_LIMIT_DELAY", null, "6"), {
      min: 0,
      max: 3600,
    }),
    maxRetryAfterMs: 1000 * parseNumber(...s.get("API_MAX_RETRY_AFTER", null, "300"), {
      min: 1,
      max: 86_400,
    }),
  };
}

function loadCoinbase(s: Settings): CoinbaseConfig {
  return {
    url: parseWebSocketUrl(
      ...s.get("COINBASE_WS_URL", null, "wss://ws-feed.exchange.coinbase.com"),
    ),
    products: parseProducts(...s.get("COINBASE_PRODUCTS", "products", "BTC-USD,ETH-USD")),
    staleAfterMs: 1000 * parseNumber(...s.get("COINBASE_STALE_AFTER", null, "30"), {
      min: 0,
      exclusiveMin: true,
      max: 3600,
    }),
    restUrl: parseHttpUrl(...s.get("COINBASE_REST_URL", null, COINBASE_REST_URL)),
  };
}

const PRODUCER_ACTORS = ["encoder", "publisher"] as const;
const CONSUMER_ACTORS = ["printer"] as const;

/** `FAULT_INJECT`, naming only actors of `actors`; empty when unset or the command has none. */
function loadFaults(s: Settings, actors: readonly string[]): FaultInjection[] {
  const raw = s.optional("FAULT_INJECT");
  return raw === undefined || actors.length === 0
    ? []
    : parseFaultInjection("FAULT_INJECT", raw, actors);
}

/**
 * Loads the `produce` configuration from flags and the environment.
 *
 * @param args The command-line arguments.
 * @param env The environment lookup, e.g. `(name) => Deno.env.get(name)`.
 * @returns The configuration, or `null` when `--help` was asked for.
 * @throws {ConfigError} For any bad flag or value.
 *
 * @example
 * ```ts
 * import { loadProducerConfig } from "./config.ts";
 * const config = loadProducerConfig(["--iterations", "1"], () => undefined);
 * console.log(config?.coins.map((c) => c.symbol)); // ["BTC", "ETH"]
 * ```
 */
export function loadProducerConfig(args: readonly string[], env: Env): ProducerConfig | null {
  const parsed = parseFlags(produceCommand, args);
  if (parsed.help) return null;
  return producerSettings(new Settings(parsed.values, env), parsed.values, PRODUCER_ACTORS);
}

function producerSettings(
  s: Settings,
  flags: Map<string, string | boolean>,
  faultActors: readonly string[],
): ProducerConfig {
  const log = loadLog(s);
  const kafka = loadKafka(s, "crypto-price-producer");
  const coingecko = loadCoinGecko(s);
  const coins = parseCoins(...s.get("CRYPTO_COINS", "coins", "bitcoin:BTC,ethereum:ETH"));
  const intervalMs = 1000 * parseNumber(...s.get("PRODUCER_FETCH_INTERVAL", "interval", "10"), {
    min: 0,
    exclusiveMin: true,
    max: 86_400,
  });
  const iterationsRaw = flags.get("iterations");
  const iterations = typeof iterationsRaw === "string"
    ? parseNumber("--iterations", iterationsRaw, { min: 1, max: 1e9, integer: true })
    : null;
  const bufferSize = parseNumber(...s.get("PRODUCER_BUFFER_SIZE", null, "10000"), {
    min: 1,
    max: 10_000_000,
    integer: true,
  });
  const sourceRaw = flags.get("source");
  let source: ProducerConfig["source"] = { kind: "coingecko" };
  if (typeof sourceRaw === "string" && sourceRaw !== "coingecko") {
    const path = /^replay:(.+)$/.exec(sourceRaw)?.[1];
    if (sourceRaw === "coinbase") source = { kind: "coinbase" };
    else if (path === undefined) {
      throw new ConfigError(
        `Invalid --source: expected coingecko, replay:FILE or coinbase, current value is ${
          JSON.stringify(sourceRaw)
        }`,
      );
    } else source = { kind: "replay", path };
  }
  const coinbase = loadCoinbase(s);
  const backfillMs = parseBackfill(...s.get("BACKFILL", "backfill", ""));
  if (backfillMs !== null && source.kind === "replay") {
    throw new ConfigError(
      "Invalid --backfill: a replay of a recording has no past to read; leave BACKFILL unset with --source replay:FILE",
    );
  }
  const faults = loadFaults(s, faultActors).filter((f) =>
    PRODUCER_ACTORS.some((a) => a === f.actor)
  );
  if (source.kind === "replay" && faults.some((f) => f.actor === "encoder")) {
    throw new ConfigError(
      "Invalid FAULT_INJECT: with --source replay:FILE the replay worker encodes the prices and there is no encoder actor; name publisher",
    );
  }
  if (source.kind === "coinbase") {
    if (faults.some((f) => f.actor === "encoder")) {
      throw new ConfigError(
        "Invalid FAULT_INJECT: with --source coinbase the trade source encodes the trades and there is no encoder actor; name publisher",
      );
    }
    for (const flag of ["iterations", "only-changed"]) {
      if (flags.has(flag)) {
        throw new ConfigError(
          `Invalid --${flag}: it counts CoinGecko fetch cycles, and --source coinbase has none (a trade feed runs until stopped)`,
        );
      }
    }
    // Trades have a topic of their own: KAFKA_TOPIC names the price topic.
    kafka.topic = parseTopic(...s.get(null, "topic", TRADE_TOPIC));
    if (s.optional("KAFKA_CLIENT_ID") === undefined) kafka.clientId = "crypto-trade-producer";
  }
  return {
    kafka,
    coingecko,
    coins,
    intervalMs,
    iterations,
    onlyChanged: s.flag("only-changed"),
    bufferSize,
    source,
    coinbase,
    backfillMs,
    faults,
    log,
  };
}

/** Everything `consume` needs. */
export interface ConsumerConfig {
  /** Kafka. */
  kafka: KafkaConfig;
  /** The consumer group. */
  group: string;
  /** Symbols to print, upper case, or null for all. */
  filter: Set<string> | null;
  /** Start at the oldest message when the group has no committed offset. */
  fromBeginning: boolean;
  /** Exit after printing this many, or null. */
  maxMessages: number | null;
  /** How each message is printed. */
  format: "pretty" | "line" | "json";
  /** Actors made to throw on purpose (`FAULT_INJECT`: `printer`); empty by default. */
  faults: FaultInjection[];
  /** Logging. */
  log: LogConfig;
}

function consumerSettings(
  s: Settings,
  flags: Map<string, string | boolean>,
  faultActors: readonly string[],
): ConsumerConfig {
  const log = loadLog(s);
  const kafka = loadKafka(s, "crypto-price-consumer");
  const [groupName, groupRaw] = s.get("KAFKA_CONSUMER_GROUP", "group", "crypto-analyzer-group");
  const group = groupRaw.trim();
  if (group === "" || group.length > 255 || /[\s]/.test(group)) {
    throw new ConfigError(
      `Invalid ${groupName}: expected 1-255 characters without spaces, current value is ${
        JSON.stringify(groupRaw)
      }`,
    );
  }
  const filterRaw = flags.get("filter");
  let filter: Set<string> | null = null;
  if (typeof filterRaw === "string") {
    const symbols = filterRaw.split(",").map((x) => x.trim()).filter((x) => x !== "");
    if (symbols.length === 0 || !symbols.every((x) => /^[A-Za-z0-9]{1,15}$/.test(x))) {
      throw new ConfigError(
        `Invalid --filter: expected SYMBOL[,SYMBOL...] such as BTC,ETH, each 1-15 characters of A-Z and 0-9, current value is ${
          shown(filterRaw)
        }`,
      );
    }
    filter = new Set(symbols.map((x) => x.toUpperCase()));
  }
  const maxRaw = flags.get("max-messages");
  const maxMessages = typeof maxRaw === "string"
    ? parseNumber("--max-messages", maxRaw, { min: 1, max: 1e12, integer: true })
    : null;
  const formatRaw = flags.get("format");
  const format = typeof formatRaw === "string"
    ? parseChoice("--format", formatRaw, ["pretty", "line", "json"] as const)
    : "pretty";
  return {
    kafka,
    group,
    filter,
    fromBeginning: flags.get("from-beginning") === true,
    maxMessages,
    format,
    faults: loadFaults(s, faultActors).filter((f) => CONSUMER_ACTORS.some((a) => a === f.actor)),
    log,
  };
}

/**
 * Loads the `consume` configuration from flags and the environment.
 *
 * @param args The command-line arguments.
 * @param env The environment lookup.
 * @returns The configuration, or `null` when `--help` was asked for.
 * @throws {ConfigError} For any bad flag or value.
 *
 * @example
 * ```ts
 * import { loadConsumerConfig } from "./config.ts";
 * console.log(loadConsumerConfig(["--filter", "btc"], () => undefined)?.filter); // Set(1) { "BTC" }
 * ```
 */
export function loadConsumerConfig(args: readonly string[], env: Env): ConsumerConfig | null {
  const parsed = parseFlags(consumeCommand, args);
  if (parsed.help) return null;
  return consumerSettings(new Settings(parsed.values, env), parsed.values, CONSUMER_ACTORS);
}

/** Everything `start` needs. */
export interface StartConfig {
  /** The embedded log or Kafka. */
  transport: "memory" | "kafka";
  /** The HTTP server, or null with `--no-http`. */
  http: HttpConfig | null;
  /** The producing side. */
  producer: ProducerConfig;
  /** The consuming side. */
  consumer: ConsumerConfig;
  /** The candles, or null with `--no-candles`. */
  candles: CandleConfig | null;
  /** The alerts on the closed candles, or null with `--no-alerts` or `--no-candles`. */
  alerts: AlertConfig | null;
  /** The candle store, which the candles and the HTTP API use. */
  store: { url: string; timeoutMs: number };
}

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
 * import { loadStartConfig } from "./config.ts";
 * console.log(loadStartConfig([], () => undefined)?.transport); // "memory"
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
  const consumer = consumerSettings(s, parsed.values, actors);
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
    producer: producerSettings(s, parsed.values, actors),
    consumer,
    candles: s.flag("no-candles") ? null : candleSettings,
    alerts: s.flag("no-candles") ? null : alerts,
    store: { url: candleSettings.store, timeoutMs: candleSettings.storeTimeoutMs },
  };
}

/** Everything `lag` needs. */
export interface LagConfig {
  /** Kafka. */
  kafka: KafkaConfig;
  /** The consumer group. */
  group: string;
  /** Logging. */
  log: LogConfig;
}

/**
 * Loads the `lag` configuration from flags and the environment.
 *
 * @param args The command-line arguments.
 * @param env The environment lookup.
 * @returns The configuration, or `null` when `--help` was asked for.
 * @throws {ConfigError} For any bad flag or value.
 *
 * @example
 * ```ts
 * import { loadLagConfig } from "./config.ts";
 * console.log(loadLagConfig([], () => undefined)?.group); // "crypto-analyzer-group"
 * ```
 */
export function loadLagConfig(args: readonly string[], env: Env): LagConfig | null {
  const parsed = parseFlags(lagCommand, args);
  if (parsed.help) return null;
  const { kafka, group, log } = consumerSettings(
    new Settings(parsed.values, env),
    parsed.values,
    [],
  );
  return { kafka, group, log };
}

/** Where the HTTP server listens, and the token its API asks for (SPEC §9). */
export interface HttpConfig {
  /** The address to bind, e.g. `127.0.0.1`. */
  hostname: string;
  /** The port; 0 takes any free one. */
  port: number;
  /** `API_TOKEN`: when set, every `/api` request must carry `Authorization: Bearer <token>`. Never logged. */
  token: string | null;
  /** `HTTP_MAX_STREAMS`: live stream clients at once; one more gets 503. @default {1000} */
  maxStreams?: number;
}

/** `--http <host:port>` (`HTTP_ADDR`). */
function httpFlag(): FlagSpec {
  return {
    name: "http",
    type: "string",
    value: "<host:port>",
    help:
      "where the HTTP API and dashboard listen; an address other than 127.0.0.1 needs API_TOKEN",
    env: "HTTP_ADDR",
  };
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])$/i;

function loadHttp(s: Settings): HttpConfig {
  const [name, raw] = s.get("HTTP_ADDR", "http", "127.0.0.1:8080");
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw.trim());
  const port = Number(match?.[2]);
  if (match === null || port > 65535) {
    throw new ConfigError(
      `Invalid ${name}: expected host:port such as 127.0.0.1:8080 (port 0-65535), current value is ${
        JSON.stringify(raw)
      }`,
    );
  }
  const host = match[1]!;
  const tokenRaw = s.optional("API_TOKEN");
  const token = tokenRaw === undefined ? null : parseSecret("API_TOKEN", tokenRaw);
  if (!LOOPBACK.test(host) && token === null) {
    throw new ConfigError(
      `Invalid ${name}: ${host} is not a loopback address, so API_TOKEN is required (clients then send Authorization: Bearer <token>); set it, or listen on 127.0.0.1`,
    );
  }
  const maxStreams = parseNumber(...s.get("HTTP_MAX_STREAMS", null, "1000"), {
    min: 1,
    max: 1_000_000,
    integer: true,
  });
  return { hostname: host.replace(/^\[(.*)\]$/, "$1"), port, token, maxStreams };
}

/** Everything `serve` needs. */
export interface ServeConfig {
  /** Where to listen. */
  http: HttpConfig;
  /** The candle store: `sqlite:PATH` or `postgres://…`. May hold a password: never log it. */
  store: string;
  /** Redis for the live stream (`crypto:prices`, `crypto:candles`, `crypto:alerts`), or null. */
  redis: string | null;
  /** Kafka: the lag of the candle group, and the live stream when there is no Redis. */
  kafka: KafkaConfig;
  /** The candle topic. */
  candlesTopic: string;
  /** The consumer group whose lag `/api/v1/pipeline` shows. */
  group: string;
  /** Logging. */
  log: LogConfig;
}

/** The `serve` command and its flags. */
export const serveCommand: CommandSpec = {
  name: "serve",
  summary:
    "Serve the HTTP API, the live stream, probes, metrics and the dashboard over the candle store.",
  flags: [
    httpFlag(),
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
 * import { loadServeConfig } from "./config.ts";
 * console.log(loadServeConfig([], () => undefined)?.http.port); // 8080
 * ```
 */
export function loadServeConfig(args: readonly string[], env: Env): ServeConfig | null {
  const parsed = parseFlags(serveCommand, args);
  if (parsed.help) return null;
  const s = new Settings(parsed.values, env);
  const log = loadLog(s);
  const http = loadHttp(s);
  const store = parseStoreUrl(...s.get("CANDLE_STORE", "store", "sqlite:.data/market.db"));
  const [redisName, redisRaw] = s.get("REDIS_URL", "redis", "");
  const redis = redisRaw.trim() === "" ? null : redisRaw.trim();
  if (redis !== null && !/^rediss?:\/\/[^\s]+$/.test(redis)) {
    throw new ConfigError(
      `Invalid ${redisName}: expected redis://host:port or rediss://… (the value is not shown)`,
    );
  }
  const [groupName, groupRaw] = s.get("CANDLES_CONSUMER_GROUP", "group", "crypto-candles");
  const group = groupRaw.trim();
  if (!/^[^\s]{1,255}$/.test(group)) {
    throw new ConfigError(
      `Invalid ${groupName}: expected 1-255 characters without spaces, current value is ${
        JSON.stringify(groupRaw)
      }`,
    );
  }
  const kafka = loadKafka(s, "crypto-serve");
  return { http, store, redis, kafka, candlesTopic: "crypto-candles", group, log };
}
