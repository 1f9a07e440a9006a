/**
 * Where written candles, latest prices and new alerts go besides the store: Redis (`REDIS_URL`),
 * the live stream of the HTTP server and, for alerts, the console. Neither may hold the pipeline
 * back: both only queue.
 *
 * @module
 */
import type { LiveHub } from "../http/live_hub.ts";
import type { Alert } from "../market/alert.ts";
import { formatAlert } from "../report/alert_format.ts";
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

/** The listeners of new alerts. */
export interface AlertTargets extends CandleTargets {
  /** Writes a console line, or null to print nothing. */
  print: ((line: string) => void) | null;
  /** `json`: each alert's JSON on its line; `line`: the alert's console line. */
  format: "line" | "json";
}

/**
 * Makes the Alerter's `onAlert`: each new alert is printed, and goes to the live hub and to
 * Redis `crypto:alerts`.
 *
 * @param targets The console, the hub and Redis.
 * @returns The listener.
 */
export function alertOutputs(targets: AlertTargets): (alert: Alert) => void {
  const { hub, redis, print, format } = targets;
  return (alert) => {
    print?.(formatAlert(alert, format));
    hub?.publish({ type: "alert", alert });
    redis?.alert(alert);
  };
}
