import { describe, expect, it } from 'vitest'
import { StorageError } from '../../src/ports'
import { countingStorage } from '../../src/storage/counting'
import { S3Client } from '../../src/storage/s3/client'

/** An S3 client whose store answers `statuses` in turn (then 200), counting what it was sent. */
function flakyS3(statuses: number[]) {
  const sent: string[] = []
  const client = new S3Client({
    endpoint: 'http://s3.test',
    region: 'us-east-1',
    bucket: 'logs',
    accessKeyId: 'key',
    secretAccessKey: 'secret',
    baseDelayMs: 1,
    fetch: async (request) => {
      sent.push(`${request.method} ${new URL(request.url).pathname}`)
      const status = statuses.shift() ?? 200
      return status === 200 ? new Response(null, { headers: { etag: '"e"' } }) : new Response('<Error><Code>SlowDown</Code></Error>', { status })
    },
  })
  return { client, sent }
}

describe('countingStorage', () => {
  it('counts every request sent, retries included, not the calls made', async () => {
    const { client, sent } = flakyS3([503, 503])
    let calls = 0
    const storage = countingStorage(client, () => calls++)
    await storage.putObject('a', new Uint8Array([1]))
    await storage.deleteObject('a')
    expect(sent).toEqual(['PUT /logs/a', 'PUT /logs/a', 'PUT /logs/a', 'DELETE /logs/a'])
    expect(calls).toBe(4)
  })

  it('counts the attempts of a call that fails, and keeps a counter the caller gave', async () => {
    const { client } = flakyS3([503, 503, 503, 503])
    let calls = 0
    let outer = 0
    const storage = countingStorage(client, () => calls++)
    const failed = await storage.putObject('b', new Uint8Array([1]), {}, { onAttempt: () => outer++ }).catch((err: unknown) => err)
    expect(failed).toBeInstanceOf(StorageError)
    expect((failed as StorageError).attempts).toBe(4)
    expect([calls, outer]).toEqual([4, 4])
  })
})
