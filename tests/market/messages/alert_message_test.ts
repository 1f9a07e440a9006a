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

Deno.test("encodeAlert() writes the alert's exact JSON and the crypto-alert/v1 headers", () => {
  const encoded = encodeAlert(ALERT);
  assert.equal(
    encoded.value,
    '{"source":"coinbase","product":"BTC-EUR","symbol":"BTC","interval":"5m",' +
      '"window_start":"2025-11-12T10:30:00.000Z","kind":"anomaly","direction":"down",' +
      '"change_pct":-6.12,"zscore":-5.3,"price":48001,"created_at":"2025-11-12T10:36:00.000Z"}',
  );
  assert.deepEqual(encoded.headers, {
    "content-type": "application/json",
    "schema": "crypto-alert/v1",
  });
  assert.deepEqual(ALERT_HEADERS, {
    "content-type": "application/json",
    "schema": "crypto-alert/v1",
  });
});

Deno.test("decodeAlert() reads an upward move as well as a downward anomaly", () => {
  const up: Alert = { ...ALERT, kind: "move", direction: "up", changePct: 6.12, zscore: null };
  const value = '{"source":"coinbase","product":"BTC-EUR","symbol":"BTC","interval":"5m",' +
    '"window_start":"2025-11-12T10:30:00.000Z","kind":"move","direction":"up",' +
    '"change_pct":6.12,"zscore":null,"price":48001,"created_at":"2025-11-12T10:36:00.000Z"}';
  assert.deepEqual(decodeAlert(null, value, {}), { ok: true, message: up });
});

Deno.test("decodeAlert() refuses an empty value, a symbol past 64 characters, an unknown interval and a change that is not a number", () => {
  const value = (changes: Record<string, unknown>) =>
    JSON.stringify({ ...alertJson(ALERT), ...changes });
  const cases: [string | null, string][] = [
    [null, "value is empty"],
    ["", "value is empty"],
    ["{", "value is not JSON"],
    ["[1]", "value is not a JSON object"],
    [value({ symbol: "B".repeat(65) }), "symbol is not 1-64 characters"],
    [value({ symbol: "" }), "symbol is not 1-64 characters"],
    [value({ symbol: undefined }), "symbol is not 1-64 characters"],
    [value({ interval: "2m" }), "interval is not an interval"],
    [value({ interval: 5 }), "interval is not an interval"],
    [value({ interval: undefined }), "interval is not an interval"],
    [value({ change_pct: "6.12" }), "change_pct is not a finite number"],
    [value({ change_pct: undefined }), "change_pct is not a finite number"],
  ];
  for (const [text, reason] of cases) {
    assert.deepEqual(decodeAlert(null, text, {}), { ok: false, reason }, String(text));
  }
});
