/**
 * What the HTTP side reads of the pipeline: a plain snapshot of the counters the pipeline
 * already keeps, taken when `/api/v1/pipeline`, `/metrics` or the stream asks for it, so the
 * pipeline does no extra work per message for them. Rates (messages/s) are worked out here, from
 * successive snapshots.
 *
 * @module
 */
import { redactUrl } from "../config/values.ts";

/** A latency histogram as the pipeline keeps it: counts per bucket, seconds. */
export interface HistogramSnapshot {
  /** Upper bounds of the buckets, in seconds, ascending (the last bucket, +Inf, is implied). */
  bounds: readonly number[];
  /** Observations per bucket (not cumulative); one more entry than `bounds`, for +Inf. */
  counts: readonly number[];
  /** Sum of the observations, in seconds. */
  sum: number;
  /** Number of observations. */
  count: number;
}

/** One stage (actor) of the pipeline. */
export interface StageSnapshot {
  /** The stage's name, e.g. `fetcher`, `publisher`, `printer`, `aggregator`. */
  name: string;
  /** Messages it has handled. */
  messages: number;
  /** Messages or calls that failed. */
  errors: number;
  /** Times its actor was restarted by the supervisor. */
  restarts: number;
  /** Messages waiting in its inbox channel, or null when it has none. */
  depth: number | null;
  /** Its inbox channel's capacity, or null. */
  capacity: number | null;
  /** Time it takes per message (or per batch), when it measures it. */
  latency?: HistogramSnapshot;
}

/** The fetches from the source. */
export interface FetchSnapshot {
  /** Fetch cycles that succeeded (some coins may have been skipped). */
  ok: number;
  /** Fetch cycles that failed after their retries. */
  failed: number;
  /** The last one, or null before the first. */
  last: {
    /** When it ended, ms since the epoch. */
    at: number;
    /** How it ended. */
    outcome: "ok" | "partial" | "error";
    /** What went wrong, one line, or null. */
    detail: string | null;
  } | null;
}

/** A consumer group's lag on one partition. */
export interface LagSnapshot {
  /** The topic (or the embedded log's name). */
  topic: string;
  group: string;
  /** What reads through the group in this process, e.g. `printer` or `candles`. */
  consumer?: string;
  partition: number;
  /** Records the group has yet to read. */
  lag: number;
}

/** The pipeline's counters at one moment. */
export interface PipelineSnapshot {
  /** `memory` (the embedded log), `kafka`, or `none` when no pipeline runs in this process. */
  transport: "memory" | "kafka" | "none";
  /** The stages, in the order messages pass them. */
  stages: StageSnapshot[];
  /** Fetches from the source, or null when this process does not fetch. */
  fetch: FetchSnapshot | null;
  /** Messages produced to the log. */
  produced: number;
  /** Messages consumed from the log. */
  consumed: number;
  /** Consumed messages that were not valid (logged, counted and skipped). */
  bad: number;
  /** The producer's buffer of prices waiting for the broker, or null. */
  buffer: { depth: number; capacity: number; dropped: number } | null;
  /** The candle side, or null when no aggregator runs here. */
  candles: {
    /** Candles closed. */
    closed: number;
    /** Late updates of closed candles. */
    revisions: number;
    /** Observations too late even for the allowed lateness, dropped. */
    late: number;
    /** Store writes that succeeded. */
    storeWrites: number;
    /** Store writes that failed (and were retried). */
    storeErrors: number;
  } | null;
  /** Consumer lag per partition. */
  lag: LagSnapshot[];
  /** The dead letters written (docs/messages.md#dead-letters), when this process writes any. */
  deadLetters?: DeadLetterSnapshot;
}

/** The records refused and written to the dead-letter topic. */
export interface DeadLetterSnapshot {
  /** The dead-letter topic (in `start` over the embedded log, its topic there). */
  topic: string;
  /** Dead letters written. */
  written: number;
  /** Of them, refused when read (a record that is not a valid price or trade). */
  refusedAtDoor: number;
  /** Of them, refused by the store for good (a value, a type, a constraint). */
  refusedByStore: number;
  /** The latest ones, oldest first: where each refused record was read, why and when. */
  latest: readonly {
    topic: string;
    partition: number | null;
    offset: string | null;
    reason: string;
    at: number;
  }[];
}

/** Gives the pipeline's counters as they stand; called on demand, never per message. */
export type PipelineProvider = () => PipelineSnapshot | Promise<PipelineSnapshot>;

/** A snapshot for a process that runs no pipeline (`serve` before it has learnt any lag). */
export const NO_PIPELINE: PipelineSnapshot = Object.freeze({
  transport: "none",
  stages: [],
  fetch: null,
  produced: 0,
  consumed: 0,
  bad: 0,
  buffer: null,
  candles: null,
  lag: [],
});

/** The JSON of `GET /api/v1/pipeline` and of the stream's `pipeline` events. */
export interface PipelineJson {
  taken_at: string;
  transport: PipelineSnapshot["transport"];
  stages: {
    name: string;
    messages: number;
    messages_per_s: number;
    errors: number;
    restarts: number;
    depth: number | null;
    capacity: number | null;
  }[];
  fetch: {
    ok: number;
    failed: number;
    last_at: string | null;
    last_outcome: string | null;
    last_detail: string | null;
  } | null;
  produced: number;
  produced_per_s: number;
  consumed: number;
  consumed_per_s: number;
  bad_messages: number;
  buffer: { depth: number; capacity: number; dropped: number } | null;
  candles: {
    closed: number;
    revisions: number;
    late: number;
    store_writes: number;
    store_errors: number;
  } | null;
  lag: { topic: string; group: string; consumer?: string; partition: number; lag: number }[];
  total_lag: number;
  restarts: number;
  /** Present when this process writes dead letters. */
  dead_letters?: {
    topic: string;
    written: number;
    refused_when_read: number;
    refused_by_store: number;
    latest: {
      topic: string;
      partition: number | null;
      offset: number | null;
      reason: string;
      at: string;
    }[];
  };
}

interface Sample {
  at: number;
  produced: number;
  consumed: number;
  stages: Map<string, number>;
}

/**
 * Turns snapshots into the pipeline's JSON, with rates worked out over the last few seconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NO_PIPELINE, PipelineRates } from "./pipeline_snapshot.ts";
 * const rates = new PipelineRates();
 * rates.view({ ...NO_PIPELINE, produced: 0 }, 0);
 * assert.equal(rates.view({ ...NO_PIPELINE, produced: 50 }, 10_000).produced_per_s, 5);
 * ```
 */
export class PipelineRates {
  #samples: Sample[] = [];
  #spanMs: number;

  /** @param spanMs The time the rates are averaged over. @default {10_000} */
  constructor(spanMs = 10_000) {
    this.#spanMs = spanMs;
  }

  /**
   * The JSON of a snapshot.
   *
   * @param snapshot The counters now.
   * @param now The time now, ms since the epoch.
   * @returns The JSON object.
   */
  view(snapshot: PipelineSnapshot, now: number): PipelineJson {
    const base = this.#record(snapshot, now);
    const seconds = base === undefined ? 0 : (now - base.at) / 1000;
    const rate = (current: number, before: number | undefined) =>
      seconds > 0 && before !== undefined && current >= before
        ? Math.round(((current - before) / seconds) * 100) / 100
        : 0;
    const f = snapshot.fetch;
    const c = snapshot.candles;
    return {
      taken_at: new Date(now).toISOString(),
      transport: snapshot.transport,
      stages: snapshot.stages.map((s) => ({
        name: s.name,
        messages: s.messages,
        messages_per_s: rate(s.messages, base?.stages.get(s.name)),
        errors: s.errors,
        restarts: s.restarts,
        depth: s.depth,
        capacity: s.capacity,
      })),
      fetch: f === null ? null : {
        ok: f.ok,
        failed: f.failed,
        last_at: f.last === null ? null : new Date(f.last.at).toISOString(),
        last_outcome: f.last?.outcome ?? null,
        // A feed's error may name its URL: never with a password.
        last_detail: f.last?.detail == null ? null : redactUrl(f.last.detail),
      },
      produced: snapshot.produced,
      produced_per_s: rate(snapshot.produced, base?.produced),
      consumed: snapshot.consumed,
      consumed_per_s: rate(snapshot.consumed, base?.consumed),
      bad_messages: snapshot.bad,
      buffer: snapshot.buffer === null ? null : { ...snapshot.buffer },
      candles: c === null ? null : {
        closed: c.closed,
        revisions: c.revisions,
        late: c.late,
        store_writes: c.storeWrites,
        store_errors: c.storeErrors,
      },
      lag: snapshot.lag.map((l) => ({ ...l })),
      total_lag: snapshot.lag.reduce((sum, l) => sum + l.lag, 0),
      restarts: snapshot.stages.reduce((sum, s) => sum + s.restarts, 0),
      ...(snapshot.deadLetters === undefined ? {} : {
        dead_letters: {
          topic: snapshot.deadLetters.topic,
          written: snapshot.deadLetters.written,
          refused_when_read: snapshot.deadLetters.refusedAtDoor,
          refused_by_store: snapshot.deadLetters.refusedByStore,
          latest: snapshot.deadLetters.latest.map((l) => ({
            topic: l.topic,
            partition: l.partition,
            offset: l.offset === null ? null : Number(l.offset),
            reason: l.reason,
            at: new Date(l.at).toISOString(),
          })),
        },
      }),
    };
  }

  /**
   * Keeps the counters as they stand, for the rates of a later view (at most one sample a
   * second is kept).
   *
   * @param snapshot The counters now.
   * @param now The time now, ms since the epoch.
   */
  sample(snapshot: PipelineSnapshot, now: number): void {
    this.#record(snapshot, now);
  }

  /** Keeps a sample when a second has passed since the last; returns the base of the rates. */
  #record(snapshot: PipelineSnapshot, now: number): Sample | undefined {
    // The oldest sample within the span is the base; older ones are let go.
    while (this.#samples.length > 1 && now - this.#samples[1]!.at >= this.#spanMs) {
      this.#samples.shift();
    }
    const base = this.#samples[0];
    if (this.#samples.length === 0 || now - this.#samples.at(-1)!.at >= 1000) {
      this.#samples.push({
        at: now,
        produced: snapshot.produced,
        consumed: snapshot.consumed,
        stages: new Map(snapshot.stages.map((s) => [s.name, s.messages])),
      });
    }
    return base;
  }
}
