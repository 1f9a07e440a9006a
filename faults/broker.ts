/**
 * The broker the faults are injected into: a single node started by `scripts/kafka.sh` with
 * its own state folder and ports, so killing it disturbs no other broker.
 *
 * @module
 */
import { reachable } from "../tests/support/tcp.ts";
import { tail } from "./command.ts";

/** Where the broker lives and listens. */
export interface BrokerOptions {
  /** Bootstrap address, `host:port`. */
  brokers: string;
  /** Its `KAFKA_HOME_DIR` (pid file, data, log). */
  home: string;
  /** Its controller port. */
  controllerPort: number;
  /** Its SASL port. */
  saslPort: number;
}

/** Controls the broker through `scripts/kafka.sh` and its pid file. */
export class FaultBroker {
  /** Bootstrap address. */
  readonly brokers: string;
  #options: BrokerOptions;

  /** @param options Address, state folder and ports. */
  constructor(options: BrokerOptions) {
    this.#options = options;
    this.brokers = options.brokers;
  }

  #env(): Record<string, string> {
    const port = this.brokers.split(",")[0]!.split(":")[1] ?? "9092";
    return {
      KAFKA_HOME_DIR: this.#options.home,
      KAFKA_PORT: port,
      KAFKA_CONTROLLER_PORT: String(this.#options.controllerPort),
      KAFKA_SASL_PORT: String(this.#options.saslPort),
    };
  }

  /** Whether the bootstrap address accepts a TCP connection. */
  reachable(): Promise<boolean> {
    return reachable(this.brokers);
  }

  /** The broker's pid, from its pid file, or null. */
  async pid(): Promise<number | null> {
    try {
      const text = await Deno.readTextFile(`${this.#options.home}/kafka.pid`);
      const pid = Number(text.trim());
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  async #script(command: string): Promise<string> {
    const output = await new Deno.Command("bash", {
      args: ["scripts/kafka.sh", command],
      env: this.#env(),
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output();
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    if (!output.success) throw new Error(`scripts/kafka.sh ${command} failed:\n${tail(text)}`);
    return text.trim();
  }

  /** Starts the broker on its existing data (`scripts/kafka.sh up`) and waits until it answers. */
  up(): Promise<string> {
    return this.#script("up");
  }

  /** Stops the broker cleanly (`scripts/kafka.sh down`). */
  down(): Promise<string> {
    return this.#script("down");
  }

  /**
   * Freezes the broker with SIGSTOP: its port still accepts connections, but nothing answers.
   * Always {@linkcode FaultBroker.thaw} it afterwards.
   */
  freeze(): Promise<void> {
    return this.#signal("STOP");
  }

  /** Lets a frozen broker run again (SIGCONT). */
  thaw(): Promise<void> {
    return this.#signal("CONT");
  }

  async #signal(name: "STOP" | "CONT"): Promise<void> {
    const pid = await this.pid();
    if (pid === null) {
      throw new Error(`Cannot signal the broker: no pid in ${this.#options.home}/kafka.pid`);
    }
    const sent = await new Deno.Command("bash", {
      args: ["-c", `kill -${name} "$1"`, "kill", String(pid)],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!sent.success) {
      throw new Error(`kill -${name} ${pid} failed: ${new TextDecoder().decode(sent.stderr)}`);
    }
  }

  /**
   * SIGKILLs the broker process (no clean shutdown) and waits until its port is closed.
   *
   * @throws {Error} When there is no pid file: the broker was not started by `scripts/kafka.sh`
   *   with this state folder.
   */
  async kill(): Promise<void> {
    const pid = await this.pid();
    if (pid === null) {
      throw new Error(`Cannot kill the broker: no pid in ${this.#options.home}/kafka.pid`);
    }
    const killed = await new Deno.Command("bash", {
      args: ["-c", 'kill -9 "$1"', "kill", String(pid)],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!killed.success) {
      throw new Error(`kill -9 ${pid} failed: ${new TextDecoder().decode(killed.stderr)}`);
    }
    const deadline = Date.now() + 10_000;
    while (await this.reachable()) {
      if (Date.now() > deadline) {
        throw new Error(`Broker ${this.brokers} still answers after SIGKILL`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
