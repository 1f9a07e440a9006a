/**
 * The markets the store knows, as the routes check them: asked of the store at most once a
 * `ttlMs`, and again at once when the live hub brings a market not known yet. It also answers
 * which market a route's `{market}` means (docs/api.md#markets): a product (`BTC-EUR`) or a
 * symbol (`BTC`), the latter being the symbol's market with the most recent price.
 *
 * @module
 */
import { marketKey, type Source } from "../market/market.ts";
import type { KnownMarket } from "../store/candle_store.ts";

/**
 * Orders a symbol's markets, the one a bare symbol means first: the latest price's event time,
 * newest first (a market with candles only comes last); then `coinbase` before `coingecko` (a
 * trade is a firmer price than a snapshot); then by product.
 *
 * @param a A market.
 * @param b Another.
 * @returns Negative when `a` comes first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { byPreference } from "./known_markets.ts";
 * const m = (source: "coinbase" | "coingecko", eventTime: number | null) => ({
 *   source, product: "BTC-USD", symbol: "BTC", quote: "USD", priceUsd: 1, eventTime, intervals: [],
 * });
 * assert.equal([m("coingecko", 5), m("coinbase", 5)].sort(byPreference)[0]!.source, "coinbase");
 * assert.equal([m("coinbase", 4), m("coingecko", 5)].sort(byPreference)[0]!.source, "coingecko");
 * ```
 */
export function byPreference(a: KnownMarket, b: KnownMarket): number {
  const at = a.eventTime ?? -Infinity;
  const bt = b.eventTime ?? -Infinity;
  if (at !== bt) return bt > at ? 1 : -1;
  if (a.source !== b.source) return a.source === "coinbase" ? -1 : 1;
  return a.product < b.product ? -1 : a.product > b.product ? 1 : 0;
}

/**
 * The markets a `{market}` text names among those known: those of that product, else those of
 * that symbol (exactly as known, or in upper case), the preferred first.
 *
 * @param raw The text, a product or a symbol.
 * @param markets The markets known.
 * @param source Only this source's, if given.
 * @returns The matching markets, best first; empty when none matches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matchMarkets } from "./known_markets.ts";
 * const m = (source: "coinbase" | "coingecko", product: string, eventTime: number) => ({
 *   source, product, symbol: product.split("-")[0]!, quote: product.split("-")[1]!, priceUsd: 1,
 *   eventTime, intervals: [],
 * });
 * const known = [m("coingecko", "BTC-USD", 9), m("coinbase", "BTC-EUR", 5)];
 * assert.equal(matchMarkets("btc", known, undefined)[0]!.product, "BTC-USD");
 * assert.equal(matchMarkets("BTC", known, "coinbase")[0]!.product, "BTC-EUR");
 * assert.equal(matchMarkets("BTC-GBP", known, undefined).length, 0);
 * ```
 */
export function matchMarkets(
  raw: string,
  markets: readonly KnownMarket[],
  source: Source | undefined,
): KnownMarket[] {
  const upper = raw.toUpperCase();
  const ofSource = source === undefined ? markets : markets.filter((m) => m.source === source);
  for (const field of ["product", "symbol"] as const) {
    for (const text of raw === upper ? [raw] : [raw, upper]) {
      const found = ofSource.filter((m) => m[field] === text);
      if (found.length > 0) return found.sort(byPreference);
    }
  }
  return [];
}

/**
 * A cached list of the store's markets.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KnownMarkets } from "./known_markets.ts";
 * const known = new KnownMarkets(() =>
 *   Promise.resolve([{
 *     source: "coinbase" as const, product: "BTC-EUR", symbol: "BTC", quote: "EUR",
 *     priceUsd: 1, eventTime: 0, intervals: ["1m" as const],
 *   }])
 * );
 * assert.equal((await known.get())[0]!.product, "BTC-EUR");
 * ```
 */
export class KnownMarkets {
  #load: () => Promise<KnownMarket[]>;
  #ttlMs: number;
  #now: () => number;
  #at = -Infinity;
  #current: Promise<readonly KnownMarket[]> | null = null;
  #keys: ReadonlySet<string> = new Set();

  /**
   * @param load Reads the markets from the store.
   * @param options How long a read is kept (@default {1000} ms; 0 reads every time) and the clock.
   */
  constructor(
    load: () => Promise<KnownMarket[]>,
    options: { ttlMs?: number; now?: () => number } = {},
  ) {
    this.#load = load;
    this.#ttlMs = options.ttlMs ?? 1000;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * The markets known.
   *
   * @returns The list, as last read.
   */
  get(): Promise<readonly KnownMarket[]> {
    const now = this.#now();
    if (this.#current !== null && now - this.#at < this.#ttlMs) return this.#current;
    this.#at = now;
    const current = this.#load().then((rows) => {
      this.#keys = new Set(rows.map(marketKey));
      return rows;
    });
    this.#current = current;
    current.catch(() => {
      if (this.#current === current) this.#current = null;
    });
    return current;
  }

  /**
   * Reads again on the next {@linkcode KnownMarkets.get} when the market is new.
   *
   * @param key A market key just seen, `coinbase:BTC-EUR`.
   */
  seen(key: string): void {
    if (!this.#keys.has(key)) this.#current = null;
  }
}
