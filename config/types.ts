/**
 * What the loaders give each command: plain values, every one already checked. The variables
 * and flags behind them, and their defaults, are in `docs/configuration.md`.
 *
 * @module
 */
import type { AlertRules } from "../market/alert_rules.ts";
import type { Interval } from "../market/candle.ts";

/** The environment as the loaders see it: a lookup by name. */
export type Env = (name: string) => string | undefined;

/** A coin to fetch: CoinGecko's id and the symbol used as the message key. */
export interface Coin {
  /** CoinGecko's coin id, e.g. `bitcoin`. */
  id: string;
  /** The ticker symbol, upper case, e.g. `BTC`. */
  symbol: string;
}

/** An actor made to throw on purpose (`FAULT_INJECT`). */
export type FaultInjection =
  | {
    actor: string;
    /** Throws on every `every`-th message it receives. */
    every: number;
  }
  | {
    actor: string;
    /** Throws on this share of the messages it receives, at random. */
    share: number;
  };

/** SASL authentication to the broker (`KAFKA_SASL_*`). */
export interface SaslConfig {
  mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
  username: string;
  /** Never logged. */
  password: string;
}

/** How to reach Kafka. */
export interface KafkaConfig {
  /** Bootstrap servers, `host:port`. */
  brokers: string[];
  topic: string;
  /** Partitions of the topic when the program creates it. */
  partitions: number;
  /** Replication factor of the topic when the program creates it. */
  replicationFactor: number;
  clientId: string;
  /** Whether to use TLS. */
  ssl: boolean;
  sasl: SaslConfig | null;
  /** How long the broker may stay unreachable at start-up, in milliseconds. */
  connectTimeoutMs: number;
}

/**
 * How a process belongs to its consumer groups (`docs/operating.md`).
 */
export interface Membership {
  /**
   * `--instance-id` (`KAFKA_INSTANCE_ID`): the process is a static member of each group it
   * joins, under this id, and gets its partitions back at once when restarted with it; null for
   * a dynamic member.
   */
  instanceId: string | null;
  /**
   * `KAFKA_SESSION_TIMEOUT`: how long the broker waits for a member that stopped heartbeating
   * (killed, frozen) before its partitions move to the others, ms.
   */
  sessionTimeoutMs: number;
}

/** Logging, on stderr. */
export interface LogConfig {
  /** The lowest level shown. */
  level: "trace" | "debug" | "info" | "warning" | "error" | "fatal";
  format: "pretty" | "json";
}

/** How to reach CoinGecko. */
export interface CoinGeckoConfig {
  /** Base URL of the API, without a trailing slash. */
  baseUrl: string;
  /** Never logged. */
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

/** How to reach the Coinbase Exchange feed. */
export interface CoinbaseConfig {
  /** The feed's WebSocket URL. */
  url: string;
  /** The products subscribed to, `BASE-QUOTE`, upper case, each once (several of one base allowed). */
  products: string[];
  /** Silence (heartbeats included) after which the feed is taken as dead and reconnected, ms. */
  staleAfterMs: number;
  /** The Exchange REST API's base URL, for gap repair and backfill, without a trailing slash. */
  restUrl: string;
}

/** Everything `produce` needs. */
export interface ProducerConfig {
  kafka: KafkaConfig;
  coingecko: CoinGeckoConfig;
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
   * trades of the Coinbase Exchange feed.
   */
  source: { kind: "coingecko" } | { kind: "replay"; path: string } | { kind: "coinbase" };
  /** The Coinbase feed (checked whatever the source). */
  coinbase: CoinbaseConfig;
  /** `--backfill`: the past span published before going live, ms, or null for none. */
  backfillMs: number | null;
  /** Actors made to throw on purpose (`encoder`, `publisher`); empty by default. */
  faults: FaultInjection[];
  log: LogConfig;
}

/** Everything `consume` needs. */
export interface ConsumerConfig {
  kafka: KafkaConfig;
  group: string;
  membership: Membership;
  /** Symbols to print, upper case, or null for all. */
  filter: Set<string> | null;
  /** Start at the oldest message when the group has no committed offset. */
  fromBeginning: boolean;
  /** Exit after printing this many, or null. */
  maxMessages: number | null;
  /** How each message is printed. */
  format: "pretty" | "line" | "json";
  /** Actors made to throw on purpose (`printer`); empty by default. */
  faults: FaultInjection[];
  log: LogConfig;
  /** How far ahead of the clock an event time may be when read, ms (`CANDLE_MAX_AHEAD`). */
  maxAheadMs: number;
  /** The dead-letter topic (`DLQ_TOPIC`): read from, its records are shown as dead letters. */
  dlqTopic: string;
}

/** Everything `lag` needs. */
export interface LagConfig {
  kafka: KafkaConfig;
  group: string;
  log: LogConfig;
}

/** Where the HTTP server listens, and the token its API asks for. */
export interface HttpConfig {
  /** The address to bind, e.g. `127.0.0.1`. */
  hostname: string;
  /** 0 takes any free port. */
  port: number;
  /** `API_TOKEN`: when set, every `/api` request must carry `Authorization: Bearer <token>`. Never logged. */
  token: string | null;
  /** `HTTP_MAX_STREAMS`: live stream clients at once; one more gets 503. @default {1000} */
  maxStreams?: number;
}

/** How candles are made and where they go. */
export interface CandleConfig {
  /** The intervals, shortest first. */
  intervals: Interval[];
  /** The store: `sqlite:PATH` or `postgres://…`. May hold a password: never log it. */
  store: string;
  /** Redis, or null when off. */
  redis: string | null;
  /** How far a symbol's watermark trails its latest event time, ms. */
  outOfOrdernessMs: number;
  /** How long after closing a window still takes late observations, ms. */
  allowedLatenessMs: number;
  /** Wall-clock time without an observation after which a symbol's windows close, ms. */
  idleTimeoutMs: number;
  /** How long the store may stay unreachable at start-up, ms. */
  storeTimeoutMs: number;
  /** The topic closed candles and revisions are published to. */
  topic: string;
  /** How far ahead of the clock an event time may be when read, ms; later ones are refused. */
  maxAheadMs: number;
  /** The dead-letter topic: where refused records go. */
  dlqTopic: string;
}

/** How alerts are raised and where they go. */
export interface AlertConfig {
  /** The thresholds and the half-life. */
  rules: AlertRules;
  /** The topic new alerts are published to. */
  topic: string;
}

/** Everything `candles` needs. */
export interface CandlesCommandConfig {
  /** Its `topic` is the first topic read. */
  kafka: KafkaConfig;
  /** The topics read. */
  topics: string[];
  group: string;
  membership: Membership;
  /** Start at the oldest message when the group has no committed offset. */
  fromBeginning: boolean;
  /** How closed candles are printed. */
  format: "pretty" | "line" | "json";
  candles: CandleConfig;
  /** Null with `--no-alerts`. */
  alerts: AlertConfig | null;
  log: LogConfig;
}

/** Everything `start` needs. */
export interface StartConfig {
  /** The embedded log or Kafka. */
  transport: "memory" | "kafka";
  /** Null with `--no-http`. */
  http: HttpConfig | null;
  producer: ProducerConfig;
  /** Its membership is the printer's: the instance id suffixed `-printer`. */
  consumer: ConsumerConfig;
  /** Null with `--no-candles`. */
  candles: CandleConfig | null;
  /** The candles' membership through Kafka: the instance id suffixed `-candles`. */
  candleMembership: Membership;
  /** Null with `--no-alerts` or `--no-candles`. */
  alerts: AlertConfig | null;
  /** The candle store, which the candles and the HTTP API use. */
  store: { url: string; timeoutMs: number };
}

/** Everything `serve` needs. */
export interface ServeConfig {
  http: HttpConfig;
  /** The candle store: `sqlite:PATH` or `postgres://…`. May hold a password: never log it. */
  store: string;
  /** Redis for the live stream (`crypto:prices`, `crypto:candles`, `crypto:alerts`), or null. */
  redis: string | null;
  /** Kafka: the lag of the candle group, and the live stream when there is no Redis. */
  kafka: KafkaConfig;
  candlesTopic: string;
  /** The consumer group whose lag `/api/v1/pipeline` shows. */
  group: string;
  /**
   * The live feed's membership when it reads Kafka: with an instance id its groups are
   * `crypto-serve-<id>-candle` and `-price`, else new ones each run.
   */
  membership: Membership;
  log: LogConfig;
}
