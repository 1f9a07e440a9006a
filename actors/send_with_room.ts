/**
 * Sending a long run of values into a channel that drops its oldest when full (the publish
 * buffer of a live source) without making it drop: wait until there is room for each part.
 *
 * @module
 */
import type { Channel } from "../runtime/channel.ts";
import type { Clock } from "../runtime/delay.ts";

/** How often the room is looked at while the channel is full, ms. */
const POLL_MS = 10;

/**
 * Makes a sender that hands values to the channel in parts of at most half its capacity, each
 * once there is room for it, so none of them, nor any value already waiting, is dropped for it.
 *
 * @param channel The channel.
 * @param clock The clock the waits go through.
 * @returns The sender: resolves once every value is in the channel.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Channel } from "../runtime/channel.ts";
 * import { systemClock } from "../runtime/delay.ts";
 * import { sendWithRoom } from "./send_with_room.ts";
 * const channel = new Channel<number>(4, { overflow: "drop-oldest" });
 * const send = sendWithRoom(channel, systemClock);
 * const sending = send([1, 2, 3, 4, 5, 6], AbortSignal.timeout(1_000));
 * const got = [];
 * while (got.length < 6) got.push(await channel.receive());
 * await sending;
 * assert.deepEqual(got, [1, 2, 3, 4, 5, 6]);
 * assert.equal(channel.dropped, 0);
 * ```
 */
export function sendWithRoom<T>(
  channel: Channel<T>,
  clock: Clock,
): (values: readonly T[], signal: AbortSignal) => Promise<void> {
  const part = Math.max(1, Math.floor(channel.capacity / 2));
  return async (values, signal) => {
    for (let at = 0; at < values.length; at += part) {
      const slice = values.slice(at, at + part);
      while (channel.size + slice.length > channel.capacity) {
        await clock.sleep(POLL_MS, { signal });
      }
      await channel.sendAll(slice, { signal });
      signal.throwIfAborted();
    }
  };
}
