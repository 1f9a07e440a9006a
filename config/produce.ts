/**
 * The `produce` command's configuration: its flags, CoinGecko's and the Coinbase feed's settings,
 * and the producing side that `start` shares (`docs/configuration.md`).
 *
 * @module
 */
import { type CommandSpec, commonFlags, type FlagSpec, parseFlags } from "./cli.ts";
import { backfillFlag, COINBASE_REST_URL, parseBackfill } from "./backfill.ts";
import { ConfigError } from "./config_error.ts";
import { loadFaultInjection } from "./fault_injection.ts";
import { loadKafka } from "./kafka.ts";
import { loadLog } from "./logging.ts";
import { Settings } from "./settings.ts";
import type { CoinbaseConfig, CoinGeckoConfig, Env, ProducerConfig } from "./types.ts";
import {
  parseChoice,
  parseCoins,
  parseHttpUrl,
  parseNumber,
  parseProducts,
  parseSecret,
  parseTopic,
  parseWebSocketUrl,
  quoted,
} from "./values.ts";

/** The topic trades go to unless `--topic` names another (`KAFKA_TOPIC` is the price topic). */
const TRADE_TOPIC = "crypto-trades";

/** The actors `FAULT_INJECT` may name in `produce`. */
export const PRODUCER_ACTORS = ["encoder", "publisher"] as const;

/** The flags of the producing side, which `start` shares. */
export const produceFlags: readonly FlagSpec[] = [
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
    help:
      "with --source coinbase: the products whose trades are read, each a market of its own, several of one base currency allowed, e.g. BTC-USD,BTC-EUR,ETH-USD",
    env: "COINBASE_PRODUCTS",
  },
  backfillFlag,
];

/** The `produce` command and its flags. */
export const produceCommand: CommandSpec = {
  name: "produce",
  summary:
    "Fetch cryptocurrency prices from CoinGecko and publish them to a Kafka topic, keyed by symbol.",
  flags: [...produceFlags, ...commonFlags],
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
 * import assert from "node:assert/strict";
 * import { loadProducerConfig } from "./produce.ts";
 * const config = loadProducerConfig(["--iterations", "1"], () => undefined);
 * assert.deepEqual(config?.coins.map((c) => c.symbol), ["BTC", "ETH"]);
 * ```
 */
export function loadProducerConfig(args: readonly string[], env: Env): ProducerConfig | null {
  const parsed = parseFlags(produceCommand, args);
  if (parsed.help) return null;
  return loadProducerSettings(new Settings(parsed.values, env), parsed.values, PRODUCER_ACTORS);
}

/**
 * Reads the producing side's settings, for `produce` and `start`.
 *
 * @param s The settings.
 * @param flags The parsed flags.
 * @param faultActors The actors `FAULT_INJECT` may name in this command; only the producer's
 *   are kept.
 * @returns The producer's configuration.
 * @throws {ConfigError} For any bad value, and for a flag or fault the source has no use for.
 */
export function loadProducerSettings(
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
          quoted(sourceRaw)
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
  const faults = loadFaultInjection(s, faultActors).filter((f) =>
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
