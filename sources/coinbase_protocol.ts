/**
 * The Coinbase Exchange WebSocket feed's messages, as far as the trade source needs them: the
 * `subscribe` request for the `matches` and `heartbeat` channels, and the frames that come back
 * (`subscriptions`, `match`, `last_match`, `heartbeat`, `error`), each checked field by field.
 * Pure: text in, values out.
 *
 * @module
 */
import { isPositive, parseObject, shown, timeOf } from "../market/messages/checks.ts";
import type { TradeMessage } from "../market/messages/trade_message.ts";

/** One trade as the feed sent it, checked. */
export interface FeedTrade {
  /** `BTC-USD`. */
  productId: string;
  /** The exchange's trade id. */
  tradeId: number;
  /** Finite and positive. */
  price: number;
  /** Finite and positive. */
  size: number;
  /**
   * Coinbase's `side`: the side of the resting (maker) order, so `sell` is a trade a buyer
   * initiated (the taker bought) and `buy` one a seller initiated.
   */
  side: "buy" | "sell";
  /** The trade's time as sent (ISO-8601, UTC, up to nanoseconds). */
  time: string;
  /** The trade's time, ms since the epoch. */
  timeMs: number;
  /** The message's sequence number, or null. */
  sequence: number | null;
  /** True for the `last_match` sent on subscribing (a trade that may have been seen before). */
  last: boolean;
}

/** What one frame of the feed is. */
export type FeedEvent =
  | { type: "trade"; trade: FeedTrade }
  | { type: "heartbeat"; productId: string; lastTradeId: number | null }
  | { type: "subscriptions"; products: string[] }
  | { type: "error"; message: string; reason: string }
  | { type: "ignored"; kind: string }
  | { type: "malformed"; reason: string };

/** The frames read no further than this: the feed's own are a few hundred bytes. */
export const MAX_FRAME_LENGTH = 65_536;

const PRODUCT_ID = /^[A-Z0-9]{1,15}-[A-Z0-9]{1,15}$/;
const DECIMAL = /^(\d{1,20})(\.\d{1,20})?$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/**
 * The request that subscribes to the trades and heartbeats of some products.
 *
 * @param products The product ids.
 * @returns The frame's text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { subscribeFrame } from "./coinbase_protocol.ts";
 * assert.equal(
 *   subscribeFrame(["BTC-USD"]),
 *   '{"type":"subscribe","product_ids":["BTC-USD"],"channels":["matches","heartbeat"]}',
 * );
 * ```
 */
export function subscribeFrame(products: readonly string[]): string {
  return JSON.stringify({
    type: "subscribe",
    product_ids: products,
    channels: ["matches", "heartbeat"],
  });
}

/**
 * The symbol of a product: its base currency.
 *
 * @param productId `BTC-USD`.
 * @returns `BTC`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { productSymbol } from "./coinbase_protocol.ts";
 * assert.equal(productSymbol("ETH-EUR"), "ETH");
 * ```
 */
export function productSymbol(productId: string): string {
  const dash = productId.indexOf("-");
  return dash < 0 ? productId : productId.slice(0, dash);
}

/** A price or size: a decimal string (the feed's form) or a number, finite and positive. */
function positiveAmount(value: unknown): number | null {
  let number: number;
  if (typeof value === "string") {
    if (!DECIMAL.test(value)) return null;
    number = Number(value);
  } else if (typeof value === "number") number = value;
  else return null;
  return isPositive(number) ? number : null;
}

/** Checks a `match` or `last_match`; the reason when it does not hold. */
function matchOf(v: Record<string, unknown>, last: boolean): FeedEvent {
  const productId = v.product_id;
  if (typeof productId !== "string" || !PRODUCT_ID.test(productId)) {
    return { type: "malformed", reason: `${v.type} with product_id ${shown(productId)}` };
  }
  const bad = (field: string) => ({
    type: "malformed" as const,
    reason: `${v.type} of ${productId} with ${field} ${shown(v[field])}`,
  });
  const tradeId = v.trade_id;
  if (typeof tradeId !== "number" || !Number.isSafeInteger(tradeId) || tradeId < 0) {
    return bad("trade_id");
  }
  const price = positiveAmount(v.price);
  if (price === null) return bad("price");
  const size = positiveAmount(v.size);
  if (size === null) return bad("size");
  if (v.side !== "buy" && v.side !== "sell") return bad("side");
  const time = v.time;
  const timeMs = typeof time === "string" && TIME.test(time) ? timeOf(time) : null;
  if (typeof time !== "string" || timeMs === null) return bad("time");
  const sequence = v.sequence;
  if (sequence !== undefined && sequence !== null && !Number.isSafeInteger(sequence)) {
    return bad("sequence");
  }
  return {
    type: "trade",
    trade: {
      productId,
      tradeId,
      price,
      size,
      side: v.side,
      time,
      timeMs,
      sequence: typeof sequence === "number" ? sequence : null,
      last,
    },
  };
}

/**
 * Reads one frame of the feed.
 *
 * @param data The frame: text (a binary frame is malformed).
 * @returns What it is; a frame that is not what the feed sends is `malformed`, with the reason.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFeedFrame } from "./coinbase_protocol.ts";
 * const event = parseFeedFrame(JSON.stringify({
 *   type: "match", trade_id: 7, side: "buy", size: "0.5", price: "100.25", product_id: "BTC-USD",
 *   sequence: 9, time: "2025-01-01T00:00:00.123456Z",
 * }));
 * assert.equal(event.type === "trade" ? event.trade.price : event.type, 100.25);
 * ```
 */
export function parseFeedFrame(data: unknown): FeedEvent {
  if (typeof data !== "string") return { type: "malformed", reason: "a binary frame" };
  if (data.length > MAX_FRAME_LENGTH) {
    return { type: "malformed", reason: `a frame of ${data.length} characters` };
  }
  const parsed = parseObject(data);
  if (!parsed.ok) {
    return {
      type: "malformed",
      reason: parsed.json
        ? `not a JSON object: ${shown(parsed.value)}`
        : `not JSON: ${shown(data)}`,
    };
  }
  const v = parsed.fields;
  switch (v.type) {
    case "match":
      return matchOf(v, false);
    case "last_match":
      return matchOf(v, true);
    case "heartbeat": {
      const productId = v.product_id;
      if (typeof productId !== "string" || !PRODUCT_ID.test(productId)) {
        return { type: "malformed", reason: `heartbeat with product_id ${shown(productId)}` };
      }
      const lastTradeId = Number.isSafeInteger(v.last_trade_id) ? v.last_trade_id as number : null;
      return { type: "heartbeat", productId, lastTradeId };
    }
    case "subscriptions": {
      const channels = Array.isArray(v.channels) ? v.channels : [];
      const matches = channels.find((c) =>
        typeof c === "object" && c !== null && (c as Record<string, unknown>).name === "matches"
      ) as Record<string, unknown> | undefined;
      const ids = Array.isArray(matches?.product_ids) ? matches.product_ids : [];
      return { type: "subscriptions", products: ids.filter((p) => typeof p === "string") };
    }
    case "error":
      return {
        type: "error",
        message: typeof v.message === "string" ? v.message.slice(0, 200) : "error",
        reason: typeof v.reason === "string" ? v.reason.slice(0, 200) : "",
      };
    default:
      return typeof v.type === "string"
        ? { type: "ignored", kind: v.type.slice(0, 40) }
        : { type: "malformed", reason: `no type: ${shown(v)}` };
  }
}

/**
 * The trade message (docs/trades.md) for a trade of the feed.
 *
 * @param trade The trade, checked.
 * @param receivedAt When its frame arrived (ISO-8601).
 * @returns The message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tradeMessage } from "./coinbase_protocol.ts";
 * const message = tradeMessage({ productId: "ETH-USD", tradeId: 1, price: 2, size: 3, side: "sell",
 *   time: "2025-01-01T00:00:00Z", timeMs: 1735689600000, sequence: null, last: false },
 *   "2025-01-01T00:00:00.004Z");
 * assert.deepEqual([message.symbol, message.source], ["ETH", "coinbase"]);
 * ```
 */
export function tradeMessage(trade: FeedTrade, receivedAt: string): TradeMessage {
  return {
    symbol: productSymbol(trade.productId),
    product_id: trade.productId,
    trade_id: trade.tradeId,
    price: trade.price,
    size: trade.size,
    side: trade.side,
    time: trade.time,
    sequence: trade.sequence,
    received_at: receivedAt,
    source: "coinbase",
  };
}

/**
 * Checks a trade given as the feed's fields (a REST trade with `type` and `product_id` added),
 * by the rules of the feed's `match`: the one conversion of prices, sizes and times.
 *
 * @param fields The fields.
 * @returns A `trade` event, or `malformed` with the reason.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkTrade } from "./coinbase_protocol.ts";
 * const event = checkTrade({ type: "trade", product_id: "BTC-USD", trade_id: 7, price: "100.25",
 *   size: "0.5", side: "sell", time: "2025-01-01T00:00:00.123456Z" });
 * assert.equal(event.type === "trade" ? event.trade.price : event.type, 100.25);
 * ```
 */
export function checkTrade(fields: Record<string, unknown>): FeedEvent {
  return matchOf(fields, false);
}
