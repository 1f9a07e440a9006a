/**
 * A range of a product's trade ids read from the Coinbase REST API: pages back from the first
 * id after the range until the range is covered, and says which ids REST does not have (older
 * than it keeps, or never served). A chain of pages that does not move down, or that goes on
 * past what the range can take, is a bad answer, not a loop. See
 * docs/trades.md#gap-repair-and-backfill.
 *
 * @module
 */
import type { FeedTrade } from "./coinbase_protocol.ts";
import { CoinbaseRestError, PAGE_LIMIT, type TradePages } from "./coinbase_rest.ts";

/** Trade ids `from` to `to`, both included. */
export interface TradeIdRange {
  /** The lowest id. */
  from: number;
  /** The highest id. */
  to: number;
}

/** What REST had of a range. */
export interface RangeTrades {
  /** The trades of the range REST gave, in trade id order. */
  trades: FeedTrade[];
  /** Ids of the range REST did not give, and why; null when it gave them all. */
  missing: { count: number; reason: string } | null;
  /** Requests made. */
  pages: number;
}

/**
 * Reads the trades of a range of ids, paging back from the id after it.
 *
 * @param rest The REST client.
 * @param product The product.
 * @param range The ids wanted.
 * @param options Aborting stops the reading.
 * @returns The trades of the range REST has, and what it lacks.
 * @throws {CoinbaseRestError} When a page did not come, or the pages are not a chain that moves
 *   down (a bad answer).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tradeRange } from "./trade_range.ts";
 * const trade = (tradeId: number) => ({ productId: "BTC-USD", tradeId, price: 1, size: 1,
 *   side: "buy" as const, time: "2025-01-01T00:00:00Z", timeMs: 0, sequence: null, last: false });
 * const rest = { trades: (_p: string, r: { after?: number | null } = {}) =>
 *   Promise.resolve({ trades: [9, 8, 7].map(trade).filter((t) => t.tradeId < r.after!), next: 7 }) };
 * const { trades, missing } = await tradeRange(rest, "BTC-USD", { from: 8, to: 9 });
 * assert.deepEqual(trades.map((t) => t.tradeId), [8, 9]);
 * assert.equal(missing, null);
 * ```
 */
export async function tradeRange(
  rest: TradePages,
  product: string,
  range: TradeIdRange,
  options: { signal?: AbortSignal } = {},
): Promise<RangeTrades> {
  const { from, to } = range;
  const wanted = to - from + 1;
  // Each full page covers PAGE_LIMIT ids at least: more pages than this is a chain gone wrong.
  const maxPages = Math.ceil(wanted / PAGE_LIMIT) + 2;
  const found: FeedTrade[] = [];
  let cursor = to + 1;
  let pages = 0;
  const result = (reason: string | null): RangeTrades => {
    found.reverse();
    const count = wanted - found.length;
    return { trades: found, missing: count > 0 ? { count, reason: reason ?? "" } : null, pages };
  };
  while (true) {
    if (pages >= maxPages) {
      throw new CoinbaseRestError(
        `Coinbase REST ${product} trades: ${pages} pages did not reach trade id ${from} from ${
          to + 1
        } (an endless chain of pages)`,
        { failure: "bad-answer", status: 200 },
      );
    }
    const page = await rest.trades(product, {
      after: cursor,
      limit: Math.min(PAGE_LIMIT, cursor - from),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    pages++;
    for (const trade of page.trades) {
      const lowest = found.at(-1)?.tradeId ?? to + 1;
      if (trade.tradeId >= from && trade.tradeId < lowest) found.push(trade);
    }
    const oldest = page.trades.at(-1)?.tradeId;
    if (oldest === undefined) {
      return result(`older than Coinbase's REST API keeps (nothing below ${cursor})`);
    }
    if (oldest <= from) return result("not served by Coinbase's REST API");
    const next = page.next ?? oldest;
    if (next >= cursor) {
      throw new CoinbaseRestError(
        `Coinbase REST ${product} trades after ${cursor}: the page repeats the cursor (cb-after ${next})`,
        { failure: "bad-answer", status: 200 },
      );
    }
    if (next <= from) return result("not served by Coinbase's REST API");
    cursor = next;
  }
}
