/**
 * Reads Server-Sent Events in the tests.
 *
 * @module
 */

/** One event as a client sees it. */
export interface SseEvent {
  /** Its id. */
  id: string | null;
  /** Its type. */
  event: string;
  /** Its data, parsed. */
  data: Record<string, unknown>;
}

/** Reads events and comments from an SSE body. */
export class SseReader {
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  /** Comments seen (heartbeats). */
  comments: string[] = [];

  /** @param body The response body. */
  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.pipeThrough(new TextDecoderStream()).getReader();
  }

  /**
   * The next event (comments and the retry line are collected on the way).
   *
   * @param timeoutMs How long to wait.
   * @returns The event.
   */
  async next(timeoutMs = 5000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.#buffer.indexOf("\n\n");
      if (end !== -1) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        let id: string | null = null;
        let event = "message";
        let data: string | null = null;
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) this.comments.push(line.slice(1).trim());
          else if (line.startsWith("id: ")) id = line.slice(4);
          else if (line.startsWith("event: ")) event = line.slice(7);
          else if (line.startsWith("data: ")) data = line.slice(6);
        }
        if (data !== null) return { id, event, data: JSON.parse(data) };
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("No event in time");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const result = await Promise.race([
        this.#reader.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("No event in time")), left);
        }),
      ]).finally(() => clearTimeout(timer));
      if (result.done) throw new Error("The stream ended");
      this.#buffer += result.value;
    }
  }

  /** Stops reading (the client goes away). */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}
