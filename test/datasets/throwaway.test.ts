import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lazySchemas } from '../../src/schema/registry'
import type { Manifest } from '../../src/schema/spec'
import { datasetFixtures, expectFixtureWritten, expectSameEventsInEveryFormat, FORMATS } from '../helpers/fixtures'

// Adding a dataset is adding a schema file: with test/fixtures/schemas/cloudflare_throwaway.yml
// beside schemas/, the manifest builder serves it and writes it into the README's table, the
// fixture generator writes its batches, and the checks the fixtures suite runs over every dataset
// (the same functions) pass for it; without its fixtures they fail. All in a temp folder: the
// repository's manifest, README and fixtures are not touched.
const ROOT = join(import.meta.dirname, '..', '..')
const THROWAWAY = join(ROOT, 'test/fixtures/schemas')
const script = (name: string, args: string[]) =>
  execFileSync(process.execPath, [join(ROOT, 'scripts', name), ...args], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' })

let dir: string
let manifest: Manifest
let texts: Record<string, string>

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'logpush-edge-throwaway-'))
  copyFileSync(join(ROOT, 'README.md'), join(dir, 'README.md'))
  const build = ['--schemas', join(ROOT, 'schemas'), '--schemas', THROWAWAY, '--out', join(dir, 'manifest.json'), '--readme', join(dir, 'README.md')]
  script('build-manifest.mjs', build)
  script('make-fixtures.mjs', ['--manifest', join(dir, 'manifest.json'), '--out', join(dir, 'fixtures')])
  manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest
  texts = Object.fromEntries(
    readdirSync(join(dir, 'fixtures'))
      .filter((f) => f.endsWith('.ndjson'))
      .map((f) => [f, readFileSync(join(dir, 'fixtures', f), 'utf8')]),
  )
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('a throwaway schema file beside schemas/', () => {
  it('is in the manifest, beside every schema of schemas/, and in the README table', () => {
    const served = readdirSync(join(ROOT, 'schemas')).filter((f) => f.endsWith('.yml')).length
    expect(Object.keys(manifest.datasets)).toHaveLength(served + 1)
    expect(manifest.datasets.throwaway_events).toMatchObject({
      file: 'cloudflare_throwaway.yml',
      schema: 'Cloudflare.Throwaway',
      table: 'cloudflare_throwaway',
    })
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('| `throwaway_events` | zone | `Cloudflare.Throwaway` | `cloudflare_throwaway` |')
  })

  it('makes the committed manifest stale, as CI checks, and passes the check once built', () => {
    const both = ['--schemas', join(ROOT, 'schemas'), '--schemas', THROWAWAY]
    expect(() => script('build-manifest.mjs', [...both, '--check'])).toThrow(/stale: src\/schema\/manifest\.generated\.json/)
    expect(script('build-manifest.mjs', [...both, '--check', '--out', join(dir, 'manifest.json'), '--readme', join(dir, 'README.md')])).toContain('up to date')
  })

  it('gets fixtures in every timestamp format, and only those formats', () => {
    const formats = new Set(
      Object.keys(texts)
        .filter((f) => f.startsWith('throwaway_events.'))
        .map((f) => f.split('.')[1]),
    )
    expect([...formats].sort()).toEqual([...FORMATS].sort())
  })

  it('passes the checks the fixtures suite runs over every dataset, as every other dataset does', async () => {
    const schemas = lazySchemas(manifest)
    for (const dataset of Object.keys(manifest.datasets)) {
      const runs = await Promise.all(datasetFixtures([dataset], texts).map((f) => expectFixtureWritten(schemas.get(dataset)!, f)))
      expectSameEventsInEveryFormat(runs, manifest.datasets[dataset]!)
    }
    const [first] = await Promise.all(datasetFixtures(['throwaway_events'], texts).map((f) => expectFixtureWritten(schemas.get('throwaway_events')!, f)))
    const withIp = first!.events.filter((e) => e.ClientIP !== '')
    expect(withIp.length).toBeGreaterThan(0)
    for (const e of withIp) expect(e.p_any_ip_addresses).toContain(e.ClientIP)
  })

  it('fails those checks when its fixtures are missing', async () => {
    const { 'throwaway_events.unixnano.ndjson': _gone, ...rest } = texts
    const [missing] = datasetFixtures(['throwaway_events'], rest)
    await expect(expectFixtureWritten(lazySchemas(manifest).get('throwaway_events')!, missing!)).rejects.toThrow(
      'fixtures/throwaway_events.unixnano.ndjson is missing',
    )
  })
})
