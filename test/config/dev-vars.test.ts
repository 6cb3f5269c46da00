import { describe, expect, it } from 'vitest'
import devVars from '../../.dev.vars.example?raw'
import { commonSettings } from '../../src/config'

// `npm start` reads its defaults, and which variables its environment may override, from
// .dev.vars.example: a setting missing there could be set neither way.
describe('.dev.vars.example', () => {
  it('names every setting of the Worker, set or commented out', () => {
    const named = new Set([...devVars.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]))
    const settings = [...Object.keys(commonSettings.shape), 'SINK', 'S3_ENDPOINT', 'S3_REGION', 'S3_BUCKET', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']
    expect(settings.filter((name) => !named.has(name))).toEqual([])
  })
})
