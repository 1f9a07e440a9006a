/**
 * An independent computation of the alerts of docs/alerts.md, written plainly from the closed form of
 * the statistics (explicit weights, no fold, nothing of `market/ewma.ts` or
 * `market/alert_rules.ts`): for a table of closed candles, the alerts a correct Alerter must
 * raise, and how a test compares them with what was raised.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Alert } from "../../market/alert.ts";
import type { AlertRules } from "../../market/alert_rules.ts";
import type { Candle } from "../../market/candle.ts";

/** What the reference reads of a candle: its key, its open and close, and whether it closed. */
export type AlertCandle =
  & Pick<Candle, "symbol" | "windowStart" | "open" | "close" | "closed">
  & { source: string; product: string; interval: string };

/** An alert without its creation time, which no two runs share. */
export type ExpectedAlert = Omit<Alert, "createdAt">;

/** The key of an alert as one string. */
export const alertKey = (
  a: Pick<Alert, "source" | "product" | "interval" | "windowStart" | "kind">,
) => `${a.source}:${a.product}|${a.interval}|${a.windowStart}|${a.kind}`;

/**
 * The alerts of the closed candles of a table.
 *
 * For the candle at position t of its series (same market — source and product — and interval, by window), with
 * `L = 10 × halflife`: the earlier closed candles t−L−1 … t−1 give the returns
 * `rᵢ = ln(cᵢ / cᵢ₋₁)`; with `a = 1 − 2^(−1/halflife)` and `n` returns, weights
 * `w₁ = (1 − a)ⁿ⁻¹` and `wᵢ = a·(1 − a)ⁿ⁻ⁱ`; mean `m = Σ wᵢ·rᵢ`, variance `v = Σ wᵢ·(rᵢ − m)²`;
 * `z = (ln(c_t / c_{t−1}) − m) / √v`, an anomaly when `n ≥ halflife`, `v > 0` and `|z|` exceeds
 * the threshold. A move when `|close − open| / open × 100` is at least its threshold.
 *
 * @param candles The candles (open ones are left out).
 * @param rules The thresholds.
 * @returns The alerts, by key.
 */
export function referenceAlerts(
  candles: readonly AlertCandle[],
  rules: AlertRules,
): Map<string, ExpectedAlert> {
  const series = new Map<string, AlertCandle[]>();
  for (const c of candles.filter((c) => c.closed)) {
    const k = `${c.source}:${c.product}|${c.interval}`;
    series.set(k, [...(series.get(k) ?? []), c]);
  }
  const out = new Map<string, ExpectedAlert>();
  const a = 1 - Math.pow(2, -1 / rules.halflife);
  const lookback = 10 * rules.halflife;
  for (const list of series.values()) {
    list.sort((x, y) => x.windowStart - y.windowStart);
    list.forEach((c, t) => {
      const base = {
        source: c.source as Alert["source"],
        product: c.product,
        symbol: c.symbol,
        interval: c.interval as Alert["interval"],
        windowStart: c.windowStart,
        changePct: 100 * (c.close - c.open) / c.open,
        price: c.close,
      };
      if (Math.abs(base.changePct) >= rules.movePct) {
        const move: ExpectedAlert = {
          ...base,
          kind: "move",
          direction: base.changePct > 0 ? "up" : "down",
          zscore: null,
        };
        out.set(alertKey(move), move);
      }
      const prior = list.slice(Math.max(0, t - lookback - 1), t);
      const returns = prior.slice(1).map((p, i) => Math.log(p.close / prior[i]!.close));
      const n = returns.length;
      if (n === 0 || n < rules.halflife) return;
      const w = returns.map((_, i) =>
        i === 0 ? Math.pow(1 - a, n - 1) : a * Math.pow(1 - a, n - 1 - i)
      );
      const m = returns.reduce((s, r, i) => s + w[i]! * r, 0);
      const v = returns.reduce((s, r, i) => s + w[i]! * (r - m) * (r - m), 0);
      if (!(v > 0)) return;
      const z = (Math.log(c.close / prior.at(-1)!.close) - m) / Math.sqrt(v);
      if (Math.abs(z) > rules.zscore) {
        const anomaly: ExpectedAlert = {
          ...base,
          kind: "anomaly",
          direction: z > 0 ? "up" : "down",
          zscore: z,
        };
        out.set(alertKey(anomaly), anomaly);
      }
    });
  }
  return out;
}

/**
 * Asserts that the alerts raised are exactly the expected ones, each once: the same keys,
 * directions and prices, the change and the z-score to 1e-9.
 *
 * @param raised The alerts raised (e.g. read back from the store).
 * @param expected The reference.
 */
export function assertSameAlerts(
  raised: readonly (Alert | ExpectedAlert)[],
  expected: ReadonlyMap<string, ExpectedAlert>,
): void {
  const keys = raised.map(alertKey);
  assert.equal(new Set(keys).size, keys.length, `an alert raised twice: ${keys.join(", ")}`);
  assert.deepEqual([...keys].sort(), [...expected.keys()].sort());
  for (const alert of raised) {
    const want = expected.get(alertKey(alert))!;
    const what = alertKey(alert);
    assert.equal(alert.direction, want.direction, what);
    assert.equal(alert.price, want.price, what);
    assert.ok(
      Math.abs(alert.changePct - want.changePct) < 1e-9,
      `${what} change ${alert.changePct}`,
    );
    if (want.zscore === null) assert.equal(alert.zscore, null, what);
    else {
      assert.ok(
        alert.zscore !== null && Math.abs(alert.zscore - want.zscore) < 1e-9,
        `${what} z ${alert.zscore}, expected ${want.zscore}`,
      );
    }
  }
}
