import { parse as parseYaml } from 'yaml'
import { type SchemaFile, schemaFileSpec } from './spec'

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
    const problems = parsed.error.issues.map((issue) => {
      const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')
      return `${where || '(root)'}${fieldLabel(doc, issue.path)}: ${issue.message}`
    })
    throw new SchemaFileError(`${fileName}: ${problems.join('; ')}`)
  }
  return parsed.data
}
