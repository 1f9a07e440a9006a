/**
 * The alert rules (docs/alerts.md) as plain functions of a closed candle and the closed candles
 * before it (same market — source and product — and interval): no store, no clock.
 *
 * - **move**: the candle's close is at least `movePct` % from its open
 *   (`changePct = (close − open) / open × 100`); its direction is the sign of the change.
 * - **anomaly**: the candle's log return `r = ln(close / previous close)` lies more than `zscore`
 *   standard deviations from the exponentially weighted mean of the returns before it:
 *   `z = (r − mean) / √variance`, the statistics of {@linkcode ewmaOf} with a half-life of
 *   `halflife` candles. Its direction is the sign of `z`. The statistics are those of the returns
 *   of the {@linkcode historyLength} closed candles before it: the last `10 × halflife` returns,
 *   whose left-out weight is `2^−10` (under 0.1 %) of the whole. So the score is a function of
 *   the stored candles alone, the same whenever and however often it is worked out: after a
 *   restart, in a replay, by another process.
 * - **warm-up**: no anomaly while fewer than `halflife` returns are known (that is, before
 *   `halflife + 1` candles precede it); none either when those returns have no spread (variance
 *   0), since a score against no spread means nothing.
 * - **finite numbers only**: a division whose result is not a finite number (a change against
 *   an open so small that the percentage overflows, a return or a score that does) raises no
 *   alert of its kind, so that no alert ever holds one.
 *
 * The previous candle is the latest closed one before it, adjacent or not: a gap in the prices
 * makes one longer return.
 *
 * @module
 */
import type { Alert } from "./alert.ts";
import type { Candle } from "./candle.ts";
import { ewmaOf, zScore } from "./ewma.ts";

/** The thresholds of the alerts. */
export interface AlertRules {
  /** A move alert when the close is at least this many percent from the open. @default {5} */
  movePct: number;
  /** An anomaly alert when the return is more than this many standard deviations from the mean. @default {4} */
  zscore: number;
  /** The half-life of the return statistics, and their warm-up, in candles. @default {30} */
  halflife: number;
}

/** The rules of docs/alerts.md when nothing else is configured. */
export const DEFAULT_ALERT_RULES: Readonly<AlertRules> = Object.freeze({
  movePct: 5,
  zscore: 4,
  halflife: 30,
});

/** How many half-lives of returns the statistics take in. */
export const LOOKBACK_HALFLIVES = 10;

/**
 * How many closed candles before a candle its anomaly score reads: one more than the returns the
 * statistics take in.
 *
 * @param halflife The half-life, in candles.
 * @returns `10 × ⌈halflife⌉ + 1`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { historyLength } from "./alert_rules.ts";
 * assert.equal(historyLength(30), 301);
 * ```
 */
export function historyLength(halflife: number): number {
  return LOOKBACK_HALFLIVES * Math.ceil(halflife) + 1;
}

/**
 * A candle's close against its open, in percent.
 *
 * @param candle The candle.
 * @returns `(close − open) / open × 100`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { changePct } from "./alert_rules.ts";
 * assert.equal(changePct({ open: 200, close: 190 }), -5);
 * ```
 */
export function changePct(candle: Pick<Candle, "open" | "close">): number {
  return (candle.close - candle.open) / candle.open * 100;
}

/**
 * A candle's change in percent when it is a finite number.
 *
 * @param candle The candle.
 * @returns {@linkcode changePct}, or null when that is not finite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { finiteChangePct } from "./alert_rules.ts";
 * assert.equal(finiteChangePct({ open: 5e-324, close: 1e11 }), null);
 * ```
 */
export function finiteChangePct(candle: Pick<Candle, "open" | "close">): number | null {
  const change = changePct(candle);
  return Number.isFinite(change) ? change : null;
}

/** A candle's log return measured against the returns before it. */
export interface ReturnScore {
  /** `ln(close / previous close)`. */
  logReturn: number;
  /** The returns the statistics took in. */
  count: number;
  /** Their exponentially weighted mean. */
  mean: number;
  /** Their exponentially weighted standard deviation. */
  stdDev: number;
  /** `(logReturn − mean) / stdDev`. */
  zscore: number;
}

/** The closed candles before `candle` of its series, ascending, at most the last `limit`. */
function before(candle: Candle, history: readonly Candle[], limit: number): Candle[] {
  const prior = history.filter((c) =>
    c.closed && c.source === candle.source && c.product === candle.product &&
    c.interval === candle.interval &&
    c.windowStart < candle.windowStart
  ).sort((a, b) => a.windowStart - b.windowStart);
  return prior.slice(Math.max(0, prior.length - limit));
}

/**
 * Scores a candle's log return against the exponentially weighted statistics of the returns
 * before it.
 *
 * @param candle The candle.
 * @param options `history`: the closed candles before it (others are ignored; the last
 * {@linkcode historyLength} are used); `halflife`: in candles.
 * @returns The score, or null in warm-up (fewer than `halflife` earlier returns), without a
 * previous candle, when the earlier returns have no spread, or when a return or the score would
 * not be a finite number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { returnScore } from "./alert_rules.ts";
 * const at = (minute: number, close: number) => ({
 *   source: "coingecko" as const, product: "BTC-USD", symbol: "BTC", quote: "USD",
 *   interval: "1m" as const, windowStart: minute * 60_000, windowEnd: (minute + 1) * 60_000,
 *   open: close, high: close, low: close, close, samples: 1, trades: 1, volume: null,
 *   buyVolume: null, sellVolume: null, vwap: null, firstEvent: minute * 60_000,
 *   lastEvent: minute * 60_000, closed: true, revision: 0,
 * });
 * const history = [at(0, 100), at(1, 101), at(2, 100), at(3, 101)];
 * assert.equal(returnScore(at(4, 110), { history, halflife: 2 })?.zscore.toFixed(2), "9.86");
 * ```
 */
export function returnScore(
  candle: Candle,
  options: { history: readonly Candle[]; halflife: number },
): ReturnScore | null {
  const { halflife } = options;
  const prior = before(candle, options.history, historyLength(halflife));
  const previous = prior.at(-1);
  if (!previous) return null;
  const returns: number[] = [];
  for (let i = 1; i < prior.length; i++) {
    const r = Math.log(prior[i]!.close / prior[i - 1]!.close);
    // A ratio that overflows or vanishes makes no return to measure against.
    if (!Number.isFinite(r)) return null;
    returns.push(r);
  }
  if (returns.length < halflife) return null;
  const stats = ewmaOf(returns, halflife);
  const logReturn = Math.log(candle.close / previous.close);
  if (!Number.isFinite(logReturn)) return null;
  const zscore = zScore(logReturn, stats);
  if (zscore === null) return null;
  return {
    logReturn,
    count: stats.count,
    mean: stats.mean,
    stdDev: Math.sqrt(stats.variance),
    zscore,
  };
}

/**
 * The alerts a closed candle raises: a move alert, an anomaly alert, both or none (in that
 * order). A move alert has no z-score (`zscore: null`); an anomaly alert carries its own. Every
 * number of an alert is finite: a candle whose change is not raises none.
 *
 * @param candle The closed candle.
 * @param options `history`: the closed candles before it (see {@linkcode returnScore});
 * `rules`: the thresholds; `createdAt`: the time the alerts are raised, ms.
 * @returns The alerts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { candleAlerts, DEFAULT_ALERT_RULES } from "./alert_rules.ts";
 * const candle = {
 *   source: "coinbase" as const, product: "BTC-EUR", symbol: "BTC", quote: "EUR",
 *   interval: "1m" as const, windowStart: 0, windowEnd: 60_000, open: 100, high: 107, low: 100,
 *   close: 106, samples: 4, trades: 4, volume: 2, buyVolume: 1.5, sellVolume: 0.5, vwap: 103,
 *   firstEvent: 0, lastEvent: 59_000, closed: true, revision: 0,
 * };
 * const rules = DEFAULT_ALERT_RULES;
 * const [move] = candleAlerts(candle, { history: [], rules, createdAt: 60_000 });
 * assert.deepEqual([move?.kind, move?.direction], ["move", "up"]);
 * assert.equal(move?.changePct.toFixed(2), "6.00");
 * ```
 */
export function candleAlerts(
  candle: Candle,
  options: { history: readonly Candle[]; rules: AlertRules; createdAt: number },
): Alert[] {
  const { rules, createdAt } = options;
  const change = finiteChangePct(candle);
  // Every alert carries the change: without a finite one, none is raised.
  if (change === null) return [];
  const base = {
    source: candle.source,
    product: candle.product,
    symbol: candle.symbol,
    interval: candle.interval,
    windowStart: candle.windowStart,
    changePct: change,
    price: candle.close,
    createdAt,
  };
  const alerts: Alert[] = [];
  if (Math.abs(change) >= rules.movePct) {
    alerts.push({ ...base, kind: "move", direction: change > 0 ? "up" : "down", zscore: null });
  }
  const score = returnScore(candle, { history: options.history, halflife: rules.halflife });
  if (score && Math.abs(score.zscore) > rules.zscore) {
    alerts.push({
      ...base,
      kind: "anomaly",
      direction: score.zscore > 0 ? "up" : "down",
      zscore: score.zscore,
    });
  }
  return alerts;
}
