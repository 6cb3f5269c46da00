/**
 * A stream body of a declared length for one storage call: each attempt reads it through a fresh
 * stream of that length (workerd then sends Content-Length, and R2 takes it as a stream of known
 * length), pulled only as the request sends, so `started` tells whether a retry could still send
 * every byte. A body that fails, or ends short of or runs past its length, errors the attempt's
 * stream and is kept in `failure`.
 *
 * @example
 * const body = new OneShotBody(request.body, length)
 * try { await bucket.put(key, body.open()) } finally { await body.release() }
 */
export class OneShotBody {
  readonly length: number
  /** A read was asked of the caller's stream: from here on the call cannot be repeated. */
  started = false
  failure: { message: string; cause?: unknown } | undefined
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>
  #sent = 0
  #finished = false

  constructor(stream: ReadableStream<Uint8Array>, length: number) {
    this.length = length
    this.#reader = stream.getReader()
  }

  /** The body for one attempt. */
  open(): ReadableStream<Uint8Array> {
    let live = true
    return new ReadableStream<Uint8Array>(
      {
        expectedLength: this.length,
        pull: async (controller) => {
          this.started = true
          const fail = (message: string, cause?: unknown) => {
            this.failure = { message, cause }
            controller.error(new Error(message, { cause }))
          }
          let chunk: ReadableStreamReadResult<Uint8Array>
          try {
            chunk = await this.#reader.read()
          } catch (err) {
            if (live) fail(`the body stream failed: ${err instanceof Error ? err.message : String(err)}`, err)
            return
          }
          if (!live) return
          if (chunk.done) {
            this.#finished = true
            if (this.#sent < this.length) return fail(`the body stream ended after ${this.#sent} of ${this.length} bytes`)
            return controller.close()
          }
          this.#sent += chunk.value.byteLength
          if (this.#sent > this.length) return fail(`the body stream ran past its length of ${this.length} bytes`)
          controller.enqueue(chunk.value)
        },
        // The request gave up on this attempt; the caller's stream stays open for a retry or release().
        cancel: () => {
          live = false
        },
      },
      // Nothing is read ahead of what the request sends.
      { highWaterMark: 0 },
    )
  }

  /** Cancels the caller's stream unless it was read to its end. */
  async release(): Promise<void> {
    if (this.#finished) return
    this.#finished = true
    await this.#reader.cancel(this.failure?.cause).catch(() => {})
  }
}
