/**
 * The CandleSink: writes each batch of the Aggregator to the candle store, retrying with backoff
 * while the store is away (the bounded channel before it then fills, and the Aggregator and the
 * Subscriber wait: back-pressure, nothing skipped); once a write is in, it marks its offsets
 * committable, prints the closed candles and tells whoever listens (Redis, the live stream, the
 * candle topic's publisher, the Alerter). When an Alerter runs, each write also queues its closed
 * candles and revisions for it, in the same transaction.
 *
 * A stop waits for the store only so long (`giveUp`): past that, the write under way and every
 * one after it are left unwritten and their offsets uncommitted, to be read again at the next
 * start.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Flush } from "../market/candle_book.ts";
import { type CandleFormat, formatCandle } from "../report/candle_format.ts";
import type { CandleReport } from "../report/candle_report.ts";
import type { Actor } from "../runtime/actor.ts";
import { backoffDelay } from "../runtime/backoff.ts";
import { delay } from "../runtime/delay.ts";
import type { CandleStore } from "../store/candle_store.ts";
import type { CandleBatch } from "./aggregator.ts";
import type { CommitTracker } from "./commit_tracker.ts";

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
  /** Told of the symbols whose write was stale: another process owns them now. */
  onStale: (symbols: string[]) => void;
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

  /** Writes a batch, retrying; resolves to the stale symbols, or null once given up. */
  const write = async (batch: CandleBatch, signal: AbortSignal): Promise<string[] | null> => {
    for (let attempt = 0;; attempt++) {
      try {
        const { flush } = batch;
        const stale = await unlessAborted(
          store.write(options.examine ? { ...flush.write, examine: flush.closed } : flush.write),
          giveUp,
        );
        if (attempt > 0) logger.info("The candle store answers again; writing resumed");
        return stale;
      } catch (error) {
        if (signal.aborted) throw error;
        if (giveUp.aborted) return null;
        report.storeErrors++;
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
          return null;
        }
      }
    }
  };

  return async (inbox, _outbox, ctx) => {
    // Once a write is given up on, its offsets and those of every batch after it (which count on
    // it) stay uncommitted.
    let gaveUp = false;
    let unwritten = 0;
    for await (const batch of inbox) {
      const { flush } = batch;
      // A batch of offsets alone (records that changed nothing) has nothing to write.
      const empty = flush.write.states.length === 0 && flush.write.latest.length === 0;
      const stale = gaveUp ? null : empty ? [] : await write(batch, ctx.signal);
      if (stale === null) {
        gaveUp = true;
        if (!empty) unwritten++;
        continue;
      }
      if (!empty) report.writes++;
      report.candlesWritten += flush.write.candles.length;
      if (stale.length > 0) {
        report.stale += stale.length;
        logger.warn("Another process has taken over {symbols}; letting them go", {
          symbols: stale.join(", "),
        });
        onStale(stale);
      }
      for (const point of batch.commits) {
        trackers.get(point.topic)?.markOffset(point.partition, point.offset);
      }
      if (print) {
        const staleSet = new Set(stale);
        for (const candle of flush.closed) {
          if (!staleSet.has(candle.symbol)) print(formatCandle(candle, format));
        }
      }
      options.onWritten?.(flush);
    }
    if (gaveUp) {
      logger.warn(
        "Stopped with {count} write(s) the candle store did not take: their records are not committed, and are read again at the next start",
        { count: unwritten },
      );
    }
  };
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
