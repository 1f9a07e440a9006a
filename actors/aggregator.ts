/**
 * The Aggregator: checks each consumed record (a price of SPEC §4 or a trade of §11), folds it
 * into the candle book, and hands the changes that are due to the CandleSink as one write, with
 * the offsets that write makes safe to commit. A symbol seen for the first time is taken over
 * from the store first (its state, and the candles that may still change), so a restart carries
 * on where the last write left off.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { InRecord } from "../kafka/transport.ts";
import type { CandleBook, Flush } from "../market/candle_book.ts";
import type { CandleReport } from "../report/candle_report.ts";
import { priceObservation, tradeIdentity } from "../market/observation.ts";
import { decodePrice } from "../market/messages/price_message.ts";
import { decodeTrade } from "../market/messages/trade_message.ts";
import type { Actor } from "../runtime/actor.ts";
import { backoffDelay } from "../runtime/backoff.ts";
import { untilClosed } from "../runtime/channel.ts";
import { delay, isAbort } from "../runtime/delay.ts";
import type { CandleStore } from "../store/candle_store.ts";
import type { LatestPrice } from "../market/latest_price.ts";

const logger = getLogger(["crypto", "aggregator"]);

/** The last offset of a partition that is safe to commit. */
export interface CommitPoint {
  /** The topic. */
  topic: string;
  /** The partition. */
  partition: number;
  /** The last offset whose effects are all in the store, decimal. */
  offset: string;
}

/** What the Aggregator hands the CandleSink. */
export interface CandleBatch {
  /** The write and the candles closed or revised in it. */
  flush: Flush;
  /** What may be committed once the write is in the store. */
  commits: CommitPoint[];
}

/**
 * Which offsets are safe to commit: per partition, everything up to the first record whose change
 * to a symbol is not yet written.
 */
export class PendingOffsets {
  /** Per topic and partition, the last offset handled (decimal, as the record carries it). */
  #positions = new Map<string, Map<number, Position>>();
  /** Per symbol with changes not yet taken for a write, its partition and the first such offset. */
  #firstDirty = new Map<string, { position: Position; offset: string }>();
  #owner = new Map<string, Position>();
  #assigned = new Map<string, Set<number>>();

  /**
   * Whether a record's partition is this process's: false for a record of a partition that went
   * to another process while the record waited in the channel (the new owner reads it again).
   *
   * @param record The record.
   * @returns True unless its partition was revoked.
   */
  owns(record: Pick<InRecord, "topic" | "partition">): boolean {
    return this.#assigned.get(record.topic)?.has(record.partition) ?? true;
  }

  /**
   * A record was handled. (Called for every record: it keeps offsets as the records' own text,
   * and works with 64-bit numbers only when a write is taken.)
   *
   * @param record The record.
   * @param changed The symbol whose state it changed, or null when it changed nothing.
   */
  processed(record: InRecord, changed: string | null): void {
    let partitions = this.#positions.get(record.topic);
    if (!partitions) this.#positions.set(record.topic, partitions = new Map());
    let position = partitions.get(record.partition);
    if (!position) {
      partitions.set(
        record.partition,
        position = { topic: record.topic, partition: record.partition, last: record.offset },
      );
    }
    position.last = record.offset;
    if (changed !== null) {
      this.#owner.set(changed, position);
      if (!this.#firstDirty.has(changed)) {
        this.#firstDirty.set(changed, { position, offset: record.offset });
      }
    }
  }

  /**
   * The symbols' changes were taken for a write: works out what that write makes safe.
   *
   * @param symbols The symbols written.
   * @returns Per partition, the last offset safe to commit once the write is in the store.
   */
  written(symbols: readonly string[]): CommitPoint[] {
    for (const symbol of symbols) this.#firstDirty.delete(symbol);
    const oldest = new Map<Position, bigint>();
    for (const { position, offset } of this.#firstDirty.values()) {
      const first = BigInt(offset);
      const known = oldest.get(position);
      if (known === undefined || first < known) oldest.set(position, first);
    }
    const points: CommitPoint[] = [];
    for (const partitions of this.#positions.values()) {
      for (const position of partitions.values()) {
        const dirty = oldest.get(position);
        const safe = dirty === undefined ? BigInt(position.last) : dirty - 1n;
        if (safe >= 0n) {
          points.push({ topic: position.topic, partition: position.partition, offset: `${safe}` });
        }
      }
    }
    return points;
  }

  /**
   * The last offset handled on a partition, or null.
   *
   * @param topic The topic.
   * @param partition The partition.
   * @returns The offset.
   */
  position(topic: string, partition: number): bigint | null {
    const last = this.#positions.get(topic)?.get(partition)?.last;
    return last === undefined ? null : BigInt(last);
  }

  /**
   * Forgets the partitions of a topic not in `partitions` (they went to another process), and
   * returns the symbols that came from them.
   *
   * @param topic The topic.
   * @param partitions The partitions still assigned.
   * @returns The symbols to let go.
   */
  revoke(topic: string, partitions: readonly number[]): string[] {
    const kept = new Set(partitions);
    this.#assigned.set(topic, kept);
    const byPartition = this.#positions.get(topic);
    for (const partition of [...byPartition?.keys() ?? []]) {
      if (!kept.has(partition)) byPartition!.delete(partition);
    }
    const gone = (p: Position) => p.topic === topic && !kept.has(p.partition);
    const symbols = [...this.#owner].filter(([, p]) => gone(p)).map(([s]) => s);
    for (const symbol of symbols) {
      this.#owner.delete(symbol);
      this.#firstDirty.delete(symbol);
    }
    return symbols;
  }
}

/** Where a partition stands. */
interface Position {
  topic: string;
  partition: number;
  last: string;
}

/** What the Aggregator needs. */
export interface AggregatorOptions {
  /** The candles, kept across restarts of the actor. */
  book: CandleBook;
  /** Where a symbol seen for the first time is loaded from. */
  store: Pick<CandleStore, "loadSymbol">;
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

  const claim = async (symbol: string, signal: AbortSignal) => {
    for (let attempt = 0;; attempt++) {
      try {
        book.claim(symbol, await store.loadSymbol(symbol, book.horizonMs), now());
        return;
      } catch (error) {
        if (signal.aborted) throw error;
        report.storeErrors++;
        logger.warn("Cannot load {symbol} from the store, retrying: {error}", {
          symbol,
          error: error instanceof Error ? error.message : String(error),
        });
        await delay(backoffDelay(attempt, { minMs: 200, maxMs: 5_000 }), { signal });
      }
    }
  };

  return async (inbox, outbox, ctx) => {
    /** Records handled since the last batch went to the sink. */
    let unsent = 0;
    const send = async (symbols: string[]) => {
      // With nothing to write, records that changed nothing (repeats, late prices: a replay of
      // what the store holds) are still handed over, to be committed, once nothing is pending.
      if (symbols.length === 0 && (unsent === 0 || book.dirtySymbols.length > 0)) return;
      const flush = book.flush(symbols);
      const commits = offsets.written(symbols);
      if (flush.write.states.length === 0 && commits.length === 0) return;
      unsent = 0;
      await outbox.send({ flush, commits });
    };
    const handle = async (record: InRecord) => {
      if (!offsets.owns(record)) return;
      report.read++;
      unsent++;
      const decoded = decode(record);
      if (typeof decoded === "string") {
        report.bad++;
        logger.warn("Skipped a bad message at partition {partition} offset {offset}: {reason}", {
          partition: record.partition,
          offset: record.offset,
          reason: decoded,
        });
        offsets.processed(record, null);
        return;
      }
      const { observation, latest } = decoded;
      // A close and its revision go out as two writes, so that both are published.
      if (book.wouldRevisePending(observation)) await send([observation.symbol]);
      // Claimed last, right before applying: a write found stale meanwhile lets the symbol go.
      if (!book.has(observation.symbol)) await claim(observation.symbol, ctx.signal);
      const outcome = book.apply(observation, now(), latest);
      offsets.processed(record, outcome === "added" ? observation.symbol : null);
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
    for await (const batch of untilClosed(take)) {
      for (let i = 0; i < batch.length; i++) {
        await handle(batch[i]!);
        inbox.handled?.(i + 1);
      }
      const time = now();
      book.closeIdle(time);
      await send(book.due(time));
    }
    // Drained: everything not yet written goes now.
    await send(book.dirtySymbols);
  };
}

/** A record as an observation, or the reason it is not one. */
function decode(
  record: InRecord,
): { observation: ReturnType<typeof priceObservation>; latest: LatestPrice } | string {
  const { key, value, headers, notUtf8 } = record;
  if (headers["schema"] === "crypto-trade/v1") {
    const trade = decodeTrade(key, value, headers, notUtf8);
    if (!trade.ok) return trade.reason;
    const { message } = trade;
    const time = Date.parse(message.time);
    return {
      observation: {
        symbol: message.symbol,
        time,
        price: message.price,
        size: message.size,
        id: tradeIdentity(message.trade_id),
      },
      latest: {
        symbol: message.symbol,
        priceUsd: message.price,
        volume24h: null,
        marketCap: null,
        priceChange24h: null,
        eventTime: time,
      },
    };
  }
  const price = decodePrice(key, value, headers, notUtf8);
  if (!price.ok) return price.reason;
  const { message } = price;
  const observation = priceObservation(message);
  return {
    observation,
    latest: {
      symbol: message.symbol,
      priceUsd: message.price_usd,
      volume24h: message.volume_24h,
      marketCap: message.market_cap,
      priceChange24h: message.price_change_24h,
      eventTime: observation.time,
    },
  };
}
