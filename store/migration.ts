/**
 * A numbered schema step: each store owns its list and applies those a database lacks,
 * recording them in its `schema_migrations` table.
 *
 * @module
 */

/** One step of a store's schema. */
export interface Migration {
  /** Its number, from 1, in the order applied. */
  version: number;
  /** What it does. */
  name: string;
  /** Its SQL statements, run as one script. */
  sql: string;
}
