import auditYml from '../../schemas/cloudflare_audit.yml'
import firewallYml from '../../schemas/cloudflare_firewall.yml'
import httpRequestYml from '../../schemas/cloudflare_httprequest.yml'
import spectrumYml from '../../schemas/cloudflare_spectrum.yml'
import { type CompiledSchema, compileSchema } from './compile'
import { loadSchemaFile } from './load'

// Schema files are bundled as text (wrangler.toml [[rules]]) and compiled once per isolate.
const SCHEMA_FILES: Record<string, string> = {
  'cloudflare_audit.yml': auditYml,
  'cloudflare_firewall.yml': firewallYml,
  'cloudflare_httprequest.yml': httpRequestYml,
  'cloudflare_spectrum.yml': spectrumYml,
}

/** Compiles a set of schema files into a dataset -> schema map. */
export function compileRegistry(files: Record<string, string>): Map<string, CompiledSchema> {
  const byDataset = new Map<string, CompiledSchema>()
  for (const [name, text] of Object.entries(files)) {
    const schema = compileSchema(loadSchemaFile(name, text))
    if (byDataset.has(schema.dataset)) throw new Error(`${name}: dataset ${schema.dataset} is served by two schema files`)
    byDataset.set(schema.dataset, schema)
  }
  return byDataset
}

let registry: Map<string, CompiledSchema> | undefined

/** The schemas of this build, by Logpush dataset name. */
export function schemas(): Map<string, CompiledSchema> {
  registry ??= compileRegistry(SCHEMA_FILES)
  return registry
}

/** The Logpush dataset names this build serves, sorted. */
export function knownDatasets(): string[] {
  return [...schemas().keys()].sort()
}
