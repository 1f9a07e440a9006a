/**
 * The SQLite writer's thread (`sqlite_writer.ts`): its own connection to the database file, set
 * as the store's own (busy timeout, WAL, `synchronous=FULL`), and each request applied in turn.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { parentPort, workerData } from "node:worker_threads";
import { ackCandles, applyWrite, statementCache, type Statements } from "./sqlite_write.ts";
import type { WriterAnswer, WriterRequest, WriterSettings } from "./sqlite_writer.ts";

const settings = workerData as WriterSettings;
const port = parentPort!;
let db: DatabaseSync | null = null;
let statements: Statements | null = null;

/** The connection, opened at the first request. */
function connection(): { db: DatabaseSync; statements: Statements } {
  if (db === null || statements === null) {
    db = new DatabaseSync(settings.path);
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(settings.busyTimeoutMs))}`);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    statements = statementCache(db);
  }
  return { db, statements };
}

port.on("message", (request: WriterRequest) => {
  let answer: WriterAnswer;
  try {
    if (request.op === "close") {
      db?.close();
      db = null;
      port.postMessage({ id: request.id, ok: true, value: null } satisfies WriterAnswer);
      return;
    }
    const open = connection();
    const value = request.op === "write"
      ? applyWrite(open.db, open.statements, request.plan, request.now)
      : ackCandles(open.db, open.statements, request.candles);
    answer = { id: request.id, ok: true, value: value ?? null };
  } catch (error) {
    answer = {
      id: request.id,
      ok: false,
      message: error instanceof Error ? error.message : String(error),
    };
  }
  port.postMessage(answer);
});
