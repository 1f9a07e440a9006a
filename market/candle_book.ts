/**
 * The candle aggregation (docs/candles.md) as plain state and functions: observations folded into
 * tumbling event-time windows per symbol and interval, a watermark per symbol that closes them,
 * idle closing by the wall clock, allowed lateness with revisions, and repeats recognised by
 * identity. No I/O and no clock of its own: the caller passes the time and persists what
 * {@linkcode CandleBook.flush} returns.
 *
 * @module
 */
import { type Candle, type Interval, intervalMs } from "./candle.ts";
import type { LatestPrice } from "./latest_price.ts";
import type { LoadedSymbol } from "./loaded_symbol.ts";
import type { Observation } from "./observation.ts";
import { SeenSet } from "./seen_set.ts";
import type { StoreWrite } from "./store_write.ts";
import type { SymbolState } from "./symbol_state.ts";

/** How windows close. */
export interface CandleBookOptions {
  /** The intervals, each a candle per window. */
  intervals: readonly Interval[];
  /** The watermark trails a symbol's latest event time by this much, ms. */
  outOfOrdernessMs: number;
  /** A closed window still takes observations (as revisions) until the watermark passes its end by this much, ms. */
  allowedLatenessMs: number;
  /** A symbol with no new observation for this long (wall clock) has its open windows closed, ms. */
  idleTimeoutMs: number;
  /** An open candle that changed is written at most this often, ms. @default {1_000} */
  openFlushMs?: number;
}

/** What became of an observation. */
export type Outcome = "added" | "repeat" | "late";

/** A candle as it is worked on: the candle and the sum of price × size for its VWAP. */
interface Working {
  candle: Candle;
  priceVolume: number;
}

interface SymbolBook {
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
}

/**
 * The candles of every symbol being aggregated.
 *
 * @example
 * ```ts
 * import { CandleBook } from "./candle_book.ts";
 * const book = new CandleBook({ intervals: ["1m"], outOfOrdernessMs: 0, allowedLatenessMs: 0, idleTimeoutMs: 60_000 });
 * book.claim("BTC", { state: null, epoch: 1, candles: [] }, 0);
 * book.apply({ symbol: "BTC", time: 1_000, price: 10, size: null, id: 1_000 }, 0);
 * book.apply({ symbol: "BTC", time: 61_000, price: 11, size: null, id: 61_000 }, 0);
 * const { closed } = book.flush(["BTC"]);
 * console.log(closed.map((c) => [c.open, c.close, c.samples])); // [[10, 10, 1]]
 * ```
 */
export class CandleBook {
  readonly #intervals: readonly Interval[];
  readonly #ooo: number;
  readonly #lateness: number;
  readonly #idle: number;
  readonly #openFlush: number;
  readonly #largest: number;
  #symbols = new Map<string, SymbolBook>();
  /** Counts since the book was made. */
  readonly counts: BookCounts = { added: 0, repeats: 0, late: 0, closed: 0, revisions: 0 };

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

  /** How far back from a symbol's latest event time its candles may still change, ms: what to load. */
  get horizonMs(): number {
    return this.#ooo + this.#lateness;
  }

  /**
   * Whether a symbol is held (claimed and not dropped).
   *
   * @param symbol The symbol.
   * @returns True when held.
   */
  has(symbol: string): boolean {
    return this.#symbols.has(symbol);
  }

  /** The symbols held. */
  get symbols(): string[] {
    return [...this.#symbols.keys()];
  }

  /**
   * Takes a symbol over with what the store holds of it.
   *
   * @param symbol The symbol.
   * @param loaded Its state, claimed epoch and candles that may still change.
   * @param now The wall-clock time, ms (its idle timeout starts now).
   */
  claim(symbol: string, loaded: LoadedSymbol, now: number): void {
    const candles = new Map(this.#intervals.map((i) => [i, new Map<number, Working>()]));
    for (const candle of loaded.candles) {
      candles.get(candle.interval)?.set(candle.windowStart, {
        candle: { ...candle },
        priceVolume: candle.vwap !== null && candle.volume !== null
          ? candle.vwap * candle.volume
          : 0,
      });
    }
    this.#symbols.set(symbol, {
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
    });
  }

  /**
   * Lets go of a symbol (its partition went to another process); what was not flushed is
   * forgotten, to be read again by the new owner.
   *
   * @param symbol The symbol.
   */
  drop(symbol: string): void {
    this.#symbols.delete(symbol);
  }

  /**
   * A symbol's watermark: its latest event time less the out-of-orderness.
   *
   * @param symbol The symbol.
   * @returns The watermark, ms; -Infinity before any observation.
   */
  watermark(symbol: string): number {
    return (this.#symbols.get(symbol)?.maxEvent ?? -Infinity) - this.#ooo;
  }

  /**
   * Folds an observation into its symbol's candles: one per interval, unless the window is past
   * its allowed lateness. A repeat changes nothing. A new latest event time moves the watermark,
   * which closes the windows it passes.
   *
   * @param observation The observation; its symbol must have been claimed.
   * @param now The wall-clock time, ms.
   * @param latest The latest price it carries, kept when it is the newest.
   * @returns What became of it.
   */
  apply(observation: Observation, now: number, latest?: LatestPrice): Outcome {
    const book = this.#symbols.get(observation.symbol);
    if (!book) throw new Error(`Symbol ${observation.symbol} was not claimed`);
    if (book.seen.has(observation.id)) {
      this.counts.repeats++;
      return "repeat";
    }
    const { time } = observation;
    const watermark = book.maxEvent - this.#ooo;
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
            symbol: observation.symbol,
            interval,
            windowStart,
            windowEnd,
            open: observation.price,
            high: observation.price,
            low: observation.price,
            close: observation.price,
            samples: 1,
            volume: observation.size,
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
   * @returns True when the symbol's changes should be flushed before applying it.
   */
  wouldRevisePending(observation: Observation): boolean {
    const book = this.#symbols.get(observation.symbol);
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
   * Closes the open windows of every symbol idle for the idle timeout.
   *
   * @param now The wall-clock time, ms.
   * @returns How many candles it closed.
   */
  closeIdle(now: number): number {
    let closed = 0;
    for (const book of this.#symbols.values()) {
      if (now - book.lastSeenAt >= this.#idle) {
        closed += this.#closeUpTo(book, Infinity);
        if (book.dirtySince === null && book.dirty.size > 0) book.dirtySince = now;
      }
    }
    return closed;
  }

  /**
   * The symbols whose changes are due to be written: those with a closed or revised candle at
   * once, the others once their first unwritten change is `openFlushMs` old.
   *
   * @param now The wall-clock time, ms.
   * @returns The symbols.
   */
  due(now: number): string[] {
    const due: string[] = [];
    for (const [symbol, book] of this.#symbols) {
      if (book.dirtySince === null && !book.latestDirty && book.dirty.size === 0) continue;
      if (book.closed.size > 0 || now - (book.dirtySince ?? now) >= this.#openFlush) {
        due.push(symbol);
      }
    }
    return due;
  }

  /** Symbols with changes not yet written. */
  get dirtySymbols(): string[] {
    return [...this.#symbols].filter(([, b]) => b.dirty.size > 0 || b.latestDirty).map(([s]) => s);
  }

  /**
   * Takes the changes of the given symbols for one atomic write, and lets go of what can no
   * longer change (candles past their allowed lateness, identities too old to matter).
   *
   * @param symbols The symbols to write.
   * @returns The write, and the candles closed or revised among it.
   */
  flush(symbols: readonly string[]): Flush {
    const write: StoreWrite = { states: [], candles: [], latest: [], publish: [] };
    const closed: Candle[] = [];
    for (const symbol of symbols) {
      const book = this.#symbols.get(symbol);
      if (!book || (book.dirty.size === 0 && !book.latestDirty)) continue;
      const state: SymbolState = {
        symbol,
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

  #closeUpTo(book: SymbolBook, watermark: number): number {
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
  #evict(book: SymbolBook): void {
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
  if (size !== null) {
    candle.volume = (candle.volume ?? 0) + size;
    working.priceVolume += price * size;
    candle.vwap = candle.volume > 0 ? working.priceVolume / candle.volume : null;
  }
}

const INTERVAL_ORDER = (interval: Interval) => intervalMs(interval);

/**
 * Orders candles by window end, then interval, then symbol: how closed candles are printed.
 *
 * @param a One candle.
 * @param b Another.
 * @returns Negative, zero or positive.
 */
export function candleOrder(a: Candle, b: Candle): number {
  return a.windowEnd - b.windowEnd || INTERVAL_ORDER(a.interval) - INTERVAL_ORDER(b.interval) ||
    (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);
}
