// JSON.parse source text access and JSON.rawJSON (ES2025): in V8, so in workerd and Node 22,
// but not yet in TypeScript's lib. They keep integers beyond 2^53 exact from input to output.
interface RawJSON {
  readonly rawJSON: string
}

interface JSONReviverContext {
  readonly source?: string
}

interface JSON {
  rawJSON(text: string): RawJSON
  isRawJSON(value: unknown): value is RawJSON
  parse(text: string, reviver: (this: unknown, key: string, value: unknown, context: JSONReviverContext) => unknown): unknown
}
