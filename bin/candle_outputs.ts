/**
 * Where written candles, latest prices and new alerts go besides the store: Redis (`REDIS_URL`),
 * the live stream of the HTTP server and, for alerts, the console. Neither may hold the pipeline
 * back: both only queue.
 *
 * @module
 */
import type { AlertConfig } from "../config/alerts.ts";
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
  /** `json`: each alert's JSON on its line; `line`: SPEC §10's line. */
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

/**
 * The start-up line about alerts.
 *
 * @param alerts The alert configuration, or null when off.
 * @returns `Alerts: move ≥ 5%, anomaly |z| > 4 (half-life 30 candles), topic crypto-alerts`, or
 * `Alerts: off`.
 */
export function describeAlerts(alerts: AlertConfig | null): string {
  if (!alerts) return "Alerts: off";
  const { movePct, zscore, halflife } = alerts.rules;
  return `Alerts: move ≥ ${movePct}%, anomaly |z| > ${zscore} (half-life ${halflife} candles), topic ${alerts.topic}`;
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
