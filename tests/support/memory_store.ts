/**
 * A candle store kept in memory, with the semantics of the real ones (idempotent upserts, the
 * epoch guard, the outboxes and the alert queue): a stand-in neighbour for unit tests of the
 * candle actors and the candle book. The real stores are tested against PostgreSQL and SQLite
 * themselves.
 *
 * @module
 */
import type { Alert } from "../../market/alert.ts";
import type { Candle } from "../../market/candle.ts";
import type {
  AlertKey,
  AlertQuery,
  CandleQuery,
  CandleRevisionKey,
  CandleStore,
  KnownSymbol,
} from "../../store/candle_store.ts";
import type { LatestPrice } from "../../market/latest_price.ts";
import type { LoadedSymbol } from "../../market/loaded_symbol.ts";
import type { StoreWrite } from "../../market/store_write.ts";
import type { SymbolState } from "../../market/symbol_state.ts";

const key = (c: Pick<Candle, "symbol" | "interval" | "windowStart">) =>
  `${c.symbol}|${c.interval}|${c.windowStart}`;

const alertKey = (a: AlertKey) => `${a.symbol}|${a.interval}|${a.windowStart}|${a.kind}`;

/** An in-memory candle store; `failing` makes every call reject. */
export class MemoryStore implements CandleStore {
  readonly description = "memory";
  rows = new Map<string, Candle>();
  states = new Map<string, SymbolState>();
  prices = new Map<string, LatestPrice>();
  /** The candle topic's outbox. */
  queue = new Map<string, Candle>();
  /** The alert queue: candles waiting for the Alerter to examine them. */
  examine = new Map<string, Candle>();
  alertRows = new Map<string, Alert>();
  /** The alert topic's outbox. */
  alertQueued = new Map<string, Alert>();
  /** While true, every call rejects, as a store that is down. */
  failing = false;
  /** Writes applied. */
  writes = 0;

  #check(): void {
    if (this.failing) throw new Error("connection refused");
  }

  write(batch: StoreWrite): Promise<string[]> {
    this.#check();
    const stale: string[] = [];
    for (const state of batch.states) {
      const stored = this.states.get(state.symbol);
      if (stored && stored.epoch > state.epoch) stale.push(state.symbol);
      else this.states.set(state.symbol, { ...state });
    }
    for (const candle of batch.candles) {
      if (!stale.includes(candle.symbol)) this.rows.set(key(candle), { ...candle });
    }
    for (const latest of batch.latest) {
      const stored = this.prices.get(latest.symbol);
      if (!stale.includes(latest.symbol) && (!stored || stored.eventTime <= latest.eventTime)) {
        this.prices.set(latest.symbol, { ...latest });
      }
    }
    for (const c of batch.publish) {
      if (!stale.includes(c.symbol)) this.queue.set(`${key(c)}|${c.revision}`, { ...c });
    }
    for (const c of batch.examine ?? []) {
      if (!stale.includes(c.symbol)) this.examine.set(`${key(c)}|${c.revision}`, { ...c });
    }
    this.writes++;
    return Promise.resolve(stale);
  }

  loadSymbol(symbol: string, horizonMs: number): Promise<LoadedSymbol> {
    this.#check();
    const stored = this.states.get(symbol);
    const epoch = (stored?.epoch ?? 0) + 1;
    if (stored) stored.epoch = epoch;
    else this.states.set(symbol, { symbol, maxEvent: -Infinity, seen: "", epoch });
    const state = stored && Number.isFinite(stored.maxEvent) ? { ...stored } : null;
    const candles = state
      ? [...this.rows.values()].filter((c) =>
        c.symbol === symbol && c.windowEnd > state.maxEvent - horizonMs
      ).map((c) => ({ ...c }))
      : [];
    return Promise.resolve({ state, epoch, candles });
  }

  candles(query: CandleQuery): Promise<Candle[]> {
    this.#check();
    const rows = [...this.rows.values()].filter((c) =>
      c.symbol === query.symbol && c.interval === query.interval &&
      (query.from === undefined || c.windowStart >= query.from) &&
      (query.to === undefined || c.windowStart < query.to)
    ).sort((a, b) => a.windowStart - b.windowStart);
    return Promise.resolve(rows.slice(-(query.limit ?? 500)).map((c) => ({ ...c })));
  }

  latest(symbol?: string): Promise<LatestPrice[]> {
    this.#check();
    return Promise.resolve(
      [...this.prices.values()].filter((p) => symbol === undefined || p.symbol === symbol),
    );
  }

  peekCandleOutbox(limit: number): Promise<Candle[]> {
    this.#check();
    return Promise.resolve(
      [...this.queue.values()].slice(0, limit).map((c) => ({ ...c })),
    );
  }

  ackCandleOutbox(candles: readonly CandleRevisionKey[]): Promise<void> {
    this.#check();
    for (const c of candles) this.queue.delete(`${key(c)}|${c.revision}`);
    return Promise.resolve();
  }

  symbols(): Promise<KnownSymbol[]> {
    this.#check();
    const names = new Set([...this.prices.keys(), ...this.states.keys()]);
    return Promise.resolve(
      [...names].sort().map((symbol) => ({
        symbol,
        priceUsd: this.prices.get(symbol)?.priceUsd ?? null,
        eventTime: this.prices.get(symbol)?.eventTime ?? null,
      })),
    );
  }

  peekCandlesToExamine(limit: number): Promise<Candle[]> {
    this.#check();
    return Promise.resolve([...this.examine.values()].slice(0, limit).map((c) => ({ ...c })));
  }

  insertAlerts(alerts: readonly Alert[], examined: readonly CandleRevisionKey[] = []) {
    this.#check();
    const fresh: Alert[] = [];
    for (const a of alerts) {
      if (this.alertRows.has(alertKey(a))) continue;
      this.alertRows.set(alertKey(a), { ...a });
      this.alertQueued.set(alertKey(a), { ...a });
      fresh.push(a);
    }
    for (const c of examined) this.examine.delete(`${key(c)}|${c.revision}`);
    return Promise.resolve(fresh);
  }

  peekAlertOutbox(limit: number): Promise<Alert[]> {
    this.#check();
    return Promise.resolve([...this.alertQueued.values()].slice(0, limit).map((a) => ({ ...a })));
  }

  ackAlertOutbox(alerts: readonly AlertKey[]): Promise<void> {
    this.#check();
    for (const a of alerts) this.alertQueued.delete(alertKey(a));
    return Promise.resolve();
  }

  alerts(query: AlertQuery): Promise<Alert[]> {
    this.#check();
    return Promise.resolve(
      [...this.alertRows.values()].filter((a) =>
        (query.symbol === undefined || a.symbol === query.symbol) &&
        (query.since === undefined || a.createdAt >= query.since)
      ).sort((a, b) => b.createdAt - a.createdAt).slice(0, query.limit),
    );
  }

  ping(): Promise<void> {
    this.#check();
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Every candle row, sorted by symbol, interval and window. */
  table(): Candle[] {
    return [...this.rows.values()].sort((a, b) => key(a) < key(b) ? -1 : 1);
  }
}
