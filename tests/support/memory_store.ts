/**
 * A candle store kept in memory, with the semantics of the real ones (idempotent upserts, the
 * epoch guard, the outboxes and the alert queue, every series by market, the values it refuses):
 * a stand-in neighbour for unit tests of the candle actors and the candle book. It passes the
 * real stores' contract (tests/store/memory_store_test.ts runs it), and it can be made to fail on
 * purpose: down as a whole, or refusing a market's writes or its claim.
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

/** The latest time the real stores keep (9999-12-31T23:59:59.999Z). */
const LAST_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Refuses, as a real store does, a value it could not keep. */
function refuse(what: string, why: string): never {
  throw new StoreRefusedError(`Cannot store ${what}: ${why}`);
}

function checkNumber(what: string, field: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    refuse(what, `${field} must be a finite number, not ${value}`);
  }
}

function checkWhole(what: string, field: string, value: number, from: number): void {
  if (!Number.isSafeInteger(value) || value < from || value > 2_147_483_647) {
    refuse(what, `${field} must be a whole number from ${from}, not ${value}`);
  }
}

function checkTime(what: string, field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > LAST_TIME) {
    refuse(what, `${field} must be whole milliseconds from 1970 to 9999, not ${value}`);
  }
}

/** A market's source, product and symbol (and quote, when given) as the stores key them. */
function checkMarket(
  what: string,
  row: { source: string; product: string; symbol: string; quote?: string },
): void {
  if (row.source !== "coingecko" && row.source !== "coinbase") {
    refuse(what, `unknown source ${JSON.stringify(row.source)}`);
  }
  const parts = /^([A-Z0-9]{1,15})-([A-Z0-9]{1,15})$/.exec(row.product);
  if (parts === null) refuse(what, `product ${JSON.stringify(row.product)} is not BASE-QUOTE`);
  if (row.symbol !== parts[1]) refuse(what, `symbol ${JSON.stringify(row.symbol)} is not its base`);
  if (row.quote !== undefined && row.quote !== parts[2]) {
    refuse(what, `quote ${JSON.stringify(row.quote)} is not its quote`);
  }
}

function checkCandle(candle: Candle): void {
  const what = `candle ${key(candle)}`;
  checkMarket(what, candle);
  if (!(INTERVALS as readonly string[]).includes(candle.interval)) {
    refuse(what, `unknown interval ${JSON.stringify(candle.interval)}`);
  }
  for (const field of ["windowStart", "windowEnd", "firstEvent", "lastEvent"] as const) {
    checkTime(what, field, candle[field]);
  }
  for (const field of ["open", "high", "low", "close"] as const) {
    checkNumber(what, field, candle[field]);
  }
  for (const field of ["volume", "buyVolume", "sellVolume", "vwap"] as const) {
    if (candle[field] !== null) checkNumber(what, field, candle[field]);
  }
  for (const field of ["samples", "trades", "revision"] as const) {
    checkWhole(what, field, candle[field], 0);
  }
  if (typeof candle.closed !== "boolean") refuse(what, "closed must be a boolean");
}

function checkState(state: MarketState): void {
  const what = `the state of ${state.market}`;
  if (typeof state.market !== "string" || parseMarketKey(state.market) === null) {
    refuse(what, "its market must be {source}:{BASE-QUOTE}");
  }
  checkTime(what, "maxEvent", state.maxEvent);
  checkWhole(what, "epoch", state.epoch, 1);
}

function checkLatest(price: LatestPrice): void {
  const what = `the latest price of ${price.source}:${price.product}`;
  checkMarket(what, price);
  checkNumber(what, "priceUsd", price.priceUsd);
  for (const field of ["volume24h", "marketCap", "priceChange24h"] as const) {
    if (price[field] !== null) checkNumber(what, field, price[field]);
  }
  checkTime(what, "eventTime", price.eventTime);
}

function checkAlert(alert: Alert): void {
  const what = `alert ${alertKey(alert)}`;
  checkMarket(what, alert);
  if (!(INTERVALS as readonly string[]).includes(alert.interval)) {
    refuse(what, `unknown interval ${JSON.stringify(alert.interval)}`);
  }
  checkTime(what, "windowStart", alert.windowStart);
  if (alert.kind !== "move" && alert.kind !== "anomaly") refuse(what, "unknown kind");
  if (alert.direction !== "up" && alert.direction !== "down") refuse(what, "unknown direction");
  checkNumber(what, "changePct", alert.changePct);
  if (alert.zscore !== null) checkNumber(what, "zscore", alert.zscore);
  checkNumber(what, "price", alert.price);
  checkTime(what, "createdAt", alert.createdAt);
}

/** Every value of a write, checked before anything of it is applied. */
function checkWrite(batch: StoreWrite): void {
  batch.states.forEach(checkState);
  batch.candles.forEach(checkCandle);
  batch.latest.forEach(checkLatest);
  batch.publish.forEach(checkCandle);
  (batch.examine ?? []).forEach(checkCandle);
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

  /** Rejects while the store is down, as a call to a store that is down does. */
  #ready(): Promise<void> {
    return this.failing ? Promise.reject(new Error("connection refused")) : Promise.resolve();
  }

  async write(batch: StoreWrite): Promise<string[]> {
    await this.#ready();
    checkWrite(batch);
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
    return stale;
  }

  async loadMarket(market: Market, horizonMs: number): Promise<LoadedMarket> {
    await this.#ready();
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
    return { state, epoch, candles };
  }

  async candles(query: CandleQuery): Promise<Candle[]> {
    await this.#ready();
    const limit = checkLimit(query.limit ?? 500);
    const rows = [...this.rows.values()].filter((c) =>
      c.source === query.source && c.product === query.product &&
      c.interval === query.interval &&
      (query.from === undefined || c.windowStart >= query.from) &&
      (query.to === undefined || c.windowStart < query.to)
    ).sort((a, b) => a.windowStart - b.windowStart);
    return rows.slice(-limit).map((c) => ({ ...c }));
  }

  async latest(market?: Market): Promise<LatestPrice[]> {
    await this.#ready();
    return [...this.prices.values()]
      .filter((p) =>
        market === undefined || (p.source === market.source && p.product === market.product)
      )
      .sort((a, b) => byText(a.source, b.source) || byText(a.product, b.product))
      .map((p) => ({ ...p }));
  }

  async peekCandleOutbox(limit: number): Promise<Candle[]> {
    await this.#ready();
    return [...this.queue.values()].slice(0, checkLimit(limit)).map((c) => ({ ...c }));
  }

  async ackCandleOutbox(candles: readonly CandleRevisionKey[]): Promise<void> {
    await this.#ready();
    for (const c of candles) this.queue.delete(`${key(c)}|${c.revision}`);
  }

  async markets(): Promise<KnownMarket[]> {
    await this.#ready();
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
    return known.sort((a, b) => byText(a.source, b.source) || byText(a.product, b.product));
  }

  async peekCandlesToExamine(limit: number): Promise<Candle[]> {
    await this.#ready();
    return [...this.examine.values()].slice(0, checkLimit(limit)).map((c) => ({ ...c }));
  }

  async insertAlerts(
    alerts: readonly Alert[],
    examined: readonly CandleRevisionKey[] = [],
  ): Promise<Alert[]> {
    await this.#ready();
    alerts.forEach(checkAlert);
    this.#refuse(alerts.map((a) => marketKey(a)));
    const fresh: Alert[] = [];
    for (const a of alerts) {
      if (this.alertRows.has(alertKey(a))) continue;
      this.alertRows.set(alertKey(a), { ...a });
      this.alertQueued.set(alertKey(a), { ...a });
      fresh.push(a);
    }
    for (const c of examined) this.examine.delete(`${key(c)}|${c.revision}`);
    return fresh;
  }

  async peekAlertOutbox(limit: number): Promise<Alert[]> {
    await this.#ready();
    return [...this.alertQueued.values()].slice(0, checkLimit(limit)).map((a) => ({ ...a }));
  }

  async ackAlertOutbox(alerts: readonly AlertKey[]): Promise<void> {
    await this.#ready();
    for (const a of alerts) this.alertQueued.delete(alertKey(a));
  }

  async alerts(query: AlertQuery): Promise<Alert[]> {
    await this.#ready();
    const limit = query.limit === undefined ? undefined : checkLimit(query.limit);
    return [...this.alertRows.values()].filter((a) =>
      (query.symbol === undefined || a.symbol === query.symbol) &&
      (query.source === undefined || a.source === query.source) &&
      (query.product === undefined || a.product === query.product) &&
      (query.since === undefined || a.createdAt >= query.since)
    ).sort((a, b) =>
      b.createdAt - a.createdAt || b.windowStart - a.windowStart ||
      byText(a.source, b.source) || byText(a.product, b.product) ||
      byText(a.interval, b.interval) || byText(a.kind, b.kind)
    ).slice(0, limit).map((a) => ({ ...a }));
  }

  async ping(): Promise<void> {
    await this.#ready();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Every candle row, sorted by market, interval and window. */
  table(): Candle[] {
    return [...this.rows.values()].sort((a, b) => byText(key(a), key(b)));
  }
}
