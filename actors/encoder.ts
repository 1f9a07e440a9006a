/**
 * The Encoder: a price tick becomes the message of SPEC §4, keyed by symbol.
 *
 * @module
 */
import type { Actor } from "../runtime/actor.ts";
import type { EncodedPrice, PriceMessage, PriceTick } from "./price.ts";

/** The `producer_id` of every message. */
export const PRODUCER_ID = "deno-producer-v1";

/** The message headers. */
export const MESSAGE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "application/json",
  "schema": "crypto-price/v1",
};

/**
 * Hands out `message_id`s, `BTC-1699876545123`: the symbol and a millisecond stamp that never
 * repeats for a symbol within the process, so ids stay unique even for fetches in the same ms.
 */
export class MessageIds {
  #last: Map<string, number>;

  /** @param last The last stamp handed out per symbol, to carry on from (see {@linkcode snapshot}). */
  constructor(last: Iterable<readonly [string, number]> = []) {
    this.#last = new Map(last);
  }

  /** The last stamp handed out per symbol: a `MessageIds` made from it never repeats these ids. */
  snapshot(): [string, number][] {
    return [...this.#last];
  }

  /**
   * @param symbol The coin's symbol.
   * @param at The fetch time, milliseconds.
   * @returns A new id.
   */
  next(symbol: string, at: number): string {
    const stamp = Math.max(Math.trunc(at), (this.#last.get(symbol) ?? -1) + 1);
    this.#last.set(symbol, stamp);
    return `${symbol}-${stamp}`;
  }
}

/**
 * Encodes one tick as the topic's message.
 *
 * @param tick The price.
 * @param messageId Its unique id.
 * @returns Key, JSON value, headers and timestamp.
 *
 * @example
 * ```ts
 * import { encodePrice } from "./encoder.ts";
 * const encoded = encodePrice({ coinId: "bitcoin", symbol: "BTC", priceUsd: 1, volume24h: null,
 *   marketCap: null, change24h: null, lastUpdated: null, fetchedAt: 0, cycle: 1 }, "BTC-0");
 * console.log(encoded.key); // "BTC"
 * ```
 */
export function encodePrice(
  tick: PriceTick,
  messageId: string,
): EncodedPrice & { value: string } {
  const message: PriceMessage = {
    symbol: tick.symbol,
    coin_id: tick.coinId,
    price_usd: tick.priceUsd,
    volume_24h: tick.volume24h,
    market_cap: tick.marketCap,
    price_change_24h: tick.change24h,
    last_updated: tick.lastUpdated,
    timestamp: new Date(tick.fetchedAt).toISOString(),
    producer_id: PRODUCER_ID,
    message_id: messageId,
  };
  return {
    key: tick.symbol,
    value: JSON.stringify(message),
    headers: { ...MESSAGE_HEADERS },
    timestamp: tick.fetchedAt,
    tick,
  };
}

/**
 * Makes the Encoder actor.
 *
 * @param ids The id source, kept across restarts.
 * @returns The actor; it ends when its inbox is closed and drained.
 */
export function encoder(ids: MessageIds): Actor<PriceTick, EncodedPrice> {
  return async (inbox, outbox) => {
    for await (const tick of inbox) {
      await outbox.send(encodePrice(tick, ids.next(tick.symbol, tick.fetchedAt)));
    }
  };
}
