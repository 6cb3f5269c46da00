import type { CompletedPart } from '../ports'
import { toHex } from '../s3-protocol/sigv4'
import { S3XmlError } from './errors'
import type { ObjectStore } from './object-store'
import type { Payload } from './payload'

const FOLDER = 'staging/s3-proxy/'
const MARKER = 'upload.json'
const UPLOAD_ID = /^[0-9a-f]{32}$/
const MAX_PART_NUMBER = 10000
// `part-00001.etag-<md5>-<bytes>`: an empty object whose name carries what Complete must check,
// so one LIST answers for every part without a GET each.
const RECEIPT = /^part-(\d{5})\.etag-([0-9a-f]{32})-(\d+)$/
const DELETE_CONCURRENCY = 8

interface UploadMarker {
  bucket: string
  key: string
  initiated: string
}

export interface CompletedUpload {
  /** The parts' bytes in order, read from staging as the consumer pulls. */
  body: ReadableStream<Uint8Array>
  /** The same bytes again, from the start: the batch reads them twice (hash, then pipeline) rather than staging a copy. */
  reopen: () => ReadableStream<Uint8Array>
  length: number
  /** S3's multipart ETag: MD5 of the parts' MD5s, `-<count>`. */
  etag: string
}

/**
 * Multipart uploads staged in the real bucket under `<S3_PREFIX>staging/s3-proxy/<uploadId>/`:
 * a marker naming the object, each part as it arrived, and a receipt per part. Nothing is held in
 * memory between requests, so any isolate can serve any step.
 * @example const uploads = multipartStaging(store, config.S3_PREFIX)
 */
export function multipartStaging(store: ObjectStore, s3Prefix: string) {
  const root = `${s3Prefix}${FOLDER}`
  const folder = (uploadId: string) => `${root}${uploadId}/`
  const partKey = (uploadId: string, partNumber: number) => `${folder(uploadId)}part-${String(partNumber).padStart(5, '0')}`

  const marker = async (bucket: string, key: string, uploadId: string): Promise<void> => {
    const missing = new S3XmlError(
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    )
    if (!UPLOAD_ID.test(uploadId)) throw missing
    const body = await store.get(`${folder(uploadId)}${MARKER}`)
    if (!body) throw missing
    const found = JSON.parse(await new Response(body).text()) as UploadMarker
    if (found.bucket !== bucket || found.key !== key) throw missing
  }

  const receipts = async (uploadId: string) => {
    const parts = new Map<number, { md5: string; bytes: number }>()
    for (const key of await store.list(folder(uploadId))) {
      const match = RECEIPT.exec(key.slice(folder(uploadId).length))
      if (match) parts.set(Number(match[1]), { md5: match[2]!, bytes: Number(match[3]) })
    }
    return parts
  }

  const removeAll = async (uploadId: string) => {
    const keys = await store.list(folder(uploadId))
    const failed: string[] = []
    for (let i = 0; i < keys.length; i += DELETE_CONCURRENCY) {
      const batch = keys.slice(i, i + DELETE_CONCURRENCY)
      const results = await Promise.allSettled(batch.map((key) => store.delete(key)))
      results.forEach((result, j) => result.status === 'rejected' && failed.push(batch[j]!))
    }
    // Deletes are idempotent: one more, one at a time, for those a store failed under concurrency
    // (S3 answers the odd 500/503; s3rver races removing the emptied folder).
    for (const key of failed) await store.delete(key)
  }

  return {
    async create(bucket: string, key: string): Promise<string> {
      const uploadId = toHex(crypto.getRandomValues(new Uint8Array(16)))
      const body = new TextEncoder().encode(JSON.stringify({ bucket, key, initiated: new Date().toISOString() } satisfies UploadMarker))
      await store.put(`${folder(uploadId)}${MARKER}`, body, body.length)
      return uploadId
    },

    /** Stages one part; resolves with its MD5 (the part's ETag) once every payload check passed. */
    async uploadPart(bucket: string, key: string, uploadId: string, partNumberText: string, payload: Payload): Promise<string> {
      const partNumber = Number(partNumberText)
      if (!/^\d+$/.test(partNumberText) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
        await payload.body.cancel()
        throw new S3XmlError('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`)
      }
      try {
        await marker(bucket, key, uploadId)
      } catch (error) {
        await payload.body.cancel()
        throw error
      }
      const target = partKey(uploadId, partNumber)
      // A part that failed its checks leaves no part behind: the last bytes wait for the checks,
      // so S3 never completes it, but a store that keeps a cut-short body (s3rver does) must not.
      const discard = async (error: unknown): Promise<never> => {
        const receipts = await store.list(`${target}.etag-`)
        await Promise.allSettled([target, ...receipts].map((stale) => store.delete(stale)))
        throw payload.failure() ?? error
      }
      await store.put(target, payload.body, payload.length).catch(discard)
      const digest = await payload.done.catch(discard)
      const receipt = `${target}.etag-${digest.md5}-${digest.bytes}`
      const stale = (await store.list(`${target}.etag-`)).filter((other) => other !== receipt)
      await store.put(receipt, new Uint8Array(), 0)
      // A re-sent part replaces the earlier one, as in S3: its old receipt must not vouch for it.
      await Promise.all(stale.map((other) => store.delete(other)))
      return digest.md5
    },

    /** Checks the client's part list against the receipts and opens the parts as one body. */
    async complete(bucket: string, key: string, uploadId: string, parts: CompletedPart[]): Promise<CompletedUpload> {
      await marker(bucket, key, uploadId)
      if (parts.length === 0) throw new S3XmlError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.')
      for (let i = 1; i < parts.length; i++) {
        if (parts[i]!.partNumber <= parts[i - 1]!.partNumber) {
          throw new S3XmlError('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.')
        }
      }
      const staged = await receipts(uploadId)
      const md5s: Uint8Array[] = []
      let length = 0
      for (const part of parts) {
        const found = staged.get(part.partNumber)
        if (!found || found.md5 !== part.etag.replace(/"/g, '').toLowerCase()) {
          throw new S3XmlError('InvalidPart', `One or more of the specified parts could not be found (part ${part.partNumber}).`)
        }
        md5s.push(hexBytes(found.md5))
        length += found.bytes
      }
      const all = new Uint8Array(md5s.length * 16)
      md5s.forEach((md5, i) => all.set(md5, i * 16))
      const etag = `${toHex(await crypto.subtle.digest('MD5', all))}-${parts.length}`
      const keys = parts.map((part) => partKey(uploadId, part.partNumber))
      return { body: concatObjects(store, keys), reopen: () => concatObjects(store, keys), length, etag }
    },

    /** Removes every staged object of an upload (after Complete succeeded, or on Abort). */
    async remove(bucket: string, key: string, uploadId: string): Promise<void> {
      await marker(bucket, key, uploadId)
      await removeAll(uploadId)
    },
  }
}

export type MultipartStaging = ReturnType<typeof multipartStaging>

/** The objects' bodies one after another; the next is opened only when the previous ended. */
function concatObjects(store: ObjectStore, keys: string[]): ReadableStream<Uint8Array> {
  let index = 0
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (!reader) {
          const key = keys[index++]
          if (key === undefined) {
            controller.close()
            return
          }
          const body = await store.get(key)
          if (!body) {
            controller.error(new S3XmlError('InvalidPart', 'A staged part disappeared before the upload completed.'))
            return
          }
          reader = body.getReader()
        }
        const { done, value } = await reader.read()
        if (!done) {
          controller.enqueue(value)
          return
        }
        reader = undefined
      }
    },
    async cancel(reason) {
      await reader?.cancel(reason)
    },
  })
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}
