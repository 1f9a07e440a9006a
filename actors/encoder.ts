/**
 * The Encoder: a price tick becomes the price message (`market/messages/price_message.ts`),
 * keyed by symbol, with a `message_id` of its own.
 *
 * @module
 */
import type { Actor } from "../runtime/actor.ts";
import type { MessageIds } from "../market/messages/message_ids.ts";
import { type EncodedPrice, encodePrice } from "../market/messages/price_message.ts";
import type { PriceTick } from "../market/price_tick.ts";

/**
 * Makes the Encoder actor.
 *
 * @param ids The id source, kept across restarts.
 * @returns The actor; it ends when its inbox is closed and drained.
 */
export function encoder(ids: MessageIds): Actor<PriceTick, EncodedPrice> {
  return async (inbox, outbox) => {
    for await (const tick of inbox) {
      await outbox.send(encodePrice(tick, ids.next(tick.symbol, tick.fetchedAt)));
    }
  };
}
