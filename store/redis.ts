/**
 * Redis for the live view (docs/candles.md#where-candles-go): per market
 * `crypto:{source}:{product}:latest` (its latest price, TTL 300 s) and
 * `crypto:{source}:{product}:candle:{interval}` (its current candle), per symbol
 * `crypto:{SYMBOL}:latest` (the most recent price of any of its markets, TTL 300 s), and the
 * pub/sub channels `crypto:prices`, `crypto:candles` and `crypto:alerts`, on `npm:redis`.
 *
 * Redis is optional and must never hold up the candles: every call only queues and returns. A
 * key keeps only its newest value until it is written; messages wait in a bounded queue (the
 * oldest dropped and counted when it is full). While Redis is away the client reconnects in the
 * background, a warning is logged once per outage, and what queued up is sent when it is back.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { createClient } from "redis";
import { redactUrl } from "../config/values.ts";
import type { Alert } from "../market/alert.ts";
import { alertJson } from "../market/messages/alert_message.ts";
import type { Candle } from "../market/candle.ts";
import { candleJson } from "../market/messages/candle_message.ts";
import type { LatestPrice } from "../market/latest_price.ts";
import { latestPriceJson } from "../market/messages/latest_price_message.ts";
import { deadline, DeadlineError } from "../runtime/deadline.ts";

const logger = getLogger(["crypto", "redis"]);

/** The pause before sending again after a batch failed while the connection stayed up. */
const FAILED_FLUSH_PAUSE_MS = 1_000;

/** Options for {@linkcode RedisPublisher}. */
export interface RedisPublisherOptions {
  /** Put before every key and channel name (tests give each run its own). @default {""} */
  prefix?: string;
  /** Messages held while Redis is away; beyond that the oldest is dropped. @default {1000} */
  maxQueue?: number;
  /**
   * Time-to-live of `crypto:{source}:{product}:latest` and `crypto:{SYMBOL}:latest`, in
   * seconds. @default {300}
   */
  latestTtlSeconds?: number;
  /** How long one connection attempt or one batch of commands may take. @default {2000} */
  timeoutMs?: number;
  /** The longest pause between reconnection attempts. @default {5000} */
  maxReconnectDelayMs?: number;
}

/** What a {@linkcode RedisPublisher} did so far. */
export interface RedisCounters {
  /** Keys written and messages published. */
  sent: number;
  /** Failed connection attempts and failed batches. */
  errors: number;
  /** Messages dropped because the queue was full (or the publisher closed). */
  dropped: number;
  /** Keys and messages waiting to be sent. */
  pending: number;
}

interface PendingKey {
  value: string;
  ttlSeconds: number | null;
  /**
   * For a key that keeps the newest of several writers' values: this value's event time (ISO,
   * which sorts as time does); Redis keeps the value there unless its `event_time` is later.
   */
  eventTime: string | null;
}

/**
 * Sets `KEYS[1]` to `ARGV[1]` with a TTL of `ARGV[3]` seconds, unless the value there has a later
 * `event_time` than `ARGV[2]` (ISO-8601 times of one width compare as text).
 */
const SET_UNLESS_NEWER = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, held = pcall(cjson.decode, current)
  if ok and type(held) == 'table' and type(held.event_time) == 'string'
    and held.event_time > ARGV[2] then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[3]))
return 1`;

interface Message {
  channel: string;
  message: string;
}

/**
 * Publishes prices, candles and alerts to Redis without ever holding up or failing the caller.
 *
 * @example
 * ```ts ignore
 * import { RedisPublisher } from "./redis.ts";
 * const redis = new RedisPublisher("redis://127.0.0.1:6379");
 * redis.latest({ source: "coinbase", product: "BTC-USD", symbol: "BTC", priceUsd: 45234.56,
 *   volume24h: null, marketCap: null, priceChange24h: null, eventTime: Date.now() });
 * await redis.close();
 * ```
 */
export class RedisPublisher {
  /** The URL without its password. */
  readonly description: string;
  #client: ReturnType<typeof createClient>;
  #prefix: string;
  #maxQueue: number;
  #ttl: number;
  #timeoutMs: number;
  #keys = new Map<string, PendingKey>();
  #messages: Message[] = [];
  #windows = new Map<string, number>();
  #counters = { sent: 0, errors: 0, dropped: 0 };
  #flushing: Promise<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Whether the last thing heard from Redis was good: a warning is logged when this turns false. */
  #healthy = true;
  #closed = false;

  /**
   * Starts connecting in the background; the constructor never waits or throws for Redis.
   *
   * @param url `redis://[user:password@]host:port[/db]` or `rediss://…`.
   * @param options Prefix, queue bound, TTL and timeouts.
   */
  constructor(url: string, options: RedisPublisherOptions = {}) {
    const {
      prefix = "",
      maxQueue = 1_000,
      latestTtlSeconds = 300,
      timeoutMs = 2_000,
      maxReconnectDelayMs = 5_000,
    } = options;
    this.description = redactUrl(url);
    this.#prefix = prefix;
    this.#maxQueue = maxQueue;
    this.#ttl = latestTtlSeconds;
    this.#timeoutMs = timeoutMs;
    this.#client = createClient({
      url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: timeoutMs,
        reconnectStrategy: (retries: number) =>
          Math.min(maxReconnectDelayMs, 100 * 2 ** Math.min(retries, 10)),
      },
    });
    this.#client.on("error", (error: unknown) => this.#failed(error));
    this.#client.on("ready", () => {
      if (!this.#healthy) logger.info("Redis at {redis} is back", { redis: this.description });
      this.#healthy = true;
      this.#schedule();
    });
    this.#client.connect().catch((error: unknown) => this.#failed(error));
  }

  /** Whether the connection is up now. */
  get ready(): boolean {
    return this.#client.isReady;
  }

  /** What was sent, failed, dropped and is waiting. */
  get counters(): RedisCounters {
    return { ...this.#counters, pending: this.#keys.size + this.#messages.length };
  }

  /**
   * Queues a latest price: `crypto:{source}:{product}:latest` and, unless a later price of
   * another market of the symbol is there, `crypto:{SYMBOL}:latest` (both with their TTL), and a
   * message on `crypto:prices`.
   *
   * @param price The latest price.
   */
  latest(price: LatestPrice): void {
    const json = JSON.stringify(latestPriceJson(price));
    this.#set(`crypto:${price.source}:${price.product}:latest`, json, this.#ttl);
    this.#set(`crypto:${price.symbol}:latest`, json, this.#ttl, price.eventTime);
    this.#publish("crypto:prices", json);
  }

  /**
   * Queues a candle: a message on `crypto:candles`, and
   * `crypto:{source}:{product}:candle:{interval}` unless a later window of that market and
   * interval was written already (a late revision of an old window is published but is not the
   * current candle).
   *
   * @param candle The candle, open or closed.
   */
  candle(candle: Candle): void {
    const json = JSON.stringify(candleJson(candle));
    const key = `crypto:${candle.source}:${candle.product}:candle:${candle.interval}`;
    const current = this.#windows.get(key);
    if (current === undefined || candle.windowStart >= current) {
      this.#windows.set(key, candle.windowStart);
      this.#set(key, json, null);
    }
    this.#publish("crypto:candles", json);
  }

  /** Queues an alert: a message on `crypto:alerts`. */
  alert(alert: Alert): void {
    this.#publish("crypto:alerts", JSON.stringify(alertJson(alert)));
  }

  /**
   * Resolves once everything queued so far has been sent or has failed (for tests and for a
   * clean stop); never rejects.
   *
   * @returns Resolves when nothing is being sent.
   */
  async flushed(): Promise<void> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    // What is being sent now, then what was queued meanwhile or came back from a failure.
    if (this.#flushing) await this.#flushing;
    await this.#flush();
  }

  /**
   * Checks that Redis answers, within the timeout.
   *
   * @returns Resolves when it does.
   * @throws {Error} When it is away or does not answer in time: one line naming the address.
   */
  async ping(): Promise<void> {
    if (!this.#client.isReady) throw new Error(`Redis at ${this.description} is unreachable`);
    await this.#within(this.#client.ping(), "ping");
  }

  /**
   * Sends what is queued (while Redis is up, for at most the timeout), then closes the
   * connection. Never hangs and never rejects; closing twice is harmless.
   *
   * @returns Resolves once closed.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#within(this.flushed(), "flush").catch(() => {});
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#counters.dropped += this.#messages.length;
    this.#messages = [];
    this.#keys.clear();
    try {
      if (this.#client.isOpen) await this.#within(this.#client.close(), "close");
    } catch {
      // Below: a connection that did not close in time is destroyed.
    } finally {
      if (this.#client.isOpen) this.#client.destroy();
    }
  }

  /**
   * Queues a key's value, replacing the one waiting; with an event time, only when it is not
   * older than the one waiting (and Redis compares it with the one there when it is sent).
   */
  #set(key: string, value: string, ttlSeconds: number | null, eventTime?: number): void {
    if (this.#closed) return;
    const pending = {
      value,
      ttlSeconds,
      eventTime: eventTime === undefined ? null : new Date(eventTime).toISOString(),
    };
    if (!newer(this.#keys.get(this.#prefix + key), pending)) {
      this.#keys.set(this.#prefix + key, pending);
    }
    this.#schedule();
  }

  #publish(channel: string, message: string): void {
    if (this.#closed) {
      this.#counters.dropped++;
      return;
    }
    this.#messages.push({ channel: this.#prefix + channel, message });
    if (this.#messages.length > this.#maxQueue) {
      this.#messages.splice(0, this.#messages.length - this.#maxQueue);
      this.#counters.dropped++;
    }
    this.#schedule();
  }

  /** Sends soon, together with whatever else is queued in the same turn (or after a pause). */
  #schedule(delayMs = 0): void {
    if (this.#closed || this.#timer !== null || this.#flushing || !this.#client.isReady) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#flush();
    }, delayMs);
  }

  /** Sends everything queued in one pipeline; what fails is queued again, unless replaced. */
  #flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    if (!this.#client.isReady || this.counters.pending === 0) return Promise.resolve();
    const keys = this.#keys;
    const messages = this.#messages;
    this.#keys = new Map();
    this.#messages = [];
    const pipeline = this.#client.multi();
    for (const [key, { value, ttlSeconds, eventTime }] of keys) {
      if (eventTime !== null) {
        pipeline.eval(SET_UNLESS_NEWER, {
          keys: [key],
          arguments: [value, eventTime, String(ttlSeconds ?? 0)],
        });
      } else if (ttlSeconds === null) pipeline.set(key, value);
      else pipeline.set(key, value, { expiration: { type: "EX", value: ttlSeconds } });
    }
    for (const { channel, message } of messages) pipeline.publish(channel, message);
    let failed = false;
    this.#flushing = this.#within(pipeline.execAsPipeline(), "send")
      .then(() => {
        this.#counters.sent += keys.size + messages.length;
      })
      .catch((error: unknown) => {
        failed = true;
        this.#failed(error);
        for (const [key, pending] of keys) {
          const queued = this.#keys.get(key);
          if (queued === undefined || newer(pending, queued)) this.#keys.set(key, pending);
        }
        this.#messages = [...messages, ...this.#messages];
        const over = this.#messages.length - this.#maxQueue;
        if (over > 0) {
          this.#messages.splice(0, over);
          this.#counters.dropped += over;
        }
      })
      .finally(() => {
        this.#flushing = null;
        // After a failure on a connection that is still up, a pause rather than a busy loop.
        if (this.counters.pending > 0) this.#schedule(failed ? FAILED_FLUSH_PAUSE_MS : 0);
      });
    return this.#flushing;
  }

  /** Counts a failure, and logs the first of an outage. */
  #failed(error: unknown): void {
    this.#counters.errors++;
    if (!this.#healthy || this.#closed) return;
    this.#healthy = false;
    logger.warn(
      "Redis at {redis} is unreachable; prices and candles still reach the store, Redis is retried in the background: {error}",
      { redis: this.description, error: error instanceof Error ? error.message : String(error) },
    );
  }

  /** A promise bounded by the timeout; `what` names it in the error when time runs out. */
  #within<T>(promise: Promise<T>, what: string): Promise<T> {
    return deadline(promise, this.#timeoutMs).catch((error: unknown) => {
      if (!(error instanceof DeadlineError)) throw error;
      throw new Error(
        `Redis at ${this.description}: no answer to ${what} within ${this.#timeoutMs} ms`,
        { cause: error },
      );
    });
  }
}

/** Whether a waiting value keeps its key against another: it has a later event time. */
function newer(kept: PendingKey | undefined, other: PendingKey): boolean {
  return kept?.eventTime != null && other.eventTime !== null && kept.eventTime > other.eventTime;
}
