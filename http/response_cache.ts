/**
 * A small cache of JSON answers as text, so that many clients asking the same question within a
 * second cost the store one query. Concurrent misses of one key share one query; entries live
 * `ttlMs` at most, and a group of them is let go early by {@linkcode ResponseCache.invalidate}
 * (in constant time) when the live hub sees a newer price or candle.
 *
 * @module
 */

/** Options of a {@linkcode ResponseCache}. */
export interface ResponseCacheOptions {
  /** How long an answer is kept, in milliseconds; 0 turns the cache off. @default {1000} */
  ttlMs?: number;
  /** Most answers kept; the oldest goes first. @default {1024} */
  maxEntries?: number;
  /** The clock, in milliseconds. @default {performance.now} */
  now?: () => number;
}

interface Entry {
  group: string;
  at: number;
  body: Promise<string>;
}

/**
 * Caches JSON texts by key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ResponseCache } from "./response_cache.ts";
 * const cache = new ResponseCache();
 * let queries = 0;
 * const load = () => Promise.resolve({ n: ++queries });
 * await cache.json("q", "q a", load);
 * const body = await cache.json("q", "q a", load);
 * assert.equal(body, '{"n":1}');
 * assert.equal(queries, 1);
 * ```
 */
export class ResponseCache {
  #ttlMs: number;
  #maxEntries: number;
  #now: () => number;
  #entries = new Map<string, Entry>();
  #invalidated = new Map<string, number>();

  /** @param options Lifetime, size and clock. */
  constructor(options: ResponseCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 1000;
    this.#maxEntries = options.maxEntries ?? 1024;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * The JSON answer for a key: kept, or loaded now.
   *
   * @param group What {@linkcode ResponseCache.invalidate} lets go of together (e.g. `candles BTC`).
   * @param key What was asked, normalised (e.g. `candles BTC 1m - - 500`).
   * @param load Loads the answer; a rejection is not kept.
   * @returns The JSON text.
   */
  json(group: string, key: string, load: () => Promise<unknown>): Promise<string> {
    if (this.#ttlMs <= 0) return load().then((value) => JSON.stringify(value));
    const now = this.#now();
    const kept = this.#entries.get(key);
    if (
      kept !== undefined && now - kept.at < this.#ttlMs &&
      kept.at > (this.#invalidated.get(group) ?? -Infinity)
    ) {
      return kept.body;
    }
    const body = load().then((value) => JSON.stringify(value));
    const entry = { group, at: now, body };
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    body.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    if (this.#entries.size > this.#maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    return body;
  }

  /**
   * Lets go of a group's answers: the next request of each loads it again.
   *
   * @param group E.g. `candles BTC` or `prices`.
   */
  invalidate(group: string): void {
    if (this.#ttlMs <= 0) return;
    this.#invalidated.set(group, this.#now());
    if (this.#invalidated.size > this.#maxEntries) this.#invalidated.clear();
  }
}
