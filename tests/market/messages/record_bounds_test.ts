/**
 * The checks every record read must pass before it counts (docs/messages.md#what-every-record-is-checked-for):
 * symbol and product spelling, price and size bounds, event times between 2009-01-03 and a few
 * minutes ahead of the clock; each refusal names the field in one short line.
 */
import assert from "node:assert/strict";
import {
  decodePrice,
  isCanonicalPrice,
  type PriceMessage,
} from "../../../market/messages/price_message.ts";
import { decodeTrade, type TradeMessage } from "../../../market/messages/trade_message.ts";
import type { ReadTime } from "../../../market/messages/checks.ts";

const NOW = Date.parse("2026-01-01T00:00:00Z");
const READ: ReadTime = { now: NOW, maxAheadMs: 300_000 };

const PRICE: PriceMessage = {
  symbol: "BTC",
  coin_id: "bitcoin",
  price_usd: 45234.56,
  volume_24h: 28456789012.34,
  market_cap: 886543210987.65,
  price_change_24h: 2.34,
  last_updated: 1699876543,
  timestamp: "2025-11-12T10:30:45.123Z",
  producer_id: "deno-producer-v1",
  message_id: "BTC-1762943445123",
};

const TRADE: TradeMessage = {
  symbol: "BTC",
  product_id: "BTC-USD",
  trade_id: 7,
  price: 45234.56,
  size: 0.5,
  side: "buy",
  time: "2025-12-31T23:59:00.123456Z",
  sequence: 1,
  received_at: "2025-12-31T23:59:00.200Z",
  source: "coinbase",
};

/** A price with some fields changed, read at `read`; its key is its symbol when that is text. */
function price(changes: Record<string, unknown>, read = READ) {
  const value = JSON.stringify({ ...PRICE, ...changes });
  const key = typeof changes.symbol === "string" ? changes.symbol : PRICE.symbol;
  return {
    decoded: decodePrice(key, value, {}, read),
    canonical: isCanonicalPrice(value, key, read),
  };
}

/** The reason a price is refused, checked to be one short line naming `field`. */
function priceReason(changes: Record<string, unknown>, field: string, read = READ): string {
  const { decoded, canonical } = price(changes, read);
  assert.equal(decoded.ok, false, `accepted: ${JSON.stringify(changes).slice(0, 100)}`);
  assert.equal(canonical, false, "the fast path takes nothing the decoder refuses");
  const reason = decoded.ok ? "" : decoded.reason;
  assertShort(reason, field);
  return reason;
}

function trade(changes: Record<string, unknown>, read = READ) {
  const value = JSON.stringify({ ...TRADE, ...changes });
  const key = typeof changes.symbol === "string" ? changes.symbol : TRADE.symbol;
  return decodeTrade(key, value, {}, read);
}

function tradeReason(changes: Record<string, unknown>, field: string, read = READ): string {
  const decoded = trade(changes, read);
  assert.equal(decoded.ok, false, `accepted: ${JSON.stringify(changes).slice(0, 100)}`);
  const reason = decoded.ok ? "" : decoded.reason;
  assertShort(reason, field);
  return reason;
}

function assertShort(reason: string, field: string): void {
  assert.ok(reason.startsWith(field), `${JSON.stringify(reason)} does not start with ${field}`);
  assert.doesNotMatch(reason, /[\r\n]/);
  assert.ok(reason.length <= 160, `${reason.length} characters: ${reason}`);
}

Deno.test("a price's symbol is 1-15 upper-case letters and digits: markup, a newline, 2,000 characters, lower case are refused", () => {
  for (const symbol of ["<img src=x>", "BT\nC", "X".repeat(2_000), "btc", "BTC-USD", "", "ÄBC"]) {
    const reason = priceReason({ symbol }, "symbol");
    assert.match(reason, /1-15 upper-case letters and digits/);
  }
  assert.equal(price({ symbol: "X".repeat(15) }).decoded.ok, true);
  assert.equal(price({ symbol: "1INCH" }).canonical, true);
});

Deno.test("a price above 0 and below 1e12 is taken, however small; 0, 1e12 and 1e200 are refused", () => {
  for (const p of [1e-200, 5e-324, 0.000012345, 999_999_999_999.99]) {
    assert.equal(price({ price_usd: p }).decoded.ok, true, String(p));
  }
  for (const p of [0, -1, 1e12, 1e200]) {
    assert.match(priceReason({ price_usd: p }, "price_usd"), /positive number below 1e12/);
  }
});

Deno.test("a price's last_updated in milliseconds is refused, never rescaled, with the hint", () => {
  const reason = priceReason({ last_updated: 1.7e12 }, "last_updated");
  assert.equal(
    reason,
    "last_updated is 1700000000000, more than 300 s ahead of the clock (milliseconds? it is in seconds)",
  );
});

Deno.test("a price's event time is from 2009-01-03 to CANDLE_MAX_AHEAD ahead of the clock when read", () => {
  assert.match(priceReason({ last_updated: 4_102_444_800 }, "last_updated"), /300 s ahead/);
  assert.match(
    priceReason({ last_updated: Date.UTC(2009, 0, 2) / 1000 }, "last_updated"),
    /before 2009-01-03/,
  );
  assert.equal(price({ last_updated: Date.UTC(2009, 0, 3) / 1000 }).decoded.ok, true);
  assert.equal(price({ last_updated: (NOW + 300_000) / 1000 }).decoded.ok, true);
  assert.equal(price({ last_updated: (NOW + 300_000) / 1000 }).canonical, true);
  priceReason({ last_updated: (NOW + 301_000) / 1000 }, "last_updated");
  // With CANDLE_MAX_AHEAD=0, a second ahead is too far; with an hour, 10 minutes is fine.
  priceReason({ last_updated: NOW / 1000 + 1 }, "last_updated", { now: NOW, maxAheadMs: 0 });
  assert.equal(
    price({ last_updated: NOW / 1000 + 600 }, { now: NOW, maxAheadMs: 3_600_000 }).decoded.ok,
    true,
  );
});

Deno.test("a price without last_updated has its timestamp checked as its event time, strictly", () => {
  assert.match(
    priceReason({ last_updated: null, timestamp: "2100-01-01T00:00:00.000Z" }, "timestamp"),
    /ahead of the clock/,
  );
  assert.match(
    priceReason({ last_updated: null, timestamp: "2025-02-30T00:00:00.000Z" }, "timestamp"),
    /February 2025 has 28 days/,
  );
  assert.equal(price({ last_updated: null }).decoded.ok, true);
  assert.equal(price({ last_updated: null }).canonical, true);
  // With last_updated given, the timestamp is only the fetch time: any time it reads is taken.
  assert.equal(price({ timestamp: "2100-01-01T00:00:00.000Z" }).decoded.ok, true);
});

Deno.test("a trade's symbol and product are spelled as the exchange's, the product of that symbol", () => {
  for (const symbol of ["<img src=x>", "BT\nC", "X".repeat(2_000), "btc"]) {
    assert.equal(
      tradeReason({ symbol }, "symbol"),
      "symbol is not 1-15 upper-case letters and digits",
    );
  }
  assert.match(tradeReason({ product_id: "BTCUSD" }, "product_id"), /BASE-QUOTE/);
  assert.match(tradeReason({ product_id: "btc-usd" }, "product_id"), /BASE-QUOTE/);
  assert.match(tradeReason({ product_id: "<b>-USD" }, "product_id"), /BASE-QUOTE/);
  assert.equal(
    tradeReason({ product_id: "ETH-USD" }, "product_id"),
    'product_id "ETH-USD" is not a product of BTC',
  );
  assert.equal(trade({ product_id: "BTC-EUR" }).ok, true);
});

Deno.test("a trade's price and size are above 0 and below 1e12: 1e200, size 0 are refused; 1e-200 is taken", () => {
  assert.equal(tradeReason({ price: 1e200 }, "price"), "price is 1e+200, not below 1e12");
  assert.equal(tradeReason({ size: 1e200 }, "size"), "size is 1e+200, not below 1e12");
  assert.equal(tradeReason({ size: 0 }, "size"), "size is not a positive number");
  assert.equal(tradeReason({ price: -5 }, "price"), "price is not a positive number");
  assert.equal(trade({ price: 1e-200 }).ok, true);
  assert.equal(trade({ price: 999_999_999_999, size: 999_999_999_999 }).ok, true);
});

Deno.test("a trade's time must be a date that exists, from 2009-01-03 to CANDLE_MAX_AHEAD ahead", () => {
  assert.equal(
    tradeReason({ time: "2025-02-30T00:00:00Z" }, "time"),
    'time "2025-02-30T00:00:00Z" is not a date: February 2025 has 28 days',
  );
  assert.match(tradeReason({ time: "2025-13-01T00:00:00Z" }, "time"), /no month 13/);
  assert.match(tradeReason({ time: "2025-01-01T24:00:00Z" }, "time"), /hours go to 23/);
  assert.equal(tradeReason({ time: "Tuesday" }, "time"), "time is not an ISO-8601 time");
  assert.equal(tradeReason({ time: "2025-01-01" }, "time"), "time is not an ISO-8601 time");
  assert.match(tradeReason({ time: "2100-01-01T00:00:00Z" }, "time"), /300 s ahead of the clock/);
  assert.match(tradeReason({ time: "2008-12-31T23:59:59Z" }, "time"), /before 2009-01-03/);
  assert.equal(trade({ time: "2025-12-31T23:00:00+01:00" }).ok, true);
  assert.equal(trade({ time: "2026-01-01T00:05:00Z" }).ok, true);
  tradeReason({ time: "2026-01-01T00:05:01Z" }, "time");
});
