/**
 * Opening the candle store at start-up, or ending the program with one line (never a password)
 * and exit 1 (exit 0 when a stop signal came first) (`docs/operations.md`).
 *
 * @module
 */
import type { CandleStore } from "../../store/candle_store.ts";
import { openStore } from "../../store/open_store.ts";
import { describeFatal, fail } from "./exit.ts";
import { onStopSignals } from "./signals.ts";

/**
 * Opens the candle store, or ends the program: exit 1 with one line when it cannot be reached
 * within its timeout or refuses, exit 0 when a stop signal came first.
 *
 * @param url `sqlite:PATH` or `postgres://…`, already checked.
 * @param timeoutMs How long it may stay unreachable.
 * @returns The open store.
 */
export async function openStoreOrExit(url: string, timeoutMs: number): Promise<CandleStore> {
  let stopped!: () => void;
  const stop = new Promise<null>((resolve) => (stopped = () => resolve(null)));
  const removeHandlers = onStopSignals(() => stopped());
  try {
    const store = await Promise.race([openStore(url, { timeoutMs }), stop]);
    if (store === null) Deno.exit(0);
    return store;
  } catch (error) {
    fail(`Candle store: ${describeFatal(error)}`, 1);
  } finally {
    removeHandlers();
  }
}
