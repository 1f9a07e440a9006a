/**
 * The Encoder: a price tick becomes the message of SPEC §4, keyed by symbol.
 *
 * @module
 */
import type { Actor } from "../runtime/actor.ts";
import type { EncodedPrice, PriceMessage, PriceTick } from "../market/price.ts";

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
 * `Date.prototype.toISOString`, remembering the last second: prices come in time order, so most
 * calls only add the milliseconds.
 */
export class IsoTimes {
  #second = NaN;
  #prefix = "";

  /**
   * @param ms Milliseconds since the epoch.
   * @returns What `new Date(ms).toISOString()` returns.
   */
  format(ms: number): string {
    const t = Math.trunc(ms);
    const second = Math.floor(t / 1000);
    if (second !== this.#second || !(t >= 0)) {
      const iso = new Date(t).toISOString();
      // Only the four-digit years have the fixed "YYYY-MM-DDTHH:mm:ss.sssZ" form.
      if (iso.length !== 24 || !(t >= 0)) return iso;
      this.#second = second;
      this.#prefix = iso.slice(0, 20);
    }
    const millis = t - second * 1000;
    return `${this.#prefix}${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}Z`;
  }
}

const times = new IsoTimes();

/**
 * The message value of a tick: the JSON text of SPEC §4.
 *
 * @param tick The price.
 * @param messageId Its unique id.
 * @returns The JSON text.
 */
export function priceValue(tick: PriceTick, messageId: string): string {
  const message: PriceMessage = {
    symbol: tick.symbol,
    coin_id: tick.coinId,
    price_usd: tick.priceUsd,
    volume_24h: tick.volume24h,
    market_cap: tick.marketCap,
    price_change_24h: tick.change24h,
    last_updated: tick.lastUpdated,
    timestamp: times.format(tick.fetchedAt),
    producer_id: PRODUCER_ID,
    message_id: messageId,
  };
  return JSON.stringify(message);
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
  return {
    key: tick.symbol,
    value: priceValue(tick, messageId),
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
