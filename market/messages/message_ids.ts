/**
 * The `message_id` of each price message (see docs/messages.md).
 *
 * @module
 */

/**
 * Hands out `message_id`s, `BTC-1699876545123`: the symbol and a millisecond stamp that never
 * repeats for a symbol within the process, so ids stay unique even for fetches in the same ms.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MessageIds } from "./message_ids.ts";
 * const ids = new MessageIds();
 * assert.deepEqual([ids.next("BTC", 5), ids.next("BTC", 5)], ["BTC-5", "BTC-6"]);
 * ```
 */
export class MessageIds {
  #last: Map<string, number>;

  /** @param last The last stamp handed out per symbol, to carry on from (see {@linkcode snapshot}). */
  constructor(last: Iterable<readonly [string, number]> = []) {
    this.#last = new Map(last);
  }

  /** The last stamp handed out per symbol: a `MessageIds` made from it never repeats these ids. */
  snapshot(): [string, number][] {
    return [...this.#last];
  }

  /**
   * @param symbol The coin's symbol.
   * @param at The fetch time, milliseconds.
   * @returns A new id.
   */
  next(symbol: string, at: number): string {
    const stamp = Math.max(Math.trunc(at), (this.#last.get(symbol) ?? -1) + 1);
    this.#last.set(symbol, stamp);
    return `${symbol}-${stamp}`;
  }
}
