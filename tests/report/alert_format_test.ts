import assert from "node:assert/strict";
import type { Alert } from "../../market/alert.ts";
import { alertJson } from "../../market/messages/alert_message.ts";
import { formatAlert } from "../../report/alert_format.ts";

const anomaly: Alert = {
  source: "coingecko",
  product: "BTC-USD",
  symbol: "BTC",
  interval: "1m",
  windowStart: Date.UTC(2025, 10, 12, 10, 31),
  kind: "anomaly",
  direction: "up",
  changePct: 6.1234,
  zscore: 5.3125,
  price: 48_001,
  createdAt: Date.UTC(2025, 10, 12, 10, 32, 11),
};

Deno.test("formatAlert() prints the alert line of docs/alerts.md", () => {
  assert.equal(
    formatAlert(anomaly),
    "ALERT coingecko BTC-USD 1m 10:31Z up +6.12% (z 5.3) $48,001.00",
  );
  assert.equal(
    formatAlert({ ...anomaly, direction: "down", changePct: -0.4, zscore: -7.25, price: 0.5 }),
    "ALERT coingecko BTC-USD 1m 10:31Z down -0.40% (z -7.3) $0.50",
  );
});

Deno.test("formatAlert() names the market and shows the price in its quote currency", () => {
  const euro = { ...anomaly, source: "coinbase" as const, product: "BTC-EUR" };
  assert.equal(formatAlert(euro), "ALERT coinbase BTC-EUR 1m 10:31Z up +6.12% (z 5.3) €48,001.00");
  assert.equal(
    formatAlert({ ...euro, product: "BTC-USDT" }),
    "ALERT coinbase BTC-USDT 1m 10:31Z up +6.12% (z 5.3) 48,001.00 USDT",
  );
});

Deno.test("formatAlert() leaves the z-score out of a move alert's line", () => {
  assert.equal(
    formatAlert({ ...anomaly, kind: "move", zscore: null }),
    "ALERT coingecko BTC-USD 1m 10:31Z up +6.12% $48,001.00",
  );
});

Deno.test("formatAlert() shows a daily candle's date, and JSON when asked", () => {
  const daily = { ...anomaly, interval: "1d" as const, windowStart: Date.UTC(2025, 10, 12) };
  assert.equal(
    formatAlert(daily),
    "ALERT coingecko BTC-USD 1d 2025-11-12 up +6.12% (z 5.3) $48,001.00",
  );
  assert.deepEqual(JSON.parse(formatAlert(anomaly, "json")), alertJson(anomaly));
});
