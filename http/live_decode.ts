/**
 * Reads the live messages other processes publish (Redis `crypto:prices`, `crypto:candles`,
 * `crypto:alerts`; Kafka `crypto-prices`, `crypto-candles`) into {@linkcode LiveEvent}s for the
 * hub, with the message decoders of `market/messages/`. Anything that does not match is
 * refused (null), never passed on.
 *
 * @module
 */
import { decodeAlert } from "../market/messages/alert_message.ts";
import { decodeCandle } from "../market/messages/candle_message.ts";
import { decodeLatestPrice } from "../market/messages/latest_price_message.ts";
import type { LiveEvent } from "./live_hub.ts";

const NO_HEADERS: Readonly<Record<string, string>> = {};

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
 * console.log(event?.type); // "price"
 * console.log(decodeLiveMessage("price", "<html>")); // null
 * ```
 */
export function decodeLiveMessage(
  kind: "price" | "candle" | "alert",
  text: string,
): LiveEvent | null {
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
