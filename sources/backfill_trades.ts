/**
 * A product's trades of a past span, oldest first, from the Coinbase REST API, whose pages go
 * newest first: the newest page says where the span ends, a few one-trade pages find the first
 * trade of the span (trade ids grow with time), and pages of the thousand ids above a cursor,
 * turned around, give the trades in order. Memory stays at a page however long the span. See
 * docs/trades.md#gap-repair-and-backfill.
 *
 * @module
 */
import type { FeedTrade } from "./coinbase_protocol.ts";
import { CoinbaseRestError, PAGE_LIMIT, type TradePages } from "./coinbase_rest.ts";

/** Options for {@linkcode backfillTrades}. */
export interface BackfillTradesOptions {
  /** The span's start, ms since the epoch: trades at or after it are read. */
  since: number;
  /** Aborting stops the reading. */
  signal?: AbortSignal;
}

/** Blocks of a thousand ids without a trade, in a row, past which the ids are not believed. */
const MAX_EMPTY_BLOCKS = 10;

/**
 * Reads a product's trades from `since` to the newest at the time of the first request.
 *
 * @param rest The REST client.
 * @param product The product.
 * @param options The span's start and the abort signal.
 * @returns Batches of trades (a page's worth at most), oldest first, in trade id order.
 * @throws {CoinbaseRestError} When a page did not come, or the ids are not believable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backfillTrades } from "./backfill_trades.ts";
 * const trade = (tradeId: number) => ({ productId: "BTC-USD", tradeId, price: 1, size: 1,
 *   side: "buy" as const, time: "", timeMs: tradeId * 1000, sequence: null, last: false });
 * const rest = { trades: (_p: string, r: { after?: number | null; limit?: number } = {}) =>
 *   Promise.resolve({ trades: [5, 4, 3, 2, 1].map(trade)
 *     .filter((t) => t.tradeId < (r.after ?? 99)).slice(0, r.limit), next: null }) };
 * const batches: number[][] = [];
 * for await (const batch of backfillTrades(rest, "BTC-USD", { since: 3000 })) {
 *   batches.push(batch.map((t) => t.tradeId));
 * }
 * assert.deepEqual(batches, [[3, 4, 5]]);
 * ```
 */
export async function* backfillTrades(
  rest: TradePages,
  product: string,
  options: BackfillTradesOptions,
): AsyncGenerator<FeedTrade[]> {
  const { since } = options;
  const signal = options.signal ? { signal: options.signal } : {};
  const page = (after: number | null, limit: number) =>
    rest.trades(product, { after, limit, ...signal });
  const newestPage = await page(null, PAGE_LIMIT);
  const newest = newestPage.trades[0];
  if (newest === undefined) return;
  const oldest = newestPage.trades.at(-1)!;
  if (oldest.timeMs < since || newestPage.trades.length < PAGE_LIMIT) {
    // The span starts within the newest page, or REST keeps no more than it.
    const inSpan = newestPage.trades.filter((t) => t.timeMs >= since).reverse();
    if (inSpan.length > 0) yield inSpan;
    return;
  }
  /** The newest trade below a cursor, or null when REST has none. */
  const below = async (cursor: number) => (await page(cursor, 1)).trades[0] ?? null;
  // Every trade below `lo` is older than the span; `hi` is a trade in it. Down in growing steps
  // to find `lo`, then halve the distance until a page covers it.
  let hi = oldest.tradeId;
  let lo = 0;
  for (let step = PAGE_LIMIT; hi > 0; step *= 2) {
    const cursor = Math.max(0, hi - step);
    const probe = cursor === 0 ? null : await below(cursor);
    if (probe === null || probe.timeMs < since) {
      lo = cursor;
      break;
    }
    hi = probe.tradeId;
  }
  while (hi - lo > PAGE_LIMIT) {
    const middle = Math.floor((lo + hi) / 2);
    const probe = await below(middle);
    if (probe === null || probe.timeMs < since) lo = middle;
    else hi = probe.tradeId;
  }
  let empty = 0;
  for (let start = lo; start <= newest.tradeId; start += PAGE_LIMIT) {
    const end = Math.min(start + PAGE_LIMIT, newest.tradeId + 1);
    const { trades } = await page(end, end - start);
    const block = trades.filter((t) => t.tradeId >= start && t.timeMs >= since).reverse();
    if (block.length > 0) {
      empty = 0;
      yield block;
    } else if (trades.every((t) => t.tradeId < start) && ++empty >= MAX_EMPTY_BLOCKS) {
      throw new CoinbaseRestError(
        `Coinbase REST ${product} trades: no trade in the ${
          MAX_EMPTY_BLOCKS * PAGE_LIMIT
        } ids below ${end} although ${newest.tradeId} is the newest (ids not believable)`,
        { failure: "bad-answer", status: 200 },
      );
    }
  }
}
