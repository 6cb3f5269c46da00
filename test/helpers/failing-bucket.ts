// A test double around the real (Miniflare) R2 binding that fails chosen calls: the only way to
// make R2 fail on demand. Every call not faulted goes to the real bucket, so what a test reads
// back is what really landed.

/** The binding's calls, named as the binding names them in its errors. */
export type R2Call = 'put' | 'get' | 'head' | 'delete' | 'list' | 'createMultipartUpload' | 'uploadPart' | 'completeMultipartUpload' | 'abortMultipartUpload'

export interface R2Fault {
  call: R2Call
  /** Only calls whose key contains this (default: any key). */
  match?: string
  /** Let this many matching calls through before the first fault (fail only the Nth: skip N-1). */
  skip?: number
  /** Faults to give, then calls pass again (default: every matching call). */
  count?: number
  /** `error` before the call reaches R2; `after` once R2 did the work (its answer lost); `hang` never answers. */
  mode?: 'error' | 'after' | 'hang'
  /** R2's error code (default 10001, InternalError). */
  code?: number
}

// R2's messages for the codes the tests use (https://developers.cloudflare.com/r2/api/error-codes/).
const MESSAGES: Record<number, string> = {
  10001: 'We encountered an internal error. Please try again.',
  10043: 'Service is temporarily unavailable.',
  10058: 'Reduce your concurrent request rate for the same object.',
  10003: 'Access denied.',
}

/** An error as the binding throws it: a plain Error whose message ends with R2's code. */
export function r2Error(call: R2Call, code: number): Error {
  return new Error(`${call}: ${MESSAGES[code] ?? 'R2 error'} (${code})`)
}

export class FailingBucket {
  /** Calls seen, faulted or not, by name. */
  readonly seen: Record<string, number> = {}
  readonly #real: R2Bucket
  #faults: (R2Fault & { passed: number; given: number })[] = []

  constructor(real: R2Bucket) {
    this.#real = real
  }

  fail(fault: R2Fault): this {
    this.#faults.push({ ...fault, passed: 0, given: 0 })
    return this
  }

  /** R2 has recovered. */
  clear(): void {
    this.#faults = []
  }

  /** Faults given so far for `call`. */
  faulted(call: R2Call): number {
    return this.#faults.filter((f) => f.call === call).reduce((n, f) => n + f.given, 0)
  }

  /** The double as the binding the Worker's env holds. */
  get binding(): R2Bucket {
    const real = this.#real
    const run = <T>(call: R2Call, key: string, op: () => Promise<T>) => this.#run(call, key, op)
    const upload = (key: string, uploadId: string) => {
      const resumed = real.resumeMultipartUpload(key, uploadId)
      return {
        key,
        uploadId,
        uploadPart: (n: number, value: Parameters<R2MultipartUpload['uploadPart']>[1]) => run('uploadPart', key, () => resumed.uploadPart(n, value)),
        complete: (parts: R2UploadedPart[]) => run('completeMultipartUpload', key, () => resumed.complete(parts)),
        abort: () => run('abortMultipartUpload', key, () => resumed.abort()),
      } as R2MultipartUpload
    }
    return {
      put: (key: string, value: Parameters<R2Bucket['put']>[1], options?: R2PutOptions) => run('put', key, () => real.put(key, value, options)),
      get: (key: string) => run('get', key, () => real.get(key)),
      head: (key: string) => run('head', key, () => real.head(key)),
      delete: (keys: string | string[]) => run('delete', String(keys), () => real.delete(keys)),
      list: (options?: R2ListOptions) => run('list', options?.prefix ?? '', () => real.list(options)),
      createMultipartUpload: async (key: string, options?: R2MultipartOptions) => {
        const created = await run('createMultipartUpload', key, () => real.createMultipartUpload(key, options))
        return upload(key, created.uploadId)
      },
      resumeMultipartUpload: upload,
    } as unknown as R2Bucket
  }

  async #run<T>(call: R2Call, key: string, op: () => Promise<T>): Promise<T> {
    this.seen[call] = (this.seen[call] ?? 0) + 1
    const fault = this.#faults.find((f) => f.call === call && (f.match === undefined || key.includes(f.match)) && (f.count === undefined || f.given < f.count))
    if (!fault) return op()
    if (fault.passed < (fault.skip ?? 0)) {
      fault.passed++
      return op()
    }
    fault.given++
    const error = r2Error(call, fault.code ?? 10001)
    if (fault.mode === 'hang') return new Promise<T>(() => {})
    if (fault.mode === 'after') await op()
    throw error
  }
}
