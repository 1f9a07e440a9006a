/**
 * The console lines about where candles and alerts go besides the store: the alert settings at
 * start-up, and Redis's counts in the closing summary.
 *
 * @module
 */
import type { AlertConfig } from "../config/types.ts";

/**
 * The start-up line about alerts.
 *
 * @param alerts The alert configuration, or null when off.
 * @returns The line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeAlerts } from "./outputs.ts";
 * const rules = { movePct: 5, zscore: 4, halflife: 30 };
 * assert.equal(
 *   describeAlerts({ rules, topic: "crypto-alerts" }),
 *   "Alerts: move ≥ 5%, anomaly |z| > 4 (half-life 30 candles), topic crypto-alerts",
 * );
 * assert.equal(describeAlerts(null), "Alerts: off");
 * ```
 */
export function describeAlerts(alerts: AlertConfig | null): string {
  if (!alerts) return "Alerts: off";
  const { movePct, zscore, halflife } = alerts.rules;
  return `Alerts: move ≥ ${movePct}%, anomaly |z| > ${zscore} (half-life ${halflife} candles), topic ${alerts.topic}`;
}

/**
 * The summary line of Redis.
 *
 * @param redis Redis's counters, or null when Redis is off.
 * @returns The line, or none when Redis is off.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redisSummary } from "./outputs.ts";
 * assert.deepEqual(
 *   redisSummary({ counters: { sent: 10, errors: 1, dropped: 0 } }),
 *   ["  Redis: 10 sent, 1 errors, 0 dropped"],
 * );
 * assert.deepEqual(redisSummary(null), []);
 * ```
 */
export function redisSummary(
  redis: { readonly counters: { sent: number; errors: number; dropped: number } } | null,
): string[] {
  if (!redis) return [];
  const { sent, errors, dropped } = redis.counters;
  return [`  Redis: ${sent} sent, ${errors} errors, ${dropped} dropped`];
}
