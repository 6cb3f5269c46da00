import { describe, expect, it } from 'vitest'
import reference from '../../../shared/reference/panther-cloudflare-logs.txt?raw'
import auditYml from '../../schemas/cloudflare_audit.yml?raw'
import firewallYml from '../../schemas/cloudflare_firewall.yml?raw'
import httpYml from '../../schemas/cloudflare_httprequest.yml?raw'
import spectrumYml from '../../schemas/cloudflare_spectrum.yml?raw'
import { loadSchemaFile, SchemaFileError } from '../../src/schema/load'
import { compileRegistry, knownDatasets, schemas } from '../../src/schema/registry'
import type { FieldSpec, ValueSpec } from '../../src/schema/spec'

const FILES = {
  'cloudflare_audit.yml': auditYml,
  'cloudflare_firewall.yml': firewallYml,
  'cloudflare_httprequest.yml': httpYml,
  'cloudflare_spectrum.yml': spectrumYml,
}

// The contract's table of datasets.
const DATASETS = [
  { file: 'cloudflare_audit.yml', dataset: 'audit_logs', logType: 'Cloudflare.Audit', table: 'cloudflare_audit', eventTime: 'When' },
  { file: 'cloudflare_firewall.yml', dataset: 'firewall_events', logType: 'Cloudflare.Firewall', table: 'cloudflare_firewall', eventTime: 'Datetime' },
  { file: 'cloudflare_httprequest.yml', dataset: 'http_requests', logType: 'Cloudflare.HttpRequest', table: 'cloudflare_httprequest', eventTime: 'EdgeStartTimestamp' },
  { file: 'cloudflare_spectrum.yml', dataset: 'spectrum_events', logType: 'Cloudflare.Spectrum', table: 'cloudflare_spectrum', eventTime: 'Timestamp' },
] as const

function typeText(spec: ValueSpec): string {
  if (spec.type === 'array') return `[${typeText(spec.element)}]`
  if (spec.type === 'object') return 'element' in spec ? `{string:${typeText(spec.element)}}` : 'object'
  return spec.type
}

/** Columns and types per log type, read from Panther's reference page. */
function referenceColumns(): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>()
  // Audit is given as Panther's YAML, flattened: "- name: X" ... "type: Y".
  const auditText = reference.slice(reference.indexOf('schema: Cloudflare.Audit'), reference.indexOf('When selecting event fields on the Cloudflare UI, make sure you include the "Datetime"'))
  const audit = new Map<string, string>()
  let name = ''
  for (const line of auditText.split('\n')) {
    const n = /^- name: (\w+)$/.exec(line)
    if (n) name = n[1]!
    const t = /^type: (\w+)$/.exec(line)
    if (t && name) audit.set(name, t[1]!)
  }
  out.set('Cloudflare.Audit', audit)
  // The others as tables, one after each "make sure you include the "<event time>" field".
  const sections = reference.split(/make sure you include the "(\w+)" field/)
  const byEventTime: Record<string, string> = { Datetime: 'Cloudflare.Firewall', EdgeStartTimestamp: 'Cloudflare.HttpRequest', Timestamp: 'Cloudflare.Spectrum' }
  for (let i = 1; i < sections.length; i += 2) {
    const columns = new Map<string, string>()
    for (const row of sections[i + 1]!.split('\n')) {
      const m = /^(\w+) \| ([^|]+) \|/.exec(row)
      if (!m || m[1] === 'Column' || m[1]!.startsWith('p_')) continue
      columns.set(m[1]!, m[2]!.replace(/\s+/g, '').replace('{string:string}', '{string:string}'))
    }
    out.set(byEventTime[sections[i]!]!, columns)
  }
  return out
}

// Indicators by the field's meaning, as the contract lists them.
function expectedIndicators(name: string): string[] {
  if (/IP$/.test(name)) return ['ip']
  if (/Host$|ServerName$|^ZoneName$/.test(name)) return ['domain']
  if (/RayID$/.test(name)) return ['trace_id']
  if (name === 'ActorEmail') return ['email']
  if (name === 'ActorID' || name === 'OwnerID') return ['username']
  return []
}

describe('the schema files', () => {
  const columns = referenceColumns()

  for (const d of DATASETS) {
    describe(d.file, () => {
      const file = loadSchemaFile(d.file, FILES[d.file])

      it('loads, and serves the dataset, log type, table and event time of the contract', () => {
        expect(file.schema).toBe(d.logType)
        expect(file.dataset).toBe(d.dataset)
        expect(file.table).toBe(d.table)
        const compiled = schemas().get(d.dataset)!
        expect(compiled.logType).toBe(d.logType)
        expect(compiled.table).toBe(d.table)
        expect(compiled.eventTimeField).toBe(d.eventTime)
      })

      it('has every column of the reference, with its type, and no other', () => {
        const want = columns.get(d.logType)!
        expect(want.size).toBeGreaterThan(10)
        const got = new Map(file.fields.map((f) => [f.name, typeText(f)]))
        expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want))
      })

      it('marks the event time field required and timestamps with timeFormats [cloudflare]', () => {
        const required = file.fields.filter((f) => f.required).map((f) => f.name)
        expect(required).toEqual(d.logType === 'Cloudflare.Audit' ? ['ID', 'ResourceType', 'When'] : [d.eventTime])
        const eventTime = file.fields.filter((f) => f.isEventTime).map((f) => f.name)
        expect(eventTime).toEqual([d.eventTime])
        for (const f of file.fields) if (f.type === 'timestamp') expect(f, f.name).toMatchObject({ timeFormats: ['cloudflare'] })
      })

      it('gives each field the indicators its meaning calls for', () => {
        for (const f of file.fields as FieldSpec[]) expect(f.indicators ?? [], f.name).toEqual(expectedIndicators(f.name))
      })
    })
  }

  it('the registry serves the four datasets', () => {
    expect(knownDatasets()).toEqual(['audit_logs', 'firewall_events', 'http_requests', 'spectrum_events'])
  })

  it('refuses two files for one dataset', () => {
    expect(() => compileRegistry({ 'a.yml': auditYml, 'b.yml': auditYml })).toThrow(/b\.yml: dataset audit_logs is served by two schema files/)
  })
})

describe('a malformed schema file', () => {
  const head = 'schema: Vendor.Thing\ndataset: things\ntable: vendor_thing\nfields:\n  - name: When\n    type: timestamp\n    timeFormats: [cloudflare]\n    required: true\n    isEventTime: true\n'

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
    expect(msg).toBe('vendor_thing.yml: fields[1].type (field Color): expected one of string, boolean, bigint, int, smallint, float, timestamp, json, array, object, got "strin"')
  })

  it('names the field of an unknown indicator and the allowed ones', () => {
    const msg = failure(`${head}  - name: Addr\n    type: string\n    indicators: [ipaddr]\n`)
    expect(msg).toMatch(/^vendor_thing\.yml: fields\[1\]\.indicators\[0\] \(field Addr\): .*"ip".*"username".*got "ipaddr"$/)
  })

  it('names both fields when two claim the event time', () => {
    const msg = failure(`${head}  - name: Later\n    type: timestamp\n    required: true\n    isEventTime: true\n`)
    expect(msg).toBe('vendor_thing.yml: fields: needs exactly one isEventTime field, has 2 (When, Later)')
  })

  it('says so when no field is the event time', () => {
    const msg = failure('schema: Vendor.Thing\ndataset: things\ntable: vendor_thing\nfields:\n  - name: A\n    type: string\n')
    expect(msg).toBe('vendor_thing.yml: fields: needs exactly one isEventTime field, has 0')
  })

  it('names the position of a field without a name', () => {
    const msg = failure(`${head}  - type: string\n    description: no name\n`)
    expect(msg).toBe('vendor_thing.yml: fields[1].name: missing (expected string)')
  })

  it('rejects a bad name', () => {
    expect(failure(`${head}  - name: has space\n    type: string\n`)).toBe('vendor_thing.yml: fields[1].name (field has space): must be an identifier, got "has space"')
  })

  it('rejects a field named like a member of every object', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(failure(`${head}  - name: ${name}\n    type: string\n`)).toBe(`vendor_thing.yml: fields[1].name (field ${name}): is the name of a member of every JavaScript object, got "${name}"`)
    }
  })

  it('reports bad YAML with its line', () => {
    const msg = failure(`${head}  - name: X\n   type: : string\n`)
    expect(msg).toMatch(/^vendor_thing\.yml: not valid YAML: .*line 11/)
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
    expect(failure(`${head}  - name: Color\n    type: string\n    requried: true\n`)).toBe('vendor_thing.yml: fields[1] (field Color): Unrecognized key: "requried"')
  })

  it('names an event time field that is not a required timestamp', () => {
    const msg = failure('schema: Vendor.Thing\ndataset: things\ntable: vendor_thing\nfields:\n  - name: When\n    type: timestamp\n    isEventTime: true\n')
    expect(msg).toBe('vendor_thing.yml: fields[0].isEventTime (field When): When: the event time field must be a required timestamp, got true')
  })

  it('names a duplicate field', () => {
    expect(failure(`${head}  - name: When\n    type: string\n`)).toMatch(/fields\[1\]\.name \(field When\): duplicate field When/)
  })

  it('rejects an unknown time format and a bad log type name', () => {
    expect(failure(`${head}  - name: T2\n    type: timestamp\n    timeFormats: [rfc3339]\n`)).toMatch(/fields\[1\]\.timeFormats\[0\] \(field T2\): only the "cloudflare" time format is supported, got "rfc3339"/)
    expect(failure(head.replace('Vendor.Thing', 'thing'))).toBe('vendor_thing.yml: schema: must look like Vendor.Type, got "thing"')
  })

  it('reports a file that is not a mapping at all', () => {
    expect(failure('just text')).toMatch(/^vendor_thing\.yml: \(root\): .*expected object/)
  })
})
