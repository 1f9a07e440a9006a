/**
 * The trade producer's console output and counts: a line a second per product that traded (its
 * trades, last price and volume in that second), never one per trade; warnings for each
 * reconnection, gap and refused product; and the summary on stop.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Delivery } from "../kafka/transport.ts";
import type { Clock } from "../runtime/delay.ts";
import { formatPrice } from "./format.ts";
import type { EncodedTrade, TradeMessage } from "../market/messages/trade_message.ts";

const logger = getLogger(["crypto", "trades"]);

/** The counts of a run. */
export interface TradeTotals {
  /** Subscriptions the feed acknowledged (1 + the successful reconnections). */
  connections: number;
  /** Connections that failed or ended: unreachable, closed or silent. */
  disconnects: number;
  /** Of those, connections taken as dead because the feed went silent. */
  stalls: number;
  /** Valid trades read (`match` and `last_match`), repeats included. */
  received: number;
  /** Trades handed on for publishing: each trade id once. */
  published: number;
  /** Trades seen again (a replay after a reconnection), not published again. */
  repeats: number;
  /** Gaps in a product's trade ids. */
  gaps: number;
  /** Trade ids skipped by those gaps. */
  missing: number;
  /** Missing trades read from the REST API and handed on for publishing. */
  repaired: number;
  /** Missing trade ids given up: REST did not have them, or did not answer. */
  lost: number;
  /** Trades of the past span handed on before the feed (`--backfill`). */
  backfilled: number;
  /** Frames that were not what the feed sends, skipped. */
  malformed: number;
  /** `error` frames from the feed. */
  feedErrors: number;
  /** Trades the broker acknowledged. */
  produced: number;
  /** Trades the broker refused for good. */
  failed: number;
  /** Trades dropped because the buffer was full while the broker was away. */
  dropped: number;
}

/** The state of the feed connection, for readiness and the pipeline view. */
export interface FeedState {
  /** Whether a subscription is acknowledged and the connection has not ended since. */
  connected: boolean;
  /** When it last changed, ms since the epoch, or null before the first attempt ended. */
  at: number | null;
  /** What ended the last connection, one line, or null. */
  detail: string | null;
}

/** A connection to the feed that ended (see {@linkcode TradeReport.disconnected}). */
export interface Disconnect {
  /** What ended it, one line. */
  reason: string;
  /** Whether it was taken as dead because the feed went silent. */
  stale: boolean;
  /** How long before the next attempt, ms. */
  waitMs: number;
  /** The number of that attempt since the feed last delivered (1 for the first retry). */
  attempt: number;
}

/** Products the feed refused (see {@linkcode TradeReport.refused}). */
export interface Refusal {
  products: readonly string[];
  /** The feed's words. */
  reason: string;
  /** The products still subscribed to. */
  remaining: readonly string[];
}

interface Second {
  trades: number;
  volume: number;
  last: number;
}

interface ProductTotals {
  trades: number;
  volume: number;
  last: number;
}

const amount = new Intl.NumberFormat("en-US", { maximumFractionDigits: 8 });

/**
 * A price in its product's quote currency, as every console line writes one (`formatPrice`):
 * `$45,234.56` for USD, `€41,020.50` for EUR, `0.50 BTC` for a quote without a sign.
 *
 * @param price The price.
 * @param productId The product, `BASE-QUOTE`.
 * @returns The text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatQuote } from "./trade_report.ts";
 * assert.equal(formatQuote(45234.56, "BTC-USD"), "$45,234.56");
 * assert.equal(formatQuote(41020.5, "BTC-EUR"), "€41,020.50");
 * assert.equal(formatQuote(0.5, "ETH-BTC"), "0.50 BTC");
 * ```
 */
export function formatQuote(price: number, productId: string): string {
  return formatPrice(price, productId.slice(productId.indexOf("-") + 1));
}

/** Prints the trade producer's progress and keeps its counts. */
export class TradeReport {
  #print: (line: string) => void;
  #clock: Clock;
  #seconds = new Map<string, Second>();
  #products = new Map<string, ProductTotals>();
  #feed: FeedState = { connected: false, at: null, detail: null };
  #refused = new Set<string>();
  #unacknowledged = 0;
  #malformedLoggedAt = -Infinity;
  #malformedPending = 0;
  #droppedPending = 0;
  #totals: TradeTotals = {
    connections: 0,
    disconnects: 0,
    stalls: 0,
    received: 0,
    published: 0,
    repeats: 0,
    gaps: 0,
    missing: 0,
    repaired: 0,
    lost: 0,
    backfilled: 0,
    malformed: 0,
    feedErrors: 0,
    produced: 0,
    failed: 0,
    dropped: 0,
  };

  /**
   * @param print Writes one line of console output.
   * @param clock The clock (for the connection state's times).
   */
  constructor(print: (line: string) => void, clock: Clock) {
    this.#print = print;
    this.#clock = clock;
  }

  /** The counts so far. */
  get totals(): Readonly<TradeTotals> {
    return { ...this.#totals };
  }

  /** The feed connection's state. */
  get feed(): Readonly<FeedState> {
    return { ...this.#feed };
  }

  /** Trades handed on but neither acknowledged, refused nor dropped (yet). */
  get pending(): number {
    const t = this.#totals;
    return t.published - t.produced - t.failed - t.dropped;
  }

  /**
   * The feed acknowledged a subscription.
   *
   * @param products The products it is subscribed to.
   */
  subscribed(products: readonly string[]): void {
    this.#totals.connections++;
    this.#feed = { connected: true, at: this.#clock.now(), detail: null };
    const again = this.#totals.connections > 1 ? ` (connection ${this.#totals.connections})` : "";
    this.#print(`Subscribed to ${products.join(", ")}: matches, heartbeat${again}`);
  }

  /**
   * A connection failed or ended; the source waits, then connects again.
   *
   * @param disconnect What ended it (one line), whether it was taken as dead because it went
   *   silent, how long before the next attempt (ms), and that attempt's number since the feed last
   *   delivered (1 for the first retry).
   */
  disconnected(disconnect: Disconnect): void {
    const { reason, stale, waitMs, attempt } = disconnect;
    this.#totals.disconnects++;
    if (stale) this.#totals.stalls++;
    this.#feed = { connected: false, at: this.#clock.now(), detail: reason };
    logger.warn("Coinbase feed: {reason}; reconnecting in {seconds} s (attempt {attempt})", {
      reason,
      seconds: (waitMs / 1000).toFixed(1),
      attempt,
    });
  }

  /**
   * The feed sent an `error` frame.
   *
   * @param message Its message.
   * @param reason Its reason.
   */
  feedError(message: string, reason: string): void {
    this.#totals.feedErrors++;
    this.#feed = { connected: false, at: this.#clock.now(), detail: `${message}: ${reason}` };
  }

  /**
   * The feed refused products (it does not know them): they are left out from now on.
   *
   * @param refusal The products, the feed's words, and the products still subscribed to.
   */
  refused(refusal: Refusal): void {
    const { products, reason, remaining } = refusal;
    for (const product of products) this.#refused.add(product);
    if (remaining.length > 0) {
      logger.warn(
        "Coinbase refused {products} ({reason}); left out, subscribing to {remaining}",
        { products: products.join(", "), reason, remaining: remaining.join(", ") },
      );
    } else {
      logger.error(
        "Coinbase refused {products} ({reason}), and no other product is left: trying them all again after a pause (check COINBASE_PRODUCTS or --products)",
        { products: products.join(", "), reason },
      );
    }
  }

  /**
   * A new trade was handed on for publishing.
   *
   * @param trade The message.
   * @param gap Trade ids skipped right before it, with the id before them (none: 0).
   */
  trade(trade: TradeMessage, gap: { missing: number; after: number | null }): void {
    const t = this.#totals;
    t.received++;
    t.published++;
    if (gap.missing > 0) {
      t.gaps++;
      t.missing += gap.missing;
      logger.warn(
        "Gap in {product} trades: {missing} trade id(s) missing between {after} and {tradeId} (gaps so far: {gaps})",
        {
          product: trade.product_id,
          missing: gap.missing,
          after: gap.after,
          tradeId: trade.trade_id,
          gaps: t.gaps,
        },
      );
    }
    const id = trade.product_id;
    let second = this.#seconds.get(id);
    if (!second) this.#seconds.set(id, second = { trades: 0, volume: 0, last: 0 });
    second.trades++;
    second.volume += trade.size;
    second.last = trade.price;
    let total = this.#products.get(id);
    if (!total) this.#products.set(id, total = { trades: 0, volume: 0, last: 0 });
    total.trades++;
    total.volume += trade.size;
    total.last = trade.price;
  }

  /**
   * A missing trade read from the REST API was handed on for publishing.
   *
   * @param trade The message.
   */
  repaired(trade: TradeMessage): void {
    this.#totals.repaired++;
    this.#fromRest(trade, false);
  }

  /**
   * Missing trade ids were given up (the repairer logs which, and why).
   *
   * @param count How many.
   */
  lost(count: number): void {
    this.#totals.lost += count;
  }

  /**
   * A trade of the past span was handed on for publishing (`--backfill`).
   *
   * @param trade The message.
   */
  backfilled(trade: TradeMessage): void {
    this.#totals.backfilled++;
    this.#fromRest(trade, true);
  }

  /**
   * A trade read from REST: published, and in its product's totals (not in the second's line);
   * its price the last one unless it is older than the feed's (a repair).
   */
  #fromRest(trade: TradeMessage, latest: boolean): void {
    this.#totals.published++;
    const id = trade.product_id;
    let total = this.#products.get(id);
    if (!total) this.#products.set(id, total = { trades: 0, volume: 0, last: trade.price });
    total.trades++;
    total.volume += trade.size;
    if (latest) total.last = trade.price;
  }

  /**
   * A trade already seen came again (a replay after a reconnection): not published again.
   *
   * @param productId The product.
   * @param tradeId The trade id.
   */
  repeat(productId: string, tradeId: number): void {
    this.#totals.received++;
    this.#totals.repeats++;
    logger.debug("{product} trade {tradeId} seen again; published once", {
      product: productId,
      tradeId,
    });
  }

  /**
   * A frame was not what the feed sends: skipped. Logged at most once a second; the rest are
   * counted and told at the next second.
   *
   * @param reason Why, one short line.
   */
  malformed(reason: string): void {
    this.#totals.malformed++;
    const now = this.#clock.now();
    if (now - this.#malformedLoggedAt < 1_000) {
      this.#malformedPending++;
      return;
    }
    this.#malformedLoggedAt = now;
    logger.warn("Skipped a malformed frame from the feed: {reason} (malformed so far: {count})", {
      reason,
      count: this.#totals.malformed,
    });
  }

  /**
   * Trades handed to the broker without an answer yet.
   *
   * @param count How many; 0 once the send was acknowledged or refused.
   */
  sending(count: number): void {
    this.#unacknowledged = count;
  }

  /** The broker acknowledged a trade. */
  delivered(_message: EncodedTrade, _delivery: Delivery): void {
    this.#totals.produced++;
  }

  /** The broker refused a trade for good. */
  failed(message: EncodedTrade, error: unknown): void {
    this.#totals.failed++;
    logger.error("Not delivered: {product} trade {tradeId}: {error}", {
      product: message.trade.product_id,
      tradeId: message.trade.trade_id,
      error: error instanceof Error ? error.message : String(error),
    });
  }

  /** A trade was dropped from the full buffer (told once a second, with the count). */
  dropped(_message: EncodedTrade): void {
    this.#totals.dropped++;
    this.#droppedPending++;
  }

  /**
   * Prints a line for each product that traded since the last call (meant for once a second),
   * and the malformed frames and drops not yet told.
   */
  tick(): void {
    for (const [product, s] of this.#seconds) {
      const base = product.slice(0, product.indexOf("-"));
      this.#print(
        `${product}: ${s.trades} trade${s.trades === 1 ? "" : "s"}, last ${
          formatQuote(s.last, product)
        }, volume ${amount.format(s.volume)} ${base}`,
      );
    }
    this.#seconds.clear();
    if (this.#malformedPending > 0) {
      logger.warn("Skipped {count} more malformed frame(s) (malformed so far: {total})", {
        count: this.#malformedPending,
        total: this.#totals.malformed,
      });
      this.#malformedPending = 0;
      this.#malformedLoggedAt = this.#clock.now();
    }
    if (this.#droppedPending > 0) {
      logger.warn(
        "Buffer full while Kafka is unavailable: dropped {count} trade(s), the oldest first (dropped so far: {total})",
        { count: this.#droppedPending, total: this.#totals.dropped },
      );
      this.#droppedPending = 0;
    }
  }

  /**
   * The closing lines of a run.
   *
   * @returns The lines.
   */
  summary(): string[] {
    const t = this.#totals;
    const lines = [
      "",
      "==========================================",
      "Trade producer summary",
      "==========================================",
      `Connections: ${t.connections}`,
      `Disconnections: ${t.disconnects}`,
      `Silent feed, reconnected: ${t.stalls}`,
      `Trades received: ${t.received}`,
      `Seen twice, published once: ${t.repeats}`,
      `Gaps in trade ids: ${t.gaps} (${t.missing} missing)`,
      `Repaired from REST: ${t.repaired} (lost: ${t.lost})`,
      `Malformed frames: ${t.malformed}`,
      `Trades published: ${t.published}`,
      `Messages produced: ${t.produced}`,
    ];
    if (t.backfilled > 0) lines.push(`Backfilled from REST: ${t.backfilled}`);
    if (t.feedErrors > 0) lines.push(`Feed errors: ${t.feedErrors}`);
    if (this.#refused.size > 0) lines.push(`Refused by the feed: ${[...this.#refused].join(", ")}`);
    if (t.dropped > 0) lines.push(`Dropped (buffer full): ${t.dropped}`);
    if (t.failed > 0) lines.push(`Refused by Kafka: ${t.failed}`);
    if (this.pending > 0) {
      lines.push(`Not delivered: ${this.pending}`);
      const unanswered = Math.min(this.#unacknowledged, this.pending);
      if (unanswered > 0) lines.push(`Of these, sent without an answer from Kafka: ${unanswered}`);
    }
    for (const [product, p] of this.#products) {
      const base = product.slice(0, product.indexOf("-"));
      lines.push(
        `${product}: ${p.trades} trades, volume ${amount.format(p.volume)} ${base}, last ${
          formatQuote(p.last, product)
        }`,
      );
    }
    return lines;
  }
}
