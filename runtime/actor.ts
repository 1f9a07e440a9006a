/**
 * The shape of an actor: a function re-run from scratch on each restart.
 *
 * @module
 */
import type { Inbox, Outbox } from "./channel.ts";

/** What an actor knows of its current run. */
export interface ActorContext {
  /** The child's name in the supervisor. */
  readonly name: string;
  /** Aborted when the actor must stop at once. */
  readonly signal: AbortSignal;
  /** 0 on the first run, then 1, 2, … after each restart. */
  readonly attempt: number;
}

/**
 * An actor reads its inbox, writes its outbox and returns when its work is done. Its state lives
 * in the function's scope, so a restart starts it fresh; the channels outlive it.
 */
export type Actor<I, O> = (inbox: Inbox<I>, outbox: Outbox<O>, ctx: ActorContext) => Promise<void>;

/** An inbox that never yields a value: what a source actor is given. */
export const noInbox: Inbox<never> = {
  receive: (options) =>
    new Promise<never>((_, reject) => {
      options?.signal?.addEventListener("abort", () => reject(options.signal?.reason), {
        once: true,
      });
    }),
  receiveBatch: (_max, options) => noInbox.receive(options),
  async *[Symbol.asyncIterator]() {},
};

/** An outbox that refuses values: what a sink actor is given. */
export const noOutbox: Outbox<never> = {
  send: () => Promise.reject(new TypeError("This actor has no outbox")),
};
