/**
 * Reads the live messages other processes publish (Redis `crypto:prices`, `crypto:candles`,
 * `crypto:alerts`; Kafka `crypto-prices`, `crypto-candles`) into {@linkcode LiveEvent}s for the
 * hub, with the message decoders of `market/messages/`. Anything that does not match is
 * refused (null), never passed on.
 *
 * A candle or alert that names no market (from a process of the earlier version, before
 * markets) is read as of the market it then came from: an alert of `coingecko` /
 * `{symbol}-USD`; a candle of `coinbase` / `{symbol}-USD` when it has a volume (it was made of
 * trades), else of `coingecko`, its `trades` its `samples`. (A price message of the price topic
 * names no market either: the decoder reads it as CoinGecko's, `{symbol}-USD`.)
 *
 * @module
 */
import { decodeAlert } from "../market/messages/alert_message.ts";
import { decodeCandle } from "../market/messages/candle_message.ts";
import { decodeLatestPrice } from "../market/messages/latest_price_message.ts";
import { isSource, productParts } from "../market/market.ts";
import type { LiveEvent } from "./live_hub.ts";

const NO_HEADERS: Readonly<Record<string, string>> = {};

/** The candle or alert with its market named when it names none (see the module's note). */
function withMarket(kind: "price" | "candle" | "alert", text: string): string {
  if (kind === "price" || text.includes('"source"')) return text;
  let fields: unknown;
  try {
    fields = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) return text;
  const f = fields as Record<string, unknown>;
  if (typeof f.symbol !== "string" || f.product !== undefined) return text;
  const product = `${f.symbol}-USD`;
  if (productParts(product) === null) return text;
  if (kind === "alert") return JSON.stringify({ source: "coingecko", product, ...f });
  const trades = typeof f.volume === "number";
  return JSON.stringify({
    source: trades ? "coinbase" : "coingecko",
    product,
    quote: "USD",
    trades: f.samples,
    ...(trades ? {} : { buy_volume: null, sell_volume: null }),
    ...f,
  });
}

/**
 * Decodes one live message.
 *
 * @param kind What the channel or topic carries; a price is a latest price or a price message.
 * @param text The message, JSON.
 * @returns The event, or null when the message does not match.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeLiveMessage } from "./live_decode.ts";
 * const value = '{"symbol":"BTC","price_usd":45234.56,"event_time":"2025-11-12T10:30:45Z"}';
 * const event = decodeLiveMessage("price", value);
 * assert.equal(event?.type === "price" && event.price.source, "coingecko");
 * assert.equal(decodeLiveMessage("price", "<html>"), null);
 * ```
 */
export function decodeLiveMessage(
  kind: "price" | "candle" | "alert",
  text: string,
): LiveEvent | null {
  text = withMarket(kind, text);
  // The market is what the stream filters by: one of no known source is refused here too.
  const named = (m: { source: string; product: string }) =>
    isSource(m.source) && typeof m.product === "string";
  switch (kind) {
    case "price": {
      const decoded = decodeLatestPrice(null, text, NO_HEADERS);
      return decoded.ok && named(decoded.message)
        ? { type: "price", price: decoded.message }
        : null;
    }
    case "candle": {
      const decoded = decodeCandle(null, text, NO_HEADERS);
      return decoded.ok && named(decoded.message)
        ? { type: "candle", candle: decoded.message }
        : null;
    }
    case "alert": {
      const decoded = decodeAlert(null, text, NO_HEADERS);
      return decoded.ok && named(decoded.message)
        ? { type: "alert", alert: decoded.message }
        : null;
    }
  }
}
