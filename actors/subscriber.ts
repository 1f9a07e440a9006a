/**
 * The Subscriber: joins the consumer group and passes records on (one at a time or a fetched
 * batch at once, as the transport reads them), in order per partition;
 * the channel's bound holds consumption back while the Printer is busy.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { ConsumerTransport, InRecord } from "../kafka/transport.ts";
import type { Actor } from "../runtime/actor.ts";
import { sendAll } from "../runtime/channel.ts";

const logger = getLogger(["crypto", "subscriber"]);

/** What the Subscriber needs. */
export interface SubscriberOptions {
  /** The consumer, connected. */
  transport: ConsumerTransport;
  /** The topic. */
  topic: string;
  /** Start from the oldest record when the group has no committed offset. */
  fromBeginning: boolean;
  /** Told the partitions assigned after each rebalance. */
  onAssign?: (partitions: number[]) => void;
}

/**
 * Makes the Subscriber actor.
 *
 * @param options Transport and topic.
 * @returns The actor; it runs until its signal aborts, then stops fetching.
 */
export function subscriber(options: SubscriberOptions): Actor<unknown, InRecord> {
  const { transport, topic, fromBeginning, onAssign } = options;
  const group = transport.group;
  return async (_inbox, outbox, ctx) => {
    const stopped = new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await transport.consume({
      topic,
      fromBeginning,
      handle: async (record) => {
        try {
          await outbox.send(record, { signal: ctx.signal });
        } catch (error) {
          // Stopping: the record was not handed on, so it is not committed and will be read
          // again by the group's next consumer.
          if (!ctx.signal.aborted) throw error;
        }
      },
      // A batch crosses the channel with one wait per refill; what was not taken when stopping is
      // not committed, and the transport reads it again.
      handleBatch: (records) => sendAll(outbox, records, { signal: ctx.signal }),
      onAssign: (partitions) => {
        // One process may read a topic in two groups (`start`: the printer's and the candles').
        logger.info(
          `Assigned partitions of {topic}: {partitions}${group ? " (group {group})" : ""}`,
          {
            topic,
            partitions: partitions.length === 0 ? "none" : partitions.join(", "),
            group,
          },
        );
        onAssign?.(partitions);
      },
    });
    await stopped;
    await transport.stop();
  };
}
