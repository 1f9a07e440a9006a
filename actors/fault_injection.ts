/**
 * Applies `FAULT_INJECT` (config/fault_injection.ts) to a topology's children: a named actor is
 * given an inbox that throws on the chosen messages. The actors' own logic is untouched, and
 * with nothing to inject the children are returned as they are.
 *
 * @module
 */
import type { FaultInjection } from "../config/types.ts";
import { type Inbox, untilClosed, type WaitOptions } from "../runtime/channel.ts";
import type { AnyChildSpec } from "../runtime/supervisor.ts";

/** What an injected fault throws. */
export class InjectedFault extends Error {
  /** @param message Which actor, on which message. */
  constructor(message: string) {
    super(message);
    this.name = "InjectedFault";
  }
}

/** Options for {@linkcode injectFaults}. */
export interface InjectFaultsOptions {
  /** Random source for `share`. @default {Math.random} */
  random?: () => number;
}

/**
 * Wraps the inbox of every child named in `faults` so that it throws on the chosen messages,
 * after the supervisor took them as in hand (so they are handed to the restarted actor).
 * Counting outlives restarts; what was in hand when it threw is let through when it comes back.
 *
 * @param children The topology's children.
 * @param faults What to inject; empty for nothing.
 * @param options The random source.
 * @returns The children, the named ones wrapped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Channel } from "../runtime/channel.ts";
 * import { Supervisor } from "../runtime/supervisor.ts";
 * import { injectFaults } from "./fault_injection.ts";
 *
 * const numbers = new Channel<number>(10);
 * const seen: number[] = [];
 * const children = injectFaults([
 *   { name: "sink", inbox: numbers, restart: "transient", actor: async (inbox) => {
 *     for await (const n of inbox) seen.push(n);
 *   } },
 *   { name: "source", outbox: numbers, restart: "transient", actor: async (_inbox, outbox) => {
 *     for (let n = 1; n <= 4; n++) await outbox.send(n);
 *   } },
 * ], [{ actor: "sink", every: 2 }]);
 * const supervisor = new Supervisor(children, { backoffMinMs: 1 });
 * await supervisor.run();
 * assert.deepEqual(seen, [1, 2, 3, 4]);
 * // Thrown on messages 2, 3 and 4: a message handed back counts as received too.
 * assert.equal(supervisor.restarts.sink, 3);
 * ```
 */
export function injectFaults(
  children: AnyChildSpec[],
  faults: readonly FaultInjection[],
  options: InjectFaultsOptions = {},
): AnyChildSpec[] {
  if (faults.length === 0) return children;
  const random = options.random ?? Math.random;
  return children.map((child) => {
    const fault = faults.find((f) => f.actor === child.name);
    if (!fault || !child.inbox) return child;
    let received = 0;
    // What was in hand at the last injected throw: the supervisor hands it back, and a second
    // crash with it in hand would have the supervisor drop it as a message that cannot be handled.
    let inHand = new Set<unknown>();
    const pick = "every" in fault
      ? () => ++received % fault.every === 0
      : () => (++received, random() < fault.share);
    /** Throws when a value of `values` is picked, unless they include values handed back. */
    const inspect = <T>(values: T[]): T[] => {
      const handedBack = values.filter((value) => inHand.delete(value)).length > 0;
      for (let i = 0; i < values.length; i++) {
        if (pick() && !handedBack) {
          inHand = new Set(values);
          throw new InjectedFault(`Injected fault in ${child.name} (message ${received})`);
        }
      }
      return values;
    };
    const { actor } = child;
    return {
      ...child,
      actor: (inbox: Inbox<unknown>, outbox, ctx) => {
        const receive = async (wait?: WaitOptions) => inspect([await inbox.receive(wait)])[0];
        const faulty: Inbox<unknown> = {
          receive,
          receiveBatch: async (max, wait) => inspect(await inbox.receiveBatch(max, wait)),
          ...(inbox.handled ? { handled: (count: number) => inbox.handled!(count) } : {}),
          [Symbol.asyncIterator]: () => untilClosed(() => receive()),
        };
        return actor(faulty, outbox, ctx);
      },
    };
  });
}
