/**
 * The Alerter (docs/alerts.md): examines the closed candles and revisions that the CandleSink queued in
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
 * A store that refuses the alerts for good (a value, a type or a constraint; see
 * `store/store_error.ts`) is not retried forever: the examination is split by market until the
 * refused ones stand alone, their alerts go to the dead-letter topic with the store's reason and
 * their candles leave the queue, and the other markets' alerts are stored
 * (docs/alerts.md). A store that is away is retried with backoff, as before.
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
import type { Candle } from "../market/candle.ts";
import { marketKey } from "../market/market.ts";
import { encodeAlert } from "../market/messages/alert_message.ts";
import type { DeadLetter } from "../market/messages/dead_letter_message.ts";
import type { Nudge } from "./candle_publisher.ts";
import type { DeadLetterQueue } from "./dead_letters.ts";
import { isolateRefusals } from "./write_split.ts";

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
  /**
   * Where alerts the store refuses for good go, with the topic they were meant for; without it
   * (tests), such a refusal is retried like any error.
   */
  deadLetters?: { queue: DeadLetterQueue; alertTopic: string };
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

  /**
   * Stores the alerts with their candles; when the store refuses them for good, isolates the
   * refused markets, dead-letters their alerts and takes their candles off the queue.
   */
  const insert = async (
    alerts: Alert[],
    queued: Candle[],
    signal: AbortSignal,
  ): Promise<Alert[]> => {
    const dead = options.deadLetters;
    if (!dead) return await store.insertAlerts(alerts, queued);
    const markets = [...new Set(queued.map(marketKey))];
    const fresh: Alert[] = [];
    const refusals = await isolateRefusals(markets, async (keys) => {
      const mine = new Set(keys);
      fresh.push(
        ...await store.insertAlerts(
          alerts.filter((a) => mine.has(marketKey(a))),
          queued.filter((c) => mine.has(marketKey(c))),
        ),
      );
    });
    for (const { keys, error } of refusals) {
      const refused = new Set(keys);
      const at = now();
      const letters = alerts.filter((a) => refused.has(marketKey(a))).map((alert): DeadLetter => {
        const encoded = encodeAlert(alert);
        return {
          topic: dead.alertTopic,
          partition: null,
          offset: null,
          reason: error.message,
          at,
          key: encoded.key,
          value: encoded.value,
          headers: { ...encoded.headers },
        };
      });
      // Dead-lettered first: should the process stop now, the candles are examined again.
      await dead.queue.send(letters, "store", signal);
      await store.insertAlerts([], queued.filter((c) => refused.has(marketKey(c))));
      report.refused += letters.length;
      logger.warn("The store refused the alerts of {markets}: {error}; dead-lettered", {
        markets: keys.join(", "),
        error: error.message,
      });
    }
    return fresh;
  };

  /** Examines what is queued; returns whether the queue is empty now. */
  const examine = async (signal: AbortSignal): Promise<boolean> => {
    const queued = await store.peekCandlesToExamine(batchSize);
    if (queued.length === 0) return true;
    const alerts: Alert[] = [];
    for (const candle of queued) {
      if (!candle.closed) continue;
      const { source, product, interval, windowStart } = candle;
      const history = await store.candles({
        source,
        product,
        interval,
        to: windowStart,
        limit: length,
      });
      alerts.push(...candleAlerts(candle, { history, rules, createdAt: now() }));
    }
    const fresh = await insert(alerts, queued, signal);
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
        if (await examine(ctx.signal)) {
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
      while (!(await examine(ctx.signal)));
    } catch (error) {
      logger.warn("Candles left queued for alerts, to be examined on the next run: {error}", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };
}
