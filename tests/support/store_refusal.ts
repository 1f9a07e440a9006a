/**
 * Makes a candle store refuse one table's rows of one symbol for good, as a database
 * administrator's constraint would: a `CHECK (symbol <> '…')` on the table (on the state table,
 * keyed by market, every market of the symbol), added after the
 * store has created its schema.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import postgres from "postgres";

/** The tables a refusal can be put on. */
export type RefusingTable = "candles" | "latest_prices" | "alerts" | "candle_state";

/**
 * Adds `CHECK (symbol <> symbol)` to a table of a store whose schema exists (open and migrate it
 * first). On PostgreSQL it is `ALTER TABLE … ADD CONSTRAINT … NOT VALID` (rows already there are
 * kept); SQLite cannot add a constraint to a table, so the table is made again with it, its rows
 * and indexes copied (the store must not be open elsewhere meanwhile).
 *
 * @param store `sqlite:PATH` or `postgres://…`.
 * @param table The table.
 * @param symbol The symbol refused.
 */
export async function refuseSymbol(
  store: string,
  table: RefusingTable,
  symbol: string,
): Promise<void> {
  if (!/^[A-Z0-9]{1,15}$/.test(symbol)) throw new RangeError(`Not a symbol: ${symbol}`);
  const name = `refuse_${symbol.toLowerCase()}_${table}`;
  // The state table is keyed by market (`coinbase:BTC-USD`): every market of the symbol.
  const check = table === "candle_state"
    ? `market NOT LIKE '%:${symbol}-%'`
    : `symbol <> '${symbol}'`;
  if (store.startsWith("postgres")) {
    const sql = postgres(store, { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(
        `ALTER TABLE ${table} ADD CONSTRAINT ${name} CHECK (${check}) NOT VALID`,
      );
    } finally {
      await sql.end();
    }
    return;
  }
  const db = new DatabaseSync(store.replace(/^sqlite:/, ""));
  try {
    const ddl = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?")
      .get(table)?.sql as string | undefined;
    if (ddl === undefined) throw new Error(`No table ${table}`);
    const indexes = db.prepare(
      "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
    ).all(table).map((row) => row.sql as string);
    const close = ddl.lastIndexOf(")");
    const withCheck = `${ddl.slice(0, close)},\n  CONSTRAINT ${name} CHECK (${check})${
      ddl.slice(close)
    }`.replace(/CREATE TABLE\s+("?)(\w+)\1/, `CREATE TABLE ${table}_refusing`);
    db.exec("BEGIN IMMEDIATE");
    db.exec(withCheck);
    db.exec(`INSERT INTO ${table}_refusing SELECT * FROM ${table}`);
    db.exec(`DROP TABLE ${table}`);
    db.exec(`ALTER TABLE ${table}_refusing RENAME TO ${table}`);
    for (const index of indexes) db.exec(index);
    db.exec("COMMIT");
  } finally {
    db.close();
  }
}
