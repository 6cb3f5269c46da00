import { type CompiledSchema, compileSchema } from './compile'
import manifestJson from './manifest.generated.json'
import type { Manifest, ManifestEntry } from './spec'

// Validated at build time by scripts/build-manifest.mjs against ./spec, so no YAML and no zod here.
const MANIFEST = manifestJson as Manifest

/**
 * A dataset -> schema map that compiles a schema the first time it is asked for: an isolate that
 * serves one dataset compiles one field loop. Knowing the names (`has`, `keys`, `size`) compiles
 * nothing; iterating over the schemas compiles them all.
 */
class LazySchemas extends Map<string, CompiledSchema> {
  readonly #entries: Record<string, ManifestEntry>

  constructor(manifest: Manifest) {
    super()
    this.#entries = manifest.datasets
  }

  override get(dataset: string): CompiledSchema | undefined {
    const compiled = super.get(dataset)
    if (compiled || !Object.hasOwn(this.#entries, dataset)) return compiled
    const schema = compileSchema(this.#entries[dataset]!)
    super.set(dataset, schema)
    return schema
  }

  override has(dataset: string): boolean {
    return Object.hasOwn(this.#entries, dataset)
  }

  override get size(): number {
    return Object.keys(this.#entries).length
  }

  override keys(): MapIterator<string> {
    return new Map(Object.keys(this.#entries).map((k) => [k, k])).keys()
  }

  override entries(): MapIterator<[string, CompiledSchema]> {
    return this.#all().entries()
  }

  override values(): MapIterator<CompiledSchema> {
    return this.#all().values()
  }

  override forEach(fn: (schema: CompiledSchema, dataset: string, map: Map<string, CompiledSchema>) => void, thisArg?: unknown): void {
    this.#all().forEach((schema, dataset) => fn.call(thisArg, schema, dataset, this))
  }

  override [Symbol.iterator](): MapIterator<[string, CompiledSchema]> {
    return this.entries()
  }

  // The manifest is the set of schemas: a schema set here would be one that has() denies.
  override set(): never {
    throw new TypeError('the schemas come from the manifest and are read-only')
  }

  override delete(): never {
    throw new TypeError('the schemas come from the manifest and are read-only')
  }

  override clear(): never {
    throw new TypeError('the schemas come from the manifest and are read-only')
  }

  /** Every schema, compiled, in the manifest's order. */
  #all(): Map<string, CompiledSchema> {
    return new Map(Object.keys(this.#entries).map((dataset) => [dataset, this.get(dataset)!]))
  }
}

/**
 * The schemas of a manifest by dataset, each compiled on first use.
 * @example lazySchemas(manifest).get('http_requests')?.logType // 'Cloudflare.HttpRequest'
 */
export function lazySchemas(manifest: Manifest): Map<string, CompiledSchema> {
  return new LazySchemas(manifest)
}

let registry: Map<string, CompiledSchema> | undefined

/** The schemas of this build, by Logpush dataset name, each compiled the first time it is used. */
export function schemas(): Map<string, CompiledSchema> {
  registry ??= lazySchemas(MANIFEST)
  return registry
}

/** The Logpush dataset names this build serves, sorted. Compiles nothing. */
export function knownDatasets(): string[] {
  return Object.keys(MANIFEST.datasets).sort()
}

/** The validated schema files of this build (the manifest), by dataset. */
export function schemaFiles(): Readonly<Record<string, ManifestEntry>> {
  return MANIFEST.datasets
}
