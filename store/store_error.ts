/**
 * The errors a store throws, each saying whether trying again may help
 * (docs/candles.md#where-candles-go):
 *
 * - {@linkcode StoreUnavailableError} (`transient: true`): the database cannot be reached, is
 *   locked or busy, or timed out. The writer retries with backoff; nothing is skipped.
 * - {@linkcode StoreRefusedError} (`transient: false`): the database refused what was written —
 *   a value, a type or a constraint (PostgreSQL's SQLSTATE classes 22, 23 and 42; SQLite's
 *   constraint, datatype and size errors; a value no store can keep). The same write would be
 *   refused again: the writer isolates the market(s) it comes from and dead-letters their
 *   records instead of retrying.
 *
 * Callers ask the error ({@linkcode isPermanentStoreError}), never its message. An error that is
 * neither (a bug, a store closed under a write) is treated as transient.
 *
 * @module
 */

/** The database cannot be reached, or is too busy to answer now; trying again later may work. */
export class StoreUnavailableError extends Error {
  /** Always true: trying again later may work. */
  readonly transient = true;

  /**
   * @param message One line naming the store (never its password) and the reason.
   * @param options The underlying cause.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}

/**
 * The database refused what was written (a value, a type, a constraint): the same write would be
 * refused again. A `RangeError`, as a value out of what the store can keep is.
 */
export class StoreRefusedError extends RangeError {
  /** Always false: trying again cannot help. */
  readonly transient = false;

  /**
   * @param message One line: what was refused and the store's reason.
   * @param options The underlying cause.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreRefusedError";
  }
}

/**
 * Whether an error is a store's refusal that retrying cannot change.
 *
 * @param error What a store call threw.
 * @returns True for a {@linkcode StoreRefusedError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   isPermanentStoreError,
 *   StoreRefusedError,
 *   StoreUnavailableError,
 * } from "./store_error.ts";
 * assert.equal(isPermanentStoreError(new StoreRefusedError("CHECK constraint failed")), true);
 * assert.equal(isPermanentStoreError(new StoreUnavailableError("connection refused")), false);
 * assert.equal(isPermanentStoreError(new Error("anything else")), false);
 * ```
 */
export function isPermanentStoreError(error: unknown): error is StoreRefusedError {
  return error instanceof StoreRefusedError;
}

/** SQLSTATE classes of a refused statement: data exception, integrity constraint, syntax or access. */
const REFUSED_SQLSTATE_CLASSES = new Set(["22", "23", "42"]);

/**
 * Whether a PostgreSQL SQLSTATE says the statement was refused for what it holds.
 *
 * @param code The five-character SQLSTATE.
 * @returns True for classes 22, 23 and 42.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isRefusedSqlState } from "./store_error.ts";
 * assert.deepEqual([isRefusedSqlState("23514"), isRefusedSqlState("08006")], [true, false]);
 * ```
 */
export function isRefusedSqlState(code: string): boolean {
  return code.length === 5 && REFUSED_SQLSTATE_CLASSES.has(code.slice(0, 2));
}

/**
 * SQLite's errors, as `node:sqlite` reports them: it gives no result code, only SQLite's own
 * message (`sqlite3_errmsg`), whose texts are fixed by SQLite for each result code.
 */
const SQLITE_TRANSIENT = /database (table )?is locked|database is busy|disk I\/O error/i;
const SQLITE_REFUSED =
  /constraint failed|cannot store \w+ value in \w+ column|datatype mismatch|string or blob too big|too many terms|integer overflow/i;

/**
 * What an SQLite error is: `transient` (locked, busy, I/O), `refused` (SQLITE_CONSTRAINT,
 * SQLITE_MISMATCH, a STRICT table's datatype error, SQLITE_TOOBIG), or null for anything else.
 *
 * @param message The error's message, as `node:sqlite` gives it.
 * @returns The kind, or null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sqliteErrorKind } from "./store_error.ts";
 * assert.equal(sqliteErrorKind("CHECK constraint failed: symbol <> 'ETH'"), "refused");
 * assert.equal(sqliteErrorKind("database is locked"), "transient");
 * ```
 */
export function sqliteErrorKind(message: string): "transient" | "refused" | null {
  if (SQLITE_TRANSIENT.test(message)) return "transient";
  if (SQLITE_REFUSED.test(message)) return "refused";
  return null;
}
