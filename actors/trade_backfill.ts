/**
 * The backfill of trades (docs/trades.md#gap-repair-and-backfill): before the trade source goes
 * live, each product's trades of the past span, read from the Coinbase REST API oldest first,
 * are published through the trade source's own de-duplication. The live feed then goes on from
 * there: a trade it repeats is published once, the ids between the last backfilled and the
 * first live are a gap that the repairer fills.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { EncodedTrade, TradeMessage } from "../market/messages/trade_message.ts";
import type { TradeSequences } from "../market/trade_sequence.ts";
import type { Clock } from "../runtime/delay.ts";
import type { BackfillReport } from "../report/backfill_report.ts";
import { backfillTrades } from "../sources/backfill_trades.ts";
import { CoinbaseRestError, type TradePages } from "../sources/coinbase_rest.ts";
import { acceptTrades } from "./trade_repairer.ts";

const logger = getLogger(["crypto", "trades", "backfill"]);

/** What the backfill of trades needs. */
export interface TradeBackfillOptions {
  /** The REST client. */
  rest: TradePages;
  /** The products. */
  products: readonly string[];
  /** How far back, ms. */
  spanMs: number;
  /** The trade source's ids seen. */
  sequences: TradeSequences;
  /** The counts of published trades. */
  counts: { backfilled(trade: TradeMessage): void };
  /** The progress lines. */
  progress: BackfillReport;
  /** The span's end, and `received_at`. */
  clock: Clock;
  /** Hands trades on for publishing, in order (waiting for room, never dropping them). */
  publish: (trades: EncodedTrade[], signal: AbortSignal) => Promise<void>;
}

/**
 * Publishes each product's trades of the span, one product after the other. A product whose
 * trades REST does not give is told once and left to the live feed.
 *
 * @param options The REST client, products, span, ids seen, counts, clock and where trades go.
 * @param signal Aborting stops it.
 * @returns Resolves once every product is done (or given up).
 *
 * @example
 * ```ts ignore
 * await backfillProducts({ rest, products: ["BTC-USD"], spanMs: 3_600_000, sequences, counts,
 *   progress, clock: systemClock, publish }, ctx.signal);
 * ```
 */
export async function backfillProducts(
  options: TradeBackfillOptions,
  signal: AbortSignal,
): Promise<void> {
  const { rest, products, spanMs, sequences, counts, progress, clock, publish } = options;
  const since = clock.now() - spanMs;
  for (const product of products) {
    let stopped: string | null = null;
    try {
      for await (const batch of backfillTrades(rest, product, { since, signal })) {
        const encoded = acceptTrades(batch, sequences, new Date(clock.now()).toISOString());
        if (encoded.length === 0) continue;
        await publish(encoded, signal);
        for (const { trade } of encoded) counts.backfilled(trade);
        progress.progress(
          product,
          encoded.length,
          Date.parse(encoded.at(-1)!.trade.time),
          Date.parse(encoded[0]!.trade.time),
        );
      }
    } catch (error) {
      if (!(error instanceof CoinbaseRestError)) throw error;
      stopped = error.message;
      logger.warn("Backfill of {product} stopped: {reason}; going on with the live feed", {
        product,
        reason: error.message,
      });
    }
    progress.done(product, stopped);
  }
}
