import assert from "node:assert/strict";
import type { Alert } from "../../../market/alert.ts";
import {
  ALERT_HEADERS,
  alertJson,
  decodeAlert,
  encodeAlert,
} from "../../../market/messages/alert_message.ts";

const ALERT: Alert = {
  source: "coinbase",
  product: "BTC-EUR",
  symbol: "BTC",
  interval: "5m",
  windowStart: Date.UTC(2025, 10, 12, 10, 30),
  kind: "anomaly",
  direction: "down",
  changePct: -6.12,
  zscore: -5.3,
  price: 48001,
  createdAt: Date.UTC(2025, 10, 12, 10, 36),
};

Deno.test("encodeAlert() keys by market, stamps the candle's window end, and decodeAlert() reads it back", () => {
  const encoded = encodeAlert(ALERT);
  assert.equal(encoded.key, "coinbase:BTC-EUR");
  assert.deepEqual(Object.keys(JSON.parse(encoded.value)).slice(0, 4), [
    "source",
    "product",
    "symbol",
    "interval",
  ]);
  assert.equal(encoded.timestamp, ALERT.windowStart + 300_000);
  assert.deepEqual(encoded.headers, { ...ALERT_HEADERS });
  assert.equal(encoded.value, JSON.stringify(alertJson(ALERT)));
  assert.deepEqual(decodeAlert(encoded.key, encoded.value, encoded.headers), {
    ok: true,
    message: ALERT,
  });
  const move = { ...ALERT, kind: "move" as const, zscore: null };
  assert.deepEqual(decodeAlert(null, encodeAlert(move).value, {}), { ok: true, message: move });
});

Deno.test("decodeAlert() names the first field that does not match", () => {
  const value = (changes: Record<string, unknown>) =>
    JSON.stringify({ ...alertJson(ALERT), ...changes });
  const cases: [string, string][] = [
    [value({ source: "kraken" }), "source is not coingecko or coinbase"],
    [value({ product: null }), "product is not BASE-QUOTE of upper-case letters and digits"],
    [value({ symbol: "ETH" }), 'product "BTC-EUR" is not a product of ETH'],
    [value({ kind: "spike" }), "kind is not move or anomaly"],
    [value({ direction: 1 }), "direction is not up or down"],
    [value({ created_at: null }), "created_at is not an ISO-8601 time"],
    [value({ zscore: "5" }), "zscore is not a finite number or null"],
    [value({ price: null }), "price is not a finite number"],
  ];
  for (const [text, reason] of cases) {
    assert.deepEqual(decodeAlert(null, text, {}), { ok: false, reason }, text);
  }
});
