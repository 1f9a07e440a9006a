/**
 * The candle aggregation (docs/candles.md) as plain state and functions: observations folded into
 * tumbling event-time windows per market (source and product, `marketKey`) and interval, a
 * watermark per market that closes them, idle closing by the wall clock, allowed lateness with
 * revisions, and repeats recognised by identity. Prices and trades, or two products of one base
 * currency, never share a candle. No I/O and no clock of its own: the caller passes the time and persists what
 * {@linkcode CandleBook.flush} returns.
 *
 * @module
 */
import { type Candle, type Interval, intervalMs } from "./candle.ts";
import type { LatestPrice } from "./latest_price.ts";
import type { LoadedMarket } from "./loaded_market.ts";
import { type Market, marketKey, parseMarketKey, productParts, type Source } from "./market.ts";
import type { MarketState } from "./market_state.ts";
import type { Observation } from "./observation.ts";
import { SeenSet } from "./seen_set.ts";
import type { StoreWrite } from "./store_write.ts";

/** How windows close. */
export interface CandleBookOptions {
  /** The intervals, each a candle per window. */
  intervals: readonly Interval[];
  /** The watermark trails a market's latest event time by this much, ms. */
  outOfOrdernessMs: number;
  /** A closed window still takes observations (as revisions) until the watermark passes its end by this much, ms. */
  allowedLatenessMs: number;
  /** A market with no new observation for this long (wall clock) has its open windows closed, ms. */
  idleTimeoutMs: number;
  /** An open candle that changed is written at most this often, ms. @default {1_000} */
  openFlushMs?: number;
}

/**
 * What became of an observation: `refused` when folding it would make a candle hold a number
 * that is not finite (a volume or a VWAP sum overflowing; the bounds every record is checked
 * against keep such observations out before they get here).
 */
export type Outcome = "added" | "repeat" | "late" | "refused";

/** A candle as it is worked on: the candle and the sum of price × size for its VWAP. */
interface Working {
  candle: Candle;
  priceVolume: number;
}

interface MarketBook {
  /** The market's source, product, base and quote currencies: every candle's. */
  source: Source;
  product: string;
  symbol: string;
  quote: string;
  maxEvent: number;
  seen: SeenSet;
  /** Per interval, by window start. */
  candles: Map<Interval, Map<number, Working>>;
  epoch: number;
  lastSeenAt: number;
  latest: LatestPrice | null;
  latestDirty: boolean;
  /** Candles changed since the last flush. */
  dirty: Set<Working>;
  /** Candles closed or revised since the last flush (to publish). */
  closed: Set<Working>;
  /** When the first unflushed change was made (wall clock), or null when clean. */
  dirtySince: number | null;
}

/** What {@linkcode CandleBook.flush} hands over for the store. */
export interface Flush {
  /** The write: states, candles, latest prices and the candles to publish. */
  write: StoreWrite;
  /** The candles closed or revised since the last flush, in window order. */
  closed: Candle[];
  /** Every candle written, as written. */
  changed: Candle[];
}

/** Counts since the book was made. */
export interface BookCounts {
  /** Observations folded into at least one candle. */
  added: number;
  /** Observations already counted. */
  repeats: number;
  /** Observations too late for every interval, dropped. */
  late: number;
  /** Candles closed (first time). */
  closed: number;
  /** Revisions of closed candles. */
  revisions: number;
  /** Observations refused because a candle would no longer hold finite numbers. */
  refused: number;
}

/** A market, or its key (`marketKey`). */
export type MarketRef = Market | string;

const keyOf = (market: MarketRef): string =>
  typeof market === "string" ? market : marketKey(market);

/**
 * The candles of every market being aggregated.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CandleBook } from "./candle_book.ts";
 * const book = new CandleBook({ intervals: ["1m"], outOfOrdernessMs: 0, allowedLatenessMs: 0, idleTimeoutMs: 60_000 });
 * const market = { source: "coingecko", product: "BTC-USD" } as const;
 * book.claim(market, { state: null, epoch: 1, candles: [] }, 0);
 * book.apply({ ...market, time: 1_000, price: 10, size: null, taker: null, id: 1_000 }, 0);
 * book.apply({ ...market, time: 61_000, price: 11, size: null, taker: null, id: 61_000 }, 0);
 * const { closed } = book.flush(["coingecko:BTC-USD"]);
 * assert.deepEqual(closed.map((c) => [c.product, c.open, c.close, c.samples]), [["BTC-USD", 10, 10, 1]]);
 * ```
 */
export class CandleBook {
  readonly #intervals: readonly Interval[];
  readonly #ooo: number;
  readonly #lateness: number;
  readonly #idle: number;
  readonly #openFlush: number;
  readonly #largest: number;
  /** By market key. */
  #markets = new Map<string, MarketBook>();
  /** The same books by source, then product: found without building the market's key. */
  #bySource = new Map<Source, Map<string, MarketBook>>();
  /** Counts since the book was made. */
  readonly counts: BookCounts = {
    added: 0,
    repeats: 0,
    late: 0,
    closed: 0,
    revisions: 0,
    refused: 0,
  };

  /** @param options Intervals, out-of-orderness, lateness and idle timeout. */
  constructor(options: CandleBookOptions) {
    if (options.intervals.length === 0) throw new RangeError("At least one interval is needed");
    this.#intervals = [...options.intervals].sort((a, b) => intervalMs(a) - intervalMs(b));
    this.#ooo = options.outOfOrdernessMs;
    this.#lateness = options.allowedLatenessMs;
    this.#idle = options.idleTimeoutMs;
    this.#openFlush = options.openFlushMs ?? 1_000;
    this.#largest = intervalMs(this.#intervals[this.#intervals.length - 1]!);
  }

  /** How far back from a market's latest event time its candles may still change, ms: what to load. */
  get horizonMs(): number {
    return this.#ooo + this.#lateness;
  }

  /**
   * Whether a market is held (claimed and not dropped).
   *
   * @param market The market or its key.
   * @returns True when held.
   */
  has(market: MarketRef): boolean {
    return typeof market === "string"
      ? this.#markets.has(market)
      : this.#find(market) !== undefined;
  }

  /** The keys of the markets held. */
  get markets(): string[] {
    return [...this.#markets.keys()];
  }

  /**
   * Takes a market over with what the store holds of it.
   *
   * @param market The market or its key.
   * @param loaded Its state, claimed epoch and candles that may still change.
   * @param now The wall-clock time, ms (its idle timeout starts now).
   * @throws {RangeError} When the key names no market.
   */
  claim(market: MarketRef, loaded: LoadedMarket, now: number): void {
    const key = keyOf(market);
    const parsed = parseMarketKey(key);
    const parts = parsed && productParts(parsed.product);
    if (!parsed || !parts) throw new RangeError(`Cannot claim ${key}: not a market`);
    const candles = new Map(this.#intervals.map((i) => [i, new Map<number, Working>()]));
    for (const candle of loaded.candles) {
      candles.get(candle.interval)?.set(candle.windowStart, {
        candle: { ...candle },
        priceVolume: candle.vwap !== null && candle.volume !== null
          ? candle.vwap * candle.volume
          : 0,
      });
    }
    const book: MarketBook = {
      source: parsed.source,
      product: parsed.product,
      symbol: parts.symbol,
      quote: parts.quote,
      maxEvent: loaded.state?.maxEvent ?? -Infinity,
      seen: loaded.state ? SeenSet.decode(loaded.state.seen) : new SeenSet(),
      candles,
      epoch: loaded.epoch,
      lastSeenAt: now,
      latest: null,
      latestDirty: false,
      dirty: new Set(),
      closed: new Set(),
      dirtySince: null,
    };
    this.#markets.set(key, book);
    this.#productsOf(parsed.source).set(parsed.product, book);
  }

  /**
   * Lets go of a market (its partition went to another process); what was not flushed is
   * forgotten, to be read again by the new owner.
   *
   * @param market The market or its key.
   */
  drop(market: MarketRef): void {
    const key = keyOf(market);
    const book = this.#markets.get(key);
    if (!book) return;
    this.#markets.delete(key);
    this.#bySource.get(book.source)?.delete(book.product);
  }

  /**
   * A market's watermark: its latest event time less the out-of-orderness.
   *
   * @param market The market or its key.
   * @returns The watermark, ms; -Infinity before any observation.
   */
  watermark(market: MarketRef): number {
    return (this.#markets.get(keyOf(market))?.maxEvent ?? -Infinity) - this.#ooo;
  }

  /**
   * Folds an observation into its market's candles: one per interval, unless the window is past
   * its allowed lateness. A repeat changes nothing. A new latest event time moves the watermark,
   * which closes the windows it passes.
   *
   * @param observation The observation; its market must have been claimed.
   * @param now The wall-clock time, ms.
   * @param latest The latest price it carries, kept when it is the newest.
   * @returns What became of it.
   */
  apply(observation: Observation, now: number, latest?: LatestPrice): Outcome {
    const book = this.#find(observation);
    if (!book) throw new Error(`Market ${marketKey(observation)} was not claimed`);
    if (book.seen.has(observation.id)) {
      this.counts.repeats++;
      return "repeat";
    }
    const { time } = observation;
    const watermark = book.maxEvent - this.#ooo;
    if (!this.#foldable(book, observation, watermark)) {
      this.counts.refused++;
      return "refused";
    }
    let accepted = false;
    for (const interval of this.#intervals) {
      const size = intervalMs(interval);
      const windowStart = Math.floor(time / size) * size;
      const windowEnd = windowStart + size;
      if (watermark >= windowEnd + this.#lateness) continue;
      const windows = book.candles.get(interval)!;
      let working = windows.get(windowStart);
      if (working) {
        fold(working, observation);
        if (working.candle.closed) {
          working.candle.revision++;
          this.counts.revisions++;
          book.closed.add(working);
        }
      } else {
        const closed = watermark >= windowEnd;
        working = {
          candle: {
            source: book.source,
            product: book.product,
            symbol: book.symbol,
            quote: book.quote,
            interval,
            windowStart,
            windowEnd,
            open: observation.price,
            high: observation.price,
            low: observation.price,
            close: observation.price,
            samples: 1,
            trades: 1,
            volume: observation.size,
            buyVolume: observation.size === null
              ? null
              : observation.taker === "buy"
              ? observation.size
              : 0,
            sellVolume: observation.size === null
              ? null
              : observation.taker === "sell"
              ? observation.size
              : 0,
            vwap: observation.size === null ? null : observation.price,
            firstEvent: time,
            lastEvent: time,
            closed,
            revision: 0,
          },
          priceVolume: observation.size === null ? 0 : observation.price * observation.size,
        };
        windows.set(windowStart, working);
        if (closed) {
          this.counts.closed++;
          book.closed.add(working);
        }
      }
      book.dirty.add(working);
      accepted = true;
    }
    if (!accepted) {
      this.counts.late++;
      return "late";
    }
    this.counts.added++;
    book.seen.add(observation.id, time);
    book.lastSeenAt = now;
    book.dirtySince ??= now;
    if (latest && (book.latest === null || latest.eventTime >= book.latest.eventTime)) {
      book.latest = latest;
      book.latestDirty = true;
    }
    if (time > book.maxEvent) {
      book.maxEvent = time;
      this.#closeUpTo(book, time - this.#ooo);
    }
    return "added";
  }

  /**
   * Whether an observation would revise a candle whose close (or last revision) is not written
   * yet: then that one should be written first, so that every revision is published as it was.
   *
   * @param observation The observation.
   * @returns True when the market's changes should be flushed before applying it.
   */
  wouldRevisePending(observation: Observation): boolean {
    const book = this.#find(observation);
    if (!book || book.closed.size === 0 || book.seen.has(observation.id)) return false;
    const watermark = book.maxEvent - this.#ooo;
    for (const interval of this.#intervals) {
      const size = intervalMs(interval);
      const windowStart = Math.floor(observation.time / size) * size;
      if (watermark >= windowStart + size + this.#lateness) continue;
      const working = book.candles.get(interval)!.get(windowStart);
      if (working && book.closed.has(working)) return true;
    }
    return false;
  }

  /**
   * Closes the open windows of every market idle for the idle timeout.
   *
   * @param now The wall-clock time, ms.
   * @returns How many candles it closed.
   */
  closeIdle(now: number): number {
    let closed = 0;
    for (const book of this.#markets.values()) {
      if (now - book.lastSeenAt >= this.#idle) {
        closed += this.#closeUpTo(book, Infinity);
        if (book.dirtySince === null && book.dirty.size > 0) book.dirtySince = now;
      }
    }
    return closed;
  }

  /**
   * The markets whose changes are due to be written: those with a closed or revised candle at
   * once, the others once their first unwritten change is `openFlushMs` old.
   *
   * @param now The wall-clock time, ms.
   * @returns The markets' keys.
   */
  due(now: number): string[] {
    const due: string[] = [];
    for (const [key, book] of this.#markets) {
      if (book.dirtySince === null && !book.latestDirty && book.dirty.size === 0) continue;
      if (book.closed.size > 0 || now - (book.dirtySince ?? now) >= this.#openFlush) {
        due.push(key);
      }
    }
    return due;
  }

  /** The keys of the markets with changes not yet written. */
  get dirtyMarkets(): string[] {
    return [...this.#markets].filter(([, b]) => b.dirty.size > 0 || b.latestDirty).map(([k]) => k);
  }

  /**
   * Takes the changes of the given markets for one atomic write, and lets go of what can no
   * longer change (candles past their allowed lateness, identities too old to matter).
   *
   * @param markets The markets to write, or their keys.
   * @returns The write, and the candles closed or revised among it.
   */
  flush(markets: readonly MarketRef[]): Flush {
    const write: StoreWrite = { states: [], candles: [], latest: [], publish: [] };
    const closed: Candle[] = [];
    for (const market of markets) {
      const key = keyOf(market);
      const book = this.#markets.get(key);
      if (!book || (book.dirty.size === 0 && !book.latestDirty)) continue;
      const state: MarketState = {
        market: key,
        maxEvent: book.maxEvent,
        seen: "",
        epoch: book.epoch,
      };
      for (const working of book.dirty) {
        const candle = { ...working.candle };
        write.candles.push(candle);
        if (book.closed.has(working)) closed.push(candle);
      }
      if (book.latestDirty && book.latest) write.latest.push(book.latest);
      book.dirty.clear();
      book.closed.clear();
      book.latestDirty = false;
      book.dirtySince = null;
      this.#evict(book);
      state.seen = book.seen.encode();
      write.states.push(state);
    }
    closed.sort(candleOrder);
    write.publish = closed;
    return { write, closed, changed: write.candles };
  }

  #find(market: Market): MarketBook | undefined {
    return this.#bySource.get(market.source)?.get(market.product);
  }

  #productsOf(source: Source): Map<string, MarketBook> {
    let products = this.#bySource.get(source);
    if (!products) this.#bySource.set(source, products = new Map());
    return products;
  }

  /**
   * Whether every candle the observation goes into keeps finite numbers once it is folded in:
   * its price, and for a trade its volume, its sum of price × size and its VWAP.
   */
  #foldable(book: MarketBook, observation: Observation, watermark: number): boolean {
    const { price, size, time } = observation;
    if (!(Number.isFinite(price) && price > 0 && Number.isFinite(time))) return false;
    if (size === null) return true;
    // A trade says who initiated it: without that its volume could not be told buy or sell.
    if (observation.taker === null) return false;
    const priceVolume = price * size;
    if (!(Number.isFinite(size) && size > 0 && Number.isFinite(priceVolume))) return false;
    for (const interval of this.#intervals) {
      const length = intervalMs(interval);
      const windowStart = Math.floor(time / length) * length;
      if (watermark >= windowStart + length + this.#lateness) continue;
      const working = book.candles.get(interval)!.get(windowStart);
      if (!working) continue;
      const { volume } = volumesAfter(working.candle, observation);
      const sum = working.priceVolume + priceVolume;
      if (!(Number.isFinite(volume) && Number.isFinite(sum) && Number.isFinite(sum / volume))) {
        return false;
      }
    }
    return true;
  }

  #closeUpTo(book: MarketBook, watermark: number): number {
    let closed = 0;
    for (const windows of book.candles.values()) {
      for (const working of windows.values()) {
        const { candle } = working;
        if (!candle.closed && watermark >= candle.windowEnd) {
          candle.closed = true;
          book.dirty.add(working);
          book.closed.add(working);
          closed++;
        }
      }
    }
    this.counts.closed += closed;
    return closed;
  }

  /** Lets go of the candles and identities that nothing can change any more. */
  #evict(book: MarketBook): void {
    const watermark = book.maxEvent - this.#ooo;
    for (const windows of book.candles.values()) {
      for (const [start, { candle }] of windows) {
        if (candle.closed && watermark >= candle.windowEnd + this.#lateness) windows.delete(start);
      }
    }
    // An observation at time t is taken by some interval only while the watermark is before the
    // end of t's window of the largest interval plus the lateness.
    const oldest = Math.floor((watermark - this.#lateness) / this.#largest) * this.#largest;
    if (Number.isFinite(oldest)) book.seen.pruneBefore(oldest);
  }
}

/** Folds an observation into a candle it belongs to. */
function fold(working: Working, observation: Observation): void {
  const { candle } = working;
  const { price, time, size } = observation;
  if (time < candle.firstEvent) {
    candle.firstEvent = time;
    candle.open = price;
  }
  if (time >= candle.lastEvent) {
    candle.lastEvent = time;
    candle.close = price;
  }
  if (price > candle.high) candle.high = price;
  if (price < candle.low) candle.low = price;
  candle.samples++;
  candle.trades++;
  if (size !== null) {
    const { volume, buyVolume, sellVolume } = volumesAfter(candle, observation);
    candle.volume = volume;
    candle.buyVolume = buyVolume;
    candle.sellVolume = sellVolume;
    working.priceVolume += price * size;
    candle.vwap = volume > 0 ? working.priceVolume / volume : null;
  }
}

/**
 * A candle's volumes once a trade is folded in: its size goes to the buy or the sell volume by
 * its taker's side, and the volume is their sum (so `buyVolume + sellVolume === volume`, exactly).
 * A candle stored with a volume but no order flow (written before markets were told apart) keeps
 * adding to its volume alone.
 */
function volumesAfter(
  candle: Candle,
  observation: Observation,
): { volume: number; buyVolume: number | null; sellVolume: number | null } {
  const size = observation.size ?? 0;
  if (candle.volume !== null && (candle.buyVolume === null || candle.sellVolume === null)) {
    return { volume: candle.volume + size, buyVolume: null, sellVolume: null };
  }
  const buyVolume = (candle.buyVolume ?? 0) + (observation.taker === "buy" ? size : 0);
  const sellVolume = (candle.sellVolume ?? 0) + (observation.taker === "sell" ? size : 0);
  return { volume: buyVolume + sellVolume, buyVolume, sellVolume };
}

const INTERVAL_ORDER = (interval: Interval) => intervalMs(interval);

const compareText = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0;

/**
 * Orders candles by window end, then interval, then product, then source: how closed candles
 * are printed.
 *
 * @param a One candle.
 * @param b Another.
 * @returns Negative, zero or positive.
 */
export function candleOrder(a: Candle, b: Candle): number {
  return a.windowEnd - b.windowEnd || INTERVAL_ORDER(a.interval) - INTERVAL_ORDER(b.interval) ||
    compareText(a.product, b.product) || compareText(a.source, b.source);
}
