/**
 * Where a product's trade ids stand: which trade is new, which was seen already (a replay after a
 * reconnect: Coinbase sends the last trade again on every subscription), and where ids were
 * skipped (trades missed while the feed was away). Pure: ids in, verdicts out.
 *
 * Ids come in increasing order nearly always, so what is kept is the highest id seen and the ids
 * below it that were skipped (as ranges, few and short-lived), not every id seen: a trade in order
 * costs a comparison.
 *
 * @module
 */

/** What a trade id is, against the ones seen before it. */
export type TradeVerdict =
  /** Not seen before; `missing` ids were skipped between the last one and it (0: none). */
  | { kind: "new"; missing: number; after: number | null }
  /** Below the last id and not seen: it fills an earlier gap. */
  | { kind: "late" }
  /** Seen already (or too old to tell): not to be published again. */
  | { kind: "repeat" };

/** Options for {@linkcode TradeSequence}. */
export interface TradeSequenceOptions {
  /** How far below the highest id a skipped id is still remembered, to be taken as late when it comes. @default {10_000} */
  remember?: number;
}

/**
 * One product's trade ids.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TradeSequence } from "./trade_sequence.ts";
 * const ids = new TradeSequence();
 * assert.deepEqual(
 *   [ids.accept(10).kind, ids.accept(10).kind, ids.accept(13)],
 *   ["new", "repeat", { kind: "new", missing: 2, after: 10 }],
 * );
 * ```
 */
export class TradeSequence {
  #last: number | null = null;
  /** Skipped ids, as `[from, to]` ranges (inclusive), ascending, all within memory. */
  #skipped: [number, number][] = [];
  #remember: number;

  /** @param options How far below the highest id skipped ids are remembered. */
  constructor(options: TradeSequenceOptions = {}) {
    this.#remember = Math.max(1, options.remember ?? 10_000);
  }

  /** The highest trade id seen, or null before the first. */
  get last(): number | null {
    return this.#last;
  }

  /**
   * Takes a trade id in and says what it is.
   *
   * @param tradeId The exchange's trade id.
   * @returns `new` (with the ids skipped before it), `late` or `repeat`.
   */
  accept(tradeId: number): TradeVerdict {
    const last = this.#last;
    if (last === null || tradeId > last) {
      this.#last = tradeId;
      const missing = last === null ? 0 : tradeId - last - 1;
      if (missing > 0) this.#skipped.push([last! + 1, tradeId - 1]);
      if (this.#skipped.length > 0) this.#forget(tradeId - this.#remember);
      return { kind: "new", missing, after: last };
    }
    // At or below the last id: a replay, unless it is a skipped id still within memory.
    const index = this.#skipped.findIndex(([from, to]) => from <= tradeId && tradeId <= to);
    if (index < 0 || tradeId <= last - this.#remember) return { kind: "repeat" };
    const [from, to] = this.#skipped[index]!;
    const rest: [number, number][] = [];
    if (from < tradeId) rest.push([from, tradeId - 1]);
    if (tradeId < to) rest.push([tradeId + 1, to]);
    this.#skipped.splice(index, 1, ...rest);
    return { kind: "late" };
  }

  /**
   * The ids of a range that were skipped and have not come since (while still remembered).
   *
   * @param from The lowest id of the range.
   * @param to The highest.
   * @returns How many, and the lowest and highest of them; null when none.
   */
  missingIn(from: number, to: number): { count: number; from: number; to: number } | null {
    let count = 0;
    let low = Infinity;
    let high = -Infinity;
    for (const [a, b] of this.#skipped) {
      const lo = Math.max(a, from);
      const hi = Math.min(b, to);
      if (lo > hi) continue;
      count += hi - lo + 1;
      low = Math.min(low, lo);
      high = Math.max(high, hi);
    }
    return count === 0 ? null : { count, from: low, to: high };
  }

  /** Lets go of the skipped ids at or below `id`. */
  #forget(id: number): void {
    while (this.#skipped.length > 0 && this.#skipped[0]![1] <= id) this.#skipped.shift();
    const first = this.#skipped[0];
    if (first && first[0] <= id) first[0] = id + 1;
  }
}

/**
 * The trade ids of every product, kept across reconnections (and restarts of the trade source).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TradeSequences } from "./trade_sequence.ts";
 * const ids = new TradeSequences();
 * ids.accept("BTC-USD", 5);
 * assert.equal(ids.accept("ETH-USD", 5).kind, "new");
 * assert.equal(ids.accept("BTC-USD", 5).kind, "repeat");
 * ```
 */
export class TradeSequences {
  #products = new Map<string, TradeSequence>();
  #options: TradeSequenceOptions;

  /** @param options How far below the highest id skipped ids are remembered, per product. */
  constructor(options: TradeSequenceOptions = {}) {
    this.#options = options;
  }

  /**
   * Takes a product's trade id in and says what it is.
   *
   * @param productId The product.
   * @param tradeId Its trade id.
   * @returns The verdict.
   */
  accept(productId: string, tradeId: number): TradeVerdict {
    let sequence = this.#products.get(productId);
    if (!sequence) this.#products.set(productId, sequence = new TradeSequence(this.#options));
    return sequence.accept(tradeId);
  }

  /**
   * The ids of a product's range that were skipped and have not come since.
   *
   * @param productId The product.
   * @param from The lowest id of the range.
   * @param to The highest.
   * @returns How many, and the lowest and highest of them; null when none.
   */
  missingIn(
    productId: string,
    from: number,
    to: number,
  ): { count: number; from: number; to: number } | null {
    return this.#products.get(productId)?.missingIn(from, to) ?? null;
  }

  /**
   * The highest trade id seen of a product.
   *
   * @param productId The product.
   * @returns The id, or null before its first trade.
   */
  last(productId: string): number | null {
    return this.#products.get(productId)?.last ?? null;
  }
}
