/**
 * The loop that empties a store's outbox onto a topic, shared by the candle topic's and the alert
 * topic's publishers: drain whenever poked (or every `pollMs`), retry with backoff while the
 * broker or the store is away, and drain once more when stopped.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { Actor } from "../runtime/actor.ts";
import { backoffDelay } from "../runtime/backoff.ts";
import { delay, isAbort } from "../runtime/delay.ts";

/** Wakes a publisher when something was queued in its outbox. */
export class Nudge {
  #wake: (() => void) | null = null;
  #pending = false;

  /** Something was queued. */
  poke(): void {
    this.#pending = true;
    this.#wake?.();
  }

  /**
   * Waits for a poke (or returns at once if one came since the last wait), at most `ms`.
   *
   * @param ms The longest wait.
   * @param signal Aborts the wait.
   */
  async wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return;
    }
    const poked = new Promise<void>((resolve) => (this.#wake = resolve));
    const timer = new AbortController();
    try {
      await Promise.race([poked, delay(ms, { signal: AbortSignal.any([signal, timer.signal]) })]);
    } catch (error) {
      if (signal.aborted) throw error;
    } finally {
      timer.abort();
      this.#wake = null;
      this.#pending = false;
    }
  }
}

/** What the loop needs. */
export interface OutboxPublisherOptions {
  /** Publishes what is queued; resolves to whether the outbox is empty now. */
  drain: () => Promise<boolean>;
  /** Poked when something was queued. */
  nudge: Nudge;
  /** What is published, for the log lines, e.g. `candles`. */
  what: string;
  /** The topic, for the log lines. */
  topic: string;
  /** The logger. */
  logger: Logger;
  /** Counts a failed pass (each retried). */
  onError: () => void;
  /** Longest wait between two looks at the outbox, ms. @default {1_000} */
  pollMs?: number;
}

/**
 * Makes an outbox publisher actor.
 *
 * @param options The drain, the nudge and the labels.
 * @returns The actor; when stopped it empties the outbox once more, then ends.
 */
export function outboxPublisher(options: OutboxPublisherOptions): Actor<unknown, never> {
  const { drain, nudge, what, topic, logger, onError } = options;
  const pollMs = options.pollMs ?? 1_000;
  return async (_inbox, _outbox, ctx) => {
    let attempt = 0;
    while (!ctx.signal.aborted) {
      try {
        if (await drain()) {
          attempt = 0;
          await nudge.wait(pollMs, ctx.signal);
        }
      } catch (error) {
        if (isAbort(error, ctx.signal)) break;
        onError();
        if (attempt === 0) {
          logger.warn(`Cannot publish ${what} to {topic}: {error}; retrying`, {
            topic,
            error: error instanceof Error ? error.message : String(error),
          });
        }
        await delay(backoffDelay(attempt++, { minMs: 200, maxMs: 5_000 }), {
          signal: ctx.signal,
        }).catch(() => {});
      }
    }
    // Stopping: one more pass, so that what the last writes queued goes out.
    try {
      while (!(await drain()));
    } catch (error) {
      logger.warn(
        `${what[0]!.toUpperCase()}${what.slice(1)} left in the outbox for the next run: {error}`,
        {
          error: error instanceof Error ? error.message : String(error),
        },
      );
    }
  };
}
