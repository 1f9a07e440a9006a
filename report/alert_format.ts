/**
 * How an alert is shown on the console (docs/alerts.md).
 *
 * @module
 */
import type { Alert } from "../market/alert.ts";
import { alertJson } from "../market/messages/alert_message.ts";
import { productParts } from "../market/market.ts";
import { formatChange, formatPrice } from "./format.ts";

/**
 * The line of an alert: `ALERT coinbase BTC-EUR 1m 10:31Z up +6.12% (z 5.3) €48,001.00` — the
 * market (source and product), interval, the candle's window start (`HH:MMZ`, UTC; the date
 * `YYYY-MM-DD` for daily candles), direction, the close against the open, the z-score to one
 * decimal and the close, in the product's quote currency.
 *
 * A move alert has no z-score: its line leaves the `(z …)` part out,
 * `ALERT coinbase BTC-EUR 1m 10:31Z up +6.12% €48,001.00`, so a line with a z-score is an anomaly
 * and one without is a move.
 *
 * @param alert The alert.
 * @param format `json`: the alert's JSON ({@linkcode alertJson}) instead of the line.
 * @returns The line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatAlert } from "./alert_format.ts";
 * const alert = {
 *   source: "coinbase" as const, product: "BTC-EUR", symbol: "BTC", interval: "1m" as const,
 *   windowStart: Date.UTC(2025, 10, 12, 10, 31), kind: "anomaly" as const,
 *   direction: "up" as const, changePct: 6.1234, zscore: 5.31, price: 48001,
 *   createdAt: Date.UTC(2025, 10, 12, 10, 32),
 * };
 * assert.equal(
 *   formatAlert(alert),
 *   "ALERT coinbase BTC-EUR 1m 10:31Z up +6.12% (z 5.3) €48,001.00",
 * );
 * assert.equal(
 *   formatAlert({ ...alert, kind: "move", zscore: null }),
 *   "ALERT coinbase BTC-EUR 1m 10:31Z up +6.12% €48,001.00",
 * );
 * ```
 */
export function formatAlert(alert: Alert, format: "line" | "json" = "line"): string {
  if (format === "json") return JSON.stringify(alertJson(alert));
  const iso = new Date(alert.windowStart).toISOString();
  const when = alert.interval === "1d" ? iso.slice(0, 10) : `${iso.slice(11, 16)}Z`;
  const z = alert.zscore === null ? "" : ` (z ${alert.zscore.toFixed(1)})`;
  const quote = productParts(alert.product)?.quote ?? "USD";
  return `ALERT ${alert.source} ${alert.product} ${alert.interval} ${when} ${alert.direction} ${
    formatChange(alert.changePct)
  }${z} ${formatPrice(alert.price, quote)}`;
}
