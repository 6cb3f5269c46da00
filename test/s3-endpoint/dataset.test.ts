import { describe, expect, it } from 'vitest'
import { ConfigError, readConfig } from '../../src/config'
import { datasetForKey, isOwnershipChallenge } from '../../src/s3-endpoint/dataset'

describe('datasetForKey', () => {
  it('reads the first folder of whatever object name Logpush chose', () => {
    for (const key of [
      'http_requests/20261125/20261125T101010Z_20261125T101110Z_abcd.log.gz',
      'http_requests/20261125/batch.gz',
      'http_requests/anything',
      '/http_requests/x',
    ]) {
      expect(datasetForKey(key)).toBe('http_requests')
    }
    expect(datasetForKey('20261125T101010Z.log.gz')).toBeUndefined()
  })

  it('prefers the longest configured prefix', () => {
    const map = { 'cloudflare/': 'audit_logs', 'cloudflare/fw/': 'firewall_events' }
    expect(datasetForKey('cloudflare/fw/20261125/a.log.gz', map)).toBe('firewall_events')
    expect(datasetForKey('cloudflare/20261125/a.log.gz', map)).toBe('audit_logs')
    expect(datasetForKey('spectrum_events/20261125/a.log.gz', map)).toBe('spectrum_events')
  })
})

describe('isOwnershipChallenge', () => {
  it('matches ownership-challenge*.txt in any folder, and nothing else', () => {
    expect(isOwnershipChallenge('ownership-challenge.txt')).toBe(true)
    expect(isOwnershipChallenge('logs/20261125/ownership-challenge-7f3a.txt')).toBe(true)
    expect(isOwnershipChallenge('logs/ownership-challenge-7f3a.txt.gz')).toBe(false)
    expect(isOwnershipChallenge('ownership-challenge/x.log.gz')).toBe(false)
  })
})

describe('S3 proxy settings', () => {
  const base = {
    S3_ENDPOINT: 'http://127.0.0.1:9000',
    S3_REGION: 'us-east-1',
    S3_BUCKET: 'out',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local-secret',
    INGEST_TOKEN: 'dev-token',
  }
  const problems = (env: Record<string, unknown>) => {
    try {
      readConfig(env)
      return []
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      return (error as ConfigError).problems
    }
  }

  it('reads the dataset map from JSON text or a wrangler table, and the bucket list', () => {
    const config = readConfig({
      ...base,
      S3_PROXY_DATASETS: '{"cf/":"http_requests"}',
      S3_PROXY_BUCKETS: 'a-bucket, b-bucket',
      S3_PROXY_HOST: 'S3.Example.com',
    })
    expect(config.S3_PROXY_DATASETS).toEqual({ 'cf/': 'http_requests' })
    expect(config.S3_PROXY_BUCKETS).toEqual(['a-bucket', 'b-bucket'])
    expect(config.S3_PROXY_HOST).toBe('s3.example.com')
    expect(readConfig({ ...base, S3_PROXY_DATASETS: { 'cf/': 'audit_logs' } }).S3_PROXY_DATASETS).toEqual({ 'cf/': 'audit_logs' })
  })

  it('names a bad setting without echoing it', () => {
    expect(problems({ ...base, S3_PROXY_DATASETS: '{nope' })).toEqual([expect.stringMatching(/^S3_PROXY_DATASETS: must be a JSON object/)])
    expect(problems({ ...base, S3_PROXY_DATASETS: '{"cf/":"http_request"}' })).toEqual([
      expect.stringMatching(/^S3_PROXY_DATASETS: maps "cf\/" to "http_request", which is not a served dataset \(served: .*http_requests/),
    ])
    expect(problems({ ...base, S3_PROXY_DATASETS: '{"cf/":"Not A Dataset"}' })[0]).toMatch(/^S3_PROXY_DATASETS/)
    expect(problems({ ...base, S3_PROXY_HOST: 'https://s3.example.com' })[0]).toMatch(/^S3_PROXY_HOST/)
    expect(problems({ ...base, S3_PROXY_BUCKETS: 'UPPER' })[0]).toMatch(/^S3_PROXY_BUCKETS/)
  })
})
