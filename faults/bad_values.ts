/**
 * Bad configuration values, one table for the configuration tests and the fault suite: every
 * variable of `docs/configuration.md` and every flag of produce, consume, start, lag and candles,
 * each with wrong, empty and extreme values, and the name its one-line error must carry.
 *
 * @module
 */
import { candlesCommand } from "../config/candles.ts";
import { consumeCommand } from "../config/consume.ts";
import { lagCommand } from "../config/lag.ts";
import { produceCommand } from "../config/produce.ts";
import { startCommand } from "../config/start.ts";
import type { CommandSpec } from "../config/cli.ts";

/** A command of the program. */
export type CommandName = "produce" | "consume" | "start" | "lag" | "candles";

/** One bad value: the environment and flags, the name the error must carry and a piece of what is allowed. */
export type BadValue = [
  env: Record<string, string>,
  args: string[],
  name: string,
  allowed: string,
];

const long = (n: number, c = "x") => c.repeat(n);

/**
 * Bad values of the variables and flags `produce` reads (so `loadProducerConfig` refuses each).
 * The value is wrong, or extreme (out of range, huge, with a line break); an empty variable
 * counts as unset (see {@linkcode EMPTY_VARIABLES}) except where another variable needs it.
 */
export const BAD_VALUES: BadValue[] = [
  [{ KAFKA_BOOTSTRAP_SERVERS: "localhost" }, [], "KAFKA_BOOTSTRAP_SERVERS", "host:port"],
  [{ KAFKA_BOOTSTRAP_SERVERS: "h:70000" }, [], "KAFKA_BOOTSTRAP_SERVERS", "1-65535"],
  [{ KAFKA_BOOTSTRAP_SERVERS: "h:0" }, [], "KAFKA_BOOTSTRAP_SERVERS", "1-65535"],
  [{ KAFKA_BOOTSTRAP_SERVERS: "a:1\nb:2" }, [], "KAFKA_BOOTSTRAP_SERVERS", "host:port"],
  [{ KAFKA_TOPIC: "bad topic!" }, [], "KAFKA_TOPIC", "1-249 characters"],
  [{ KAFKA_TOPIC: long(250, "t") }, [], "KAFKA_TOPIC", "1-249 characters"],
  [{ KAFKA_TOPIC: ".." }, [], "KAFKA_TOPIC", "1-249 characters"],
  [{ KAFKA_TOPIC_PARTITIONS: "0" }, [], "KAFKA_TOPIC_PARTITIONS", "at least 1"],
  [{ KAFKA_TOPIC_PARTITIONS: "2.5" }, [], "KAFKA_TOPIC_PARTITIONS", "whole number"],
  [{ KAFKA_TOPIC_PARTITIONS: "10001" }, [], "KAFKA_TOPIC_PARTITIONS", "at most 10000"],
  [{ KAFKA_REPLICATION_FACTOR: "three" }, [], "KAFKA_REPLICATION_FACTOR", "whole number"],
  [{ KAFKA_REPLICATION_FACTOR: "33" }, [], "KAFKA_REPLICATION_FACTOR", "at most 32"],
  [{ KAFKA_CLIENT_ID: "a b" }, [], "KAFKA_CLIENT_ID", "1-255 characters"],
  [{ KAFKA_CLIENT_ID: long(256, "c") }, [], "KAFKA_CLIENT_ID", "1-255 characters"],
  [{ KAFKA_SSL: "maybe" }, [], "KAFKA_SSL", "true or false"],
  [{ KAFKA_SSL: "2" }, [], "KAFKA_SSL", "true or false"],
  [{ KAFKA_SASL_MECHANISM: "gssapi" }, [], "KAFKA_SASL_MECHANISM", "scram-sha-256"],
  [{ KAFKA_SASL_MECHANISM: long(1000, "m") }, [], "KAFKA_SASL_MECHANISM", "scram-sha-256"],
  [{ KAFKA_SASL_MECHANISM: "plain" }, [], "KAFKA_SASL_USERNAME", "required"],
  [
    { KAFKA_SASL_MECHANISM: "plain", KAFKA_SASL_USERNAME: "" },
    [],
    "KAFKA_SASL_USERNAME",
    "required",
  ],
  [
    { KAFKA_SASL_MECHANISM: "plain", KAFKA_SASL_USERNAME: "u" },
    [],
    "KAFKA_SASL_PASSWORD",
    "required",
  ],
  [
    { KAFKA_SASL_MECHANISM: "plain", KAFKA_SASL_USERNAME: "u", KAFKA_SASL_PASSWORD: "  " },
    [],
    "KAFKA_SASL_PASSWORD",
    "required",
  ],
  [
    { KAFKA_SASL_MECHANISM: "plain", KAFKA_SASL_USERNAME: "u", KAFKA_SASL_PASSWORD: "s3 cret" },
    [],
    "KAFKA_SASL_PASSWORD",
    "printable",
  ],
  [{ KAFKA_CONNECT_TIMEOUT: "-1" }, [], "KAFKA_CONNECT_TIMEOUT", "at least 1"],
  [{ KAFKA_CONNECT_TIMEOUT: "soon" }, [], "KAFKA_CONNECT_TIMEOUT", "a number"],
  [{ KAFKA_CONNECT_TIMEOUT: "3601" }, [], "KAFKA_CONNECT_TIMEOUT", "at most 3600"],
  [{ COINGECKO_BASE_URL: "ftp://x" }, [], "COINGECKO_BASE_URL", "http://"],
  [{ COINGECKO_BASE_URL: "not a url" }, [], "COINGECKO_BASE_URL", "http://"],
  [{ COINGECKO_BASE_URL: `http://${long(300, "h")}:99999` }, [], "COINGECKO_BASE_URL", "http://"],
  [{ COINGECKO_API_KEY: "CG has space" }, [], "COINGECKO_API_KEY", "printable"],
  [{ COINGECKO_API_KEY: "CG-\u0007bell" }, [], "COINGECKO_API_KEY", "printable"],
  [{ COINGECKO_API_KEY_TYPE: "gold" }, [], "COINGECKO_API_KEY_TYPE", "demo, pro"],
  [{ COINGECKO_API_KEY_TYPE: long(500, "p") }, [], "COINGECKO_API_KEY_TYPE", "demo, pro"],
  [{ CRYPTO_COINS: "bitcoin" }, [], "CRYPTO_COINS", "coin_id:SYMBOL"],
  [{ CRYPTO_COINS: "bitcoin:BTC,bitcoin:XBT" }, [], "CRYPTO_COINS", "repeats"],
  [{ CRYPTO_COINS: ",,," }, [], "CRYPTO_COINS", "at least one"],
  [{ CRYPTO_COINS: `bitcoin:${long(16, "B")}` }, [], "CRYPTO_COINS", "1-15 characters of A-Z"],
  [{ CRYPTO_COINS: "bitcoin:B.T.C" }, [], "CRYPTO_COINS", "1-15 characters of A-Z"],
  [{ CRYPTO_COINS: `${long(101, "c")}:CCC` }, [], "CRYPTO_COINS", "1-100 characters of a-z"],
  [{ PRODUCER_FETCH_INTERVAL: "ten" }, [], "PRODUCER_FETCH_INTERVAL", "greater than 0"],
  [{ PRODUCER_FETCH_INTERVAL: "0" }, [], "PRODUCER_FETCH_INTERVAL", "greater than 0"],
  [{ PRODUCER_FETCH_INTERVAL: "Infinity" }, [], "PRODUCER_FETCH_INTERVAL", "a number"],
  [{ PRODUCER_FETCH_INTERVAL: "86401" }, [], "PRODUCER_FETCH_INTERVAL", "at most 86400"],
  [{ API_RATE_LIMIT_DELAY: "-2" }, [], "API_RATE_LIMIT_DELAY", "at least 0"],
  [{ API_RATE_LIMIT_DELAY: "1e9" }, [], "API_RATE_LIMIT_DELAY", "at most 3600"],
  [{ API_TIMEOUT: "0" }, [], "API_TIMEOUT", "greater than 0"],
  [{ API_TIMEOUT: "601" }, [], "API_TIMEOUT", "at most 600"],
  [{ API_MAX_RETRIES: "1e400" }, [], "API_MAX_RETRIES", "whole number"],
  [{ API_MAX_RETRIES: "1.5" }, [], "API_MAX_RETRIES", "whole number"],
  [{ API_MAX_RETRIES: "101" }, [], "API_MAX_RETRIES", "at most 100"],
  [{ API_MAX_RETRY_AFTER: "0" }, [], "API_MAX_RETRY_AFTER", "at least 1"],
  [{ API_MAX_RETRY_AFTER: "86401" }, [], "API_MAX_RETRY_AFTER", "at most 86400"],
  [{ API_MAX_RETRY_AFTER: "5m" }, [], "API_MAX_RETRY_AFTER", "a number"],
  [{ PRODUCER_BUFFER_SIZE: "0" }, [], "PRODUCER_BUFFER_SIZE", "at least 1"],
  [{ PRODUCER_BUFFER_SIZE: "10000001" }, [], "PRODUCER_BUFFER_SIZE", "at most 10000000"],
  [{ COINBASE_WS_URL: "https://ws-feed.exchange.coinbase.com" }, [], "COINBASE_WS_URL", "ws://"],
  [{ COINBASE_WS_URL: "not a url" }, [], "COINBASE_WS_URL", "wss://"],
  [{ COINBASE_WS_URL: `wss://${long(300, "h")}:99999` }, [], "COINBASE_WS_URL", "wss://"],
  [{ COINBASE_PRODUCTS: "BTCUSD" }, [], "COINBASE_PRODUCTS", "BASE-QUOTE"],
  [{ COINBASE_PRODUCTS: "BTC-USD,BTC-EUR,btc-usd" }, [], "COINBASE_PRODUCTS", "twice"],
  [{ COINBASE_PRODUCTS: ",,," }, [], "COINBASE_PRODUCTS", "1-100 products"],
  [{ COINBASE_PRODUCTS: `BTC-${long(16, "U")}` }, [], "COINBASE_PRODUCTS", "1-15 characters"],
  [
    { COINBASE_PRODUCTS: Array.from({ length: 101 }, (_, i) => `C${i}-USD`).join(",") },
    [],
    "COINBASE_PRODUCTS",
    "1-100 products",
  ],
  [{ COINBASE_STALE_AFTER: "0" }, [], "COINBASE_STALE_AFTER", "greater than 0"],
  [{ COINBASE_STALE_AFTER: "soon" }, [], "COINBASE_STALE_AFTER", "a number"],
  [{ COINBASE_STALE_AFTER: "3601" }, [], "COINBASE_STALE_AFTER", "at most 3600"],
  [{ LOG_LEVEL: "loud" }, [], "LOG_LEVEL", "debug"],
  [{ LOG_LEVEL: long(1000, "l") }, [], "LOG_LEVEL", "debug"],
  [{ LOG_FORMAT: "xml" }, [], "LOG_FORMAT", "pretty, json"],
  [{}, ["--interval", "soon"], "--interval", "a number"],
  [{}, ["--iterations", "0"], "--iterations", "at least 1"],
  [{}, ["--iterations="], "--iterations", "whole number"],
  [{}, ["--coins", ":BTC"], "--coins", "coin_id:SYMBOL"],
  [{}, ["--brokers", ""], "--brokers", "host:port"],
  [{}, ["--log-format", "yaml"], "--log-format", "pretty, json"],
  [{}, ["--frobnicate"], "--frobnicate", "Unknown flag"],
  [{}, ["extra"], "extra", "Unexpected argument"],
  [{}, ["--interval"], "--interval", "needs a value"],
  [{}, ["--source", "coinbase", "--products", "BTC"], "--products", "BASE-QUOTE"],
  [{}, ["--source", "coinbase", "--iterations", "2"], "--iterations", "coinbase has none"],
  [{}, ["--source", "coinbase", "--only-changed"], "--only-changed", "coinbase has none"],
  [
    { FAULT_INJECT: "encoder:every=5" },
    ["--source", "coinbase"],
    "FAULT_INJECT",
    "name publisher",
  ],
  [
    { FAULT_INJECT: "encoder:every=5" },
    ["--source", "replay:prices.jsonl"],
    "FAULT_INJECT",
    "name publisher",
  ],
];

/** Bad values of the variables only the consumer side reads. */
export const CONSUMER_BAD_VALUES: BadValue[] = [
  [{ KAFKA_CONSUMER_GROUP: "a b" }, [], "KAFKA_CONSUMER_GROUP", "without spaces"],
  [{ KAFKA_CONSUMER_GROUP: long(256, "g") }, [], "KAFKA_CONSUMER_GROUP", "1-255 characters"],
  [{ KAFKA_INSTANCE_ID: "a b" }, [], "KAFKA_INSTANCE_ID", "an instance id is 1-"],
  [{ KAFKA_INSTANCE_ID: long(250, "i") }, [], "KAFKA_INSTANCE_ID", "an instance id is 1-"],
  [{ KAFKA_SESSION_TIMEOUT: "5" }, [], "KAFKA_SESSION_TIMEOUT", "at least 6"],
  [{ KAFKA_SESSION_TIMEOUT: "1e9" }, [], "KAFKA_SESSION_TIMEOUT", "at most 1800"],
];

/** Bad values of the candle variables, which `candles` and `start` read. */
export const CANDLE_BAD_VALUES: BadValue[] = [
  [{ CANDLE_INTERVALS: "7m" }, [], "CANDLE_INTERVALS", "1m, 5m, 15m"],
  [{ CANDLE_INTERVALS: `${long(1000, "1m,")}1w` }, [], "CANDLE_INTERVALS", "1m, 5m, 15m"],
  [{ CANDLE_STORE: "mysql://x" }, [], "CANDLE_STORE", "sqlite:PATH or postgres://"],
  [{ CANDLE_STORE: "postgres://user:hunter2@" }, [], "CANDLE_STORE", "sqlite:PATH or postgres://"],
  [{ REDIS_URL: "http://127.0.0.1:6379" }, [], "REDIS_URL", "redis://"],
  [{ REDIS_URL: `redis://${long(300, "h")}:99999` }, [], "REDIS_URL", "redis://"],
  [{ CANDLE_OUT_OF_ORDERNESS: "soon" }, [], "CANDLE_OUT_OF_ORDERNESS", "a number"],
  [{ CANDLE_OUT_OF_ORDERNESS: "86401" }, [], "CANDLE_OUT_OF_ORDERNESS", "at most 86400"],
  [{ CANDLE_ALLOWED_LATENESS: "-1" }, [], "CANDLE_ALLOWED_LATENESS", "at least 0"],
  [{ CANDLE_ALLOWED_LATENESS: "1e9" }, [], "CANDLE_ALLOWED_LATENESS", "at most 604800"],
  [{ CANDLE_IDLE_TIMEOUT: "0" }, [], "CANDLE_IDLE_TIMEOUT", "greater than 0"],
  [{ CANDLE_IDLE_TIMEOUT: "forever" }, [], "CANDLE_IDLE_TIMEOUT", "a number"],
  [{ CANDLE_STORE_TIMEOUT: "0" }, [], "CANDLE_STORE_TIMEOUT", "greater than 0"],
  [{ CANDLE_STORE_TIMEOUT: "3601" }, [], "CANDLE_STORE_TIMEOUT", "at most 3600"],
  [{ CANDLE_TOPIC: "bad topic!" }, [], "CANDLE_TOPIC", "1-249 characters"],
  [{ CANDLE_TOPIC: long(250, "t") }, [], "CANDLE_TOPIC", "1-249 characters"],
  [{ CANDLE_MAX_AHEAD: "soon" }, [], "CANDLE_MAX_AHEAD", "a number"],
  [{ CANDLE_MAX_AHEAD: "-1" }, [], "CANDLE_MAX_AHEAD", "at least 0"],
  [{ CANDLE_MAX_AHEAD: "1e9" }, [], "CANDLE_MAX_AHEAD", "at most 604800"],
  [{ DLQ_TOPIC: "bad topic!" }, [], "DLQ_TOPIC", "1-249 characters"],
  [{ DLQ_TOPIC: long(250, "t") }, [], "DLQ_TOPIC", "1-249 characters"],
];

/** Bad values of the alert variables, which `candles` and `start` read. */
export const ALERT_BAD_VALUES: BadValue[] = [
  [{ ALERT_MOVE_PCT: "abc" }, [], "ALERT_MOVE_PCT", "a number"],
  [{ ALERT_MOVE_PCT: "0" }, [], "ALERT_MOVE_PCT", "greater than 0"],
  [{ ALERT_MOVE_PCT: "1e4" }, [], "ALERT_MOVE_PCT", "at most 1000"],
  [{ ALERT_ZSCORE: "-1" }, [], "ALERT_ZSCORE", "greater than 0"],
  [{ ALERT_ZSCORE: "Infinity" }, [], "ALERT_ZSCORE", "a number"],
  [{ ALERT_EWMA_HALFLIFE: "2.5" }, [], "ALERT_EWMA_HALFLIFE", "whole number"],
  [{ ALERT_EWMA_HALFLIFE: "0" }, [], "ALERT_EWMA_HALFLIFE", "at least 1"],
  [{ ALERT_EWMA_HALFLIFE: "401" }, [], "ALERT_EWMA_HALFLIFE", "at most 400"],
  [{ ALERT_TOPIC: "bad topic!" }, [], "ALERT_TOPIC", "1-249 characters"],
  [{ ALERT_TOPIC: long(250, "t") }, [], "ALERT_TOPIC", "1-249 characters"],
];

/** Bad values of the variables only `candles` reads. */
export const CANDLES_ONLY_BAD_VALUES: BadValue[] = [
  [{ CANDLES_CONSUMER_GROUP: "a b" }, [], "CANDLES_CONSUMER_GROUP", "without spaces"],
  [{ CANDLES_CONSUMER_GROUP: long(256, "g") }, [], "CANDLES_CONSUMER_GROUP", "1-255 characters"],
];

/** Bad values of the HTTP server's variables, which `start` (and `serve`) read. */
export const HTTP_BAD_VALUES: BadValue[] = [
  [{ HTTP_MAX_STREAMS: "0" }, [], "HTTP_MAX_STREAMS", "at least 1"],
  [{ HTTP_MAX_STREAMS: "-5" }, [], "HTTP_MAX_STREAMS", "whole number"],
  [{ HTTP_MAX_STREAMS: "2.5" }, [], "HTTP_MAX_STREAMS", "whole number"],
  [{ HTTP_MAX_STREAMS: "many" }, [], "HTTP_MAX_STREAMS", "whole number"],
  [{ HTTP_MAX_STREAMS: "1e7" }, [], "HTTP_MAX_STREAMS", "at most 1000000"],
];

/** Every variable the commands read, with the commands that read it. */
export const VARIABLES: [string, CommandName[]][] = [
  ...[
    "KAFKA_BOOTSTRAP_SERVERS",
    "KAFKA_TOPIC",
    "KAFKA_TOPIC_PARTITIONS",
    "KAFKA_REPLICATION_FACTOR",
    "KAFKA_CLIENT_ID",
    "KAFKA_SSL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD",
    "KAFKA_CONNECT_TIMEOUT",
    "LOG_LEVEL",
    "LOG_FORMAT",
  ].map((v): [string, CommandName[]] => [v, ["produce", "consume", "start", "lag", "candles"]]),
  ["KAFKA_CONSUMER_GROUP", ["consume", "start", "lag"]],
  ["KAFKA_INSTANCE_ID", ["consume", "start", "lag", "candles"]],
  ["KAFKA_SESSION_TIMEOUT", ["consume", "start", "lag", "candles"]],
  ["CANDLES_CONSUMER_GROUP", ["candles"]],
  ...[
    "CANDLE_INTERVALS",
    "CANDLE_STORE",
    "REDIS_URL",
    "CANDLE_OUT_OF_ORDERNESS",
    "CANDLE_ALLOWED_LATENESS",
    "CANDLE_IDLE_TIMEOUT",
    "CANDLE_STORE_TIMEOUT",
    "CANDLE_TOPIC",
    "ALERT_MOVE_PCT",
    "ALERT_ZSCORE",
    "ALERT_EWMA_HALFLIFE",
    "ALERT_TOPIC",
  ].map((v): [string, CommandName[]] => [v, ["candles", "start"]]),
  ...[
    "COINGECKO_BASE_URL",
    "COINGECKO_API_KEY",
    "COINGECKO_API_KEY_TYPE",
    "CRYPTO_COINS",
    "PRODUCER_FETCH_INTERVAL",
    "API_RATE_LIMIT_DELAY",
    "API_TIMEOUT",
    "API_MAX_RETRIES",
    "API_MAX_RETRY_AFTER",
    "PRODUCER_BUFFER_SIZE",
    "COINBASE_WS_URL",
    "COINBASE_PRODUCTS",
    "COINBASE_STALE_AFTER",
  ].map((v): [string, CommandName[]] => [v, ["produce", "start"]]),
  ["HTTP_MAX_STREAMS", ["start"]],
  // Read by consume too: it checks event times the same way, and shows DLQ_TOPIC's dead letters.
  ...["CANDLE_MAX_AHEAD", "DLQ_TOPIC"].map((v): [string, CommandName[]] => [
    v,
    ["candles", "start", "consume"],
  ]),
];

/**
 * Variables whose empty value means "unset" (the default is used), so it is not an error:
 * every variable, on its own. (Empty `KAFKA_SASL_USERNAME` or `KAFKA_SASL_PASSWORD` next to a
 * mechanism is an error: see {@linkcode BAD_VALUES}.)
 */
export const EMPTY_VARIABLES: string[] = VARIABLES.map(([v]) => v);

/** A wrong and an extreme value of each string flag (the empty value is added for all). */
const FLAG_VALUES: Record<string, [wrong: string, extreme: string]> = {
  interval: ["soon", "86401"],
  coins: ["bitcoin", `${long(2000, "b")}:BTC`],
  iterations: ["-1", "1e10"],
  source: ["kafka", "replay:"],
  products: ["BTCUSD", `${long(2000, "B")}-USD`],
  filter: ["B-T-C", long(16, "B")],
  "max-messages": ["0", "1e13"],
  format: ["xml", long(1000, "j")],
  group: ["a b", long(256, "g")],
  "instance-id": ["two words", long(250, "i")],
  transport: ["docker", long(1000, "k")],
  brokers: ["localhost", "h:65536"],
  topic: ["bad topic!", long(250, "t")],
  "log-level": ["loud", "warn\nerror"],
  "log-format": ["yaml", long(1000, "y")],
  intervals: ["7m", `${long(2000, "1h,")}2h`],
  store: ["mysql://x", "postgres://admin:hunter2@"],
  redis: ["http://localhost:6379", `redis://${long(300, "r")}:0`],
  "out-of-orderness": ["soon", "86401"],
  "allowed-lateness": ["-1", "1e9"],
  "idle-timeout": ["0", "1e9"],
  "max-ahead": ["later", "1e9"],
};

/** A case of the fault suite: one command, its environment and flags, and the name expected. */
export interface BadCase {
  /** The command. */
  command: CommandName;
  /** Its environment. */
  env: Record<string, string>;
  /** Its flags. */
  args: string[];
  /** The variable or flag the one error line must name. */
  name: string;
  /** What the case is about, for the report. */
  label: string;
}

const COMMANDS: [CommandName, CommandSpec][] = [
  ["produce", produceCommand],
  ["consume", consumeCommand],
  ["start", startCommand],
  ["lag", lagCommand],
  ["candles", candlesCommand],
];

/**
 * Every bad-configuration case: each bad variable value through each command that reads the
 * variable, and each flag of each command with a wrong, an empty and an extreme value (a switch
 * given a value), plus an unknown flag, a stray argument and a missing value.
 *
 * @returns The cases.
 */
export function badCases(): BadCase[] {
  const cases: BadCase[] = [];
  const readers = new Map(VARIABLES);
  const all = [
    ...BAD_VALUES,
    ...CONSUMER_BAD_VALUES,
    ...CANDLE_BAD_VALUES,
    ...ALERT_BAD_VALUES,
    ...CANDLES_ONLY_BAD_VALUES,
    ...HTTP_BAD_VALUES,
  ];
  for (const [env, args, name] of all) {
    if (args.length > 0) continue; // the flags come below, for every command
    const variable = Object.keys(env).find((v) => !v.startsWith("KAFKA_SASL_")) ??
      "KAFKA_SASL_MECHANISM";
    for (const command of readers.get(variable) ?? []) {
      const shown = Object.entries(env).map(([k, v]) => `${k}=${JSON.stringify(v).slice(0, 24)}`);
      cases.push({ command, env, args, name, label: `${command} ${shown.join(" ")}` });
    }
  }
  for (const [command, spec] of COMMANDS) {
    for (const flag of spec.flags) {
      const values = flag.type === "boolean"
        ? [`--${flag.name}=yes`, `--${flag.name}=`]
        : ["wrong", "empty", "extreme"].map((kind) => {
          const [wrong, extreme] = FLAG_VALUES[flag.name] ?? ["", ""];
          const value = kind === "wrong" ? wrong : kind === "empty" ? "" : extreme;
          return `--${flag.name}=${value}`;
        });
      for (const arg of values) {
        cases.push({
          command,
          env: {},
          args: [arg],
          name: `--${flag.name}`,
          label: `${command} ${JSON.stringify(arg).slice(1, 40)}`,
        });
      }
    }
    const missing = spec.flags.find((f) => f.type === "string")!;
    cases.push(
      {
        command,
        env: {},
        args: ["--frobnicate"],
        name: "--frobnicate",
        label: `${command} --frobnicate`,
      },
      { command, env: {}, args: ["stray"], name: "stray", label: `${command} stray` },
      {
        command,
        env: {},
        args: [`--${missing.name}`],
        name: `--${missing.name}`,
        label: `${command} --${missing.name} (no value)`,
      },
    );
  }
  return cases;
}
