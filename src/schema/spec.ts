import { z } from 'zod'

export const scalarTypes = ['string', 'boolean', 'bigint', 'int', 'smallint', 'float', 'timestamp', 'json'] as const
export const indicatorKinds = ['ip', 'domain', 'hostname', 'url', 'net_addr', 'trace_id', 'email', 'username', 'sha256', 'sha1', 'md5', 'mac'] as const
/**
 * `cloudflare`: every encoding Logpush writes (unix s/ms/µs/ns by magnitude, RFC 3339) and
 * `YYYY-MM-DD HH:MM:SS[.fraction]` as UTC; `http-date`: an HTTP header's IMF-fixdate;
 * `unix_ms`: integer milliseconds whatever their magnitude.
 */
export const timeFormatNames = ['cloudflare', 'http-date', 'unix_ms'] as const
export const scopes = ['zone', 'account'] as const

export type ScalarType = (typeof scalarTypes)[number]
export type IndicatorKind = (typeof indicatorKinds)[number]
export type TimeFormat = (typeof timeFormatNames)[number]
export type Scope = (typeof scopes)[number]

/** A value's type: a scalar, an array of `element`, a struct with `fields`, or a map of `element`. */
export type ValueSpec =
  | { type: ScalarType; timeFormats?: TimeFormat[] }
  | { type: 'array'; element: ValueSpec }
  | { type: 'object'; fields: FieldSpec[] }
  | { type: 'object'; element: ValueSpec }

export type FieldSpec = ValueSpec & {
  name: string
  description?: string
  required?: boolean
  indicators?: IndicatorKind[]
  isEventTime?: boolean
}

const timeFormats = z
  .array(z.enum(timeFormatNames, { message: `expected one of ${timeFormatNames.join(', ')}` }))
  .min(1)
  .refine((list) => new Set(list).size === list.length, 'lists a time format twice')
  // Both read integers, one by magnitude and one always as milliseconds: together they are ambiguous.
  .refine((list) => !(list.includes('cloudflare') && list.includes('unix_ms')), 'cloudflare and unix_ms both read integers: choose one')

// `scope: zone`, or `scope: [zone, account]` for a dataset Cloudflare offers at both levels (with
// different fields) that one schema takes: read as a list either way.
const scope = z.preprocess(
  (v) => (typeof v === 'string' ? [v] : v),
  z
    .array(z.enum(scopes, { error: (issue) => `expected zone or account, got ${JSON.stringify(issue.input)}` }), {
      error: 'expected zone, account or a list of them',
    })
    .min(1)
    .refine((list) => new Set(list).size === list.length, 'lists a scope twice'),
)

// A time format says how a timestamp is written: on any other type it would be silently ignored.
function timeFormatsOnTimestamps(s: { type: string; timeFormats?: unknown }): boolean {
  return s.timeFormats === undefined || s.type === 'timestamp'
}
const onlyOnTimestamps = { message: 'timeFormats apply to timestamps only', path: ['timeFormats'] }

const valueSpec: z.ZodType<ValueSpec> = z.lazy(() =>
  z.union([
    z.strictObject({ type: z.enum(scalarTypes), timeFormats: timeFormats.optional() }).refine(timeFormatsOnTimestamps, onlyOnTimestamps),
    z.strictObject({ type: z.literal('array'), element: valueSpec }),
    z.strictObject({ type: z.literal('object'), fields: z.array(fieldSpec).min(1) }),
    z.strictObject({ type: z.literal('object'), element: valueSpec }),
  ]),
)

const fieldProps = {
  // Events are plain objects: a field named like an Object.prototype member (constructor,
  // toString, __proto__) would read the inherited member when the event lacks the field.
  name: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier')
    .refine((n) => !(n in Object.prototype), 'is the name of a member of every JavaScript object'),
  description: z.string().optional(),
  required: z.boolean().optional(),
  indicators: z.array(z.enum(indicatorKinds)).optional(),
  isEventTime: z.boolean().optional(),
}

const fieldSpec: z.ZodType<FieldSpec> = z.lazy(() =>
  z.union([
    z.strictObject({ ...fieldProps, type: z.enum(scalarTypes), timeFormats: timeFormats.optional() }).refine(timeFormatsOnTimestamps, onlyOnTimestamps),
    z.strictObject({ ...fieldProps, type: z.literal('array'), element: valueSpec }),
    z.strictObject({ ...fieldProps, type: z.literal('object'), fields: z.array(fieldSpec).min(1) }),
    z.strictObject({ ...fieldProps, type: z.literal('object'), element: valueSpec }),
  ]),
)

/** One schema file: Panther's log schema format plus the Logpush dataset and output table it serves. */
export const schemaFileSpec = z
  .strictObject({
    schema: z.string().regex(/^[A-Z][A-Za-z0-9]*(\.[A-Z][A-Za-z0-9]*)+$/, 'must look like Vendor.Type'),
    description: z.string().optional(),
    referenceURL: z.url().optional(),
    dataset: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a lower_snake_case Logpush dataset name'),
    scope,
    table: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a lower_snake_case table name'),
    fields: z.array(fieldSpec).min(1),
  })
  .superRefine((file, ctx) => {
    // One event time field, required; or several, none required, and the first one a line has
    // is its event time (a dataset whose zone and account variants name the time differently).
    const eventTime = file.fields.flatMap((f, i) => (f.isEventTime ? [{ f, i }] : []))
    if (eventTime.length === 0) ctx.addIssue({ code: 'custom', path: ['fields'], message: 'needs an isEventTime field, has none' })
    for (const { f, i } of eventTime) {
      if (f.type !== 'timestamp') {
        ctx.addIssue({ code: 'custom', path: ['fields', i, 'isEventTime'], message: `${f.name}: the event time field must be a timestamp` })
      } else if (eventTime.length === 1 && !f.required) {
        ctx.addIssue({ code: 'custom', path: ['fields', i, 'isEventTime'], message: `${f.name}: the only event time field must be required` })
      } else if (eventTime.length > 1 && f.required) {
        const names = eventTime.map((e) => e.f.name).join(', ')
        ctx.addIssue({
          code: 'custom',
          path: ['fields', i, 'required'],
          message: `${f.name}: one of several event time fields (${names}), which a line needs any one of: none is required`,
        })
      }
    }
    const seen = new Set<string>()
    file.fields.forEach((f, i) => {
      if (seen.has(f.name)) ctx.addIssue({ code: 'custom', path: ['fields', i, 'name'], message: `duplicate field ${f.name}` })
      seen.add(f.name)
    })
  })

export type SchemaFile = z.infer<typeof schemaFileSpec>

/** One dataset's schema in the manifest: the validated file and the name of the file it came from. */
export type ManifestEntry = SchemaFile & { file: string }

/** Every schema of the build, by Logpush dataset name (sorted): what scripts/build-manifest.mjs writes. */
export interface Manifest {
  datasets: Record<string, ManifestEntry>
}
