/**
 * The replay source: prices recorded as JSON lines (one price message a line, see docs/messages.md, such as
 * `deno task consume --format json` prints) fed to the Encoder as fast as it takes them, in
 * place of the Fetcher.
 *
 * @module
 */
import type { Actor } from "../runtime/actor.ts";
import type { Clock } from "../runtime/delay.ts";
import {
  isFiniteNumber,
  isPositive,
  isText,
  parseObject,
  timeOf,
} from "../market/messages/checks.ts";
import type { PriceTick } from "../market/price_tick.ts";
import type { ProduceReport } from "../report/produce_report.ts";

/** Where a replay stands, kept across restarts so a restart neither repeats nor skips. */
export interface ReplayState {
  /** The pass under way, from 1. */
  pass: number;
  /** Lines of that pass already handed on or skipped. */
  line: number;
  /** Prices of that pass handed on so far. @default {0} */
  sent?: number;
}

/** What the replay source needs. */
export interface ReplayOptions {
  /** Reads the recording's lines afresh, once per pass. */
  lines: () => AsyncIterable<string>;
  /** How many times to replay the recording. */
  passes: number;
  /** Progress and counts. */
  report: ProduceReport;
  /** Where the replay stands. */
  state: ReplayState;
  /** Stamps lines that carry no timestamp. */
  clock: Clock;
}

/** An optional number of a recorded line: anything but a finite number reads as null. */
const numberOrNull = (v: unknown): number | null => isFiniteNumber(v) ? v : null;

/**
 * Turns one recorded line into a tick, or says why it cannot be used.
 *
 * @param line The JSON line.
 * @param pass The replay pass, used as the cycle.
 * @param now The time for a line without a `timestamp`.
 * @returns The tick, or the reason the line is skipped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseReplayLine } from "./replay.ts";
 * const tick = parseReplayLine('{"symbol":"BTC","coin_id":"bitcoin","price_usd":1}', 1, 0);
 * assert.equal(typeof tick === "string" ? tick : tick.symbol, "BTC");
 * ```
 */
export function parseReplayLine(line: string, pass: number, now: number): PriceTick | string {
  const parsed = parseObject(line);
  if (!parsed.ok) return parsed.json ? "not a JSON object" : "not JSON";
  const v = parsed.fields;
  if (typeof v.symbol !== "string" || !/^[A-Za-z0-9]{1,15}$/.test(v.symbol)) {
    return "symbol is missing or not 1-15 letters and digits";
  }
  if (!isText(v.coin_id)) return "coin_id is missing";
  if (!isPositive(v.price_usd)) return "price_usd is not a finite positive number";
  const recorded = timeOf(v.timestamp);
  return {
    coinId: v.coin_id,
    symbol: v.symbol.toUpperCase(),
    priceUsd: v.price_usd,
    volume24h: numberOrNull(v.volume_24h),
    marketCap: numberOrNull(v.market_cap),
    change24h: numberOrNull(v.price_change_24h),
    lastUpdated: numberOrNull(v.last_updated),
    fetchedAt: recorded ?? now,
    cycle: pass,
  };
}

/**
 * Makes the replay source actor.
 *
 * @param options The recording, passes and report.
 * @returns The actor; it ends after the last pass.
 */
export function replaySource(options: ReplayOptions): Actor<unknown, PriceTick> {
  const { lines, passes, report, state, clock } = options;
  return async (_inbox, outbox, ctx) => {
    while (state.pass <= passes) {
      if (state.line === 0) {
        report.cycleStarted(state.pass);
        state.sent = 0;
      }
      let index = 0;
      for await (const line of lines()) {
        ctx.signal.throwIfAborted();
        index++;
        if (index <= state.line) continue;
        if (line.trim() !== "") {
          const tick = parseReplayLine(line, state.pass, clock.now());
          if (typeof tick === "string") report.coinSkipped(state.pass, `line ${index}: ${tick}`);
          else {
            report.fetched(tick);
            await outbox.send(tick);
            state.sent = (state.sent ?? 0) + 1;
          }
        }
        state.line = index;
      }
      report.cycleFetched(state.pass, state.sent ?? 0, null);
      state.pass++;
      state.line = 0;
    }
  };
}
