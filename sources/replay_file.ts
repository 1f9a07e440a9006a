/**
 * The replay source for `--source replay:FILE`: a worker thread reads the recording, checks each
 * line and encodes it as the topic's message (what the Encoder does for fetched prices), and
 * hands the messages over in batches of UTF-8 bytes; this actor, on the main thread, puts them in
 * the publish buffer. Reading, parsing and encoding are most of a replay's work besides the Kafka
 * client's, so they run beside it rather than in turn with it.
 *
 * The actor keeps where the replay stands (pass, line, the last `message_id` stamps) at batch
 * boundaries: a restarted actor starts a new worker from there, so nothing is repeated or skipped.
 *
 * @module
 */
import type { Actor } from "../runtime/actor.ts";
import { Channel, sendAll } from "../runtime/channel.ts";
import { type EncodedPrice, PRICE_HEADERS } from "../market/messages/price_message.ts";
import type { ProduceReport } from "../report/produce_report.ts";
import type { ReplayState } from "./replay.ts";

/** Where a replay of a file stands. */
export interface ReplayFileState extends ReplayState {
  /** The last `message_id` stamp per symbol (see `MessageIds.snapshot`). */
  stamps: [string, number][];
  /** The last pass whose start was reported. */
  announced: number;
}

/** What the replay-file source needs. */
export interface ReplayFileOptions {
  /** The recording. */
  path: string;
  /** How many times to replay it. */
  passes: number;
  /** Progress and counts. */
  report: ProduceReport;
  /** Where the replay stands, kept across restarts. */
  state: ReplayFileState;
  /** Messages per batch. @default {500} */
  batchSize?: number;
  /** Batches the worker may have handed over and not yet taken. @default {4} */
  inFlight?: number;
}

/** What the main thread tells the worker. */
export type ReplayCommand =
  | {
    kind: "start";
    path: string;
    passes: number;
    pass: number;
    line: number;
    stamps: [string, number][];
    batchSize: number;
    credit: number;
  }
  | { kind: "more" };

/** Encoded messages of one pass, in line order; values are `bytes` cut at `ends`. */
export interface ReplayBatch {
  kind: "batch";
  pass: number;
  /** Lines left out, with the reason: `[line, reason]`. */
  skipped: [number, string][];
  keys: string[];
  prices: Float64Array;
  timestamps: Float64Array;
  ends: Uint32Array;
  bytes: ArrayBuffer;
  /** The last line of the pass this batch accounts for. */
  line: number;
  /** The `message_id` stamps after this batch. */
  stamps: [string, number][];
}

/** What the worker tells the main thread; each costs one credit. */
export type ReplayEvent =
  | { kind: "pass"; pass: number }
  | ReplayBatch
  | { kind: "pass-end"; pass: number }
  | { kind: "done" }
  | { kind: "error"; message: string };

const HEADERS = PRICE_HEADERS as Record<string, string>;

/**
 * The messages of a batch, their values as views of its bytes.
 *
 * @param batch The batch.
 * @returns One encoded price per message.
 */
export function batchMessages(batch: ReplayBatch): EncodedPrice[] {
  const { keys, prices, timestamps, ends, bytes, pass } = batch;
  const messages = new Array<EncodedPrice>(keys.length);
  let start = 0;
  for (let i = 0; i < keys.length; i++) {
    const end = ends[i]!;
    const key = keys[i]!;
    messages[i] = {
      key,
      value: new Uint8Array(bytes, start, end - start),
      headers: HEADERS,
      timestamp: timestamps[i]!,
      tick: { symbol: key, priceUsd: prices[i]!, cycle: pass },
    };
    start = end;
  }
  return messages;
}

/**
 * Makes the replay-file source actor.
 *
 * @param options The recording, passes, report and state.
 * @returns The actor; it ends after the last pass.
 */
export function replayFile(options: ReplayFileOptions): Actor<unknown, EncodedPrice> {
  const { path, passes, report, state, batchSize = 500, inFlight = 4 } = options;
  return async (_inbox, outbox, ctx) => {
    const events = new Channel<ReplayEvent>(inFlight + 1, { name: "replay worker" });
    const worker = new Worker(new URL("./replay_worker.ts", import.meta.url), {
      type: "module",
      name: "replay",
    });
    worker.onmessage = (e: MessageEvent<ReplayEvent>) => void events.send(e.data);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      void events.send({ kind: "error", message: e.message });
    };
    try {
      worker.postMessage(
        {
          kind: "start",
          path,
          passes,
          pass: state.pass,
          line: state.line,
          stamps: state.stamps,
          batchSize,
          credit: inFlight,
        } satisfies ReplayCommand,
      );
      while (true) {
        const event = await events.receive({ signal: ctx.signal });
        switch (event.kind) {
          case "pass":
            if (state.announced < event.pass) {
              state.announced = event.pass;
              state.sent = 0;
              report.cycleStarted(event.pass);
            }
            break;
          case "batch": {
            for (const [line, reason] of event.skipped) {
              report.coinSkipped(event.pass, `line ${line}: ${reason}`);
            }
            const messages = batchMessages(event);
            for (const message of messages) report.fetched(message.tick);
            const sent = await sendAll(outbox, messages, { signal: ctx.signal });
            state.sent = (state.sent ?? 0) + sent;
            ctx.signal.throwIfAborted();
            state.line = event.line;
            state.stamps = event.stamps;
            break;
          }
          case "pass-end":
            report.cycleFetched(event.pass, state.sent ?? 0, null);
            state.pass = event.pass + 1;
            state.line = 0;
            state.sent = 0;
            break;
          case "done":
            return;
          case "error":
            throw new Error(`Replay of ${path} failed: ${event.message}`);
        }
        worker.postMessage({ kind: "more" } satisfies ReplayCommand);
      }
    } finally {
      worker.terminate();
    }
  };
}
