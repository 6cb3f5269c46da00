import { z } from 'zod'

export const scalarTypes = ['string', 'boolean', 'bigint', 'int', 'smallint', 'float', 'timestamp', 'json'] as const
export const indicatorKinds = ['ip', 'domain', 'trace_id', 'email', 'username'] as const

export type ScalarType = (typeof scalarTypes)[number]
export type IndicatorKind = (typeof indicatorKinds)[number]

/** A value's type: a scalar, an array of `element`, a struct with `fields`, or a map of `element`. */
export type ValueSpec =
  | { type: ScalarType; timeFormats?: string[] }
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

const timeFormats = z.array(z.literal('cloudflare', { message: 'only the "cloudflare" time format is supported' }))

const valueSpec: z.ZodType<ValueSpec> = z.lazy(() =>
  z.union([
    z.strictObject({ type: z.enum(scalarTypes), timeFormats: timeFormats.optional() }),
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
    z.strictObject({ ...fieldProps, type: z.enum(scalarTypes), timeFormats: timeFormats.optional() }),
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
    table: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a lower_snake_case table name'),
    fields: z.array(fieldSpec).min(1),
  })
  .superRefine((file, ctx) => {
    const eventTime = file.fields.filter((f) => f.isEventTime)
    if (eventTime.length !== 1) {
      const names = eventTime.length > 0 ? ` (${eventTime.map((f) => f.name).join(', ')})` : ''
      ctx.addIssue({ code: 'custom', path: ['fields'], message: `needs exactly one isEventTime field, has ${eventTime.length}${names}` })
    }
    for (const [i, f] of eventTime.entries()) {
      if (f.type !== 'timestamp' || !f.required) {
        ctx.addIssue({ code: 'custom', path: ['fields', i, 'isEventTime'], message: `${f.name}: the event time field must be a required timestamp` })
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
