/**
 * Which coins keep missing from CoinGecko's answers, so that an unknown coin id is reported
 * the first time and then only now and again, not on every cycle of a long run.
 *
 * @module
 */

/** What {@linkcode MissingCoins.missing} decided for one cycle. */
export interface MissingNote {
  /** Whether to report it this time. */
  report: boolean;
  /** Cycles it has been missing in, this one included, since it was first missed. */
  cycles: number;
  /** The cycle it was first missed in. */
  since: number;
}

/** Options for {@linkcode MissingCoins}. */
export interface MissingCoinsOptions {
  /** The least time between two reports of the same coin, in milliseconds. @default {600000} */
  everyMs?: number;
}

interface Missing {
  since: number;
  cycles: number;
  reportedAt: number;
}

/**
 * Keeps, per symbol, since when and in how many cycles a coin was missing, and when it was last
 * reported. A coin that comes back starts afresh.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MissingCoins } from "./missing_coins.ts";
 * const coins = new MissingCoins({ everyMs: 600_000 });
 * assert.equal(coins.missing("NAC", { cycle: 1, now: 0 }).report, true);
 * assert.equal(coins.missing("NAC", { cycle: 2, now: 10_000 }).report, false);
 * assert.deepEqual(
 *   coins.missing("NAC", { cycle: 61, now: 600_000 }),
 *   { report: true, cycles: 3, since: 1 },
 * );
 * ```
 */
export class MissingCoins {
  #everyMs: number;
  #coins = new Map<string, Missing>();

  /** @param options How often a coin that stays missing is reported again. */
  constructor(options: MissingCoinsOptions = {}) {
    this.#everyMs = options.everyMs ?? 600_000;
  }

  /**
   * Notes that a coin was missing from a cycle's answer.
   *
   * @param symbol The coin's symbol.
   * @param at The cycle, and the time in milliseconds.
   * @returns Whether to report it now, and since when and how often it has been missing.
   */
  missing(symbol: string, at: { cycle: number; now: number }): MissingNote {
    const known = this.#coins.get(symbol);
    if (known === undefined) {
      this.#coins.set(symbol, { since: at.cycle, cycles: 1, reportedAt: at.now });
      return { report: true, cycles: 1, since: at.cycle };
    }
    known.cycles++;
    const report = at.now - known.reportedAt >= this.#everyMs;
    if (report) known.reportedAt = at.now;
    return { report, cycles: known.cycles, since: known.since };
  }

  /**
   * Notes that a coin was in an answer: the next time it is missing is reported at once.
   *
   * @param symbol The coin's symbol.
   */
  present(symbol: string): void {
    this.#coins.delete(symbol);
  }
}
