/**
 * A partition's offsets as decimal text, counted up from a base offset: as numbers while they are
 * exact (every offset a broker gives out for years), as BigInt beyond. Kafka offsets are 64-bit;
 * the client hands them over as BigInt, and making one for every record is what this avoids.
 *
 * @module
 */

/**
 * Hands out a partition's offsets from a base offset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Offsets } from "./offsets.ts";
 * const offsets = new Offsets(41n);
 * assert.deepEqual([offsets.next(), offsets.next()], ["41", "42"]);
 * ```
 */
export class Offsets {
  #number: number;
  #big: bigint | null;

  /** @param base The first offset, as BigInt or decimal text. */
  constructor(base: bigint | string) {
    this.#number = Number(base);
    this.#big = Number.isSafeInteger(this.#number + 1e6) ? null : BigInt(base);
  }

  /** @returns The next offset, decimal. */
  next(): string {
    if (this.#big !== null) return (this.#big++).toString();
    const offset = this.#number++;
    if (!Number.isSafeInteger(this.#number + 1e6)) this.#big = BigInt(this.#number);
    return String(offset);
  }
}
