/**
 * A one-for-one supervisor in the manner of Erlang/OTP: policy is data, children start in
 * order and stop in reverse, a crashed child is restarted with exponential backoff and jitter,
 * and past the intensity limit everything stops with the last failure as the cause.
 *
 * @module
 */
import type { Actor, ActorContext } from "./actor.ts";
import { noInbox, noOutbox } from "./actor.ts";
import { backoffDelay } from "./backoff.ts";
import {
  type Channel,
  ChannelClosedError,
  type Inbox,
  untilClosed,
  type WaitOptions,
} from "./channel.ts";
import { type Clock, isAbort, systemClock } from "./delay.ts";

/**
 * When a child that ended is started again: `permanent` always, `transient` only after a crash,
 * `temporary` never. A child whose inbox is closed and drained is never restarted after it ends
 * normally: it has nothing left to do.
 */
export type RestartType = "permanent" | "transient" | "temporary";

/** One child of a supervisor. */
export interface ChildSpec<I = unknown, O = unknown> {
  /** Unique name, used in logs and errors. */
  name: string;
  /** The actor function. */
  actor: Actor<I, O>;
  /** The channel it reads. Stopping the child closes it and lets the child drain it. */
  inbox?: Channel<I>;
  /** The channel it writes; closed when the child ends for good, so the next stage drains. */
  outbox?: Channel<O>;
  /** @default {"permanent"} */
  restart?: RestartType;
  /** How long stopping may take before the child's signal is aborted. @default {5_000} */
  shutdownMs?: number;
}

/** A child spec of any message types, as a supervisor holds a mix of them. */
// deno-lint-ignore no-explicit-any
export type AnyChildSpec = ChildSpec<any, any>;

/** Supervisor options. */
export interface SupervisorOptions {
  /** Restarts allowed within `withinMs` before the supervisor gives up. @default {5} */
  maxRestarts?: number;
  /** The window of the intensity limit, in milliseconds. @default {60_000} */
  withinMs?: number;
  /** The first restart delay, in milliseconds. @default {100} */
  backoffMinMs?: number;
  /** The largest restart delay, in milliseconds. @default {10_000} */
  backoffMaxMs?: number;
  /** Fraction of each delay taken off at random. @default {0.2} */
  backoffJitter?: number;
  /** A child running this long without a crash has its backoff reset. @default {30_000} */
  resetAfterMs?: number;
  /** The clock that waits and measures. @default {systemClock} */
  clock?: Clock;
  /** Random source for the jitter. @default {Math.random} */
  random?: () => number;
  /** Told of every crash, restart and drop. */
  onEvent?: (event: SupervisorEvent) => void;
}

/** What the supervisor reports as it works. */
export type SupervisorEvent =
  | { type: "crash"; child: string; error: unknown; restartInMs: number | null }
  | { type: "restart"; child: string; attempt: number }
  | { type: "dead-letter"; child: string; values: readonly unknown[]; error: unknown }
  | { type: "stop-timeout"; child: string; shutdownMs: number }
  | { type: "give-up"; child: string; restarts: number; withinMs: number; error: unknown };

/** The supervisor gave up: more than `maxRestarts` crashes within `withinMs`. */
export class SupervisorError extends Error {
  /**
   * @param message What happened.
   * @param options The last failure, as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SupervisorError";
  }
}

interface ChildState {
  spec: ChildSpec;
  controller: AbortController;
  running: Promise<void> | null;
  done: boolean;
  stopping: boolean;
  attempt: number;
  restarts: number;
  startedAt: number;
  inflight: unknown[];
  /** How many values at the front of `inflight` the actor said it is done with. */
  handled: number;
  redelivered: unknown[];
}

/**
 * Runs children under a one-for-one restart policy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Channel } from "./channel.ts";
 * import { Supervisor } from "./supervisor.ts";
 *
 * const numbers = new Channel<number>(10);
 * const seen: number[] = [];
 * const supervisor = new Supervisor([
 *   { name: "sink", inbox: numbers, restart: "transient", actor: async (inbox) => {
 *     for await (const n of inbox) seen.push(n);
 *   } },
 *   { name: "source", outbox: numbers, restart: "transient", actor: async (_inbox, outbox) => {
 *     for (let n = 1; n <= 3; n++) await outbox.send(n);
 *   } },
 * ]);
 * await supervisor.run();
 * assert.deepEqual(seen, [1, 2, 3]);
 * ```
 */
export class Supervisor {
  #children: ChildState[];
  #options: Required<Omit<SupervisorOptions, "onEvent">> & Pick<SupervisorOptions, "onEvent">;
  #crashTimes: number[] = [];
  #stopping: Promise<void> | null = null;
  #failure: SupervisorError | null = null;
  #settle: (() => void) | null = null;
  #lifetime = new AbortController();

  /**
   * @param children In start order: consumers of a channel before its producers.
   * @param options Restart intensity, backoff and clock.
   */
  constructor(children: readonly AnyChildSpec[], options: SupervisorOptions = {}) {
    const names = new Set<string>();
    for (const child of children) {
      if (names.has(child.name)) throw new TypeError(`Duplicate child name: ${child.name}`);
      names.add(child.name);
    }
    this.#children = children.map((spec) => ({
      spec: spec as unknown as ChildSpec,
      controller: new AbortController(),
      running: null,
      done: false,
      stopping: false,
      attempt: 0,
      restarts: 0,
      startedAt: 0,
      inflight: [],
      handled: 0,
      redelivered: [],
    }));
    this.#options = {
      maxRestarts: 5,
      withinMs: 60_000,
      backoffMinMs: 100,
      backoffMaxMs: 10_000,
      backoffJitter: 0.2,
      resetAfterMs: 30_000,
      clock: systemClock,
      random: Math.random,
      ...options,
    };
  }

  /** How many times each child was restarted, by name. */
  get restarts(): Record<string, number> {
    return Object.fromEntries(this.#children.map((c) => [c.spec.name, c.restarts]));
  }

  /**
   * Starts every child and resolves once all have ended for good, or stopped.
   *
   * @returns Resolves when the work is done.
   * @throws {SupervisorError} Past the intensity limit, after stopping everything.
   */
  async run(): Promise<void> {
    const allDone = new Promise<void>((resolve) => (this.#settle = resolve));
    for (const child of this.#children) this.#start(child);
    this.#checkDone();
    await allDone;
    if (this.#stopping) await this.#stopping;
    if (this.#failure) throw this.#failure;
  }

  /**
   * Stops the children in reverse start order: each child's inbox is closed and drained before
   * the next child is stopped; a child that takes longer than its `shutdownMs` is aborted.
   *
   * @returns Resolves when every child has ended.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopAll();
    return this.#stopping;
  }

  async #stopAll(): Promise<void> {
    this.#lifetime.abort(new ChannelClosedError("Supervisor is stopping"));
    for (const child of [...this.#children].reverse()) {
      child.stopping = true;
      const shutdownMs = child.spec.shutdownMs ?? 5_000;
      if (child.spec.inbox) child.spec.inbox.close();
      else child.controller.abort(new DOMException("Actor stopped", "AbortError"));
      if (child.running) {
        const ended = await this.#within(child.running, shutdownMs);
        if (!ended) {
          this.#options.onEvent?.({ type: "stop-timeout", child: child.spec.name, shutdownMs });
          child.controller.abort(new DOMException("Actor stopped", "AbortError"));
          await this.#within(child.running, 1_000);
        }
      }
      this.#finish(child);
    }
    this.#checkDone();
  }

  async #within(promise: Promise<void>, ms: number): Promise<boolean> {
    const timer = new AbortController();
    const timeout = this.#options.clock.sleep(ms, { signal: timer.signal }).then(
      () => false,
      () => false,
    );
    const ended = await Promise.race([promise.then(() => true, () => true), timeout]);
    timer.abort();
    return ended;
  }

  #start(child: ChildState): void {
    const { spec } = child;
    child.controller = new AbortController();
    child.startedAt = this.#options.clock.now();
    const ctx: ActorContext = {
      name: spec.name,
      signal: child.controller.signal,
      attempt: child.attempt,
    };
    const inbox = spec.inbox ? this.#trackedInbox(child, spec.inbox) : noInbox;
    const outbox = spec.outbox ?? noOutbox;
    child.running = (async () => {
      try {
        await spec.actor(inbox as Inbox<unknown>, outbox, ctx);
        this.#ack(child);
        this.#onExit(child, null);
      } catch (error) {
        // An actor that lets the end of its closed, drained inbox escape has simply finished.
        const ended = error instanceof ChannelClosedError && spec.inbox?.closed === true &&
          spec.inbox.size === 0;
        if (ended) this.#ack(child);
        this.#onExit(child, ended ? null : error ?? new Error(`${spec.name} failed`));
      }
    })();
  }

  #trackedInbox(child: ChildState, channel: Channel<unknown>): Inbox<unknown> {
    const track = (values: unknown[]) => {
      child.inflight = values;
      child.handled = 0;
      return values;
    };
    const receive = async (options?: WaitOptions) => {
      this.#ack(child);
      return track([await channel.receive(options)])[0];
    };
    return {
      receive,
      receiveBatch: async (max: number, options?: WaitOptions) => {
        this.#ack(child);
        // Values handed back after a crash come one at a time, so that a second crash drops
        // only the value that caused it, not the whole batch it arrived in.
        const take = child.redelivered.length > 0 ? 1 : max;
        return track(await channel.receiveBatch(take, options));
      },
      handled: (count: number) => {
        child.handled = count;
      },
      [Symbol.asyncIterator]: () => untilClosed(() => receive()),
    };
  }

  /** The values in flight were handled: they are no longer candidates for redelivery. */
  #ack(child: ChildState): void {
    if (child.redelivered.length > 0) {
      child.redelivered = child.redelivered.filter((v) => !child.inflight.includes(v));
    }
    child.inflight = [];
    child.handled = 0;
  }

  #onExit(child: ChildState, error: unknown): void {
    const { spec } = child;
    child.running = null;
    const crashed = error !== null && !(child.stopping && isAbort(error, child.controller.signal));
    const restart = spec.restart ?? "permanent";
    const drained = spec.inbox !== undefined && spec.inbox.closed && spec.inbox.size === 0 &&
      child.inflight.length <= child.handled;
    const wanted = !child.stopping && !this.#stopping &&
      (restart === "permanent" ? !(drained && !crashed) : restart === "transient" && crashed);

    if (crashed) this.#keepUnfinished(child, error);
    if (!wanted) {
      if (crashed) {
        this.#options.onEvent?.({ type: "crash", child: spec.name, error, restartInMs: null });
      }
      this.#finish(child);
      this.#checkDone();
      return;
    }

    const now = this.#options.clock.now();
    if (now - child.startedAt >= this.#options.resetAfterMs) child.attempt = 0;
    this.#crashTimes = this.#crashTimes.filter((t) => now - t < this.#options.withinMs);
    this.#crashTimes.push(now);
    if (this.#crashTimes.length > this.#options.maxRestarts) {
      const { maxRestarts, withinMs } = this.#options;
      this.#options.onEvent?.({
        type: "give-up",
        child: spec.name,
        restarts: maxRestarts,
        withinMs,
        error,
      });
      this.#failure ??= new SupervisorError(
        `${spec.name} failed more than ${maxRestarts} times within ${withinMs} ms: ${
          describe(error)
        }`,
        { cause: error },
      );
      void this.stop();
      return;
    }

    const wait = backoffDelay(child.attempt, {
      minMs: this.#options.backoffMinMs,
      maxMs: this.#options.backoffMaxMs,
      jitter: this.#options.backoffJitter,
      random: this.#options.random,
    });
    this.#options.onEvent?.({ type: "crash", child: spec.name, error, restartInMs: wait });
    child.attempt++;
    child.restarts++;
    const resume = () => {
      // Stopping cuts the wait short, but a child with an inbox still runs, to drain it.
      if (this.#stopping && !spec.inbox) return this.#finish(child);
      this.#options.onEvent?.({ type: "restart", child: spec.name, attempt: child.attempt });
      this.#start(child);
      return child.running ?? undefined;
    };
    child.running = this.#options.clock.sleep(wait, { signal: this.#lifetime.signal }).then(
      resume,
      resume,
    );
  }

  /** Hands a crashed run's unfinished values to the next run; a value that fails twice is dropped and reported. */
  #keepUnfinished(child: ChildState, error: unknown): void {
    const { inbox } = child.spec;
    const unfinished = child.inflight.slice(child.handled);
    if (!inbox || unfinished.length === 0) return;
    const again = unfinished.filter((v) => child.redelivered.includes(v));
    const retry = unfinished.filter((v) => !child.redelivered.includes(v));
    if (again.length > 0) {
      this.#options.onEvent?.({
        type: "dead-letter",
        child: child.spec.name,
        values: again,
        error,
      });
    }
    child.redelivered = retry;
    child.inflight = [];
    child.handled = 0;
    inbox.requeue(retry);
  }

  #finish(child: ChildState): void {
    if (child.done) return;
    child.done = true;
    child.spec.outbox?.close();
  }

  #checkDone(): void {
    if (this.#children.every((c) => c.done)) this.#settle?.();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
