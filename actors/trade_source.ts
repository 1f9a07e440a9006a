/**
 * The trade source (docs/trades.md): reads the Coinbase Exchange feed and hands every trade on, once,
 * encoded as its `crypto-trades` record. It reconnects with backoff and jitter whenever the
 * connection fails, closes or goes silent; a trade replayed after a reconnection is not handed on
 * again, a gap in a product's trade ids is counted and logged, a malformed frame is skipped, and a
 * product the feed refuses is left out.
 *
 * @module
 */
import type { Actor } from "../runtime/actor.ts";
import { backoffDelay, type BackoffOptions } from "../runtime/backoff.ts";
import { sendAll } from "../runtime/channel.ts";
import type { Clock } from "../runtime/delay.ts";
import { IsoTimes } from "../market/messages/iso_times.ts";
import { type EncodedTrade, encodeTrade } from "../market/messages/trade_message.ts";
import type { TradeReport } from "../report/trade_report.ts";
import { TradeSequences } from "../market/trade_sequence.ts";
import { FeedError, type FeedSocket, readFeed } from "../sources/coinbase.ts";
import { tradeMessage } from "../sources/coinbase_protocol.ts";

/** What outlives a run of the trade source, so a restart neither repeats nor forgets. */
export interface TradeSourceState {
  /** The products subscribed to: the configured ones, less those the feed refused. */
  products: string[];
  /** Each product's trade ids seen. */
  sequences: TradeSequences;
  /** Failed attempts since the feed last delivered, for the backoff. */
  attempt: number;
}

/** What the trade source needs. */
export interface TradeSourceOptions {
  /** The feed's URL. */
  url: string;
  /** The products configured. */
  products: readonly string[];
  /** Silence after which a connection is taken as dead, ms. */
  staleAfterMs: number;
  /** Where the source stands, kept across restarts. */
  state: TradeSourceState;
  /** Console output and counts. */
  report: TradeReport;
  /** Waits between attempts, and stamps `received_at`. */
  clock: Clock;
  /** The reconnection backoff. @default {{ minMs: 500, maxMs: 30_000, jitter: 0.5 }} */
  backoff?: BackoffOptions;
  /** Opens a socket. @default {(url) => new WebSocket(url)} */
  connect?: (url: string) => FeedSocket;
  /** Told of each gap in a product's trade ids (the repairer's queue); it must not wait. */
  onGap?: (gap: { productId: string; from: number; to: number }) => void;
}

/**
 * The state a trade source starts from.
 *
 * @param products The products configured.
 * @returns Fresh state.
 */
export function tradeSourceState(products: readonly string[]): TradeSourceState {
  // Skipped ids are remembered a long way back, so a repaired trade is still told from a repeat.
  return {
    products: [...products],
    sequences: new TradeSequences({ remember: 1_000_000 }),
    attempt: 0,
  };
}

/**
 * Makes the trade source actor.
 *
 * @param options The feed, the products, the state and the report.
 * @returns The actor; it runs until its signal aborts.
 *
 * @example
 * ```ts ignore
 * const actor = tradeSource({ url: "wss://ws-feed.exchange.coinbase.com", products: ["BTC-USD"],
 *   staleAfterMs: 30_000, state: tradeSourceState(["BTC-USD"]), report, clock: systemClock });
 * ```
 */
export function tradeSource(options: TradeSourceOptions): Actor<unknown, EncodedTrade> {
  const { url, staleAfterMs, state, report, clock } = options;
  const backoff = { minMs: 500, maxMs: 30_000, jitter: 0.5, ...options.backoff };
  const times = new IsoTimes();
  return async (_inbox, outbox, ctx) => {
    /** One connection, until it fails (a FeedError) or the feed refuses products (returned). */
    const session = async (products: readonly string[]) => {
      const frames = readFeed({
        url,
        products,
        staleAfterMs,
        signal: ctx.signal,
        clock,
        ...(options.connect ? { connect: options.connect } : {}),
      });
      for await (const batch of frames) {
        const encoded: EncodedTrade[] = [];
        let refused: { refused: string[]; reason: string } | null = null;
        for (const { event, receivedAt } of batch) {
          switch (event.type) {
            case "trade": {
              const { trade } = event;
              state.attempt = 0;
              const verdict = state.sequences.accept(trade.productId, trade.tradeId);
              if (verdict.kind === "repeat") {
                report.repeat(trade.productId, trade.tradeId);
                break;
              }
              const message = tradeMessage(trade, times.format(receivedAt));
              report.trade(message, verdict.kind === "new" ? verdict : { missing: 0, after: null });
              if (verdict.kind === "new" && verdict.missing > 0 && verdict.after !== null) {
                options.onGap?.({
                  productId: trade.productId,
                  from: verdict.after + 1,
                  to: trade.tradeId - 1,
                });
              }
              encoded.push(encodeTrade(message, trade.timeMs));
              break;
            }
            case "heartbeat":
              state.attempt = 0;
              break;
            case "subscriptions":
              report.subscribed(event.products.length > 0 ? event.products : products);
              break;
            case "error": {
              report.feedError(event.message, event.reason);
              const named = products.filter((p) => new RegExp(`\\b${p}\\b`).test(event.reason));
              if (named.length === 0) {
                throw new FeedError(
                  `the feed answered "${event.message}${event.reason ? `: ${event.reason}` : ""}"`,
                  { failure: "closed" },
                );
              }
              refused ??= { refused: named, reason: event.reason };
              break;
            }
            case "malformed":
              report.malformed(event.reason);
              break;
            case "ignored":
              break;
          }
        }
        if (encoded.length > 0) await sendAll(outbox, encoded, { signal: ctx.signal });
        if (refused) return refused;
      }
      throw new FeedError("the connection ended", { failure: "closed" });
    };

    while (true) {
      if (state.products.length === 0) state.products = [...options.products];
      let failure: FeedError;
      try {
        const { refused, reason } = await session(state.products);
        // Left out from now on; subscribing again at once is safe, as the list only shrinks.
        state.products = state.products.filter((p) => !refused.includes(p));
        report.refused({ products: refused, reason, remaining: state.products });
        if (state.products.length > 0) continue;
        failure = new FeedError("no product left to subscribe to", { failure: "closed" });
      } catch (error) {
        if (ctx.signal.aborted || !(error instanceof FeedError)) throw error;
        failure = error;
      }
      const wait = backoffDelay(state.attempt++, backoff);
      report.disconnected({
        reason: failure.message,
        stale: failure.failure === "stale",
        waitMs: wait,
        attempt: state.attempt,
      });
      await clock.sleep(wait, { signal: ctx.signal });
    }
  };
}
