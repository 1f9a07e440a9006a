import assert from "node:assert/strict";
import type { Candle } from "../../market/candle.ts";
import { candleJson } from "../../market/messages/candle_message.ts";
import { formatCandle } from "../../report/candle_format.ts";

const START = Date.UTC(2025, 10, 12, 10, 30);

const TRADES: Candle = {
  source: "coinbase",
  product: "BTC-EUR",
  symbol: "BTC",
  quote: "EUR",
  interval: "1m",
  windowStart: START,
  windowEnd: START + 60_000,
  open: 45234.56,
  high: 45300,
  low: 45200.12,
  close: 45250,
  samples: 6,
  trades: 6,
  volume: 2,
  buyVolume: 1.25,
  sellVolume: 0.75,
  vwap: 45251.5,
  firstEvent: START + 5_000,
  lastEvent: START + 55_000,
  closed: true,
  revision: 0,
};

const PRICES: Candle = {
  ...TRADES,
  source: "coingecko",
  product: "BTC-USD",
  quote: "USD",
  volume: null,
  buyVolume: null,
  sellVolume: null,
  vwap: null,
};

Deno.test("formatCandle() names the market and shows a euro market's prices in euros, with its order flow", () => {
  assert.equal(
    formatCandle(TRADES, "line"),
    "Candle coinbase BTC-EUR 1m 2025-11-12T10:30:00Z O €45,234.56 H €45,300.00 L €45,200.12 C €45,250.00 (6 trades, buy 1.25 sell 0.75)",
  );
  assert.equal(
    formatCandle({ ...TRADES, trades: 1, samples: 1, revision: 2 }, "pretty"),
    "Candle coinbase BTC-EUR 1m 2025-11-12T10:30:00Z O €45,234.56 H €45,300.00 L €45,200.12 C €45,250.00 (1 trade, buy 1.25 sell 0.75, volume 2, VWAP €45,251.50, revision 2)",
  );
});

Deno.test("formatCandle() shows a candle of CoinGecko prices with its samples, in dollars", () => {
  assert.equal(
    formatCandle(PRICES, "line"),
    "Candle coingecko BTC-USD 1m 2025-11-12T10:30:00Z O $45,234.56 H $45,300.00 L $45,200.12 C $45,250.00 (6 samples)",
  );
  assert.equal(
    formatCandle({ ...PRICES, samples: 1, trades: 1 }, "pretty"),
    "Candle coingecko BTC-USD 1m 2025-11-12T10:30:00Z O $45,234.56 H $45,300.00 L $45,200.12 C $45,250.00 (1 sample)",
  );
});

Deno.test("formatCandle() shows another quote currency by its code, and JSON when asked", () => {
  const tether = { ...TRADES, product: "BTC-USDT", quote: "USDT" };
  assert.match(formatCandle(tether, "line"), / O 45,234\.56 USDT H 45,300\.00 USDT /);
  assert.deepEqual(JSON.parse(formatCandle(TRADES, "json")), candleJson(TRADES));
});
