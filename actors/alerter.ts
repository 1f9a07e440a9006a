/**
 * The Alerter (SPEC §10): examines the closed candles and revisions that the CandleSink queued in
 * the store, in the same transaction as their write, each against the closed candles stored
 * before it ({@linkcode candleAlerts}); it stores the alerts they raise, and the store's unique
 * key decides which are new. The new ones go to the listeners (the console, Redis, the live
 * stream) and, through the store's outbox, to the alert topic.
 *
 * Storing the alerts, queuing the new ones for the topic and taking the examined candles off the
 * queue are one transaction, so a stop or a crash at any moment leaves each candle either examined
 * with its alerts stored, or still queued, to be examined on the next start: no alert is lost, and
 * none is raised twice (a revision or a replay finds its alerts stored already).
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Alert } from "../market/alert.ts";
import { type AlertRules, candleAlerts, historyLength } from "../market/alert_rules.ts";
import type { AlertReport } from "../report/alert_report.ts";
import type { Actor } from "../runtime/actor.ts";
import { backoffDelay } from "../runtime/backoff.ts";
import { delay, isAbort } from "../runtime/delay.ts";
import type { CandleStore } from "../store/candle_store.ts";
import type { Nudge } from "./candle_publisher.ts";

const logger = getLogger(["crypto", "alerter"]);

/** What the Alerter needs. */
export interface AlerterOptions {
  /** The alert queue, the candles before each and where alerts are stored. */
  store: Pick<CandleStore, "peekCandlesToExamine" | "candles" | "insertAlerts">;
  /** The thresholds. */
  rules: AlertRules;
  /** Counts. */
  report: AlertReport;
  /** Poked by the sink when a write queued candles. */
  nudge: Nudge;
  /** Poked when new alerts were queued for the alert topic. */
  raised?: Nudge;
  /** Told of each new alert, once it is stored. */
  onAlert: (alert: Alert) => void;
  /** The wall clock, ms: an alert's `createdAt`. */
  now: () => number;
  /** Longest wait between two looks at the queue, ms. @default {1_000} */
  pollMs?: number;
  /** Most candles examined in one transaction. @default {100} */
  batchSize?: number;
}

/**
 * Makes the Alerter actor.
 *
 * @param options The store, the rules, the listeners and the clock.
 * @returns The actor; when stopped it examines what is queued once more, then ends.
 */
export function alerter(options: AlerterOptions): Actor<unknown, never> {
  const { store, rules, report, nudge, onAlert, now } = options;
  const pollMs = options.pollMs ?? 1_000;
  const batchSize = options.batchSize ?? 100;
  const length = historyLength(rules.halflife);

  /** Examines what is queued; returns whether the queue is empty now. */
  const examine = async (): Promise<boolean> => {
    const queued = await store.peekCandlesToExamine(batchSize);
    if (queued.length === 0) return true;
    const alerts: Alert[] = [];
    for (const candle of queued) {
      if (!candle.closed) continue;
      const { symbol, interval, windowStart } = candle;
      const history = await store.candles({ symbol, interval, to: windowStart, limit: length });
      alerts.push(...candleAlerts(candle, { history, rules, createdAt: now() }));
    }
    const fresh = await store.insertAlerts(alerts, queued);
    report.examined += queued.length;
    report.repeats += alerts.length - fresh.length;
    for (const alert of fresh) {
      report.raised[alert.kind]++;
      onAlert(alert);
    }
    if (fresh.length > 0) options.raised?.poke();
    return queued.length < batchSize;
  };

  return async (_inbox, _outbox, ctx) => {
    let attempt = 0;
    while (!ctx.signal.aborted) {
      try {
        if (await examine()) {
          if (attempt > 0) logger.info("The candle store answers again; alerts resumed");
          attempt = 0;
          await nudge.wait(pollMs, ctx.signal);
        }
      } catch (error) {
        if (isAbort(error, ctx.signal)) break;
        report.storeErrors++;
        if (attempt === 0) {
          logger.warn("Cannot examine candles for alerts: {error}; retrying", {
            error: error instanceof Error ? error.message : String(error),
          });
        }
        await delay(backoffDelay(attempt++, { minMs: 200, maxMs: 5_000 }), {
          signal: ctx.signal,
        }).catch(() => {});
      }
    }
    // Stopping: one more pass, so that what the last writes queued is examined now.
    try {
      while (!(await examine()));
    } catch (error) {
      logger.warn("Candles left queued for alerts, to be examined on the next run: {error}", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };
}
