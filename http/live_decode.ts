/**
 * Reads the live messages other processes publish (Redis `crypto:prices`, `crypto:candles`,
 * `crypto:alerts`; Kafka `crypto-prices`, `crypto-candles`) into {@linkcode LiveEvent}s for the
 * hub, with the message decoders of `market/messages/`. Anything that does not match is
 * refused (null), never passed on.
 *
 * A message that names no market (a price message of the price topic, or a message of a process
 * of the earlier version, before markets) is read as of the market it then came from: a price
 * or an alert of `coingecko` / `{symbol}-USD`, a candle of `coinbase` / `{symbol}-USD` when it
 * has a volume (it was made of trades), else of `coingecko` (docs/api.md#live-stream).
 *
 * @module
 */
import { decodeAlert } from "../market/messages/alert_message.ts";
import { decodeCandle } from "../market/messages/candle_message.ts";
import { decodeLatestPrice } from "../market/messages/latest_price_message.ts";
import type { LiveEvent } from "./live_hub.ts";

const NO_HEADERS: Readonly<Record<string, string>> = {};

/**
 * The message with its market named when it names none (see the module's note); any other text
 * as it is, for the decoder to judge.
 */
function withMarket(kind: "price" | "candle" | "alert", text: string): string {
  if (text.includes('"source"')) return text;
  let fields: unknown;
  try {
    fields = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) return text;
  const f = fields as Record<string, unknown>;
  if (typeof f.symbol !== "string" || f.product !== undefined) return text;
  const trades = kind === "candle" && typeof f.volume === "number";
  return JSON.stringify({
    source: trades ? "coinbase" : "coingecko",
    product: `${f.symbol}-USD`,
    quote: "USD",
    ...(kind === "candle" && f.trades === undefined ? { trades: f.samples } : {}),
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
 * import { decodeLiveMessage } from "./live_decode.ts";
 * const event = decodeLiveMessage("price", '{"symbol":"BTC","price_usd":45234.56,"event_time":"2025-11-12T10:30:45Z"}');
 * console.log(event?.type === "price" && event.price.source); // "coingecko"
 * console.log(decodeLiveMessage("price", "<html>")); // null
 * ```
 */
export function decodeLiveMessage(
  kind: "price" | "candle" | "alert",
  text: string,
): LiveEvent | null {
  text = withMarket(kind, text);
  switch (kind) {
    case "price": {
      const decoded = decodeLatestPrice(null, text, NO_HEADERS);
      return decoded.ok ? { type: "price", price: decoded.message } : null;
    }
    case "candle": {
      const decoded = decodeCandle(null, text, NO_HEADERS);
      return decoded.ok ? { type: "candle", candle: decoded.message } : null;
    }
    case "alert": {
      const decoded = decodeAlert(null, text, NO_HEADERS);
      return decoded.ok ? { type: "alert", alert: decoded.message } : null;
    }
  }
}
