/**
 * The SQLite store's writer: a thread of its own with its own connection to the database file,
 * which applies the store's writes (`sqlite_write.ts`) one after the other. The program goes on
 * folding records while a write waits for the disk (`synchronous=FULL`); the store's reads stay on
 * the program's connection, which sees each write once it has committed (WAL mode).
 *
 * The thread does not keep the program alive on its own: only while a request is under way does
 * the program wait for it.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import type { CandleRevisionKey } from "./candle_store.ts";
import type { WritePlan } from "./write_plan.ts";

/** What the program asks of the writer's thread. */
export type WriterRequest =
  | { id: number; op: "write"; plan: WritePlan; now: string }
  | { id: number; op: "ack-candles"; candles: readonly CandleRevisionKey[] }
  | { id: number; op: "close" };

/** What the writer's thread answers: the result, or the message of what it threw. */
export type WriterAnswer =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; message: string };

/** What the writer's thread is started with. */
export interface WriterSettings {
  /** The database file. */
  path: string;
  /** How long a statement waits for another connection's write lock, ms. */
  busyTimeoutMs: number;
}

interface Waiting {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** The writer's thread, seen from the program. */
export class SqliteWriter {
  #settings: WriterSettings;
  #worker: Worker | null = null;
  #waiting = new Map<number, Waiting>();
  #next = 0;
  /** A timer that keeps the program alive while a request is under way (the thread does not). */
  #alive: ReturnType<typeof setInterval> | null = null;

  /**
   * Makes the writer; its thread starts with the first request.
   *
   * @param path The database file (made and migrated already).
   * @param busyTimeoutMs How long a statement waits for another connection's write lock, ms.
   */
  constructor(path: string, busyTimeoutMs: number) {
    this.#settings = { path, busyTimeoutMs };
  }

  /**
   * Applies a write in one transaction on the writer's thread.
   *
   * @param plan The write, checked.
   * @param now The rows' `updated_at`, ISO text.
   * @returns The markets whose states were stale.
   */
  write(plan: WritePlan, now: string): Promise<string[]> {
    return this.#ask({ id: this.#next++, op: "write", plan, now }) as Promise<string[]>;
  }

  /**
   * Takes candles off the candle topic's outbox on the writer's thread.
   *
   * @param candles The candles published.
   * @returns Resolves once removed.
   */
  async ackCandles(candles: readonly CandleRevisionKey[]): Promise<void> {
    await this.#ask({ id: this.#next++, op: "ack-candles", candles });
  }

  /**
   * Waits for what is under way, then closes the thread's connection and ends the thread.
   *
   * @returns Resolves once the thread has ended.
   */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    // The connection is closed once what was asked before is done; then the thread is ended.
    await this.#ask({ id: this.#next++, op: "close" }).catch(() => {});
    this.#worker = null;
    await worker.terminate();
  }

  #ask(request: WriterRequest): Promise<unknown> {
    const worker = this.#worker ?? this.#start();
    this.#alive ??= setInterval(() => {}, 60_000);
    return new Promise((resolve, reject) => {
      this.#waiting.set(request.id, { resolve, reject });
      worker.postMessage(request);
    });
  }

  #settled(): void {
    if (this.#waiting.size > 0 || this.#alive === null) return;
    clearInterval(this.#alive);
    this.#alive = null;
  }

  #start(): Worker {
    const worker = new Worker(new URL("./sqlite_writer_thread.ts", import.meta.url), {
      workerData: this.#settings,
    });
    worker.unref();
    worker.on("message", (answer: WriterAnswer) => {
      const waiting = this.#waiting.get(answer.id);
      if (!waiting) return;
      this.#waiting.delete(answer.id);
      this.#settled();
      if (answer.ok) waiting.resolve(answer.value);
      else waiting.reject(new Error(answer.message));
    });
    const lost = (why: string) => {
      // The next request starts a new thread; what was under way failed with the thread.
      if (this.#worker === worker) this.#worker = null;
      const waiting = [...this.#waiting.values()];
      this.#waiting.clear();
      this.#settled();
      for (const { reject } of waiting) reject(new Error(why));
    };
    worker.on("error", (error: Error) => lost(`The SQLite writer failed: ${error.message}`));
    worker.on("exit", () => lost("The SQLite writer has ended"));
    this.#worker = worker;
    return worker;
  }
}
