/**
 * The trade repairer (docs/trades.md#gap-repair-and-backfill): takes the gaps the trade source
 * finds in a product's trade ids, reads the missing trades from the Coinbase REST API, and
 * publishes them at once, in trade id order, through the trade source's own de-duplication (a
 * trade that came on the feed meanwhile is not published twice). What REST does not have is
 * counted as lost and logged, once a gap; a gap is never asked for twice. It runs beside the
 * trade source, with its own bounded queue of gaps, so the live feed never waits for it.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { EncodedTrade, TradeMessage } from "../market/messages/trade_message.ts";
import { encodeTrade } from "../market/messages/trade_message.ts";
import type { TradeSequences } from "../market/trade_sequence.ts";
import type { Actor } from "../runtime/actor.ts";
import type { Clock } from "../runtime/delay.ts";
import { type FeedTrade, tradeMessage } from "../sources/coinbase_protocol.ts";
import { CoinbaseRestError, type TradePages } from "../sources/coinbase_rest.ts";
import { tradeRange } from "../sources/trade_range.ts";

const logger = getLogger(["crypto", "trades", "repair"]);

/** Trade ids of a product that did not come on the feed: `from` to `to`, both included. */
export interface TradeGap {
  /** The product. */
  productId: string;
  /** The lowest id missing. */
  from: number;
  /** The highest id missing. */
  to: number;
}

/** Where the repairer's counts go. */
export interface RepairReport {
  /** A trade read from REST was handed on for publishing. */
  repaired(trade: TradeMessage): void;
  /** Ids were given up for good: REST has them not, or would not answer. */
  lost(count: number): void;
}

/** What the repairer needs. */
export interface TradeRepairerOptions {
  /** The REST client. */
  rest: TradePages;
  /** The trade source's ids seen, which decide what is still missing and what is new. */
  sequences: TradeSequences;
  /** The counts. */
  report: RepairReport;
  /** Stamps `received_at`, and times a repair. */
  clock: Clock;
  /** Hands trades on for publishing, in order (waiting for room, never dropping them). */
  publish: (trades: EncodedTrade[], signal: AbortSignal) => Promise<void>;
  /**
   * The most ids of one gap read from REST (they are held until published): of a longer gap,
   * the newest. @default {100_000}
   */
  maxGap?: number;
}

const ids = (from: number, to: number) => from === to ? `id ${from}` : `ids ${from}-${to}`;

/**
 * The encoded trades of a batch read from REST that are still wanted: each one the ids seen take
 * as new or late, so that a trade is published once however many ways it came.
 *
 * @param trades The trades, in trade id order.
 * @param sequences The ids seen; updated.
 * @param receivedAt When they were read (ISO-8601).
 * @returns The trades to publish, encoded.
 */
export function acceptTrades(
  trades: readonly FeedTrade[],
  sequences: TradeSequences,
  receivedAt: string,
): EncodedTrade[] {
  const out: EncodedTrade[] = [];
  for (const trade of trades) {
    if (sequences.accept(trade.productId, trade.tradeId).kind === "repeat") continue;
    out.push(encodeTrade(tradeMessage(trade, receivedAt), trade.timeMs));
  }
  return out;
}

/**
 * Makes the trade repairer actor.
 *
 * @param options The REST client, the ids seen, the counts, the clock and where trades go.
 * @returns The actor; it reads gaps until its inbox closes.
 *
 * @example
 * ```ts ignore
 * const repairer = tradeRepairer({ rest, sequences: state.sequences, report, clock: systemClock,
 *   publish: (trades, signal) => buffer.sendAll(trades, { signal }).then(() => {}) });
 * ```
 */
export function tradeRepairer(options: TradeRepairerOptions): Actor<TradeGap, never> {
  const { rest, sequences, report, clock, publish } = options;
  const maxGap = options.maxGap ?? 100_000;
  return async (inbox, _outbox, ctx) => {
    for await (const gap of inbox) {
      const { productId } = gap;
      // Only what has not come on the feed since the gap was found.
      const missing = sequences.missingIn(productId, gap.from, gap.to);
      if (missing === null) continue;
      let wanted: typeof missing | null = missing;
      if (missing.to - missing.from + 1 > maxGap) {
        // The older part is given up at once, told apart from the rest.
        const newest = missing.to - maxGap + 1;
        wanted = sequences.missingIn(productId, newest, missing.to);
        const older = sequences.missingIn(productId, missing.from, newest - 1);
        if (older !== null) {
          report.lost(older.count);
          logger.warn("Lost {count} {product} trade(s), {ids}: {reason}; not asked for again", {
            count: older.count,
            product: productId,
            ids: ids(older.from, older.to),
            reason: `a gap of more than ${maxGap} ids, of which the newest are read`,
          });
        }
        if (wanted === null) continue;
      }
      const startedAt = clock.now();
      let repaired = 0;
      let reason: string | null = null;
      try {
        const range = await tradeRange(rest, productId, wanted, { signal: ctx.signal });
        const encoded = acceptTrades(
          range.trades,
          sequences,
          new Date(clock.now()).toISOString(),
        );
        if (encoded.length > 0) await publish(encoded, ctx.signal);
        for (const { trade } of encoded) report.repaired(trade);
        repaired = encoded.length;
        reason = range.missing?.reason ?? null;
      } catch (error) {
        if (!(error instanceof CoinbaseRestError)) throw error;
        reason = error.message;
      }
      const left = sequences.missingIn(productId, wanted.from, wanted.to);
      if (repaired > 0) {
        logger.info("Repaired {product} {ids}: {count} trade(s) from REST in {seconds} s", {
          product: productId,
          ids: ids(wanted.from, wanted.to),
          count: repaired,
          seconds: ((clock.now() - startedAt) / 1000).toFixed(1),
        });
      }
      if (left !== null) {
        report.lost(left.count);
        logger.warn("Lost {count} {product} trade(s), {ids}: {reason}; not asked for again", {
          count: left.count,
          product: productId,
          ids: ids(left.from, left.to),
          reason: reason ?? "not served by Coinbase's REST API",
        });
      }
    }
  };
}
