/**
 * An observation: one price of one market at one event time, what a candle is folded from. A
 * price snapshot (docs/messages.md) and a trade (docs/trades.md) are both observations; each has an identity, so
 * that a repeated one is recognised and counted once.
 *
 * @module
 */
import type { Source } from "./market.ts";
import type { PriceMessage } from "./messages/price_message.ts";

/** One observation of a market's price. */
export interface Observation {
  /** The market's source. */
  source: Source;
  /** The market's product, `BTC-EUR` (`{symbol}-USD` for a CoinGecko price). */
  product: string;
  /** The event time, ms since the epoch. */
  time: number;
  price: number;
  /** The traded size, for a trade; null for a price snapshot. */
  size: number | null;
  /**
   * Who initiated the trade: `buy` when the taker bought (Coinbase's maker `side` is `sell`),
   * `sell` when the taker sold; null for a price snapshot.
   */
  taker: "buy" | "sell" | null;
  /**
   * The identity within the market: the event time for a price snapshot (a snapshot repeated with
   * the same `last_updated` is the same observation), `-(trade_id + 1)` for a trade.
   */
  id: number;
}

/**
 * A price message's event time: its `last_updated` (CoinGecko's time of the price, in seconds,
 * to the nearest millisecond), or when that is null, its `timestamp`.
 *
 * @param message The message, as `decodePrice` accepts it.
 * @returns Milliseconds since the epoch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { priceEventTime } from "./observation.ts";
 * const message = { last_updated: 1699876543, timestamp: "2023-11-13T11:55:45.123Z" };
 * assert.equal(priceEventTime(message), 1699876543000);
 * ```
 */
export function priceEventTime(message: Pick<PriceMessage, "last_updated" | "timestamp">): number {
  return message.last_updated === null
    ? Date.parse(message.timestamp)
    : Math.round(message.last_updated * 1000);
}

/**
 * The observation a price message makes.
 *
 * @param message The message, as `decodePrice` accepts it.
 * @returns The observation, identified by its event time.
 */
export function priceObservation(message: PriceMessage): Observation {
  const time = priceEventTime(message);
  return {
    source: "coingecko",
    product: `${message.symbol}-USD`,
    time,
    price: message.price_usd,
    size: null,
    taker: null,
    id: time,
  };
}

/**
 * The identity of a trade within its market.
 *
 * @param tradeId The exchange's trade id (a whole number, 0 or more).
 * @returns A negative number, apart from every price snapshot's identity.
 */
export function tradeIdentity(tradeId: number): number {
  return -(tradeId + 1);
}
