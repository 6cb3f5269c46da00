import { parse as parseYaml } from 'yaml'
import type { z } from 'zod'
import { type Manifest, type ManifestEntry, type SchemaFile, scalarTypes, schemaFileSpec } from './spec'

const TYPE_NAMES = [...scalarTypes, 'array', 'object']

/** Thrown when a schema file is not valid YAML or not a valid schema; names the file and the field. */
export class SchemaFileError extends Error {
  override name = 'SchemaFileError'
}

function fieldLabel(doc: unknown, path: PropertyKey[]): string {
  const names: string[] = []
  let node: unknown = doc
  for (const key of path) {
    if (node === null || typeof node !== 'object') break
    node = (node as Record<PropertyKey, unknown>)[key]
    const name = node !== null && typeof node === 'object' ? (node as { name?: unknown }).name : undefined
    if (typeof name === 'string') names.push(name)
  }
  return names.length > 0 ? ` (field ${names.join('.')})` : ''
}

interface Problem {
  path: PropertyKey[]
  message: string
}

/**
 * zod reports a field that fits no branch of a union as "Invalid input" and keeps each branch's
 * issues aside. The branches whose `type` matched are the one the author meant: report theirs.
 */
function problems(issue: z.core.$ZodIssue, base: PropertyKey[]): Problem[] {
  const path = [...base, ...issue.path]
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [{ path, message: issue.message }]
  const meant = issue.errors.filter((branch) => !branch.some((i) => i.path.length === 1 && i.path[0] === 'type'))
  if (meant.length === 0) return [{ path: [...path, 'type'], message: `expected one of ${TYPE_NAMES.join(', ')}` }]
  return meant.flatMap((branch) => branch.flatMap((i) => problems(i, path)))
}

function valueAt(doc: unknown, path: PropertyKey[]): unknown {
  let node = doc
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<PropertyKey, unknown>)[key]
  }
  return node
}

function describeProblem(doc: unknown, { path, message }: Problem): string {
  const where = path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '')
  const missing = /^Invalid input: expected (\w+), received undefined$/.exec(message)
  let text = missing ? `missing (expected ${missing[1]})` : message
  const got = valueAt(doc, path)
  if (!missing && got !== undefined && (got === null || typeof got !== 'object')) text += `, got ${JSON.stringify(got)}`
  return `${where || '(root)'}${fieldLabel(doc, path)}: ${text}`
}

/**
 * Parses and validates one schema file.
 * @example const schema = loadSchemaFile('cloudflare_audit.yml', yamlText)
 */
export function loadSchemaFile(fileName: string, text: string): SchemaFile {
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (err) {
    throw new SchemaFileError(`${fileName}: not valid YAML: ${(err as Error).message}`)
  }
  const parsed = schemaFileSpec.safeParse(doc)
  if (!parsed.success) {
    const messages = parsed.error.issues.flatMap((issue) => problems(issue, [])).map((p) => describeProblem(doc, p))
    throw new SchemaFileError(`${fileName}: ${[...new Set(messages)].join('; ')}`)
  }
  return parsed.data
}

/**
 * Validates a set of schema files (file name -> YAML text) into the manifest the Worker imports:
 * one entry per dataset, sorted by dataset. A dataset, log type or table claimed by two files is
 * an error naming both.
 * @example const manifest = buildManifest({ 'cloudflare_audit.yml': yamlText })
 */
export function buildManifest(files: Record<string, string>): Manifest {
  const entries: ManifestEntry[] = []
  for (const name of Object.keys(files).sort()) {
    const entry: ManifestEntry = { file: name, ...loadSchemaFile(name, files[name]!) }
    for (const key of ['dataset', 'schema', 'table'] as const) {
      const other = entries.find((e) => e[key] === entry[key])
      const what = key === 'schema' ? 'log type' : key
      if (other) throw new SchemaFileError(`${name}: ${what} ${entry[key]} is served by two schema files (${other.file}, ${name})`)
    }
    entries.push(entry)
  }
  entries.sort((a, b) => (a.dataset < b.dataset ? -1 : a.dataset > b.dataset ? 1 : 0))
  return { datasets: Object.fromEntries(entries.map((e) => [e.dataset, e])) }
}
