// The part of node:zlib that the formats use, as workerd implements it natively: a gzip stream for
// GzipNdjsonWriter, one-shot compressors for Parquet pages.
// Not @types/node: it would declare all of Node's globals (Buffer, process) for a Worker whose
// other code must keep to Web Standards.
declare module 'node:zlib' {
  export interface Gzip extends AsyncIterable<Uint8Array> {
    readonly destroyed: boolean
    /**
     * false once the input zlib holds reaches its high-water mark: wait for 'drain'. `done` runs
     * once zlib has consumed `chunk` (or the stream was torn down): only then may it be reused.
     */
    write(chunk: Uint8Array, done?: (error?: Error | null) => void): boolean
    end(): this
    destroy(error?: Error): this
    on(event: 'drain' | 'close', listener: () => void): this
    off(event: 'drain' | 'close', listener: () => void): this
  }

  export function createGzip(options?: { level?: number }): Gzip
  export function gzipSync(data: Uint8Array, options?: { level?: number; chunkSize?: number }): Uint8Array
  export function zstdCompressSync(data: Uint8Array, options?: { params?: Record<number, number> }): Uint8Array
  export function brotliCompressSync(data: Uint8Array, options?: { params?: Record<number, number> }): Uint8Array
  export const constants: { readonly ZSTD_c_compressionLevel: number; readonly BROTLI_PARAM_QUALITY: number }
}
