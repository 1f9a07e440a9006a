/**
 * The identities of a market's observations that can still change a candle, so that a repeat
 * (CoinGecko's unchanged price, a replayed topic, records read again after a restart) changes
 * nothing. It is kept with the market's candles in the store, in a compact text form.
 *
 * @module
 */

/**
 * A set of observation identities, each with its event time so that the ones too old to matter
 * can be let go.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SeenSet } from "./seen_set.ts";
 * const seen = new SeenSet();
 * seen.add(60_000, 60_000);
 * assert.deepEqual([seen.has(60_000), SeenSet.decode(seen.encode()).has(60_000)], [true, true]);
 * ```
 */
export class SeenSet {
  #times = new Map<number, number>();
  /**
   * The text of the entries as they stand, when it is known: adding in (time, identity) order
   * appends to it, so that a set written after every batch is not encoded again from the start
   * each time; anything else (an older entry, a repeated identity, a prune) forgets it.
   */
  #text: string | null = "";
  /** The parts added since `#text` was last put together. */
  #tail: string[] = [];
  /** The last entry in (time, identity) order, while `#text` is known. */
  #lastTime = 0;
  #lastId = 0;
  /** No entry is older than this (a bound, not always the oldest): pruning before it is a no-op. */
  #oldest = Infinity;

  /** How many identities are kept. */
  get size(): number {
    return this.#times.size;
  }

  /**
   * Whether an identity is in the set.
   *
   * @param id The identity.
   * @returns True when it was added and not let go.
   */
  has(id: number): boolean {
    return this.#times.has(id);
  }

  /**
   * Adds an identity.
   *
   * @param id The identity.
   * @param time Its event time, ms.
   */
  add(id: number, time: number): void {
    if (this.#text !== null) {
      const empty = this.#times.size === 0;
      if (
        !this.#times.has(id) &&
        (empty || time > this.#lastTime || (time === this.#lastTime && id > this.#lastId))
      ) {
        this.#tail.push(part(time - (empty ? 0 : this.#lastTime), id, time));
        this.#lastTime = time;
        this.#lastId = id;
      } else {
        this.#text = null;
        this.#tail = [];
      }
    }
    this.#times.set(id, time);
    if (time < this.#oldest) this.#oldest = time;
  }

  /**
   * Lets go of the identities whose event time is before `time`.
   *
   * @param time The oldest event time still kept.
   * @returns How many were let go.
   */
  pruneBefore(time: number): number {
    if (!(time > this.#oldest)) return 0;
    let pruned = 0;
    let oldest = Infinity;
    for (const [id, t] of this.#times) {
      if (t < time) {
        this.#times.delete(id);
        pruned++;
      } else if (t < oldest) {
        oldest = t;
      }
    }
    this.#oldest = oldest;
    if (pruned > 0) {
      this.#text = this.#times.size === 0 ? "" : null;
      this.#tail = [];
    }
    return pruned;
  }

  /**
   * The set as text: entries sorted by time, each the time's difference from the previous one in
   * base 36, followed by `:` and the identity when the identity is not the time itself.
   *
   * @returns The text; empty for an empty set.
   */
  encode(): string {
    if (this.#text === null) {
      const entries = [...this.#times].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
      let previous = 0;
      this.#text = entries.map(([id, time]) => {
        const text = part(time - previous, id, time);
        previous = time;
        return text;
      }).join(",");
      const last = entries[entries.length - 1];
      if (last) [this.#lastId, this.#lastTime] = last;
    } else if (this.#tail.length > 0) {
      const tail = this.#tail.join(",");
      this.#text = this.#text === "" ? tail : `${this.#text},${tail}`;
      this.#tail = [];
    }
    return this.#text;
  }

  /**
   * Reads the text {@linkcode SeenSet.encode} wrote.
   *
   * @param text The text.
   * @returns The set.
   * @throws {SyntaxError} When the text is not such a set.
   */
  static decode(text: string): SeenSet {
    const set = new SeenSet();
    if (text === "") return set;
    let time = 0;
    for (const part of text.split(",")) {
      const [delta, id] = part.split(":");
      const step = parseInt(delta ?? "", 36);
      if (!Number.isFinite(step)) throw new SyntaxError(`Invalid seen-set entry: ${part}`);
      time += step;
      const identity = id === undefined ? time : parseInt(id, 36);
      if (!Number.isFinite(identity)) throw new SyntaxError(`Invalid seen-set entry: ${part}`);
      set.add(identity, time);
    }
    return set;
  }
}

/** One entry of the text form: the time step, and the identity when it is not the time. */
const part = (step: number, id: number, time: number): string =>
  step.toString(36) + (id === time ? "" : `:${id.toString(36)}`);
