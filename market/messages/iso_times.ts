/**
 * The ISO-8601 times of the messages the producers write (`timestamp`, `received_at`), made fast.
 *
 * @module
 */

/**
 * `Date.prototype.toISOString`, remembering the last second: prices come in time order, so most
 * calls only add the milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IsoTimes } from "./iso_times.ts";
 * const times = new IsoTimes();
 * assert.deepEqual(
 *   [times.format(1_000), times.format(1_250)],
 *   ["1970-01-01T00:00:01.000Z", "1970-01-01T00:00:01.250Z"],
 * );
 * ```
 */
export class IsoTimes {
  #second = NaN;
  #prefix = "";

  /**
   * @param ms Milliseconds since the epoch.
   * @returns What `new Date(ms).toISOString()` returns.
   */
  format(ms: number): string {
    const t = Math.trunc(ms);
    const second = Math.floor(t / 1000);
    if (second !== this.#second || !(t >= 0)) {
      const iso = new Date(t).toISOString();
      // Only the four-digit years have the fixed "YYYY-MM-DDTHH:mm:ss.sssZ" form.
      if (iso.length !== 24 || !(t >= 0)) return iso;
      this.#second = second;
      this.#prefix = iso.slice(0, 20);
    }
    const millis = t - second * 1000;
    return `${this.#prefix}${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}Z`;
  }
}
