/**
 * `--backfill <duration>` (`BACKFILL`) for `produce` and `start`: how far back the history is
 * read before going live, and `COINBASE_REST_URL`, where the trades' history is read from (see
 * docs/configuration.md and docs/trades.md#gap-repair-and-backfill).
 *
 * @module
 */
import type { FlagSpec } from "./cli.ts";
import { ConfigError } from "./config_error.ts";
import { shown } from "./values.ts";

/** The longest backfill, ms: a day. */
export const MAX_BACKFILL_MS = 86_400_000;

/** The default of `COINBASE_REST_URL`. */
export const COINBASE_REST_URL = "https://api.exchange.coinbase.com";

/** The `--backfill` flag. */
export const backfillFlag: FlagSpec = {
  name: "backfill",
  type: "string",
  value: "<duration>",
  help:
    "before going live, publish the past span (e.g. 90m, 2h; at most 24h): Coinbase trades through its REST API, or CoinGecko prices from its charts",
  env: "BACKFILL",
};

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Parses a backfill's duration: one or more numbers with a unit, `s`, `m` or `h` (`2h`, `90m`,
 * `1h30m`), more than 0 and at most 24 hours; an empty variable for none (an empty flag is
 * refused).
 *
 * @param name The flag or variable.
 * @param raw Its text.
 * @returns The duration in ms, or null for none.
 * @throws {ConfigError} When it is not such a duration, or out of bounds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBackfill } from "./backfill.ts";
 * assert.equal(parseBackfill("BACKFILL", "1h30m"), 5400000);
 * assert.equal(parseBackfill("BACKFILL", ""), null);
 * ```
 */
export function parseBackfill(name: string, raw: string): number | null {
  const text = raw.trim().toLowerCase();
  // An empty variable means unset; a flag given an empty value is a mistake.
  if (text === "" && !name.startsWith("--")) return null;
  const parts = /^(\d+(?:\.\d+)?[smh])+$/.test(text) ? text.match(/\d+(?:\.\d+)?[smh]/g) : null;
  const ms = parts?.reduce(
    (sum, part) => sum + Number(part.slice(0, -1)) * UNITS[part.at(-1)!]!,
    0,
  );
  if (ms === undefined || !(ms > 0) || ms > MAX_BACKFILL_MS) {
    throw new ConfigError(
      `Invalid ${name}: expected a duration of more than 0 and at most 24h such as 30m, 2h or 1h30m, current value is ${
        shown(raw)
      }`,
    );
  }
  return Math.round(ms);
}
