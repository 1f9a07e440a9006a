/**
 * The trade message (docs/trades.md), written once: topic `crypto-trades`, the symbol (the
 * product's base currency) as key, the headers `content-type: application/json` and
 * `schema: crypto-trade/v1`, and as value one JSON object of ten fields, in this order:
 *
 * ```json
 * {"symbol":"BTC","product_id":"BTC-USD","trade_id":7,"price":45234.56,"size":0.5,"side":"buy",
 *  "time":"2025-01-01T00:00:00.123456Z","sequence":9,"received_at":"2025-01-01T00:00:00.130Z",
 *  "source":"coinbase"}
 * ```
 *
 * @module
 */
import {
  eventTimeProblem,
  isAmount,
  isFiniteOrNull,
  isoInstant,
  isPositive,
  isProduct,
  isTime,
  type ReadTime,
  shown,
  valueFields,
} from "./checks.ts";
import type { Decoded, NotUtf8 } from "./decoded.ts";
import type { EncodedRecord } from "./encoded_record.ts";

/** The value of a trade message; numbers are JSON numbers. */
export interface TradeMessage {
  /** The product's base currency, the record key: `BTC` for `BTC-USD` (1-15 of `A-Z 0-9`). */
  symbol: string;
  /** The exchange's product, `BTC-USD`. */
  product_id: string;
  /** The exchange's trade id, increasing per product. */
  trade_id: number;
  /** The price, in the quote currency: above 0 and below 1e12. */
  price: number;
  /** The size, in the base currency: above 0 and below 1e12. */
  size: number;
  /**
   * Coinbase's `side`, as the feed gives it: the side of the resting (maker) order. So `"sell"`
   * is a buyer-initiated trade (the taker bought: buy volume) and `"buy"` a seller-initiated one
   * (sell volume); see {@linkcode takerSide}.
   */
  side: "buy" | "sell";
  /**
   * The trade's time as the exchange gave it (ISO-8601, UTC): its event time, from 2009-01-03 to
   * a few minutes ahead of the clock when read.
   */
  time: string;
  /** The exchange's sequence number of the message, or null when it gave none. */
  sequence: number | null;
  /** When the program received it (ISO-8601, UTC). */
  received_at: string;
  /** Where it came from: `coinbase`. */
  source: string;
}

/** The headers of every trade record. */
export const TRADE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "application/json",
  "schema": "crypto-trade/v1",
};

/**
 * One headers object shared by every encoded trade (never changed), so that a Kafka client that
 * keeps the encoded form of a headers object encodes them once.
 */
const SHARED_HEADERS: Record<string, string> = { ...TRADE_HEADERS };

/** A trade encoded for the topic, with the message kept for reporting. */
export interface EncodedTrade extends EncodedRecord {
  value: string;
  /** One object shared by every trade: not to be changed. */
  headers: Record<string, string>;
  /** The trade's time, ms since the epoch. */
  timestamp: number;
  /** The message the value holds. */
  trade: TradeMessage;
}

/**
 * Encodes a trade as its record.
 *
 * @param trade The message.
 * @param timestamp The trade's time, ms, when the caller has it already. @default {Date.parse(trade.time)}
 * @returns Key, JSON value (fields in the message's order), headers and timestamp.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeTrade } from "./trade_message.ts";
 * const encoded = encodeTrade({
 *   symbol: "BTC", product_id: "BTC-USD", trade_id: 7, price: 1.5, size: 2, side: "buy",
 *   time: "2025-01-01T00:00:00.000Z", sequence: 1, received_at: "2025-01-01T00:00:00.010Z",
 *   source: "coinbase",
 * });
 * assert.deepEqual([encoded.key, encoded.value.slice(0, 16)], ["BTC", '{"symbol":"BTC",']);
 * ```
 */
export function encodeTrade(trade: TradeMessage, timestamp?: number): EncodedTrade {
  const message: TradeMessage = {
    symbol: trade.symbol,
    product_id: trade.product_id,
    trade_id: trade.trade_id,
    price: trade.price,
    size: trade.size,
    side: trade.side,
    time: trade.time,
    sequence: trade.sequence,
    received_at: trade.received_at,
    source: trade.source,
  };
  return {
    key: trade.symbol,
    value: JSON.stringify(message),
    headers: SHARED_HEADERS,
    timestamp: timestamp ?? Date.parse(trade.time),
    trade: message,
  };
}

const FIELDS = [
  "symbol",
  "product_id",
  "trade_id",
  "price",
  "size",
  "side",
  "time",
  "sequence",
  "received_at",
  "source",
];

/**
 * Decodes and checks a consumed trade record (docs/messages.md#what-every-record-is-checked-for):
 * every field's type, the symbol's and the product's spelling, price and size above 0 and below
 * 1e12, and the trade's time a real ISO-8601 time between 2009-01-03 and `read.maxAheadMs` after
 * `read.now`.
 *
 * @param key The record's key; a record without one is taken.
 * @param value The record's value, or null for a tombstone.
 * @param _headers The record's headers (not checked yet).
 * @param read When the record is read, which bounds its event time.
 * @param notUtf8 The parts whose bytes were not UTF-8. @default {[]}
 * @returns The trade, or the reason it does not match (one short line naming the field).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeTrade } from "./trade_message.ts";
 * const value = JSON.stringify({
 *   symbol: "BTC", product_id: "BTC-USD", trade_id: 7, price: 1.5, size: 2, side: "buy",
 *   time: "2025-01-01T00:00:00.000Z", sequence: 1, received_at: "2025-01-01T00:00:00.010Z",
 *   source: "coinbase",
 * });
 * const read = { now: Date.UTC(2025, 0, 2), maxAheadMs: 300_000 };
 * assert.equal(decodeTrade("BTC", value, {}, read).ok, true);
 * ```
 */
export function decodeTrade(
  key: string | null,
  value: string | null,
  _headers: Readonly<Record<string, string>>,
  read: ReadTime,
  notUtf8?: NotUtf8,
): Decoded<TradeMessage> {
  if (notUtf8 !== undefined && notUtf8.length > 0) {
    return { ok: false, reason: `${notUtf8.join(" and ")} not UTF-8` };
  }
  const fields = valueFields(value);
  if (!fields.ok) return fields;
  const v = fields.message;
  for (const field of FIELDS) {
    if (!(field in v)) {
      return { ok: false, reason: `missing ${FIELDS.filter((f) => !(f in v)).join(", ")}` };
    }
  }
  if (typeof v.symbol !== "string" || !/^[A-Z0-9]{1,15}$/.test(v.symbol)) {
    return { ok: false, reason: "symbol is not 1-15 upper-case letters and digits" };
  }
  if (key !== null && key !== v.symbol) {
    return { ok: false, reason: "key does not match symbol" };
  }
  if (typeof v.trade_id !== "number" || !Number.isSafeInteger(v.trade_id) || v.trade_id < 0) {
    return { ok: false, reason: "trade_id is not a whole number" };
  }
  for (const field of ["price", "size"] as const) {
    const amount = v[field];
    if (!isPositive(amount)) return { ok: false, reason: `${field} is not a positive number` };
    if (!isAmount(amount)) {
      return { ok: false, reason: `${field} is ${shown(amount)}, not below 1e12` };
    }
  }
  if (v.side !== "buy" && v.side !== "sell") {
    return { ok: false, reason: "side is not buy or sell" };
  }
  const time = isoInstant(v.time);
  if (!time.ok) {
    return {
      ok: false,
      reason: typeof v.time === "string" && time.why !== "not an ISO-8601 time"
        ? `time ${shown(v.time)} is not a date: ${time.why}`
        : "time is not an ISO-8601 time",
    };
  }
  const late = eventTimeProblem(time.ms, read);
  if (late !== null) return { ok: false, reason: `time ${shown(v.time)} is ${late}` };
  if (!isTime(v.received_at)) return { ok: false, reason: "received_at is not an ISO-8601 time" };
  if (!isFiniteOrNull(v.sequence)) return { ok: false, reason: "sequence is not a number" };
  if (typeof v.product_id !== "string" || typeof v.source !== "string") {
    return { ok: false, reason: "product_id or source is not text" };
  }
  if (!isProduct(v.product_id)) {
    return {
      ok: false,
      reason: `product_id ${
        shown(v.product_id)
      } is not BASE-QUOTE of upper-case letters and digits`,
    };
  }
  if (v.product_id.charCodeAt(v.symbol.length) !== 45 || !v.product_id.startsWith(v.symbol)) {
    return {
      ok: false,
      reason: `product_id ${shown(v.product_id)} is not a product of ${v.symbol}`,
    };
  }
  return { ok: true, message: v as unknown as TradeMessage };
}

/**
 * Who initiated a trade: the taker, whose side is the opposite of the maker's `side` that
 * Coinbase gives.
 *
 * @param side The trade message's `side` (the maker's).
 * @returns `buy` when the taker bought (maker `sell`), `sell` when the taker sold (maker `buy`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { takerSide } from "./trade_message.ts";
 * assert.deepEqual(takerSide("sell"), "buy");
 * assert.deepEqual(takerSide("buy"), "sell");
 * ```
 */
export function takerSide(side: TradeMessage["side"]): "buy" | "sell" {
  return side === "sell" ? "buy" : "sell";
}
