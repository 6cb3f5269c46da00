import { describe, expect, it } from 'vitest'
import { buildManifest, loadSchemaFile, SchemaFileError } from '../../src/schema/load'
import { knownDatasets, lazySchemas, schemaFiles, schemas } from '../../src/schema/registry'
import type { FieldSpec, Manifest, ValueSpec } from '../../src/schema/spec'
// Panther's columns and types, taken from its reference page by scripts/panther-fields.mjs.
import pantherColumns from './panther-fields.json'

// The contract's table of datasets: Panther's four log types.
const DATASETS = [
  { file: 'cloudflare_audit.yml', dataset: 'audit_logs', logType: 'Cloudflare.Audit', table: 'cloudflare_audit', eventTime: 'When' },
  { file: 'cloudflare_firewall.yml', dataset: 'firewall_events', logType: 'Cloudflare.Firewall', table: 'cloudflare_firewall', eventTime: 'Datetime' },
  {
    file: 'cloudflare_httprequest.yml',
    dataset: 'http_requests',
    logType: 'Cloudflare.HttpRequest',
    table: 'cloudflare_httprequest',
    eventTime: 'EdgeStartTimestamp',
  },
  { file: 'cloudflare_spectrum.yml', dataset: 'spectrum_events', logType: 'Cloudflare.Spectrum', table: 'cloudflare_spectrum', eventTime: 'Timestamp' },
] as const

function typeText(spec: ValueSpec): string {
  if (spec.type === 'array') return `[${typeText(spec.element)}]`
  if (spec.type === 'object') return 'element' in spec ? `{string:${typeText(spec.element)}}` : 'object'
  return spec.type
}

// The contract's meaning rules, by name: a field so named must carry that kind (a name is
// evidence of meaning, not the whole of it, so fields may carry kinds no rule here names).
const MEANINGS: [RegExp, string][] = [
  [/(IP|IPs|Ip|IPAddress|IPv[46]Address)$/, 'ip'],
  [/(RayID|rayId)$/, 'trace_id'],
  [/Email$/, 'email'],
  [/(Host|ServerName|Hostname)$/, 'hostname'],
  [/URL$/, 'url'],
]

/** Every field of a schema, nested ones with their path, with the scalar type its values have. */
function* leaves(fields: readonly FieldSpec[], prefix = ''): Generator<{ path: string; name: string; spec: FieldSpec; scalar: string }> {
  for (const f of fields) {
    let inner: ValueSpec = f
    while (inner.type === 'array' || (inner.type === 'object' && 'element' in inner)) inner = inner.element
    if (inner.type === 'object') yield* leaves(inner.fields, `${prefix}${f.name}.`)
    else yield { path: `${prefix}${f.name}`, name: f.name, spec: f, scalar: inner.type }
  }
}

const HEAD =
  'schema: Vendor.Thing\ndataset: things\nscope: zone\ntable: vendor_thing\nfields:\n  - name: When\n    type: timestamp\n    timeFormats: [cloudflare]\n    required: true\n    isEventTime: true\n'

describe('the schema files', () => {
  const columns: Record<string, Record<string, string>> = pantherColumns

  for (const d of DATASETS) {
    describe(d.file, () => {
      const file = schemaFiles()[d.dataset]!

      it('is in the manifest, and serves the dataset, log type, table and event time of the contract', () => {
        expect(file.file).toBe(d.file)
        expect(file.schema).toBe(d.logType)
        expect(file.table).toBe(d.table)
        const compiled = schemas().get(d.dataset)!
        expect(compiled.logType).toBe(d.logType)
        expect(compiled.table).toBe(d.table)
        expect(compiled.eventTimeField).toBe(d.eventTime)
      })

      it("keeps every one of Panther's columns with its type", () => {
        const want = columns[d.logType]!
        expect(Object.keys(want).length).toBeGreaterThan(10)
        const got = Object.fromEntries(file.fields.map((f) => [f.name, typeText(f)]))
        for (const [name, type] of Object.entries(want)) expect(got[name], name).toBe(type)
      })

      it('marks the event time field required, timestamps with timeFormats [cloudflare] and HTTP dates with [cloudflare, http-date]', () => {
        const required = file.fields.filter((f) => f.required).map((f) => f.name)
        expect(required).toEqual(d.logType === 'Cloudflare.Audit' ? ['ID', 'ResourceType', 'When'] : [d.eventTime])
        const eventTime = file.fields.filter((f) => f.isEventTime).map((f) => f.name)
        expect(eventTime).toEqual([d.eventTime])
        for (const f of file.fields) {
          const httpDate = f.name === 'OriginResponseHTTPExpires' || f.name === 'OriginResponseHTTPLastModified'
          if (f.type === 'timestamp') expect(f, f.name).toMatchObject({ timeFormats: httpDate ? ['cloudflare', 'http-date'] : ['cloudflare'] })
        }
      })
    })
  }

  describe('indicators, in every schema', () => {
    for (const [dataset, file] of Object.entries(schemaFiles())) {
      it(`${dataset}: each field named for a meaning carries its kind, and only text carries any`, () => {
        for (const { path, name, spec, scalar } of leaves(file.fields)) {
          const kinds = spec.indicators ?? []
          for (const [pattern, kind] of MEANINGS) if (pattern.test(name)) expect(kinds, path).toContain(kind)
          if (kinds.length > 0) expect(scalar, path).toBe('string')
          // A value is either a bare domain name or a host that may be an address, never both.
          expect(kinds.includes('domain') && kinds.includes('hostname'), path).toBe(false)
        }
      })
    }
  })

  it('the registry serves every dataset of the manifest, the four of the contract among them', () => {
    const names = Object.keys(schemaFiles())
    expect(knownDatasets()).toEqual([...names].sort())
    expect(knownDatasets()).toEqual(expect.arrayContaining(DATASETS.map((d) => d.dataset)))
    expect([...schemas().keys()]).toEqual(names)
    expect(schemas().size).toBe(names.length)
    for (const name of names) expect(schemas().get(name)!.dataset).toBe(name)
    expect(schemas().get('no_such_dataset')).toBeUndefined()
    expect(schemas().has('no_such_dataset')).toBe(false)
  })

  it('compiles a schema on first use, and only that one', () => {
    const good = buildManifest({ 'vendor_thing.yml': HEAD }).datasets.things!
    // An entry that would fail to compile (no event time field): only asking for it shows it.
    const broken = { ...good, dataset: 'broken', fields: [{ name: 'When', type: 'timestamp' as const }] }
    const map = lazySchemas({ datasets: { broken, things: good } } satisfies Manifest)
    expect(map.has('broken')).toBe(true)
    expect([...map.keys()]).toEqual(['broken', 'things'])
    const things = map.get('things')!
    expect(things.eventTimeField).toBe('When')
    expect(map.get('things')).toBe(things)
    expect(() => map.get('broken')).toThrow()
    expect(() => [...map.values()]).toThrow()
    expect(() => map.set('x', things)).toThrow(/read-only/)
  })

  it('builds the manifest sorted by dataset, and refuses two files for one dataset, log type or table', () => {
    const other = HEAD.replace('Vendor.Thing', 'Vendor.Other').replace('things', 'alpha').replace('vendor_thing', 'vendor_other')
    expect(Object.keys(buildManifest({ 'b.yml': HEAD, 'a.yml': other }).datasets)).toEqual(['alpha', 'things'])
    expect(buildManifest({ 'b.yml': HEAD }).datasets.things!.file).toBe('b.yml')
    expect(() => buildManifest({ 'a.yml': HEAD, 'b.yml': HEAD.replace('Vendor.Thing', 'Vendor.Other').replace('vendor_thing', 'vendor_other') })).toThrow(
      'b.yml: dataset things is served by two schema files (a.yml, b.yml)',
    )
    expect(() => buildManifest({ 'a.yml': HEAD, 'b.yml': HEAD.replace('things', 'others').replace('vendor_thing', 'vendor_other') })).toThrow(
      'b.yml: log type Vendor.Thing is served by two schema files (a.yml, b.yml)',
    )
    expect(() => buildManifest({ 'a.yml': HEAD, 'b.yml': HEAD.replace('things', 'others').replace('Vendor.Thing', 'Vendor.Other') })).toThrow(
      'b.yml: table vendor_thing is served by two schema files (a.yml, b.yml)',
    )
    expect(() => buildManifest({ 'a.yml': HEAD, 'b.yml': 'schema: x' })).toThrow(SchemaFileError)
  })
})

describe('a malformed schema file', () => {
  const head = HEAD

  function failure(text: string): string {
    try {
      loadSchemaFile('vendor_thing.yml', text)
    } catch (err) {
      expect(err).toBeInstanceOf(SchemaFileError)
      return (err as Error).message
    }
    throw new Error('the file loaded')
  }

  it('loads when it is well formed', () => {
    expect(loadSchemaFile('vendor_thing.yml', `${head}  - name: Tags\n    type: array\n    element:\n      type: string\n`).fields).toHaveLength(2)
  })

  it('names the file and the field of a bad type, and the allowed types', () => {
    const msg = failure(`${head}  - name: Color\n    type: strin\n`)
    expect(msg).toBe(
      'vendor_thing.yml: fields[1].type (field Color): expected one of string, boolean, bigint, int, smallint, float, timestamp, json, array, object, got "strin"',
    )
  })

  it('names the field of an unknown indicator and the allowed ones', () => {
    const msg = failure(`${head}  - name: Addr\n    type: string\n    indicators: [ipaddr]\n`)
    expect(msg).toMatch(/^vendor_thing\.yml: fields\[1\]\.indicators\[0\] \(field Addr\): .*"ip".*"username".*got "ipaddr"$/)
  })

  it('takes several event time fields when none is required', () => {
    const text =
      'schema: Vendor.Thing\ndataset: things\nscope: [zone, account]\ntable: vendor_thing\nfields:\n  - name: When\n    type: timestamp\n    isEventTime: true\n  - name: whenNanos\n    type: timestamp\n    isEventTime: true\n'
    expect(
      loadSchemaFile('vendor_thing.yml', text)
        .fields.filter((f) => f.isEventTime)
        .map((f) => f.name),
    ).toEqual(['When', 'whenNanos'])
  })

  it('names each of several event time fields that is required', () => {
    const msg = failure(`${head}  - name: Later\n    type: timestamp\n    isEventTime: true\n`)
    expect(msg).toBe(
      'vendor_thing.yml: fields[0].required (field When): When: one of several event time fields (When, Later), which a line needs any one of: none is required, got true',
    )
  })

  it('says so when no field is the event time', () => {
    const msg = failure('schema: Vendor.Thing\ndataset: things\nscope: zone\ntable: vendor_thing\nfields:\n  - name: A\n    type: string\n')
    expect(msg).toBe('vendor_thing.yml: fields: needs an isEventTime field, has none')
  })

  it('names an event time field that is not a timestamp', () => {
    const msg = failure(
      'schema: Vendor.Thing\ndataset: things\nscope: zone\ntable: vendor_thing\nfields:\n  - name: When\n    type: string\n    required: true\n    isEventTime: true\n',
    )
    expect(msg).toBe('vendor_thing.yml: fields[0].isEventTime (field When): When: the event time field must be a timestamp, got true')
  })

  it('takes a scope or a list of scopes, and nothing else', () => {
    const body = head.replace('scope: zone\n', '')
    expect(loadSchemaFile('vendor_thing.yml', body.replace('table:', 'scope: account\ntable:')).scope).toEqual(['account'])
    expect(loadSchemaFile('vendor_thing.yml', body.replace('table:', 'scope: [zone, account]\ntable:')).scope).toEqual(['zone', 'account'])
    expect(failure(body)).toBe('vendor_thing.yml: scope: expected zone, account or a list of them')
    expect(failure(body.replace('table:', 'scope: zones\ntable:'))).toBe('vendor_thing.yml: scope[0]: expected zone or account, got "zones"')
    expect(failure(body.replace('table:', 'scope: [zone, zone]\ntable:'))).toBe('vendor_thing.yml: scope: lists a scope twice')
  })

  it('names the position of a field without a name', () => {
    const msg = failure(`${head}  - type: string\n    description: no name\n`)
    expect(msg).toBe('vendor_thing.yml: fields[1].name: missing (expected string)')
  })

  it('rejects a bad name', () => {
    expect(failure(`${head}  - name: has space\n    type: string\n`)).toBe(
      'vendor_thing.yml: fields[1].name (field has space): must be an identifier, got "has space"',
    )
  })

  it('rejects a field named like a member of every object', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(failure(`${head}  - name: ${name}\n    type: string\n`)).toBe(
        `vendor_thing.yml: fields[1].name (field ${name}): is the name of a member of every JavaScript object, got "${name}"`,
      )
    }
  })

  it('reports bad YAML with its line', () => {
    const msg = failure(`${head}  - name: X\n   type: : string\n`)
    expect(msg).toMatch(/^vendor_thing\.yml: not valid YAML: .*line 12/)
  })

  it('reports a duplicate key in YAML', () => {
    expect(failure(`${head}  - name: X\n    type: string\n    type: int\n`)).toMatch(/^vendor_thing\.yml: not valid YAML: Map keys must be unique/)
  })

  it('names the field of an array without element, and a bad element type', () => {
    expect(failure(`${head}  - name: Tags\n    type: array\n`)).toBe('vendor_thing.yml: fields[1].element (field Tags): missing (expected object)')
    expect(failure(`${head}  - name: Tags\n    type: array\n    element:\n      type: strng\n`)).toBe(
      'vendor_thing.yml: fields[1].element.type (field Tags): expected one of string, boolean, bigint, int, smallint, float, timestamp, json, array, object, got "strng"',
    )
  })

  it('names a misspelt key', () => {
    expect(failure(`${head}  - name: Color\n    type: string\n    requried: true\n`)).toBe(
      'vendor_thing.yml: fields[1] (field Color): Unrecognized key: "requried"',
    )
  })

  it('names a single event time field that is not required', () => {
    const msg = failure(
      'schema: Vendor.Thing\ndataset: things\nscope: zone\ntable: vendor_thing\nfields:\n  - name: When\n    type: timestamp\n    isEventTime: true\n',
    )
    expect(msg).toBe('vendor_thing.yml: fields[0].isEventTime (field When): When: the only event time field must be required, got true')
  })

  it('names a duplicate field', () => {
    expect(failure(`${head}  - name: When\n    type: string\n`)).toMatch(/fields\[1\]\.name \(field When\): duplicate field When/)
  })

  it('rejects an unknown time format and a bad log type name', () => {
    expect(failure(`${head}  - name: T2\n    type: timestamp\n    timeFormats: [rfc3339]\n`)).toBe(
      'vendor_thing.yml: fields[1].timeFormats[0] (field T2): expected one of cloudflare, http-date, unix_ms, got "rfc3339"',
    )
    expect(failure(head.replace('Vendor.Thing', 'thing'))).toBe('vendor_thing.yml: schema: must look like Vendor.Type, got "thing"')
  })

  it('takes the time formats it knows, each once, and only on timestamps', () => {
    const field = (formats: string) => `${head}  - name: T2\n    type: timestamp\n    timeFormats: ${formats}\n`
    for (const formats of ['[cloudflare, http-date]', '[unix_ms]', '[http-date]', '[unix_ms, http-date]'])
      expect(loadSchemaFile('vendor_thing.yml', field(formats)).fields).toHaveLength(2)
    expect(failure(field('[cloudflare, unix_ms]'))).toBe(
      'vendor_thing.yml: fields[1].timeFormats (field T2): cloudflare and unix_ms both read integers: choose one',
    )
    expect(failure(field('[http-date, http-date]'))).toBe('vendor_thing.yml: fields[1].timeFormats (field T2): lists a time format twice')
    expect(failure(field('[]'))).toMatch(/^vendor_thing\.yml: fields\[1\]\.timeFormats \(field T2\): Too small/)
    expect(failure(`${head}  - name: S\n    type: string\n    timeFormats: [cloudflare]\n`)).toBe(
      'vendor_thing.yml: fields[1].timeFormats (field S): timeFormats apply to timestamps only',
    )
  })

  it('reports a file that is not a mapping at all', () => {
    expect(failure('just text')).toMatch(/^vendor_thing\.yml: \(root\): .*expected object/)
  })
})
