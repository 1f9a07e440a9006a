/**
 * The counts of the Alerter and the alert topic's publisher, and their summary on stop.
 *
 * @module
 */
import type { AlertKind } from "../market/alert.ts";

/** Counts of the alerts, kept across restarts of their actors. */
export class AlertReport {
  /** Closed candles and revisions examined. */
  examined = 0;
  /** Alerts raised (new in the store), by kind. */
  raised: Record<AlertKind, number> = { move: 0, anomaly: 0 };
  /** Alerts found again that the store already held (a revision, a replay, a restart). */
  repeats = 0;
  /** Failed store operations (each retried). */
  storeErrors = 0;
  /** Alerts put on the alert topic. */
  published = 0;
  /** Failed sends to the alert topic (each retried). */
  publishErrors = 0;

  /**
   * The closing lines.
   *
   * @returns The lines.
   */
  summary(): string[] {
    const { move, anomaly } = this.raised;
    return [
      "Alerts summary:",
      `  Candles examined: ${this.examined}, alerts raised: ${
        move + anomaly
      } (move: ${move}, anomaly: ${anomaly}), already raised: ${this.repeats}`,
      `  Published to the alert topic: ${this.published}, store errors retried: ${this.storeErrors}`,
    ];
  }
}
