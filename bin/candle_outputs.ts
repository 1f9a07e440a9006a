/**
 * Where written candles and latest prices go besides the store: Redis (`REDIS_URL`) and the live
 * stream of the HTTP server. Neither may hold the pipeline back: both only queue.
 *
 * @module
 */
import type { LiveHub } from "../http/live_hub.ts";
import type { Flush } from "../market/candle_book.ts";
import type { RedisPublisher } from "../store/redis.ts";

/** The listeners of written candles. */
export interface CandleTargets {
  /** The HTTP server's live hub, or null. */
  hub: LiveHub | null;
  /** Redis, or null when off. */
  redis: RedisPublisher | null;
}

/**
 * Makes the CandleSink's `onWritten`: each latest price and each changed candle of a write goes
 * to the live hub and to Redis.
 *
 * @param targets The hub and Redis.
 * @returns The listener.
 */
export function candleOutputs(targets: CandleTargets): (flush: Flush) => void {
  const { hub, redis } = targets;
  return (flush) => {
    for (const price of flush.write.latest) {
      hub?.publish({ type: "price", price });
      redis?.latest(price);
    }
    for (const candle of flush.changed) {
      hub?.publish({ type: "candle", candle });
      redis?.candle(candle);
    }
  };
}

/**
 * The summary line of Redis.
 *
 * @param redis The publisher, or null.
 * @returns The line, or none when Redis is off.
 */
export function redisSummary(redis: RedisPublisher | null): string[] {
  if (!redis) return [];
  const { sent, errors, dropped } = redis.counters;
  return [`  Redis: ${sent} sent, ${errors} errors, ${dropped} dropped`];
}
