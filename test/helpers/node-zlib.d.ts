// The decompressors the tests read Parquet pages with, beside what src/formats/node-zlib.d.ts declares.
declare module 'node:zlib' {
  export function zstdDecompressSync(data: Uint8Array): Uint8Array
  export function brotliDecompressSync(data: Uint8Array): Uint8Array
  export function gunzipSync(data: Uint8Array): Uint8Array
}
