/**
 * At-least-once bookkeeping: the Printer marks each record handled, and the Committer commits
 * the next offset of every partition periodically and once more on the way out.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { ConsumerTransport, InRecord } from "../kafka/transport.ts";
import type { Actor } from "../runtime/actor.ts";
import { type Clock, isAbort } from "../runtime/delay.ts";

const logger = getLogger(["crypto", "committer"]);

/** The offset after `offset` (decimal: offsets are 64-bit). */
const after = (offset: string) => BigInt(offset) + 1n;

/**
 * Offsets handled but not yet committed, per partition. It keeps the last handled offset as the
 * record's own decimal string, and works out the next one (a 64-bit sum) only when asked or
 * committing, not for every record.
 */
export class CommitTracker {
  #pending = new Map<number, string>();
  #positions = new Map<number, string>();
  #handled = 0;

  /** How many records were handled. */
  get handled(): number {
    return this.#handled;
  }

  /**
   * A record was handled (printed, filtered out or reported as bad): it may be committed.
   *
   * @param record The record.
   */
  markHandled(record: InRecord): void {
    this.markOffset(record.partition, record.offset);
  }

  /**
   * Every record of a partition up to an offset was handled: that offset may be committed.
   *
   * @param partition The partition.
   * @param offset The last handled offset, decimal.
   */
  markOffset(partition: number, offset: string): void {
    this.#pending.set(partition, offset);
    this.#positions.set(partition, offset);
    this.#handled++;
  }

  /**
   * The next offset to handle on a partition, or null before any was handled.
   *
   * @param partition The partition.
   * @returns The offset.
   */
  position(partition: number): bigint | null {
    const last = this.#positions.get(partition);
    return last === undefined ? null : after(last);
  }

  /**
   * Forgets what is pending on partitions no longer assigned, so that a commit does not carry them.
   *
   * @param partitions The partitions still assigned.
   */
  retain(partitions: readonly number[]): void {
    const kept = new Set(partitions);
    for (const partition of [...this.#pending.keys()]) {
      if (!kept.has(partition)) this.#pending.delete(partition);
    }
  }

  /**
   * Commits what is pending; on failure it stays pending for the next try.
   *
   * @param transport The consumer.
   * @param topic The topic.
   * @returns Whether everything pending was committed.
   */
  async flush(transport: ConsumerTransport, topic: string): Promise<boolean> {
    if (this.#pending.size === 0) return true;
    const snapshot = [...this.#pending];
    const offsets = snapshot.map(([partition, last]) => ({
      partition,
      offset: after(last).toString(),
    }));
    try {
      await transport.commit(topic, offsets);
    } catch (error) {
      logger.warn("Commit failed, will retry: {error}", {
        error: error instanceof Error ? error.message : String(error),
      });
      return false;
    }
    for (const [partition, offset] of snapshot) {
      if (this.#pending.get(partition) === offset) this.#pending.delete(partition);
    }
    logger.debug("Committed {offsets}", {
      offsets: offsets.map((o) => `${o.partition}:${o.offset}`).join(" "),
    });
    return true;
  }
}

/** What the Committer needs. */
export interface CommitterOptions {
  /** The bookkeeping. */
  tracker: CommitTracker;
  /** The consumer. */
  transport: ConsumerTransport;
  /** The topic. */
  topic: string;
  /** Time between commits, ms. @default {1_000} */
  intervalMs?: number;
  /** Waits between commits. */
  clock: Clock;
}

/**
 * Makes the Committer actor: commits every interval, and once more when stopped.
 *
 * @param options Tracker, transport and interval.
 * @returns The actor.
 */
export function committer(options: CommitterOptions): Actor<unknown, never> {
  const { tracker, transport, topic, clock, intervalMs = 1_000 } = options;
  return async (_inbox, _outbox, ctx) => {
    try {
      while (true) {
        await clock.sleep(intervalMs, { signal: ctx.signal });
        await tracker.flush(transport, topic);
      }
    } catch (error) {
      if (!isAbort(error, ctx.signal)) throw error;
      if (!(await tracker.flush(transport, topic))) await tracker.flush(transport, topic);
    }
  };
}
