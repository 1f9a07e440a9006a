/**
 * The console lines of a backfill (docs/trades.md#gap-repair-and-backfill): a line per market
 * per thousand observations or five seconds while it goes, one when it is done, and its count
 * for the summary.
 *
 * @module
 */
import type { ProducerConfig } from "../config/types.ts";
import { redactUrl } from "../config/values.ts";
import type { Clock } from "../runtime/delay.ts";

/** Observations between two progress lines of a market. */
const EVERY_COUNT = 1_000;
/** Time between two progress lines of a market, ms. */
const EVERY_MS = 5_000;

const count = new Intl.NumberFormat("en-US");

/** A time as the lines show it: `2025-11-12T09:31:05Z`. */
const shortTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

interface Progress {
  count: number;
  printedCount: number;
  printedAt: number;
  first: number | null;
  last: number | null;
  startedAt: number;
}

/**
 * The start-up line of `--backfill` in `produce` and `start`: what is read, before going live.
 *
 * @param config The producing side's configuration.
 * @returns The line, or null without a backfill.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backfillBanner } from "./backfill_report.ts";
 * const config = { backfillMs: 5_400_000, source: { kind: "coinbase" as const },
 *   coinbase: { restUrl: "https://api.exchange.coinbase.com" } };
 * assert.equal(
 *   backfillBanner(config),
 *   "Backfill: the past 1h30m of trades through https://api.exchange.coinbase.com, then live",
 * );
 * ```
 */
export function backfillBanner(
  config: Pick<ProducerConfig, "backfillMs" | "source"> & {
    coinbase: Pick<ProducerConfig["coinbase"], "restUrl">;
  },
): string | null {
  const ms = config.backfillMs;
  if (ms === null) return null;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  const span = `${hours > 0 ? `${hours}h` : ""}${minutes > 0 ? `${minutes}m` : ""}${
    seconds > 0 ? `${seconds}s` : ""
  }`;
  return config.source.kind === "coinbase"
    ? `Backfill: the past ${span} of trades through ${
      redactUrl(config.coinbase.restUrl)
    }, then live`
    : `Backfill: the past ${span} of prices from CoinGecko's charts, then live`;
}

/**
 * Prints a backfill's progress and keeps its count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackfillReport } from "./backfill_report.ts";
 * import { systemClock } from "../runtime/delay.ts";
 * const lines: string[] = [];
 * const report = new BackfillReport((line) => lines.push(line), systemClock, "trades");
 * report.progress("BTC-USD", 1_000, Date.UTC(2025, 10, 12, 9, 31, 5));
 * assert.deepEqual(lines, ["Backfill BTC-USD: 1,000 trades, up to 2025-11-12T09:31:05Z"]);
 * assert.equal(report.total, 1000);
 * ```
 */
export class BackfillReport {
  #print: (line: string) => void;
  #clock: Clock;
  #unit: string;
  #markets = new Map<string, Progress>();
  #total = 0;

  /**
   * @param print Writes one line of console output.
   * @param clock The clock of the five-second lines.
   * @param unit What is counted, plural: `trades`, `prices`.
   */
  constructor(print: (line: string) => void, clock: Clock, unit: string) {
    this.#print = print;
    this.#clock = clock;
    this.#unit = unit;
  }

  /** Observations published by every backfill so far. */
  get total(): number {
    return this.#total;
  }

  #market(market: string): Progress {
    let progress = this.#markets.get(market);
    if (!progress) {
      const now = this.#clock.now();
      progress = {
        count: 0,
        printedCount: 0,
        printedAt: now,
        first: null,
        last: null,
        startedAt: now,
      };
      this.#markets.set(market, progress);
    }
    return progress;
  }

  /**
   * Observations of a market were published.
   *
   * @param market `BTC-USD`, or a coin.
   * @param added How many.
   * @param upTo The event time of the last of them, ms since the epoch.
   * @param from The event time of the first of them, ms.
   */
  progress(market: string, added: number, upTo: number, from = upTo): void {
    const p = this.#market(market);
    p.count += added;
    this.#total += added;
    p.first ??= from;
    p.last = upTo;
    const now = this.#clock.now();
    const crossed = Math.floor(p.count / EVERY_COUNT) > Math.floor(p.printedCount / EVERY_COUNT);
    if (crossed || now - p.printedAt >= EVERY_MS) {
      p.printedCount = p.count;
      p.printedAt = now;
      this.#print(
        `Backfill ${market}: ${count.format(p.count)} ${this.#unit}, up to ${shortTime(upTo)}`,
      );
    }
  }

  /**
   * A market's backfill is over.
   *
   * @param market The market.
   * @param stopped Why it stopped early, one line, or null when it read the whole span.
   */
  done(market: string, stopped: string | null = null): void {
    const p = this.#market(market);
    const seconds = ((this.#clock.now() - p.startedAt) / 1000).toFixed(1);
    const span = p.first === null || p.last === null
      ? ""
      : ` from ${shortTime(p.first)} to ${shortTime(p.last)}`;
    this.#print(
      `Backfill ${market}: ${count.format(p.count)} ${this.#unit}${span} in ${seconds} s${
        stopped === null ? ", done" : `; stopped: ${stopped}`
      }`,
    );
  }
}
