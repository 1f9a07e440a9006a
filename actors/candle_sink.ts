/**
 * The CandleSink: writes each batch of the Aggregator to the candle store, retrying with backoff
 * while the store is away (the bounded channel before it then fills, and the Aggregator and the
 * Subscriber wait: back-pressure, nothing skipped); once a write is in, it marks its offsets
 * committable, prints the closed candles and tells whoever listens (Redis, the live stream, the
 * candle topic's publisher, the Alerter). When an Alerter runs, each write also queues its closed
 * candles and revisions for it, in the same transaction.
 *
 * A write the store refuses for good (a value, a type or a constraint; see
 * `store/store_error.ts`) is not retried: it is split by market until the refused markets stand
 * alone, their records go to the dead-letter topic with the store's reason, and every other
 * market is written (docs/candles.md#where-candles-go). The batch's refused records go to the
 * dead-letter topic too; only once the log has them are the batch's offsets committed.
 *
 * A stop waits for the store only so long (`giveUp`): past that, the write under way and every
 * one after it are left unwritten and their offsets uncommitted, to be read again at the next
 * start.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Flush } from "../market/candle_book.ts";
import type { Candle } from "../market/candle.ts";
import { type CandleFormat, formatCandle } from "../report/candle_format.ts";
import type { CandleReport } from "../report/candle_report.ts";
import type { Actor } from "../runtime/actor.ts";
import { backoffDelay } from "../runtime/backoff.ts";
import { delay } from "../runtime/delay.ts";
import { isPermanentStoreError } from "../store/store_error.ts";
import type { CandleStore } from "../store/candle_store.ts";
import type { DeadLetter } from "../market/messages/dead_letter_message.ts";
import { marketKey } from "../market/market.ts";
import { marketsOfWrite, partOfWrite, type StoreWrite } from "../market/store_write.ts";
import type { CandleBatch } from "./aggregator.ts";
import type { CommitTracker } from "./commit_tracker.ts";
import type { DeadLetterQueue } from "./dead_letters.ts";
import { deadLetterOf } from "./record_trail.ts";
import { isolateRefusals } from "./write_split.ts";

const logger = getLogger(["crypto", "candle-sink"]);

/** What the CandleSink needs. */
export interface CandleSinkOptions {
  /** The store. */
  store: Pick<CandleStore, "write" | "description">;
  /** Commit bookkeeping, per topic read. */
  trackers: ReadonlyMap<string, CommitTracker>;
  /** Counts. */
  report: CandleReport;
  /** Writes a console line, or null to print nothing. */
  print: ((line: string) => void) | null;
  /** How closed candles are printed. */
  format: CandleFormat;
  /** Told of the markets (keys) whose write was stale: another process owns them now. */
  onStale: (markets: string[]) => void;
  /** Told of every write once it is in the store. */
  onWritten?: (flush: Flush) => void;
  /**
   * Queue each write's closed candles and revisions for the Alerter, in the same transaction
   * (`StoreWrite.examine`). @default {false}
   */
  examine?: boolean;
  /** The first retry delay, ms. @default {200} */
  retryMinMs?: number;
  /** The longest retry delay, ms. @default {5_000} */
  retryMaxMs?: number;
  /** Where refused records go. */
  deadLetters: DeadLetterQueue;
  /** The wall clock, ms. @default {Date.now} */
  now?: () => number;
  /**
   * Aborted when a stop has waited long enough for the store: the write under way is abandoned
   * (a store that does not answer included), and nothing more is written or committed.
   */
  giveUp?: AbortSignal;
}

/**
 * Makes the CandleSink actor.
 *
 * @param options Store, bookkeeping and output.
 * @returns The actor; it ends when its inbox is drained.
 */
export function candleSink(options: CandleSinkOptions): Actor<CandleBatch, never> {
  const { store, trackers, report, print, format, onStale } = options;
  const minMs = options.retryMinMs ?? 200;
  const maxMs = options.retryMaxMs ?? 5_000;
  const giveUp = options.giveUp ?? new AbortController().signal;
  const now = options.now ?? Date.now;

  /**
   * Writes (part of) a write, retrying while the store is away. A refusal for good is thrown;
   * so is the give-up signal's reason once the stop has waited long enough.
   */
  const writeRetrying = async (write: StoreWrite, signal: AbortSignal): Promise<string[]> => {
    for (let attempt = 0;; attempt++) {
      try {
        const stale = await unlessAborted(store.write(write), giveUp);
        report.storeHealth.succeeded();
        if (attempt > 0) logger.info("The candle store answers again; writing resumed");
        return stale;
      } catch (error) {
        if (signal.aborted || isPermanentStoreError(error)) throw error;
        if (giveUp.aborted) throw giveUp.reason;
        report.storeErrors++;
        report.storeHealth.failed(now(), error instanceof Error ? error.message : String(error));
        const wait = backoffDelay(attempt, { minMs, maxMs });
        const message = error instanceof Error ? error.message : String(error);
        if (attempt === 0) {
          logger.warn(
            "Cannot write to the candle store ({store}): {error}; holding back and retrying",
            {
              store: store.description,
              error: message,
            },
          );
        } else logger.debug("Candle store still failing: {error}", { error: message });
        try {
          await delay(wait, { signal: AbortSignal.any([signal, giveUp]) });
        } catch (aborted) {
          if (signal.aborted) throw aborted;
          throw giveUp.reason;
        }
      }
    }
  };

  /**
   * Writes a batch: the whole write first; refused for good, split by market until the refused
   * markets stand alone. Resolves to the stale markets and the refused markets' dead letters, or
   * null once given up.
   */
  const write = async (batch: CandleBatch, signal: AbortSignal) => {
    const { flush } = batch;
    const whole = options.examine ? { ...flush.write, examine: flush.closed } : flush.write;
    const markets = marketsOfWrite(whole);
    const stale: string[] = [];
    let refusals;
    try {
      refusals = await isolateRefusals(markets, async (keys) => {
        const part = keys.length === markets.length ? whole : partOfWrite(whole, new Set(keys));
        stale.push(...await writeRetrying(part, signal));
      });
    } catch (error) {
      if (giveUp.aborted && error === giveUp.reason) return null;
      throw error;
    }
    const refused = new Set<string>();
    const letters: DeadLetter[] = [];
    for (const { keys, error } of refusals) {
      const at = now();
      let records = 0;
      for (const market of keys) {
        refused.add(market);
        for (const record of batch.sources.get(market) ?? []) {
          letters.push(deadLetterOf(record, error.message, at));
          records++;
        }
      }
      report.writesRefused += keys.length;
      logger.warn(
        "The candle store refused the write of {markets} for good: {error}; its {records} record(s) go to the dead-letter topic",
        { markets: keys.join(", "), error: error.message, records },
      );
    }
    return { stale, refused, letters };
  };

  /**
   * Writes the batch's dead letters, and the store's; false once given up (the log away past the
   * stop's wait).
   */
  const deadLetter = async (batch: CandleBatch, letters: DeadLetter[], signal: AbortSignal) => {
    const either = AbortSignal.any([signal, giveUp]);
    try {
      await options.deadLetters.send(batch.deadLetters, "door", either);
      await options.deadLetters.send(letters, "store", either);
      return true;
    } catch (error) {
      if (signal.aborted || !giveUp.aborted) throw error;
      return false;
    }
  };

  return async (inbox, _outbox, ctx) => {
    // Once a write is given up on, its offsets and those of every batch after it (which count on
    // it) stay uncommitted.
    let gaveUp = false;
    let unwritten = 0;
    for await (const batch of inbox) {
      let { flush } = batch;
      // A batch of offsets alone (records that changed nothing) has nothing to write.
      const empty = flush.write.states.length === 0 && flush.write.latest.length === 0;
      const written = gaveUp
        ? null
        : empty
        ? { stale: [], refused: new Set<string>(), letters: [] }
        : await write(batch, ctx.signal);
      // The refused records are on the dead-letter topic before any offset past them commits.
      if (written === null || !(await deadLetter(batch, written.letters, ctx.signal))) {
        gaveUp = true;
        if (!empty) unwritten++;
        continue;
      }
      const { stale, refused } = written;
      if (refused.size > 0) flush = withoutMarkets(flush, refused);
      if (!empty) report.writes++;
      report.candlesWritten += flush.write.candles.length;
      if (stale.length > 0) {
        report.stale += stale.length;
        logger.warn("Another process has taken over {markets}; letting them go", {
          markets: stale.join(", "),
        });
        onStale(stale);
      }
      for (const point of batch.commits) {
        trackers.get(point.topic)?.markOffset(point.partition, point.offset);
      }
      if (print) {
        const staleSet = new Set(stale);
        for (const candle of flush.closed) {
          if (!staleSet.has(marketKey(candle))) print(formatCandle(candle, format));
        }
      }
      options.onWritten?.(flush);
    }
    options.deadLetters.flushLog();
    if (gaveUp) {
      logger.warn(
        "Stopped with {count} write(s) the candle store did not take: their records are not committed, and are read again at the next start",
        { count: unwritten },
      );
    }
  };
}

/** A flush without the markets the store refused: what was written, for the listeners. */
function withoutMarkets(flush: Flush, markets: ReadonlySet<string>): Flush {
  const kept = new Set(marketsOfWrite(flush.write).filter((m) => !markets.has(m)));
  const mine = (c: Candle) => kept.has(marketKey(c));
  const write = partOfWrite(flush.write, kept);
  return { write, closed: flush.closed.filter(mine), changed: write.candles };
}

/**
 * Settles as `promise` does, or rejects with the signal's reason once it aborts (the promise is
 * left to finish on its own).
 */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  promise.catch(() => {});
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
