import assert from "node:assert/strict";
import type { Candle, Interval } from "../../market/candle.ts";
import { intervalMs } from "../../market/candle.ts";
import {
  type AlertRules,
  candleAlerts,
  changePct,
  DEFAULT_ALERT_RULES,
  finiteChangePct,
  historyLength,
  returnScore,
} from "../../market/alert_rules.ts";

const T0 = Date.UTC(2025, 10, 12, 10, 0);
const M = 60_000;

/** A closed 1m candle at minute `m` with the close given (and the open, by default the close). */
function candle(m: number, close: number, fields: Partial<Candle> = {}): Candle {
  const interval: Interval = fields.interval ?? "1m";
  const windowStart = T0 + m * intervalMs(interval);
  return {
    source: "coingecko",
    product: "BTC-USD",
    symbol: "BTC",
    quote: "USD",
    interval,
    windowStart,
    windowEnd: windowStart + intervalMs(interval),
    open: close,
    high: close,
    low: close,
    close,
    samples: 1,
    trades: 1,
    volume: null,
    buyVolume: null,
    sellVolume: null,
    vwap: null,
    firstEvent: windowStart,
    lastEvent: windowStart,
    closed: true,
    revision: 0,
    ...fields,
  };
}

/** Candles whose closes are 100·e^(cumulative return), one per return, after a first at 100. */
function series(returns: readonly number[], from = 0): Candle[] {
  const out = [candle(from, 100)];
  let level = 0;
  returns.forEach((r, i) => {
    level += r;
    out.push(candle(from + i + 1, 100 * Math.exp(level)));
  });
  return out;
}

const near = (actual: number | undefined, expected: number, what = "") =>
  assert.ok(
    actual !== undefined && Math.abs(actual - expected) < 1e-9,
    `${what} ${actual} is not ${expected}`,
  );

const rules = (fields: Partial<AlertRules> = {}): AlertRules => ({
  ...DEFAULT_ALERT_RULES,
  ...fields,
});

Deno.test("changePct() is the close against the open, in percent", () => {
  assert.equal(changePct({ open: 100, close: 105 }), 5);
  assert.equal(changePct({ open: 200, close: 190 }), -5);
  assert.equal(changePct({ open: 50, close: 50 }), 0);
  near(changePct({ open: 45_234.56, close: 48_001 }), (48_001 / 45_234.56 - 1) * 100);
});

Deno.test("historyLength() is ten half-lives of returns and the candle before the first", () => {
  assert.equal(historyLength(30), 301);
  assert.equal(historyLength(1), 11);
  assert.equal(historyLength(2.5), 31);
});

Deno.test("candleAlerts() raises a move alert at the threshold and beyond, either way, with no z-score", () => {
  const at = (open: number, close: number) =>
    candleAlerts(candle(0, close, { open }), {
      history: [],
      rules: rules(),
      createdAt: T0 + 2 * M,
    });
  assert.deepEqual(at(100, 105), [{
    source: "coingecko",
    product: "BTC-USD",
    symbol: "BTC",
    interval: "1m",
    windowStart: T0,
    kind: "move",
    direction: "up",
    changePct: 5,
    zscore: null,
    price: 105,
    createdAt: T0 + 2 * M,
  }]);
  assert.deepEqual(at(100, 104.99), []);
  const [down] = at(200, 189);
  assert.equal(down?.direction, "down");
  assert.equal(down?.changePct, -5.5);
  assert.deepEqual(at(100, 95.01), []);
  // The threshold is configurable.
  assert.equal(
    candleAlerts(candle(0, 101, { open: 100 }), {
      history: [],
      rules: rules({ movePct: 1 }),
      createdAt: 0,
    }).length,
    1,
  );
});

Deno.test("returnScore() scores the log return against the statistics worked out by hand", () => {
  // Returns 0.01, 0.03, 0.02 with half-life 1 (weight ½): mean 0.02, variance 0.00005 (as the
  // series 1, 3, 2 scaled by 0.01). The candle's return is 0.04: z = 0.02 / √0.00005 = 2√2.
  const history = series([0.01, 0.03, 0.02]);
  const now = candle(4, 100 * Math.exp(0.10));
  const score = returnScore(now, { history, halflife: 1 })!;
  near(score.logReturn, 0.04, "return");
  assert.equal(score.count, 3);
  near(score.mean, 0.02, "mean");
  near(score.stdDev, Math.sqrt(0.00005), "stdDev");
  near(score.zscore, 2 * Math.SQRT2, "z");
  // Down: a return of −0.02 is 0.04 under the mean: z = −4√2.
  near(
    returnScore(candle(4, 100 * Math.exp(0.04)), { history, halflife: 1 })?.zscore,
    -4 * Math.SQRT2,
  );
});

Deno.test("returnScore() stays silent in warm-up, without a previous candle and without spread", () => {
  const history = series([0.01, -0.01, 0.02, 0.0]);
  const next = candle(5, 150);
  // Four earlier returns: enough for a half-life up to 4, not for 5.
  assert.notEqual(returnScore(next, { history, halflife: 4 }), null);
  assert.equal(returnScore(next, { history, halflife: 5 }), null);
  assert.equal(returnScore(next, { history: [], halflife: 1 }), null);
  assert.equal(returnScore(next, { history: [candle(0, 100)], halflife: 1 }), null);
  // A flat history has no spread to measure a jump against.
  const flat = [0, 1, 2, 3, 4].map((m) => candle(m, 100));
  assert.equal(returnScore(next, { history: flat, halflife: 2 }), null);
});

Deno.test("returnScore() reads only the last ten half-lives of closed candles of the same series before the candle", () => {
  const recent = series([0.01, -0.02, 0.015, 0.0, -0.005, 0.02, -0.01, 0.005, 0.01, -0.015], 50);
  const target = candle(61, 130);
  const alone = returnScore(target, { history: recent, halflife: 1 })!;
  const noise = [
    ...series([0.3, -0.4, 0.5], 10), // older than ten half-lives: left out
    candle(5, 1, { symbol: "ETH", product: "ETH-USD" }),
    // The same base currency in another market: another series.
    candle(55, 1, { source: "coinbase" }),
    candle(56, 1, { product: "BTC-EUR", quote: "EUR" }),
    candle(49, 7, { interval: "5m" }),
    candle(12.1, 7, { interval: "5m" }), // another interval, between the last 1m candle and it
    target, // the candle itself, as stored
    candle(60.5, 999, { closed: false }),
    candle(62, 1), // after the candle
  ];
  const mixed = returnScore(target, { history: [...noise, ...recent].reverse(), halflife: 1 })!;
  assert.deepEqual(mixed, alone);
  // The previous close is the latest closed candle's, adjacent or not.
  near(alone.logReturn, Math.log(130 / recent.at(-1)!.close));
});

Deno.test("candleAlerts() raises an anomaly only beyond the z-score, with its direction and z-score", () => {
  const history = series([0.01, 0.03, 0.02]);
  const jump = candle(4, 100 * Math.exp(0.10), { open: 100 * Math.exp(0.06) });
  const z = 2 * Math.SQRT2;
  const raised = (zscore: number) =>
    candleAlerts(jump, { history, rules: rules({ zscore, halflife: 1 }), createdAt: 0 });
  assert.deepEqual(raised(z + 1e-6), []);
  // Exactly at the threshold is not beyond it.
  const exact = returnScore(jump, { history, halflife: 1 })!.zscore;
  assert.deepEqual(raised(exact), []);
  assert.equal(raised(exact - 1e-9).length, 1);
  const [anomaly] = raised(z - 1e-6);
  assert.equal(anomaly?.kind, "anomaly");
  assert.equal(anomaly?.direction, "up");
  near(anomaly?.zscore ?? undefined, z);
  near(anomaly?.changePct, (Math.exp(0.04) - 1) * 100);
  assert.equal(anomaly?.price, jump.close);
  const drop = candle(4, 100 * Math.exp(0.0), { open: 100 * Math.exp(0.06) });
  const both = candleAlerts(drop, { history, rules: rules({ halflife: 1 }), createdAt: 0 });
  // −5.82 % from the open: a move down; the return −0.06 is 0.08 under the mean: z = −8√2.
  assert.deepEqual(both.map((a) => [a.kind, a.direction]), [["move", "down"], ["anomaly", "down"]]);
  near(both[1]?.zscore ?? undefined, -8 * Math.SQRT2);
});

Deno.test("an alert never holds a number that is not finite: a change that overflows raises none, a tiny open a finite one", () => {
  // An open of 1e-200 closing at 50,000: a huge but finite change, alerted as such.
  const tiny = candle(0, 50_000, { open: 1e-200, low: 1e-200 });
  const [move] = candleAlerts(tiny, { history: [], rules: rules(), createdAt: T0 });
  assert.ok(move && Number.isFinite(move.changePct) && move.changePct > 1e200);
  // An open so small that the percentage overflows: no alert at all rather than Infinity.
  const overflow = candle(0, 1e11, { open: Number.MIN_VALUE, low: Number.MIN_VALUE });
  assert.equal(finiteChangePct(overflow), null);
  assert.deepEqual(candleAlerts(overflow, { history: [], rules: rules(), createdAt: T0 }), []);
});

Deno.test("returnScore() is null, not Infinity, when a return or the score overflows", () => {
  const halflife = 2;
  const history = series([0.01, -0.01, 0.02, -0.02]);
  // The previous close of 5e-324 makes ln(close / previous) infinite.
  const afterTiny = [...history, candle(5, Number.MIN_VALUE)];
  assert.equal(returnScore(candle(6, 1e11), { history: afterTiny, halflife }), null);
  // An earlier return that overflows leaves nothing to measure against.
  const broken = [candle(0, Number.MIN_VALUE), ...history.slice(1)];
  assert.equal(returnScore(candle(6, 100), { history: broken, halflife }), null);
  for (const c of [candle(6, 1e11), candle(6, Number.MIN_VALUE)]) {
    for (
      const alert of candleAlerts(c, {
        history: afterTiny,
        rules: rules({ halflife }),
        createdAt: T0,
      })
    ) {
      assert.ok(
        Number.isFinite(alert.changePct) &&
          (alert.zscore === null || Number.isFinite(alert.zscore)),
      );
    }
  }
});

Deno.test("candleAlerts() raises no anomaly either when the change from the open is not finite", () => {
  const history = series([0.01, -0.01, 0.02, -0.02]);
  const halflife = 2;
  // Against the closes around 100, a close of 1e11 is a far outlier: an anomaly when it opened
  // near them.
  const opened = candle(5, 1e11, { open: 100 });
  assert.deepEqual(
    candleAlerts(opened, { history, rules: rules({ halflife }), createdAt: T0 }).map((a) => a.kind),
    ["move", "anomaly"],
  );
  // The same close from an open so small that the change overflows: no alert at all.
  const overflow = candle(5, 1e11, { open: Number.MIN_VALUE, low: Number.MIN_VALUE });
  assert.deepEqual(
    candleAlerts(overflow, { history, rules: rules({ halflife }), createdAt: T0 }),
    [],
  );
});
