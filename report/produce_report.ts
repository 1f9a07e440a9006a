/**
 * The producer's console output and its counts: iterations, produced messages and
 * errors, drops and what was not delivered.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Delivery } from "../kafka/transport.ts";
import type { Clock } from "../runtime/delay.ts";
import { formatSeconds, formatUsd } from "./format.ts";
import { MissingCoins } from "./missing_coins.ts";
import type { EncodedPrice } from "../market/messages/price_message.ts";
import type { PriceTick, TickSummary } from "../market/price_tick.ts";
import type { SkippedCoin } from "../market/skipped_coin.ts";

const logger = getLogger(["crypto", "producer"]);

interface Cycle {
  startedAt: number;
  sent: number | null;
  settled: number;
  nextFetchAt: number | null;
  failure: string | null;
}

/** The counts at the end of a run. */
export interface ProduceTotals {
  /** Fetch cycles started. */
  iterations: number;
  /** Prices fetched and handed on for publishing. */
  fetched: number;
  /** Messages the broker acknowledged. */
  produced: number;
  /** Fetch cycles that failed, coins skipped, messages refused or dropped. */
  errors: number;
  /** Coins skipped for a missing or unusable price. */
  skipped: number;
  /** Messages the broker refused for good. */
  failed: number;
  /** Messages dropped because the buffer was full while the broker was away. */
  dropped: number;
  /** Prices not published because they had not changed (`--only-changed`). */
  unchanged: number;
}

/** How the last fetch cycle ended. */
export interface LastFetch {
  /** When, ms since the epoch. */
  at: number;
  /** `ok`, `partial` (some coins skipped) or `error` (the cycle failed). */
  outcome: "ok" | "partial" | "error";
  /** What went wrong, one line, or null. */
  detail: string | null;
}

/** Options for {@linkcode ProduceReport}. */
export interface ProduceReportOptions {
  /** A `Produced:` line for every message; when false, a progress line every 10,000. @default {true} */
  everyMessage?: boolean;
}

/** Prints the producer's progress and keeps its counts. */
export class ProduceReport {
  #print: (line: string) => void;
  #clock: Clock;
  #cycles = new Map<number, Cycle>();
  #lastOffsets = new Map<number, string>();
  #everyMessage: boolean;
  #missing = new MissingCoins();
  #unacknowledged = 0;
  #lastFetch: LastFetch | null = null;
  /** Fetch cycles that ended without failing. */
  #cyclesOk = 0;
  /** The cycle that failed last, so that its close does not report it as fetched. */
  #failedCycle: number | null = null;
  #skippedIn = new Map<number, string>();
  #totals: ProduceTotals = {
    iterations: 0,
    fetched: 0,
    produced: 0,
    errors: 0,
    skipped: 0,
    failed: 0,
    dropped: 0,
    unchanged: 0,
  };

  /**
   * @param print Writes one line of console output.
   * @param clock Measures how long each iteration took.
   * @param options Whether every message gets its line.
   */
  constructor(print: (line: string) => void, clock: Clock, options: ProduceReportOptions = {}) {
    this.#print = print;
    this.#clock = clock;
    this.#everyMessage = options.everyMessage ?? true;
  }

  /** The counts so far. */
  get totals(): Readonly<ProduceTotals> {
    return { ...this.#totals };
  }

  /** The offset of the last message delivered to each partition. */
  get lastOffsets(): ReadonlyMap<number, bigint> {
    return new Map(
      [...this.#lastOffsets].map(([partition, offset]) => [partition, BigInt(offset)]),
    );
  }

  /** Messages fetched but neither acknowledged, refused nor dropped (yet). */
  get pending(): number {
    const t = this.#totals;
    return t.fetched - t.produced - t.failed - t.dropped;
  }

  /**
   * Messages handed to the broker without an answer yet: a send on its way, or one that failed
   * and waits to be retried (the broker may have written it all the same).
   *
   * @param count How many; 0 once the send was acknowledged or refused.
   */
  sending(count: number): void {
    this.#unacknowledged = count;
  }

  /** How the last fetch cycle ended, or null before the first ended. */
  get lastFetch(): LastFetch | null {
    return this.#lastFetch;
  }

  /** Fetch cycles that ended without failing. */
  get cyclesOk(): number {
    return this.#cyclesOk;
  }

  /** A fetch cycle begins. */
  cycleStarted(cycle: number): void {
    this.#totals.iterations = Math.max(this.#totals.iterations, cycle);
    this.#cycles.set(cycle, {
      startedAt: this.#clock.now(),
      sent: null,
      settled: 0,
      nextFetchAt: null,
      failure: null,
    });
    this.#print("");
    this.#print(`--- Iteration ${cycle} ---`);
  }

  /**
   * A coin (or a line of a replay) was left out of a cycle. Each is counted; a coin missing from
   * the answer (an id CoinGecko does not know) is logged the first time, then at most every 10
   * minutes while it stays missing, with the number of cycles it has been missing in.
   */
  coinSkipped(cycle: number, skipped: SkippedCoin | string): void {
    this.#totals.skipped++;
    this.#totals.errors++;
    this.#skippedIn.set(cycle, typeof skipped === "string" ? skipped : skipped.reason);
    if (typeof skipped === "string" || !skipped.missing) {
      const reason = typeof skipped === "string" ? skipped : skipped.reason;
      logger.warn("Iteration {cycle}: skipped {reason}", { cycle, reason });
      return;
    }
    const { reason } = skipped;
    const note = this.#missing.missing(skipped.symbol, { cycle, now: this.#clock.now() });
    if (!note.report) return;
    if (note.cycles === 1) {
      logger.warn(
        "Iteration {cycle}: skipped {reason} (is the coin id in CRYPTO_COINS right?); while it stays missing, this is logged at most every 10 minutes",
        { cycle, reason },
      );
    } else {
      logger.warn(
        "Iteration {cycle}: skipped {reason}: missing in {cycles} cycles since iteration {since}",
        { cycle, reason, cycles: note.cycles, since: note.since },
      );
    }
  }

  /** A price was not published because it had not changed. */
  unchanged(tick: PriceTick): void {
    this.#totals.unchanged++;
    this.#missing.present(tick.symbol);
    logger.debug("Iteration {cycle}: {symbol} unchanged since last fetch", { ...tick });
  }

  /** A price was handed on for publishing. */
  fetched(tick: TickSummary): void {
    this.#totals.fetched++;
    this.#missing.present(tick.symbol);
  }

  /** A fetch cycle failed as a whole. */
  cycleFailed(cycle: number, error: unknown): void {
    this.#totals.errors++;
    this.#failedCycle = cycle;
    const state = this.#cycles.get(cycle);
    if (state) state.failure = error instanceof Error ? error.message : String(error);
    this.#lastFetch = { at: this.#clock.now(), outcome: "error", detail: String(state?.failure) };
    logger.error("Iteration {cycle} failed: {error}", { cycle, error: String(state?.failure) });
  }

  /** All prices of a cycle were handed on; `nextFetchAt` is null after the last cycle. */
  cycleFetched(cycle: number, sent: number, nextFetchAt: number | null): void {
    const skipped = this.#skippedIn.get(cycle) ?? null;
    this.#skippedIn.delete(cycle);
    // A failed cycle closes too; it stays reported as failed.
    if (this.#failedCycle !== cycle) {
      this.#cyclesOk++;
      this.#lastFetch = {
        at: this.#clock.now(),
        outcome: skipped ? "partial" : "ok",
        detail: skipped,
      };
    }
    const state = this.#cycles.get(cycle);
    if (!state) return;
    state.sent = sent;
    state.nextFetchAt = nextFetchAt;
    this.#maybeComplete(cycle, state);
  }

  /** The broker acknowledged a message. */
  delivered(message: EncodedPrice, delivery: Delivery): void {
    this.#totals.produced++;
    this.#lastOffsets.set(delivery.partition, delivery.offset);
    if (!this.#everyMessage) {
      if (this.#totals.produced % 10_000 === 0) {
        this.#print(`Produced ${this.#totals.produced} messages...`);
      }
    } else {
      const { symbol, priceUsd } = message.tick;
      this.#print(
        `Produced: ${symbol} ${
          formatUsd(priceUsd)
        } to partition ${delivery.partition} at offset ${delivery.offset}`,
      );
    }
    this.#settle(message.tick.cycle);
  }

  /** The broker refused a message for good. */
  failed(message: EncodedPrice, error: unknown): void {
    this.#totals.failed++;
    this.#totals.errors++;
    logger.error("Not delivered: {symbol} from iteration {cycle}: {error}", {
      symbol: message.tick.symbol,
      cycle: message.tick.cycle,
      error: error instanceof Error ? error.message : String(error),
    });
    this.#settle(message.tick.cycle);
  }

  /** A message was dropped from the full buffer. */
  dropped(message: EncodedPrice): void {
    this.#totals.dropped++;
    this.#totals.errors++;
    logger.warn(
      "Buffer full while Kafka is unavailable: dropped {symbol} {price} from iteration {cycle} (dropped so far: {dropped})",
      {
        symbol: message.tick.symbol,
        price: formatUsd(message.tick.priceUsd),
        cycle: message.tick.cycle,
        dropped: this.#totals.dropped,
      },
    );
    this.#settle(message.tick.cycle);
  }

  /**
   * The closing lines of a run.
   *
   * @returns The lines.
   */
  summary(): string[] {
    const t = this.#totals;
    const lines = [
      "",
      "==========================================",
      "Producer summary",
      "==========================================",
      `Iterations: ${t.iterations}`,
      `Prices fetched: ${t.fetched}`,
      `Messages produced: ${t.produced}`,
      `Errors: ${t.errors}`,
    ];
    if (t.skipped > 0) lines.push(`Coins skipped: ${t.skipped}`);
    if (t.unchanged > 0) lines.push(`Unchanged, not published: ${t.unchanged}`);
    if (t.dropped > 0) lines.push(`Dropped (buffer full): ${t.dropped}`);
    if (t.failed > 0) lines.push(`Refused by Kafka: ${t.failed}`);
    if (this.pending > 0) {
      lines.push(`Not delivered: ${this.pending}`);
      // Stopped while a send had no answer: those may be on the topic after all.
      const unanswered = Math.min(this.#unacknowledged, this.pending);
      if (unanswered > 0) lines.push(`Of these, sent without an answer from Kafka: ${unanswered}`);
    }
    return lines;
  }

  #settle(cycle: number): void {
    const state = this.#cycles.get(cycle);
    if (!state) return;
    state.settled++;
    this.#maybeComplete(cycle, state);
  }

  #maybeComplete(cycle: number, state: Cycle): void {
    if (state.sent === null || state.settled < state.sent) return;
    this.#cycles.delete(cycle);
    const took = formatSeconds(this.#clock.now() - state.startedAt);
    if (state.failure !== null) this.#print(`Iteration ${cycle} failed after ${took}`);
    else this.#print(`Iteration ${cycle} completed in ${took}`);
    const t = this.#totals;
    this.#print(`Total messages produced: ${t.produced}, Errors: ${t.errors}`);
    if (state.nextFetchAt !== null) {
      const wait = state.nextFetchAt - this.#clock.now();
      if (wait > 0) this.#print(`Waiting ${formatSeconds(wait)} until next fetch...`);
    }
  }
}
