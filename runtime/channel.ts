/**
 * A typed, bounded, async channel between actors.
 *
 * @module
 */

/** Thrown by {@linkcode Channel.send} on a closed channel, and by `receive` once it is drained. */
export class ChannelClosedError extends Error {
  /** @param message What was attempted. */
  constructor(message = "Channel is closed") {
    super(message);
    this.name = "ChannelClosedError";
  }
}

/** What a full channel does with one more value. */
export type OverflowPolicy = "block" | "drop-oldest";

/** Options for {@linkcode Channel}. */
export interface ChannelOptions<T> {
  /** Name used in errors and logs. @default {"channel"} */
  name?: string;
  /** `block`: `send` waits for room; `drop-oldest`: the oldest value makes room. @default {"block"} */
  overflow?: OverflowPolicy;
  /** Called with each value dropped by the `drop-oldest` policy. */
  onDrop?: (value: T) => void;
}

/** Options for a wait on a channel. */
export interface WaitOptions {
  /** Aborting rejects the wait with the signal's reason; nothing is taken or added. */
  signal?: AbortSignal;
}

/** The receiving end of a channel, as an actor sees it. */
export interface Inbox<T> extends AsyncIterable<T> {
  /** Waits for the next value; rejects with {@linkcode ChannelClosedError} once closed and drained. */
  receive(options?: WaitOptions): Promise<T>;
  /** Waits for at least one value, then takes up to `max` without waiting more. */
  receiveBatch(max: number, options?: WaitOptions): Promise<T[]>;
  /**
   * Optional: the first `count` values of the last batch taken are done with, so that after a
   * crash only the ones after them are handed back (a supervisor's inbox keeps this).
   */
  handled?(count: number): void;
}

/**
 * Yields what `receive` returns until it rejects with {@linkcode ChannelClosedError}: how an
 * inbox is iterated, whatever stands between it and its channel.
 *
 * @param receive Takes the next value.
 * @returns The values, in order.
 */
export async function* untilClosed<T>(receive: () => Promise<T>): AsyncGenerator<T> {
  while (true) {
    try {
      yield await receive();
    } catch (error) {
      if (error instanceof ChannelClosedError) return;
      throw error;
    }
  }
}

/** The sending end of a channel, as an actor sees it. */
export interface Outbox<T> {
  /** Adds a value; waits while the channel is full (with the `block` policy). */
  send(value: T, options?: WaitOptions): Promise<void>;
  /**
   * Adds values in order, as room allows, waiting for room between them (with the `block`
   * policy). Resolves to how many went in: all of them, or fewer if the signal aborted first.
   * Optional: {@linkcode sendAll} falls back to one `send` after another.
   */
  sendAll?(values: readonly T[], options?: WaitOptions): Promise<number>;
}

/**
 * Adds values to an outbox in order, in one go where it can ({@linkcode Channel.sendAll}), else
 * one `send` after another.
 *
 * @param outbox Where to.
 * @param values The values, oldest first.
 * @param options The abort signal: once aborted, no more values go in.
 * @returns How many values went in, from the front: all, unless the signal aborted.
 */
export async function sendAll<T>(
  outbox: Outbox<T>,
  values: readonly T[],
  options: WaitOptions = {},
): Promise<number> {
  if (outbox.sendAll) return outbox.sendAll(values, options);
  let sent = 0;
  for (const value of values) {
    try {
      await outbox.send(value, options);
    } catch (error) {
      if (options.signal?.aborted) return sent;
      throw error;
    }
    sent++;
  }
  return sent;
}

interface Waiter {
  wake: () => void;
  /** Room the waiter wants before it is woken by a receive (a batch sender); default 1. */
  room?: number;
}

/**
 * A FIFO queue of at most `capacity` values. `send` waits while it is full, `receive` while it is
 * empty, and `close` stops new values while receivers drain what is left.
 *
 * @typeParam T The type of the values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Channel } from "./channel.ts";
 * const channel = new Channel<number>(2);
 * await channel.send(1);
 * await channel.send(2);
 * channel.close();
 * const values: number[] = [];
 * for await (const value of channel) values.push(value);
 * assert.deepEqual(values, [1, 2]);
 * ```
 */
export class Channel<T> implements Inbox<T>, Outbox<T> {
  readonly capacity: number;
  readonly name: string;
  #buffer: T[] = [];
  #head = 0;
  #closed = false;
  #senders: Waiter[] = [];
  #receivers: Waiter[] = [];
  #overflow: OverflowPolicy;
  #onDrop: ((value: T) => void) | undefined;
  #dropped = 0;

  /**
   * @param capacity The most values the channel holds (a positive integer).
   * @param options Name and overflow policy.
   */
  constructor(capacity: number, options: ChannelOptions<T> = {}) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Channel capacity must be a positive integer: received ${capacity}`);
    }
    this.capacity = capacity;
    this.name = options.name ?? "channel";
    this.#overflow = options.overflow ?? "block";
    this.#onDrop = options.onDrop;
  }

  /** How many values wait in the channel. */
  get size(): number {
    return this.#buffer.length - this.#head;
  }

  /** Whether `close` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** How many values the `drop-oldest` policy has dropped. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Adds a value. With the `block` policy it waits while the channel is full.
   *
   * @param value The value.
   * @param options The abort signal for the wait.
   * @returns Resolves once the value is in the channel.
   * @throws {ChannelClosedError} When the channel is closed.
   */
  async send(value: T, options: WaitOptions = {}): Promise<void> {
    while (true) {
      if (this.#closed) throw new ChannelClosedError(`Cannot send on closed ${this.name}`);
      if (options.signal?.aborted) {
        // Pass on a wake-up this sender may have been given, or the next sender waits forever.
        if (this.size < this.capacity) this.#wakeOne(this.#senders);
        options.signal.throwIfAborted();
      }
      if (this.size < this.capacity) break;
      if (this.#overflow === "drop-oldest") {
        const oldest = this.#take();
        this.#dropped++;
        this.#onDrop?.(oldest);
        break;
      }
      await this.#wait(this.#senders, options.signal);
    }
    this.#buffer.push(value);
    this.#wakeOne(this.#receivers);
  }

  /**
   * Adds values in order: as many as there is room for at once, then waits for room for the
   * rest (with the `block` policy; `drop-oldest` takes them all at once). One wait per refill
   * rather than one `send` per value.
   *
   * @param values The values, oldest first.
   * @param options The abort signal: once aborted, no more values go in.
   * @returns How many values went in, from the front: all, unless the signal aborted.
   * @throws {ChannelClosedError} When the channel is closed.
   */
  async sendAll(values: readonly T[], options: WaitOptions = {}): Promise<number> {
    let sent = 0;
    while (sent < values.length) {
      if (this.#closed) throw new ChannelClosedError(`Cannot send on closed ${this.name}`);
      if (options.signal?.aborted) {
        if (this.size < this.capacity) this.#wakeOne(this.#senders);
        return sent;
      }
      const room = this.#overflow === "drop-oldest"
        ? values.length - sent
        : Math.min(this.capacity - this.size, values.length - sent);
      if (room <= 0) {
        try {
          // Woken once a good part of the channel is free, not at each value taken: one wait per
          // refill rather than one per value.
          const want = Math.min(values.length - sent, Math.ceil(this.capacity / 2));
          await this.#wait(this.#senders, options.signal, want);
        } catch (error) {
          if (!options.signal?.aborted) throw error;
          // A sender behind this one may fit now.
          if (this.size < this.capacity) this.#wakeOne(this.#senders);
          return sent;
        }
        continue;
      }
      for (let i = 0; i < room; i++) {
        if (this.size >= this.capacity) {
          const oldest = this.#take();
          this.#dropped++;
          this.#onDrop?.(oldest);
        }
        this.#buffer.push(values[sent++] as T);
        this.#wakeOne(this.#receivers);
      }
    }
    return sent;
  }

  /**
   * Takes the next value, waiting while the channel is empty.
   *
   * @param options The abort signal for the wait.
   * @returns The oldest value.
   * @throws {ChannelClosedError} When the channel is closed and empty.
   */
  async receive(options: WaitOptions = {}): Promise<T> {
    while (this.size === 0) {
      if (this.#closed) throw new ChannelClosedError(`${this.name} is closed and drained`);
      options.signal?.throwIfAborted();
      await this.#wait(this.#receivers, options.signal);
    }
    const value = this.#take();
    this.#wakeOne(this.#senders);
    return value;
  }

  /**
   * Waits for at least one value, then takes up to `max` values that are already there.
   *
   * @param max The most values to take (at least 1).
   * @param options The abort signal for the wait.
   * @returns One to `max` values, oldest first.
   * @throws {ChannelClosedError} When the channel is closed and empty.
   */
  async receiveBatch(max: number, options: WaitOptions = {}): Promise<T[]> {
    const first = await this.receive(options);
    const batch: T[] = [first];
    while (batch.length < max && this.size > 0) batch.push(this.#take());
    this.#wakeAll(this.#senders);
    return batch;
  }

  /**
   * Puts values back at the front of the channel, in order, beyond its capacity if need be.
   * The supervisor uses it to hand a crashed actor's unfinished values to its next run.
   *
   * @param values The values, oldest first.
   */
  requeue(values: readonly T[]): void {
    if (values.length === 0) return;
    this.#buffer = [...values, ...this.#buffer.slice(this.#head)];
    this.#head = 0;
    this.#wakeAll(this.#receivers);
  }

  /** Stops new values; receivers drain what is left, then get {@linkcode ChannelClosedError}. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeAll(this.#receivers);
    this.#wakeAll(this.#senders);
  }

  /** Yields values until the channel is closed and drained. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return untilClosed(() => this.receive());
  }

  #take(): T {
    const value = this.#buffer[this.#head] as T;
    this.#buffer[this.#head] = undefined as T;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
      this.#buffer = this.#buffer.slice(this.#head);
      this.#head = 0;
    }
    return value;
  }

  #wait(queue: Waiter[], signal: AbortSignal | undefined, room?: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        wake: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      if (room !== undefined) waiter.room = room;
      const onAbort = () => {
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      queue.push(waiter);
    });
  }

  #wakeOne(queue: Waiter[]): void {
    const next = queue[0];
    if (next === undefined) return;
    if (next.room !== undefined && this.capacity - this.size < next.room) return;
    queue.shift()!.wake();
  }

  #wakeAll(queue: Waiter[]): void {
    for (const waiter of queue.splice(0)) waiter.wake();
  }
}
