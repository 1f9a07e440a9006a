/**
 * The symbols the store knows, as the routes check them: asked of the store at most once a
 * `ttlMs`, and again at once when the live hub brings a symbol not known yet.
 *
 * @module
 */
import type { KnownSymbol } from "../store/candle_store.ts";

/**
 * A cached set of the store's symbols.
 *
 * @example
 * ```ts
 * import { KnownSymbols } from "./known_symbols.ts";
 * const known = new KnownSymbols(() =>
 *   Promise.resolve([{ symbol: "BTC", priceUsd: 1, eventTime: 0 }])
 * );
 * console.log((await known.get()).has("BTC")); // true
 * ```
 */
export class KnownSymbols {
  #load: () => Promise<KnownSymbol[]>;
  #ttlMs: number;
  #now: () => number;
  #at = -Infinity;
  #current: Promise<ReadonlySet<string>> | null = null;
  #latest: ReadonlySet<string> = new Set();

  /**
   * @param load Reads the symbols from the store.
   * @param options How long a read is kept (@default {1000} ms; 0 reads every time) and the clock.
   */
  constructor(
    load: () => Promise<KnownSymbol[]>,
    options: { ttlMs?: number; now?: () => number } = {},
  ) {
    this.#load = load;
    this.#ttlMs = options.ttlMs ?? 1000;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * The symbols known.
   *
   * @returns The set, as last read.
   */
  get(): Promise<ReadonlySet<string>> {
    const now = this.#now();
    if (this.#current !== null && now - this.#at < this.#ttlMs) return this.#current;
    this.#at = now;
    const current = this.#load().then((rows) => {
      this.#latest = new Set(rows.map((r) => r.symbol));
      return this.#latest;
    });
    this.#current = current;
    current.catch(() => {
      if (this.#current === current) this.#current = null;
    });
    return current;
  }

  /**
   * Reads again on the next {@linkcode KnownSymbols.get} when `symbol` is new.
   *
   * @param symbol A symbol just seen.
   */
  seen(symbol: string): void {
    if (!this.#latest.has(symbol)) this.#current = null;
  }
}
