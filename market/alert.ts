/**
 * An alert (SPEC §10): a closed candle that moved a lot from its open, or whose return was far
 * from the symbol's recent ones.
 *
 * @module
 */
import type { Interval } from "./candle.ts";

/** What raised an alert: the close far from the open, or a return far from the recent ones. */
export type AlertKind = "move" | "anomaly";

/** Which way the price went. */
export type AlertDirection = "up" | "down";

/** One alert; unique per `(symbol, interval, windowStart, kind)`. Times are ms since the epoch. */
export interface Alert {
  /** The symbol. */
  symbol: string;
  /** The candle's interval. */
  interval: Interval;
  /** The candle's window start. */
  windowStart: number;
  /** What raised it. */
  kind: AlertKind;
  /** Which way the price went. */
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

/** An alert as JSON: SPEC §10's field names, times ISO-8601 UTC. */
export interface AlertJson {
  symbol: string;
  interval: Interval;
  window_start: string;
  kind: AlertKind;
  direction: AlertDirection;
  change_pct: number;
  zscore: number | null;
  price: number;
  created_at: string;
}

/**
 * The JSON form of an alert, for the alert topic, Redis `crypto:alerts` and the HTTP API.
 *
 * @param alert The alert.
 * @returns A plain object ready for `JSON.stringify`.
 *
 * @example
 * ```ts
 * import { alertJson } from "./alert.ts";
 * const json = alertJson({
 *   symbol: "BTC", interval: "1m", windowStart: Date.UTC(2025, 10, 12, 10, 31), kind: "move",
 *   direction: "up", changePct: 6.12, zscore: null, price: 48001, createdAt: Date.UTC(2025, 10, 12, 10, 32),
 * });
 * console.log(json.window_start); // "2025-11-12T10:31:00.000Z"
 * ```
 */
export function alertJson(alert: Alert): AlertJson {
  return {
    symbol: alert.symbol,
    interval: alert.interval,
    window_start: new Date(alert.windowStart).toISOString(),
    kind: alert.kind,
    direction: alert.direction,
    change_pct: alert.changePct,
    zscore: alert.zscore,
    price: alert.price,
    created_at: new Date(alert.createdAt).toISOString(),
  };
}
