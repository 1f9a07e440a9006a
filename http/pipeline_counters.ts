/**
 * What the HTTP side makes of a running pipeline's counters: the snapshot behind
 * `/api/v1/pipeline`, `/metrics` and the dashboard (`docs/api.md`), and whether the source is
 * ready for `/readyz`. `start` hands in its topologies' counters as they stand; `serve`, which
 * runs no pipeline, only the candle group's lag. Values in, values out: nothing here reads a
 * clock or the network.
 *
 * @module
 */
import type {
  DeadLetterSnapshot,
  FetchSnapshot,
  LagSnapshot,
  PipelineSnapshot,
  StageSnapshot,
} from "./pipeline_snapshot.ts";

/** An inbox channel's fill: messages waiting, and its capacity when bounded. */
export interface ChannelGauge {
  readonly size: number;
  readonly capacity?: number;
}

/** The CoinGecko side (or a replay): the producer's report and buffer. */
export interface PriceSourceCounters {
  kind: "prices";
  report: {
    readonly totals: Readonly<{
      iterations: number;
      fetched: number;
      produced: number;
      errors: number;
      skipped: number;
      failed: number;
      dropped: number;
    }>;
    readonly lastFetch: FetchSnapshot["last"];
    /** Fetch cycles that ended without failing. */
    readonly cyclesOk: number;
  };
  /** Prices waiting for the broker. */
  buffer: ChannelGauge;
}

/** The Coinbase trade side: the trade source's report and buffer. */
export interface TradeSourceCounters {
  kind: "trades";
  report: {
    readonly totals: Readonly<{
      connections: number;
      disconnects: number;
      published: number;
      malformed: number;
      feedErrors: number;
      produced: number;
      failed: number;
      dropped: number;
      /** Trades read from the REST API into gaps. */
      repaired?: number;
      /** Missing ids given up. */
      lost?: number;
    }>;
    readonly feed: Readonly<{ connected: boolean; at: number | null; detail: string | null }>;
  };
  /** Trades waiting for the broker. */
  buffer: ChannelGauge;
  /** Gaps waiting for the repairer, when one runs. */
  gaps?: ChannelGauge;
}

/** The consumer's printer: what it handled and refused, and its inbox. */
export interface PrinterCounters {
  tracker: { readonly handled: number };
  report: { readonly bad: number };
  records: ChannelGauge;
}

/** The candle side: the aggregator, the sink, the book and the alerter. */
export interface CandleCounters {
  report: {
    readonly read: number;
    readonly bad: number;
    readonly writes: number;
    readonly storeErrors: number;
  };
  /** The aggregator's inbox. */
  records: ChannelGauge;
  /** The candle sink's inbox. */
  batches: ChannelGauge;
  book: { readonly counts: Readonly<{ closed: number; revisions: number; late: number }> };
  /** Null when alerts are off. */
  alertReport: { readonly examined: number; readonly storeErrors: number } | null;
}

/** What `start` runs, as it stands. */
export interface StartCounters {
  transport: "memory" | "kafka";
  /** Restarts per actor, as the supervisor counts them. */
  restarts: Readonly<Record<string, number>>;
  /** `PRODUCER_BUFFER_SIZE`: the producer's buffer capacity. */
  bufferCapacity: number;
  source: PriceSourceCounters | TradeSourceCounters;
  /** Null when no printer runs (trades are aggregated, not printed). */
  printer: PrinterCounters | null;
  /** Null with `--no-candles`. */
  candles: CandleCounters | null;
  /** Consumer lag per partition. */
  lag: readonly LagSnapshot[];
  /** The dead letters written, with their topic; null (or left out) when none are written here. */
  deadLetters?: {
    topic: string;
    report: Omit<DeadLetterSnapshot, "topic">;
  } | null;
}

/**
 * The snapshot of what `start` runs: its stages in the order messages pass them (fetcher or
 * trades, publisher, printer, aggregator, candle-sink, alerter), each with the restarts of the
 * actors named after it.
 *
 * @param counters The counters as they stand.
 * @returns The snapshot.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startSnapshot } from "./pipeline_counters.ts";
 * const snapshot = startSnapshot({
 *   transport: "memory",
 *   restarts: { publisher: 1 },
 *   bufferCapacity: 100,
 *   source: {
 *     kind: "prices",
 *     report: {
 *       totals: { iterations: 2, fetched: 4, produced: 4, errors: 0, skipped: 0, failed: 0, dropped: 0 },
 *       lastFetch: { at: 0, outcome: "ok", detail: null },
 *       cyclesOk: 2,
 *     },
 *     buffer: { size: 0, capacity: 100 },
 *   },
 *   printer: null,
 *   candles: null,
 *   lag: [],
 * });
 * assert.deepEqual(
 *   snapshot.stages.map((s) => `${s.name} ${s.messages} ${s.restarts}`),
 *   ["fetcher 4 0", "publisher 4 1"],
 * );
 * ```
 */
export function startSnapshot(counters: StartCounters): PipelineSnapshot {
  const { source, printer, candles } = counters;
  const restartsOf = (prefix: string) =>
    Object.entries(counters.restarts).filter(([name]) => name.startsWith(prefix))
      .reduce((sum, [, n]) => sum + n, 0);
  const stage = (
    name: string,
    messages: number,
    errors: number,
    channel: ChannelGauge | null,
  ): StageSnapshot => ({
    name,
    messages,
    errors,
    restarts: restartsOf(name),
    depth: channel?.size ?? null,
    capacity: channel?.capacity ?? null,
  });
  const { stages, fetch, produced, dropped } = source.kind === "trades"
    ? tradeSide(source, stage)
    : priceSide(source, stage);
  return {
    transport: counters.transport,
    stages: [
      ...stages,
      ...(printer
        ? [stage("printer", printer.tracker.handled, printer.report.bad, printer.records)]
        : []),
      ...(candles
        ? [
          stage("aggregator", candles.report.read, candles.report.bad, candles.records),
          stage("candle-sink", candles.report.writes, candles.report.storeErrors, candles.batches),
        ]
        : []),
      ...(candles?.alertReport
        ? [stage("alerter", candles.alertReport.examined, candles.alertReport.storeErrors, null)]
        : []),
    ],
    fetch,
    produced,
    consumed: printer?.tracker.handled ?? candles?.report.read ?? 0,
    bad: printer?.report.bad ?? candles?.report.bad ?? 0,
    buffer: { depth: source.buffer.size, capacity: counters.bufferCapacity, dropped },
    candles: candles
      ? {
        closed: candles.book.counts.closed,
        revisions: candles.book.counts.revisions,
        late: candles.book.counts.late,
        storeWrites: candles.report.writes,
        storeErrors: candles.report.storeErrors,
      }
      : null,
    lag: [...counters.lag],
    ...(counters.deadLetters
      ? {
        deadLetters: {
          topic: counters.deadLetters.topic,
          written: counters.deadLetters.report.written,
          refusedAtDoor: counters.deadLetters.report.refusedAtDoor,
          refusedByStore: counters.deadLetters.report.refusedByStore,
          latest: [...counters.deadLetters.report.latest],
        },
      }
      : {}),
  };
}

type Stage = (
  name: string,
  messages: number,
  errors: number,
  channel: ChannelGauge | null,
) => StageSnapshot;

interface SourceSide {
  stages: StageSnapshot[];
  fetch: FetchSnapshot;
  produced: number;
  dropped: number;
}

function priceSide(source: PriceSourceCounters, stage: Stage): SourceSide {
  const totals = source.report.totals;
  const last = source.report.lastFetch;
  return {
    stages: [
      stage("fetcher", totals.fetched, totals.errors - totals.failed - totals.dropped, null),
      stage("publisher", totals.produced, totals.failed + totals.dropped, source.buffer),
    ],
    fetch: {
      ok: source.report.cyclesOk,
      failed: totals.errors - totals.skipped - totals.failed - totals.dropped,
      last,
    },
    produced: totals.produced,
    dropped: totals.dropped,
  };
}

function tradeSide(source: TradeSourceCounters, stage: Stage): SourceSide {
  const t = source.report.totals;
  const feed = source.report.feed;
  return {
    stages: [
      stage("trades", t.published, t.malformed + t.feedErrors, null),
      // Trades read from REST into gaps (errors: the ids it could not give), and gaps waiting.
      ...(source.gaps ? [stage("repairer", t.repaired ?? 0, t.lost ?? 0, source.gaps)] : []),
      stage("publisher", t.produced, t.failed + t.dropped, source.buffer),
    ],
    fetch: {
      ok: t.connections,
      failed: t.disconnects,
      last: feed.at === null
        ? null
        : { at: feed.at, outcome: feed.connected ? "ok" : "error", detail: feed.detail },
    },
    produced: t.produced,
    dropped: t.dropped,
  };
}

/**
 * Whether `start`'s source is ready: the Coinbase feed connected, or the last fetch not failed.
 *
 * @param source The source's counters.
 * @returns Resolves when ready, rejects with the reason.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sourceReadiness } from "./pipeline_counters.ts";
 * const report = {
 *   totals: { iterations: 1, fetched: 0, produced: 0, errors: 1, skipped: 0, failed: 0, dropped: 0 },
 *   lastFetch: { at: 0, outcome: "error" as const, detail: "HTTP 429" },
 *   cyclesOk: 0,
 * };
 * await assert.rejects(
 *   sourceReadiness({ kind: "prices", report, buffer: { size: 0 } }),
 *   { message: "the last fetch failed: HTTP 429" },
 * );
 * ```
 */
export function sourceReadiness(source: PriceSourceCounters | TradeSourceCounters): Promise<void> {
  if (source.kind === "trades") {
    const feed = source.report.feed;
    return feed.connected ? Promise.resolve() : Promise.reject(
      new Error(`the Coinbase feed is not connected${feed.detail ? `: ${feed.detail}` : ""}`),
    );
  }
  const last = source.report.lastFetch;
  return last?.outcome === "error"
    ? Promise.reject(new Error(`the last fetch failed: ${last.detail}`))
    : Promise.resolve();
}

/**
 * The lag of consumer groups on the embedded log, in the snapshot's terms.
 *
 * @param log The embedded log.
 * @param groups The groups, in the order shown, each with what reads through it.
 * @param topic The topic.
 * @returns One entry per group and partition.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryLogLag } from "./pipeline_counters.ts";
 * const log = { lag: () => [{ partition: 0, lag: 3 }] };
 * assert.deepEqual(
 *   memoryLogLag(log, [{ group: "g", consumer: "printer" }], "prices"),
 *   [{ topic: "prices", group: "g", consumer: "printer", partition: 0, lag: 3 }],
 * );
 * ```
 */
export function memoryLogLag(
  log: { lag(group: string, topic: string): readonly { partition: number; lag: number }[] },
  groups: readonly { group: string; consumer: string }[],
  topic: string,
): LagSnapshot[] {
  return groups.flatMap(({ group, consumer }) =>
    log.lag(group, topic).map((p) => ({
      topic,
      group,
      consumer,
      partition: p.partition,
      lag: p.lag,
    }))
  );
}

/**
 * The snapshot `serve` shows: no pipeline runs in it, only the candle group's lag.
 *
 * @param lag The lag as last read.
 * @returns The snapshot.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveSnapshot } from "./pipeline_counters.ts";
 * assert.equal(serveSnapshot([]).transport, "kafka");
 * ```
 */
export function serveSnapshot(lag: readonly LagSnapshot[]): PipelineSnapshot {
  return {
    transport: "kafka",
    stages: [],
    fetch: null,
    produced: 0,
    consumed: 0,
    bad: 0,
    buffer: null,
    candles: null,
    lag: [...lag],
  };
}
