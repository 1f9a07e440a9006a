/**
 * An alert (docs/alerts.md): a closed candle that moved a lot from its open, or whose return was far
 * from the market's recent ones.
 *
 * @module
 */
import type { Interval } from "./candle.ts";
import type { Source } from "./market.ts";

/** What raised an alert: the close far from the open, or a return far from the recent ones. */
export type AlertKind = "move" | "anomaly";

/** Which way the price went. */
export type AlertDirection = "up" | "down";

/** One alert; unique per `(source, product, interval, windowStart, kind)`. Times are ms since the epoch. */
export interface Alert {
  /** The candle's market's source. */
  source: Source;
  /** The candle's market's product, `BTC-EUR`. */
  product: string;
  /** The product's base currency, `BTC`. */
  symbol: string;
  /** The candle's interval. */
  interval: Interval;
  /** The candle's window start. */
  windowStart: number;
  kind: AlertKind;
  direction: AlertDirection;
  /** The candle's close against its open, in percent. */
  changePct: number;
  /** How many standard deviations the return was from the mean, or null for a move alert. */
  zscore: number | null;
  /** The candle's close. */
  price: number;
  /** When the alert was raised. */
  createdAt: number;
}

// Kept for store/redis.ts, which imports it from here; new code imports messages/alert_message.ts.
