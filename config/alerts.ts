/**
 * The alerts' configuration, which `candles` and `start` share: the thresholds, the half-life of
 * the return statistics, the alert topic, and `--no-alerts` (`docs/configuration.md`).
 *
 * @module
 */
import type { FlagSpec } from "./cli.ts";
import type { Settings } from "./settings.ts";
import type { AlertConfig } from "./types.ts";
import { parseNumber, parseTopic } from "./values.ts";

/** The topic new alerts are published to, unless `ALERT_TOPIC` names another. */
const ALERT_TOPIC = "crypto-alerts";

/** The largest half-life: the statistics then read 4,001 candles before each one examined. */
const MAX_HALFLIFE = 400;

/** The alert flag `candles` and `start` share. */
export const alertFlags: readonly FlagSpec[] = [
  {
    name: "no-alerts",
    type: "boolean",
    help: "do not raise alerts on the closed candles (they are raised by default)",
  },
];

/**
 * Reads the alert settings; they are checked even when `--no-alerts` turns alerts off.
 *
 * @param s The settings.
 * @returns The alert configuration, or null with `--no-alerts`.
 * @throws {ConfigError} For a bad value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadAlertSettings } from "./alerts.ts";
 * import { Settings } from "./settings.ts";
 * const alerts = loadAlertSettings(new Settings(new Map(), () => undefined));
 * assert.deepEqual(alerts?.rules, { movePct: 5, zscore: 4, halflife: 30 });
 * ```
 */
export function loadAlertSettings(s: Settings): AlertConfig | null {
  const config: AlertConfig = {
    rules: {
      movePct: parseNumber(...s.get("ALERT_MOVE_PCT", null, "5"), {
        min: 0,
        exclusiveMin: true,
        max: 1000,
      }),
      zscore: parseNumber(...s.get("ALERT_ZSCORE", null, "4"), {
        min: 0,
        exclusiveMin: true,
        max: 1000,
      }),
      halflife: parseNumber(...s.get("ALERT_EWMA_HALFLIFE", null, "30"), {
        min: 1,
        max: MAX_HALFLIFE,
        integer: true,
      }),
    },
    topic: parseTopic(...s.get("ALERT_TOPIC", null, ALERT_TOPIC)),
  };
  return s.flag("no-alerts") ? null : config;
}
