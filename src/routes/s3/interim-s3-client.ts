import { AwsClient } from 'aws4fetch'
import type { Config } from '../../config'
import type { S3ObjectClient } from './object-store'

/**
 * Stopgap until the sink's `S3Client` (src/sink/s3-client.ts) is merged: the four calls the S3
 * route needs, path-style against S3_ENDPOINT/S3_BUCKET, nothing more. Replace its one use in
 * src/index.ts with `objectStoreFromClient(new S3Client(...))` and delete this file.
 */
export function interimS3Client(config: Config): S3ObjectClient {
  // No retries here: a streamed body cannot be sent twice; callers answer 5xx and the sender retries.
  const aws = new AwsClient({
    accessKeyId: config.AWS_ACCESS_KEY_ID,
    secretAccessKey: config.AWS_SECRET_ACCESS_KEY,
    region: config.S3_REGION,
    service: 's3',
    retries: 0,
  })
  const base = `${config.S3_ENDPOINT.replace(/\/+$/, '')}/${config.S3_BUCKET}`
  const objectUrl = (key: string) => `${base}/${key.split('/').map(encodeURIComponent).join('/')}`
  const check = async (response: Response, what: string) => {
    if (response.ok) return response
    await response.body?.cancel()
    throw new Error(`S3 ${what} answered ${response.status}`)
  }

  return {
    async putObject(key, body, headers = {}) {
      let payload: BodyInit = body
      const length = headers['content-length']
      if (body instanceof ReadableStream && length !== undefined) {
        // A fixed length makes workerd send Content-Length instead of a chunked body S3 refuses.
        const fixed = new FixedLengthStream(Number(length))
        void body.pipeTo(fixed.writable).catch(() => {})
        payload = fixed.readable
      }
      await check(await aws.fetch(objectUrl(key), { method: 'PUT', body: payload, headers }), `PUT ${key}`)
    },
    async getObject(key) {
      const response = await aws.fetch(objectUrl(key))
      if (response.status === 404) {
        await response.body?.cancel()
        return null
      }
      return check(response, `GET ${key}`)
    },
    async deleteObject(key) {
      const response = await aws.fetch(objectUrl(key), { method: 'DELETE' })
      if (response.status !== 404) await check(response, `DELETE ${key}`)
      await response.body?.cancel()
    },
    async listKeys(prefix) {
      const keys: string[] = []
      let token: string | undefined
      do {
        const url = new URL(base)
        url.searchParams.set('list-type', '2')
        url.searchParams.set('prefix', prefix)
        if (token) url.searchParams.set('continuation-token', token)
        const xml = await (await check(await aws.fetch(url), `LIST ${prefix}`)).text()
        for (const match of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(unescape(match[1]!))
        token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
          ? unescape(/<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1] ?? '')
          : undefined
      } while (token)
      return keys
    },
  }
}

function unescape(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[name]!)
}
