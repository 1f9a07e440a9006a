/**
 * A candle store kept in memory, with the semantics of the real ones (idempotent upserts, the
 * epoch guard, the outboxes and the alert queue, every series by market): a stand-in neighbour
 * for unit tests of the candle actors and the candle book. The real stores are tested against
 * PostgreSQL and SQLite themselves.
 *
 * @module
 */
import type { Alert } from "../../market/alert.ts";
import { type Candle, INTERVALS } from "../../market/candle.ts";
import type {
  AlertKey,
  AlertQuery,
  CandleQuery,
  CandleRevisionKey,
  CandleStore,
  KnownMarket,
} from "../../store/candle_store.ts";
import type { LatestPrice } from "../../market/latest_price.ts";
import type { LoadedMarket } from "../../market/loaded_market.ts";
import { type Market, marketKey, parseMarketKey, productParts } from "../../market/market.ts";
import type { MarketState } from "../../market/market_state.ts";
import { marketsOfWrite, type StoreWrite } from "../../market/store_write.ts";
import { StoreRefusedError } from "../../store/store_error.ts";

const key = (c: Pick<Candle, "source" | "product" | "interval" | "windowStart">) =>
  `${c.source}:${c.product}|${c.interval}|${c.windowStart}`;

const alertKey = (a: AlertKey) =>
  `${a.source}:${a.product}|${a.interval}|${a.windowStart}|${a.kind}`;

const byText = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0;

/** A limit as the real stores take it: a whole number of at least 1. */
function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`The limit must be a whole number of at least 1, not ${limit}`);
  }
  return limit;
}

/** An in-memory candle store; `failing` makes every call reject. */
export class MemoryStore implements CandleStore {
  readonly description = "memory";
  /** Candle rows by market, interval and window. */
  rows = new Map<string, Candle>();
  /** Market states by market key. */
  states = new Map<string, MarketState>();
  /** Latest prices by market key. */
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
  /**
   * Markets (by key, `coingecko:ETH-USD`) whose changes the store refuses for good, with its
   * reason (as a constraint would): a write holding any of them, or alerts of them, rejects whole
   * with a `StoreRefusedError`.
   */
  refuses = new Map<string, string>();
  /** Writes refused that way. */
  refusals = 0;
  /** Markets (by key) whose claim (`loadMarket`) the store refuses for good, with its reason. */
  refusesClaim = new Map<string, string>();

  #refuse(markets: Iterable<string>): void {
    for (const market of markets) {
      const reason = this.refuses.get(market);
      if (reason !== undefined) {
        this.refusals++;
        throw new StoreRefusedError(reason);
      }
    }
  }

  #check(): void {
    if (this.failing) throw new Error("connection refused");
  }

  write(batch: StoreWrite): Promise<string[]> {
    this.#check();
    this.#refuse(marketsOfWrite(batch));
    const stale: string[] = [];
    for (const state of batch.states) {
      const stored = this.states.get(state.market);
      if (stored && stored.epoch > state.epoch) stale.push(state.market);
      else this.states.set(state.market, { ...state });
    }
    const fresh = (item: Market) => !stale.includes(marketKey(item));
    for (const candle of batch.candles) {
      if (fresh(candle)) this.rows.set(key(candle), { ...candle });
    }
    for (const latest of batch.latest) {
      const stored = this.prices.get(marketKey(latest));
      if (fresh(latest) && (!stored || stored.eventTime <= latest.eventTime)) {
        this.prices.set(marketKey(latest), { ...latest });
      }
    }
    for (const c of batch.publish) {
      if (fresh(c)) this.queue.set(`${key(c)}|${c.revision}`, { ...c });
    }
    for (const c of batch.examine ?? []) {
      if (fresh(c)) this.examine.set(`${key(c)}|${c.revision}`, { ...c });
    }
    this.writes++;
    return Promise.resolve(stale);
  }

  loadMarket(market: Market, horizonMs: number): Promise<LoadedMarket> {
    this.#check();
    const name = marketKey(market);
    const refused = this.refusesClaim.get(name);
    if (refused !== undefined) throw new StoreRefusedError(refused);
    const stored = this.states.get(name);
    const epoch = (stored?.epoch ?? 0) + 1;
    if (stored) stored.epoch = epoch;
    else this.states.set(name, { market: name, maxEvent: -Infinity, seen: "", epoch });
    const state = stored && Number.isFinite(stored.maxEvent) ? { ...stored } : null;
    const candles = state
      ? [...this.rows.values()].filter((c) =>
        marketKey(c) === name && c.windowEnd > state.maxEvent - horizonMs
      ).map((c) => ({ ...c }))
      : [];
    return Promise.resolve({ state, epoch, candles });
  }

  candles(query: CandleQuery): Promise<Candle[]> {
    this.#check();
    const limit = checkLimit(query.limit ?? 500);
    const rows = [...this.rows.values()].filter((c) =>
      c.source === query.source && c.product === query.product &&
      c.interval === query.interval &&
      (query.from === undefined || c.windowStart >= query.from) &&
      (query.to === undefined || c.windowStart < query.to)
    ).sort((a, b) => a.windowStart - b.windowStart);
    return Promise.resolve(rows.slice(-limit).map((c) => ({ ...c })));
  }

  latest(market?: Market): Promise<LatestPrice[]> {
    this.#check();
    return Promise.resolve(
      [...this.prices.values()]
        .filter((p) =>
          market === undefined || (p.source === market.source && p.product === market.product)
        )
        .sort((a, b) => byText(a.source, b.source) || byText(a.product, b.product))
        .map((p) => ({ ...p })),
    );
  }

  peekCandleOutbox(limit: number): Promise<Candle[]> {
    this.#check();
    return Promise.resolve(
      [...this.queue.values()].slice(0, checkLimit(limit)).map((c) => ({ ...c })),
    );
  }

  ackCandleOutbox(candles: readonly CandleRevisionKey[]): Promise<void> {
    this.#check();
    for (const c of candles) this.queue.delete(`${key(c)}|${c.revision}`);
    return Promise.resolve();
  }

  markets(): Promise<KnownMarket[]> {
    this.#check();
    const names = new Set([
      ...this.prices.keys(),
      ...[...this.rows.values()].map((c) => marketKey(c)),
    ]);
    const known: KnownMarket[] = [];
    for (const name of names) {
      const market = parseMarketKey(name)!;
      const parts = productParts(market.product)!;
      const price = this.prices.get(name);
      const stored = new Set(
        [...this.rows.values()].filter((c) => marketKey(c) === name).map((c) => c.interval),
      );
      known.push({
        ...market,
        ...parts,
        priceUsd: price?.priceUsd ?? null,
        eventTime: price?.eventTime ?? null,
        intervals: INTERVALS.filter((i) => stored.has(i)),
      });
    }
    return Promise.resolve(
      known.sort((a, b) => byText(a.source, b.source) || byText(a.product, b.product)),
    );
  }

  peekCandlesToExamine(limit: number): Promise<Candle[]> {
    this.#check();
    return Promise.resolve(
      [...this.examine.values()].slice(0, checkLimit(limit)).map((c) => ({ ...c })),
    );
  }

  insertAlerts(alerts: readonly Alert[], examined: readonly CandleRevisionKey[] = []) {
    this.#check();
    this.#refuse(alerts.map((a) => marketKey(a)));
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
    return Promise.resolve(
      [...this.alertQueued.values()].slice(0, checkLimit(limit)).map((a) => ({ ...a })),
    );
  }

  ackAlertOutbox(alerts: readonly AlertKey[]): Promise<void> {
    this.#check();
    for (const a of alerts) this.alertQueued.delete(alertKey(a));
    return Promise.resolve();
  }

  alerts(query: AlertQuery): Promise<Alert[]> {
    this.#check();
    const limit = query.limit === undefined ? undefined : checkLimit(query.limit);
    return Promise.resolve(
      [...this.alertRows.values()].filter((a) =>
        (query.symbol === undefined || a.symbol === query.symbol) &&
        (query.source === undefined || a.source === query.source) &&
        (query.product === undefined || a.product === query.product) &&
        (query.since === undefined || a.createdAt >= query.since)
      ).sort((a, b) => b.createdAt - a.createdAt).slice(0, limit).map((a) => ({ ...a })),
    );
  }

  ping(): Promise<void> {
    this.#check();
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Every candle row, sorted by market, interval and window. */
  table(): Candle[] {
    return [...this.rows.values()].sort((a, b) => byText(key(a), key(b)));
  }
}
