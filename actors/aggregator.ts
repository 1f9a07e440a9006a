/**
 * The Aggregator: checks each consumed record (a price or a trade, docs/messages.md), folds it
 * into the candle book, and hands the changes that are due to the CandleSink as one write, with
 * the offsets that write makes safe to commit. Each observation belongs to a market: a price to
 * `coingecko` / `{symbol}-USD`, a trade to `coinbase` / its product. A market seen for the first
 * time is taken over from the store first (its state, and the candles that may still change), so a restart carries
 * on where the last write left off.
 *
 * A record that fails its checks (docs/messages.md#what-every-record-is-checked-for), that the
 * book refuses, or whose market the store refuses to take over for good changes nothing: its dead
 * letter goes to the sink with the next batch, which writes it to the dead-letter topic before
 * committing any offset at or past it.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { InRecord } from "../kafka/transport.ts";
import type { CandleBook, Flush } from "../market/candle_book.ts";
import type { CandleReport } from "../report/candle_report.ts";
import { type Market, marketKey } from "../market/market.ts";
import { type Observation, priceObservation, tradeIdentity } from "../market/observation.ts";
import { DEFAULT_MAX_AHEAD_MS, type ReadTime } from "../market/messages/checks.ts";
import type { DeadLetter } from "../market/messages/dead_letter_message.ts";
import { decodePrice } from "../market/messages/price_message.ts";
import { decodeTrade, takerSide } from "../market/messages/trade_message.ts";
import type { Actor } from "../runtime/actor.ts";
import { backoffDelay } from "../runtime/backoff.ts";
import { untilClosed } from "../runtime/channel.ts";
import { delay, isAbort } from "../runtime/delay.ts";
import type { CandleStore } from "../store/candle_store.ts";
import { isPermanentStoreError } from "../store/store_error.ts";
import { deadLetterOf, RecordTrail } from "./record_trail.ts";
import type { LatestPrice } from "../market/latest_price.ts";
import type { CommitPoint, PendingOffsets } from "./pending_offsets.ts";

const logger = getLogger(["crypto", "aggregator"]);

/** What the Aggregator hands the CandleSink. */
export interface CandleBatch {
  /** The write and the candles closed or revised in it. */
  flush: Flush;
  /** What may be committed once the write is in the store and the dead letters on their topic. */
  commits: CommitPoint[];
  /** Records refused since the last batch, to be dead-lettered before the commits. */
  deadLetters: DeadLetter[];
  /**
   * Per market written, the records that changed it since its last write: dead-lettered, with
   * the store's reason, should the store refuse that market's write for good.
   */
  sources: Map<string, InRecord[]>;
}

/** What the Aggregator needs. */
export interface AggregatorOptions {
  /** The candles, kept across restarts of the actor. */
  book: CandleBook;
  /** Where a market seen for the first time is loaded from. */
  store: Pick<CandleStore, "loadMarket">;
  /** Offsets handled, kept across restarts. */
  offsets: PendingOffsets;
  /** Counts. */
  report: CandleReport;
  /** The wall clock, ms. */
  now: () => number;
  /** How often the idle timeout and due writes are looked at while no record comes, ms. @default {100} */
  tickMs?: number;
  /** Most records taken at once. @default {512} */
  batchSize?: number;
  /**
   * While records wait in the inbox (a backlog: catching up, a replay), changes that are due are
   * written at most this often, so that a write carries many records' worth of changes instead of
   * one batch's; once the inbox is empty they are written after every batch. ms. @default {250}
   */
  backlogWriteMs?: number;
  /** How far ahead of the clock an event time may be, ms. @default {300_000} */
  maxAheadMs?: number;
  /** The records to dead-letter, kept across restarts. @default {a new trail} */
  trail?: RecordTrail;
  /**
   * Aborted when a stop has waited long enough for the store: a market that cannot be loaded by
   * then is not retried, and the records left are not handled (nor committed).
   */
  giveUp?: AbortSignal;
}

/**
 * Makes the Aggregator actor.
 *
 * @param options The book, the store, the bookkeeping and the clock.
 * @returns The actor; once its inbox is drained it writes everything left and ends.
 */
export function aggregator(options: AggregatorOptions): Actor<InRecord, CandleBatch> {
  const { book, store, offsets, report, now } = options;
  const tickMs = options.tickMs ?? 100;
  const batchSize = options.batchSize ?? 512;
  const backlogWriteMs = options.backlogWriteMs ?? 250;
  const maxAheadMs = options.maxAheadMs ?? DEFAULT_MAX_AHEAD_MS;
  const trail = options.trail ?? new RecordTrail();
  const giveUp = options.giveUp ?? new AbortController().signal;

  /**
   * Takes a market over, retrying while the store is away; returns the store's reason instead
   * when it refuses for good.
   */
  const claim = async (market: Market, signal: AbortSignal): Promise<string | null> => {
    const key = marketKey(market);
    for (let attempt = 0;; attempt++) {
      try {
        book.claim(key, await store.loadMarket(market, book.horizonMs), now());
        report.storeHealth.succeeded();
        trail.forget(key);
        return null;
      } catch (error) {
        if (signal.aborted) throw error;
        if (isPermanentStoreError(error)) {
          report.claimsRefused++;
          return `the store refused to take ${key} over: ${error.message}`;
        }
        if (giveUp.aborted) throw giveUp.reason;
        report.storeErrors++;
        report.storeHealth.failed(now(), error instanceof Error ? error.message : String(error));
        logger.warn("Cannot load {market} from the store, retrying: {error}", {
          market: key,
          error: error instanceof Error ? error.message : String(error),
        });
        await delay(backoffDelay(attempt, { minMs: 200, maxMs: 5_000 }), {
          signal: AbortSignal.any([signal, giveUp]),
        });
      }
    }
  };

  return async (inbox, outbox, ctx) => {
    /** Records handled since the last batch went to the sink. */
    let unsent = 0;
    /** When the last batch went to the sink (wall clock, ms). */
    let sentAt = now();
    const send = async (markets: string[]) => {
      // With nothing to write, records that changed nothing (repeats, late prices: a replay of
      // what the store holds) are still handed over, to be committed, once nothing is pending.
      if (markets.length === 0 && (unsent === 0 || book.dirtyMarkets.length > 0)) return;
      const flush = book.flush(markets);
      const commits = offsets.written(markets);
      if (flush.write.states.length === 0 && commits.length === 0) return;
      unsent = 0;
      sentAt = now();
      await outbox.send({ flush, commits, ...trail.take(markets) });
    };
    const refuse = (record: InRecord, reason: string) => {
      report.bad++;
      trail.refuse(deadLetterOf(record, reason, now()));
      offsets.processed(record, null);
    };
    const handle = async (record: InRecord) => {
      if (!offsets.owns(record)) return;
      report.read++;
      unsent++;
      const decoded = decode(record, { now: now(), maxAheadMs });
      if (typeof decoded === "string") return refuse(record, decoded);
      const { observation, latest } = decoded;
      const key = marketKey(observation);
      // A close and its revision go out as two writes, so that both are published.
      if (book.wouldRevisePending(observation)) await send([key]);
      // Claimed last, right before applying: a write found stale meanwhile lets the market go.
      if (!book.has(key)) {
        const refused = await claim(observation, ctx.signal);
        if (refused !== null) return refuse(record, refused);
      }
      const outcome = book.apply(observation, now(), latest);
      if (outcome === "refused") {
        return refuse(record, "price × size would make a candle's volume or VWAP overflow");
      }
      if (outcome === "added") trail.added(key, record);
      offsets.processed(record, outcome === "added" ? key : null);
    };

    const take = async () => {
      const wait = AbortSignal.any([ctx.signal, AbortSignal.timeout(tickMs)]);
      try {
        return await inbox.receiveBatch(batchSize, { signal: wait });
      } catch (error) {
        if (ctx.signal.aborted || !isAbort(error, wait)) throw error;
        return [];
      }
    };
    try {
      for await (const batch of untilClosed(take)) {
        for (let i = 0; i < batch.length; i++) {
          await handle(batch[i]!);
          inbox.handled?.(i + 1);
        }
        const time = now();
        book.closeIdle(time);
        // A full batch says more records are waiting: they go into the same write, up to a point.
        if (batch.length < batchSize || time - sentAt >= backlogWriteMs) {
          await send(book.due(time));
        }
      }
    } catch (error) {
      if (!(giveUp.aborted && error === giveUp.reason)) throw error;
      // Stopping, and the store cannot even be read: what is left is read again next time.
      logger.warn("Stopped without the store: records not handled are not committed");
      return;
    }
    // Drained: everything not yet written goes now.
    await send(book.dirtyMarkets);
  };
}

/**
 * A record as an observation of its market, with the latest price it makes, or the reason it is
 * not one. A trade's `side` is Coinbase's maker side: its taker is the other one.
 */
function decode(
  record: InRecord,
  read: ReadTime,
): { observation: Observation; latest: LatestPrice } | string {
  const { key, value, headers, notUtf8 } = record;
  if (headers["schema"] === "crypto-trade/v1") {
    const trade = decodeTrade(key, value, headers, read, notUtf8);
    if (!trade.ok) return trade.reason;
    const { message } = trade;
    const time = Date.parse(message.time);
    const market: Market = { source: "coinbase", product: message.product_id };
    return {
      observation: {
        ...market,
        time,
        price: message.price,
        size: message.size,
        taker: takerSide(message.side),
        id: tradeIdentity(message.trade_id),
      },
      latest: {
        ...market,
        symbol: message.symbol,
        priceUsd: message.price,
        volume24h: null,
        marketCap: null,
        priceChange24h: null,
        eventTime: time,
      },
    };
  }
  const price = decodePrice(key, value, headers, read, notUtf8);
  if (!price.ok) return price.reason;
  const { message } = price;
  const observation = priceObservation(message);
  return {
    observation,
    latest: {
      source: observation.source,
      product: observation.product,
      symbol: message.symbol,
      priceUsd: message.price_usd,
      volume24h: message.volume_24h,
      marketCap: message.market_cap,
      priceChange24h: message.price_change_24h,
      eventTime: observation.time,
    },
  };
}
