/**
 * The alert message (docs/alerts.md), written once: topic `crypto-alerts` (and Redis
 * `crypto:alerts`, the HTTP API and the live stream, which show the same JSON), the market
 * `{source}:{product}` as key, the headers `content-type: application/json` and
 * `schema: crypto-alert/v1` (the record's Kafka timestamp is the time of writing, set by the
 * producer transport), and as value one JSON object of eleven fields, in this order:
 *
 * ```json
 * {"source":"coinbase","product":"BTC-EUR","symbol":"BTC","interval":"1m",
 *  "window_start":"2025-11-12T10:31:00.000Z","kind":"anomaly","direction":"up",
 *  "change_pct":6.12,"zscore":5.3,"price":48001,"created_at":"2025-11-12T10:32:00.000Z"}
 * ```
 *
 * The price is in the product's quote currency.
 *
 * @module
 */
import type { Alert, AlertDirection, AlertKind } from "../alert.ts";
import { type Interval, intervalMs, isInterval } from "../candle.ts";
import type { Source } from "../market.ts";
import {
  isFiniteNumber,
  isFiniteOrNull,
  isText,
  marketFields,
  MAX_SYMBOL_LENGTH,
  timeOf,
  valueFields,
} from "./checks.ts";
import type { Decoded } from "./decoded.ts";
import type { EncodedRecord } from "./encoded_record.ts";

/** An alert as JSON: times ISO-8601 UTC; `zscore` null for a move alert. */
export interface AlertJson {
  source: Source;
  product: string;
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

/** The headers of every alert record. */
export const ALERT_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "application/json",
  "schema": "crypto-alert/v1",
};

/**
 * The JSON form of an alert.
 *
 * @param alert The alert.
 * @returns A plain object ready for `JSON.stringify`, fields in the message's order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { alertJson } from "./alert_message.ts";
 * const json = alertJson({
 *   source: "coinbase", product: "BTC-EUR", symbol: "BTC", interval: "1m",
 *   windowStart: Date.UTC(2025, 10, 12, 10, 31), kind: "move", direction: "up", changePct: 6.12,
 *   zscore: null, price: 48001, createdAt: Date.UTC(2025, 10, 12, 10, 32),
 * });
 * assert.equal(json.window_start, "2025-11-12T10:31:00.000Z");
 * ```
 */
export function alertJson(alert: Alert): AlertJson {
  return {
    source: alert.source,
    product: alert.product,
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

/**
 * Encodes an alert as its record; each record gets its own headers object.
 *
 * @param alert The alert.
 * @returns Key (`{source}:{product}`), JSON value, headers and timestamp: the event time of the
 *   candle that raised it, its window's end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeAlert } from "./alert_message.ts";
 * const encoded = encodeAlert({
 *   source: "coingecko", product: "BTC-USD", symbol: "BTC", interval: "1m", windowStart: 0,
 *   kind: "move", direction: "up", changePct: 6, zscore: null, price: 1, createdAt: 61_000,
 * });
 * assert.deepEqual([encoded.key, encoded.timestamp], ["coingecko:BTC-USD", 60000]);
 * ```
 */
export function encodeAlert(alert: Alert): EncodedRecord & { value: string } {
  return {
    key: `${alert.source}:${alert.product}`,
    value: JSON.stringify(alertJson(alert)),
    headers: { ...ALERT_HEADERS },
    timestamp: alert.windowStart + intervalMs(alert.interval),
  };
}

/**
 * Decodes and checks an alert message. Its market must be one (`source` a source, `product`
 * `BASE-QUOTE` of the `symbol`); its numbers need only be finite: a reader shows what the
 * pipeline wrote.
 *
 * @param _key The record's key (not checked).
 * @param value The JSON value, or null.
 * @param _headers The record's headers (not checked).
 * @returns The alert, or the reason it does not match (one short line).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeAlert } from "./alert_message.ts";
 * const value = JSON.stringify({
 *   source: "coingecko", product: "BTC-USD", symbol: "BTC", interval: "1m", kind: "spike",
 * });
 * const decoded = decodeAlert(null, value, {});
 * assert.equal(decoded.ok ? "ok" : decoded.reason, "window_start is not an ISO-8601 time");
 * ```
 */
export function decodeAlert(
  _key: string | null,
  value: string | null,
  _headers: Readonly<Record<string, string>>,
): Decoded<Alert> {
  const fields = valueFields(value);
  if (!fields.ok) return fields;
  const f = fields.message;
  if (!isText(f.symbol, MAX_SYMBOL_LENGTH)) {
    return { ok: false, reason: `symbol is not 1-${MAX_SYMBOL_LENGTH} characters` };
  }
  const market = marketFields(f);
  if (!market.ok) return market;
  if (typeof f.interval !== "string" || !isInterval(f.interval)) {
    return { ok: false, reason: "interval is not an interval" };
  }
  const windowStart = timeOf(f.window_start);
  if (windowStart === null) return { ok: false, reason: "window_start is not an ISO-8601 time" };
  const createdAt = timeOf(f.created_at);
  if (createdAt === null) return { ok: false, reason: "created_at is not an ISO-8601 time" };
  if (f.kind !== "move" && f.kind !== "anomaly") {
    return { ok: false, reason: "kind is not move or anomaly" };
  }
  if (f.direction !== "up" && f.direction !== "down") {
    return { ok: false, reason: "direction is not up or down" };
  }
  if (!isFiniteNumber(f.change_pct)) {
    return { ok: false, reason: "change_pct is not a finite number" };
  }
  const zscore = f.zscore ?? null;
  if (!isFiniteOrNull(zscore)) {
    return { ok: false, reason: "zscore is not a finite number or null" };
  }
  if (!isFiniteNumber(f.price)) return { ok: false, reason: "price is not a finite number" };
  return {
    ok: true,
    message: {
      source: market.message.source,
      product: market.message.product,
      symbol: f.symbol,
      interval: f.interval,
      windowStart,
      kind: f.kind,
      direction: f.direction,
      changePct: f.change_pct,
      zscore,
      price: f.price,
      createdAt,
    },
  };
}
