/**
 * The step to markets (schema 3): what it decides row by row (store/migration.ts), and both
 * stores bringing a store written by the release before markets (the fixtures, made by that
 * release's own code) to markets in place: every row kept and keyed by market as SPEC §12 says,
 * states split by market, a second start changing nothing, the store usable after, and a failed
 * migration leaving the store as it was.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import postgres from "postgres";
import type { Candle } from "../../market/candle.ts";
import type { Source } from "../../market/market.ts";
import { SeenSet } from "../../market/seen_set.ts";
import type { CandleStore } from "../../store/candle_store.ts";
import {
  latestSource,
  migrateQueuedAlert,
  migrateQueuedCandle,
  splitState,
} from "../../store/migration.ts";
import { PostgresCandleStore } from "../../store/postgres.ts";
import { SqliteCandleStore } from "../../store/sqlite.ts";
import { StoreUnavailableError } from "../../store/store_error.ts";
import { createTestDatabase, postgresTest } from "../support/services.ts";
import { BTC_EUR, BTC_USD, makeCandle, makeLatest, makeState, tradeFields } from "./contract.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url);
const TABLES = [
  "candles",
  "latest_prices",
  "alerts",
  "candle_state",
  "candle_outbox",
  "alert_queue",
  "alert_outbox",
] as const;
type Table = typeof TABLES[number];
type Row = Record<string, unknown>;
/** Every store table's rows (and `schema_migrations`'), values as plain JSON values. */
type Tables = Record<Table | "schema_migrations", Row[]>;

/** The identities and times of a seen set's text (`SeenSet.encode`: `delta[:id]` in base 36). */
function entries(text: string): [number, number][] {
  if (text === "") return [];
  let time = 0;
  return text.split(",").map((part) => {
    const [delta, id] = part.split(":");
    time += parseInt(delta!, 36);
    return [id === undefined ? time : parseInt(id, 36), time];
  });
}

// What the step decides.

Deno.test("splitState() gives a symbol's trade identities to Coinbase's market and the others to CoinGecko's, each with the old watermark and epoch", () => {
  const seen = new SeenSet();
  seen.add(60_000, 60_000);
  seen.add(-8, 61_000); // trade 7
  seen.add(-9, 61_500); // trade 8
  seen.add(120_000, 120_000);
  const states = splitState(
    { symbol: "BTC", maxEvent: 121_000, seen: seen.encode(), epoch: 4 },
    new Set(),
  );
  assert.deepEqual(states.map((s) => [s.market, s.maxEvent, s.epoch]), [
    ["coinbase:BTC-USD", 121_000, 4],
    ["coingecko:BTC-USD", 121_000, 4],
  ]);
  assert.deepEqual(entries(states[0]!.seen), [[-8, 61_000], [-9, 61_500]]);
  assert.deepEqual(entries(states[1]!.seen), [[60_000, 60_000], [120_000, 120_000]]);
});

Deno.test("splitState() makes a market's state only when it has identities or candles, and keeps a state that has neither as CoinGecko's", () => {
  const prices = new SeenSet();
  prices.add(60_000, 60_000);
  const key = (states: { market: string }[]) => states.map((s) => s.market);
  const old = { symbol: "ETH", maxEvent: 60_000, seen: prices.encode(), epoch: 1 };
  assert.deepEqual(key(splitState(old, new Set())), ["coingecko:ETH-USD"]);
  assert.deepEqual(key(splitState(old, new Set<Source>(["coinbase"]))), [
    "coinbase:ETH-USD",
    "coingecko:ETH-USD",
  ]);
  const empty = { symbol: "SOL", maxEvent: null, seen: "", epoch: 7 };
  assert.deepEqual(splitState(empty, new Set()), [
    { market: "coingecko:SOL-USD", source: "coingecko", maxEvent: null, seen: "", epoch: 7 },
  ]);
  assert.deepEqual(key(splitState(empty, new Set<Source>(["coinbase"]))), ["coinbase:SOL-USD"]);
  assert.throws(
    () => splitState({ ...old, seen: "!!" }, new Set()),
    (error: unknown) =>
      error instanceof SyntaxError &&
      /^The state of ETH cannot be split by market/.test(error.message),
  );
});

Deno.test("latestSource() gives a latest price with CoinGecko's extras to CoinGecko, one without to the source of the observation at its event time", () => {
  const bare = { volume24h: null, marketCap: null, priceChange24h: null, eventTime: 61_000 };
  const seen = new SeenSet();
  seen.add(60_000, 60_000);
  seen.add(-8, 61_000);
  const text = seen.encode();
  const none = { seen: null, tradeCandleSpans: false };
  assert.equal(
    latestSource({ ...bare, volume24h: 1 }, { seen: text, tradeCandleSpans: true }),
    "coingecko",
  );
  assert.equal(latestSource({ ...bare, marketCap: 1 }, none), "coingecko");
  assert.equal(latestSource({ ...bare, priceChange24h: -2 }, none), "coingecko");
  assert.equal(latestSource(bare, { seen: text, tradeCandleSpans: false }), "coinbase");
  assert.equal(
    latestSource({ ...bare, eventTime: 60_000 }, { seen: text, tradeCandleSpans: true }),
    "coingecko",
  );
  // Nothing in the seen set at that time: a Coinbase candle spanning it decides.
  assert.equal(
    latestSource({ ...bare, eventTime: 5 }, { seen: text, tradeCandleSpans: true }),
    "coinbase",
  );
  assert.equal(
    latestSource({ ...bare, eventTime: 5 }, { seen: text, tradeCandleSpans: false }),
    "coingecko",
  );
  assert.equal(latestSource(bare, none), "coingecko");
});

Deno.test("migrateQueuedCandle() and migrateQueuedAlert() give queued JSON its market and the new fields", () => {
  const old = {
    symbol: "BTC",
    interval: "1m",
    windowStart: 0,
    windowEnd: 60_000,
    open: 1,
    high: 2,
    low: 0.5,
    close: 1.5,
    samples: 4,
    volume: 0.25,
    vwap: 1.2,
    firstEvent: 1,
    lastEvent: 2,
    closed: true,
    revision: 1,
  };
  const expected = {
    ...old,
    source: "coinbase",
    product: "BTC-USD",
    quote: "USD",
    trades: 4,
    buyVolume: null,
    sellVolume: null,
  };
  const byVolume = migrateQueuedCandle(JSON.stringify(old), null);
  assert.deepEqual([byVolume.source, byVolume.product], ["coinbase", "BTC-USD"]);
  assert.deepEqual(JSON.parse(byVolume.json), expected);
  const prices = migrateQueuedCandle(JSON.stringify({ ...old, volume: null, vwap: null }), null);
  assert.equal(prices.source, "coingecko");
  // The stored candle's source wins over the queued revision's own volume.
  assert.equal(migrateQueuedCandle(JSON.stringify(old), "coingecko").source, "coingecko");
  const alert = { symbol: "ETH", interval: "5m", windowStart: 0, kind: "move" };
  assert.deepEqual(JSON.parse(migrateQueuedAlert(JSON.stringify(alert), "coingecko")), {
    ...alert,
    source: "coingecko",
    product: "ETH-USD",
  });
});

// Reading a database's tables, as plain values, to compare them.

/** A value as JSON has it: a time as ISO text, 0/1 of `closed` as a boolean, bigint as number. */
function plain(table: string, column: string, value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return Number(value);
  if (column === "seq") return Number(value);
  if (column === "closed" && (value === 0 || value === 1)) return value === 1;
  if (table === "schema_migrations" && column === "applied_at") return String(value);
  return value;
}

/** The columns rows are put in order by, those a row has, in this order. */
const ORDER = [
  "seq",
  "version",
  "market",
  "source",
  "product",
  "symbol",
  "interval",
  "window_start",
  "kind",
  "revision",
];

/** Rows as plain values (a queued `candle` or `alert` parsed), in key order. */
function plainRows(table: string, rows: readonly Row[]): Row[] {
  const compare = (a: Row, b: Row) => {
    for (const column of ORDER) {
      const [x, y] = [a[column], b[column]] as [string | number, string | number];
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
  return rows
    .map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([k, v]) => {
          const value = plain(table, k, v);
          return [k, (k === "candle" || k === "alert") ? JSON.parse(value as string) : value];
        }),
      )
    )
    .sort(compare);
}

function readSqlite(path: string): Tables {
  const db = new DatabaseSync(path);
  try {
    const tables = {} as Tables;
    for (const table of [...TABLES, "schema_migrations"] as const) {
      tables[table] = plainRows(table, db.prepare(`SELECT * FROM ${table}`).all());
    }
    return tables;
  } finally {
    db.close();
  }
}

async function readPostgres(url: string): Promise<Tables> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const tables = {} as Tables;
    for (const table of [...TABLES, "schema_migrations"] as const) {
      tables[table] = plainRows(table, [...await sql.unsafe(`SELECT * FROM ${table}`)]);
    }
    return tables;
  } finally {
    await sql.end();
  }
}

/** Restores the PostgreSQL fixture (a `pg_dump` of plain SQL; its psql meta-commands skipped). */
async function restorePostgresFixture(url: string): Promise<void> {
  const dump = await Deno.readTextFile(new URL("previous_release.sql", FIXTURES));
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(dump.split("\n").filter((line) => !line.startsWith("\\")).join("\n"));
  } finally {
    await sql.end();
  }
}

// What the migrated tables must hold, from what the fixture held.

/** The source the step gives an old candle: Coinbase's when it has a volume. */
const sourceOf = (candle: Row) => candle.volume === null ? "coingecko" : "coinbase";
const product = (symbol: unknown) => `${symbol}-USD`;

function checkMigrated(before: Tables, after: Tables): void {
  // Every row kept: one per old row, states one per market of the old symbol.
  for (const table of TABLES) {
    if (table === "candle_state") continue;
    assert.equal(after[table].length, before[table].length, `rows of ${table}`);
  }
  assert.ok(before.candles.length > 0 && before.candle_outbox.length > 0, "a fixture with rows");
  assert.deepEqual(after.schema_migrations.map((m) => m.version), [1, 2, 3]);
  assert.deepEqual(after.schema_migrations.slice(0, 2), before.schema_migrations);

  // Candles: by market, with trades = samples and the split unknown; nothing else changed.
  const oldCandle = (symbol: unknown, interval: unknown, start: unknown) =>
    before.candles.find((c) =>
      c.symbol === symbol && c.interval === interval && c.window_start === start
    );
  const expectedCandles = plainRows(
    "candles",
    before.candles.map((c) => ({
      ...c,
      source: sourceOf(c),
      product: product(c.symbol),
      quote: "USD",
      trades: c.samples,
      buy_volume: null,
      sell_volume: null,
    })),
  );
  assert.deepEqual(after.candles, expectedCandles);
  const sources = new Set(after.candles.map((c) => `${c.source}:${c.product}`));
  assert.deepEqual([...sources].sort(), [
    "coinbase:BTC-USD",
    "coingecko:BTC-USD",
    "coingecko:ETH-USD",
  ]);

  // Alerts: their candle's market.
  assert.deepEqual(
    after.alerts,
    plainRows(
      "alerts",
      before.alerts.map((a) => ({
        ...a,
        source: sourceOf(oldCandle(a.symbol, a.interval, a.window_start)!),
        product: product(a.symbol),
      })),
    ),
  );

  // Latest prices: CoinGecko's carry a 24 h volume or market cap; BTC's last was a trade.
  assert.deepEqual(
    after.latest_prices,
    plainRows(
      "latest_prices",
      before.latest_prices.map((l) => ({
        ...l,
        source: l.volume_24h === null && l.market_cap === null ? "coinbase" : "coingecko",
        product: product(l.symbol),
        quote: "USD",
      })),
    ),
  );
  assert.deepEqual(
    after.latest_prices.map((l) => `${l.source}:${l.product}`),
    ["coinbase:BTC-USD", "coingecko:ETH-USD"],
  );

  // States: split by the identities of the seen set, watermark and epoch kept.
  const expectedStates: Row[] = [];
  for (const old of before.candle_state) {
    const all = entries(old.seen as string);
    for (const source of ["coinbase", "coingecko"] as const) {
      const mine = all.filter(([id]) => (id < 0) === (source === "coinbase"));
      const hasCandles = after.candles.some((c) =>
        c.source === source && c.product === product(old.symbol)
      );
      if (mine.length === 0 && !hasCandles) continue;
      const set = new SeenSet();
      for (const [id, time] of mine) set.add(id, time);
      expectedStates.push({
        market: `${source}:${product(old.symbol)}`,
        max_event: old.max_event,
        seen: set.encode(),
        epoch: old.epoch,
        updated_at: old.updated_at,
      });
    }
  }
  assert.deepEqual(after.candle_state, plainRows("candle_state", expectedStates));
  assert.deepEqual(after.candle_state.map((s) => s.market), [
    "coinbase:BTC-USD",
    "coingecko:BTC-USD",
    "coingecko:ETH-USD",
  ]);
  const btc = before.candle_state.find((s) => s.symbol === "BTC")!;
  const split = after.candle_state.filter((s) => (s.market as string).endsWith(":BTC-USD"));
  assert.equal(
    split.reduce((n, s) => n + entries(s.seen as string).length, 0),
    entries(btc.seen as string).length,
    "every identity of BTC's seen set kept, in one market",
  );
  assert.ok(entries(split[0]!.seen as string).every(([id]) => id < 0));
  assert.ok(entries(split[1]!.seen as string).length > 0);

  // Queues: the same rows in the same order, their candle's market, the JSON of new candles.
  for (const table of ["candle_outbox", "alert_queue"] as const) {
    assert.deepEqual(
      after[table],
      plainRows(
        table,
        before[table].map((q) => {
          const source = sourceOf(oldCandle(q.symbol, q.interval, q.window_start)!);
          const { symbol: _, ...rest } = q;
          const candle = q.candle as Row;
          return {
            ...rest,
            source,
            product: product(q.symbol),
            candle: JSON.stringify({
              ...candle,
              source,
              product: product(q.symbol),
              quote: "USD",
              trades: candle.samples,
              buyVolume: null,
              sellVolume: null,
            }),
          };
        }),
      ),
      table,
    );
  }
  assert.deepEqual(
    after.alert_outbox,
    plainRows(
      "alert_outbox",
      before.alert_outbox.map((q) => {
        const { symbol: _, ...rest } = q;
        const source = after.alerts.find((a) =>
          a.symbol === q.symbol && a.interval === q.interval &&
          a.window_start === q.window_start && a.kind === q.kind
        )!.source;
        return {
          ...rest,
          source,
          product: product(q.symbol),
          alert: JSON.stringify({ ...q.alert as Row, source, product: product(q.symbol) }),
        };
      }),
    ),
  );
}

/** After the migration, the store takes Coinbase's BTC-USD over and writes and reads on. */
async function checkUsable(store: CandleStore, before: Tables): Promise<void> {
  const btc = before.candle_state.find((s) => s.symbol === "BTC")!;
  const loaded = await store.loadMarket(BTC_USD, 70_000);
  assert.equal(loaded.epoch, (btc.epoch as number) + 1);
  assert.equal(loaded.state?.maxEvent, Date.parse(btc.max_event as string));
  const seen = SeenSet.decode(loaded.state!.seen);
  for (const [id] of entries(btc.seen as string)) assert.equal(seen.has(id), id < 0, `id ${id}`);
  assert.ok(loaded.candles.length > 0 && loaded.candles.every((c) => c.source === "coinbase"));

  const old1m = await store.candles({ ...BTC_USD, interval: "1m" });
  const after = loaded.state!.maxEvent + 60_000;
  const start = after - after % 60_000;
  const fresh = makeCandle(BTC_USD, "1m", start, tradeFields(0.5, 0.25, 3));
  const euro = makeCandle(BTC_EUR, "1m", start, tradeFields(0.1, 0.2, 2));
  const queuedBefore = await store.peekCandleOutbox(100);
  await store.loadMarket(BTC_EUR, 70_000);
  assert.deepEqual(
    await store.write({
      states: [makeState(BTC_USD, loaded.epoch, after), makeState(BTC_EUR, 1, after)],
      candles: [fresh, euro],
      latest: [makeLatest(BTC_USD, after, 45_300)],
      publish: [fresh],
      examine: [fresh],
    }),
    [],
  );
  assert.deepEqual(await store.candles({ ...BTC_USD, interval: "1m" }), [...old1m, fresh]);
  assert.deepEqual(await store.candles({ ...BTC_EUR, interval: "1m" }), [euro]);
  assert.equal((await store.latest(BTC_USD))[0]?.priceUsd, 45_300);
  assert.deepEqual(
    (await store.markets()).map((m) => [`${m.source}:${m.product}`, m.intervals]),
    [
      ["coinbase:BTC-EUR", ["1m"]],
      ["coinbase:BTC-USD", ["1m", "5m"]],
      ["coingecko:BTC-USD", ["1m"]],
      ["coingecko:ETH-USD", ["1m", "5m"]],
    ],
  );
  // The queued candles of the old release go out first, as the new release's candles.
  const queued = await store.peekCandleOutbox(100);
  assert.deepEqual(queued, [...queuedBefore, fresh]);
  assert.equal(queuedBefore.length, before.candle_outbox.length);
  for (const c of queuedBefore) assertCandle(c);
  await store.ackCandleOutbox(queued);
  assert.deepEqual(await store.peekCandleOutbox(100), []);
  // The Alerter examines the old queue and the new candle; old alerts still count as raised.
  const toExamine = await store.peekCandlesToExamine(100);
  assert.equal(toExamine.length, before.alert_queue.length + 1);
  const oldAlerts = await store.alerts({ limit: 100 });
  assert.equal(oldAlerts.length, before.alerts.length);
  assert.deepEqual(await store.insertAlerts(oldAlerts, toExamine), []);
  assert.deepEqual(await store.peekCandlesToExamine(100), []);
  const pending = await store.peekAlertOutbox(100);
  assert.equal(pending.length, before.alert_outbox.length);
  assert.ok(pending.every((a) => a.source !== undefined && a.product === `${a.symbol}-USD`));
  await store.ackAlertOutbox(pending);
  assert.deepEqual(await store.peekAlertOutbox(100), []);
}

/** A candle read back has every field of the new candle, of the right type. */
function assertCandle(c: Candle): void {
  assert.ok(c.source === "coinbase" || c.source === "coingecko");
  assert.equal(c.product, `${c.symbol}-USD`);
  assert.equal(c.quote, "USD");
  assert.equal(c.trades, c.samples);
  assert.equal(c.buyVolume, null);
  assert.equal(c.sellVolume, null);
  assert.equal(c.source === "coinbase", c.volume !== null);
}

async function withCopy(fn: (path: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "crypto-migration-" });
  try {
    const path = `${dir}/market.db`;
    await Deno.copyFile(new URL("previous_release.db", FIXTURES), path);
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// SQLite.

Deno.test("SqliteCandleStore.open() brings a store of the release before markets to markets in place, every row kept", () =>
  withCopy(async (path) => {
    const before = readSqlite(path);
    assert.deepEqual(before.schema_migrations.map((m) => m.version), [1, 2]);
    await SqliteCandleStore.open(path).close();
    const after = readSqlite(path);
    checkMigrated(before, after);

    // A second start changes nothing.
    await SqliteCandleStore.open(path).close();
    assert.deepEqual(readSqlite(path), after);

    const store = SqliteCandleStore.open(path);
    try {
      await checkUsable(store, before);
    } finally {
      await store.close();
    }
  }));

Deno.test("SqliteCandleStore.open() leaves the store as it was when the migration to markets fails, and says so in one line", () =>
  withCopy((path) => {
    const db = new DatabaseSync(path);
    db.exec("UPDATE candle_state SET seen = '!!' WHERE symbol = 'BTC'");
    db.close();
    const before = readSqlite(path);
    assert.throws(() => SqliteCandleStore.open(path), (error: unknown) => {
      assert.ok(error instanceof StoreUnavailableError, String(error));
      assert.match(
        error.message,
        /^Cannot open the SQLite store .*market\.db: Cannot bring the store from schema 2 to 3 \(markets: .*\): The state of BTC cannot be split by market: .*; rolled back, the store is as it was$/,
      );
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
    assert.deepEqual(readSqlite(path), before);
  }));

// PostgreSQL.

postgresTest(
  "PostgresCandleStore.connect() brings a store of the release before markets to markets in place, every row kept",
  async () => {
    const database = await createTestDatabase();
    try {
      await restorePostgresFixture(database.url);
      const before = await readPostgres(database.url);
      assert.deepEqual(before.schema_migrations.map((m) => m.version), [1, 2]);
      await (await PostgresCandleStore.connect(database.url)).close();
      const after = await readPostgres(database.url);
      checkMigrated(before, after);

      await (await PostgresCandleStore.connect(database.url)).close();
      assert.deepEqual(await readPostgres(database.url), after);

      const store = await PostgresCandleStore.connect(database.url);
      try {
        await checkUsable(store, before);
      } finally {
        await store.close();
      }
    } finally {
      await database.drop();
    }
  },
);

postgresTest(
  "PostgresCandleStore.connect() leaves the store as it was when the migration to markets fails, and says so in one line",
  async () => {
    const database = await createTestDatabase();
    try {
      await restorePostgresFixture(database.url);
      const admin = postgres(database.url, { max: 1, onnotice: () => {} });
      await admin`UPDATE candle_state SET seen = '!!' WHERE symbol = 'BTC'`;
      await admin.end();
      const before = await readPostgres(database.url);
      await assert.rejects(PostgresCandleStore.connect(database.url), (error: unknown) => {
        assert.ok(error instanceof Error, String(error));
        assert.match(
          error.message,
          /^Cannot migrate the PostgreSQL store at [^ ]+:\d+: Cannot bring the store from schema 2 to 3 \(markets: .*\): The state of BTC cannot be split by market: .*; rolled back, the store is as it was$/,
        );
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
      assert.deepEqual(await readPostgres(database.url), before);
    } finally {
      await database.drop();
    }
  },
);
