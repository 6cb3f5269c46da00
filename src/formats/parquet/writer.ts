import * as zlib from 'node:zlib'
import type { CompressionCodec } from 'hyparquet'
import { ByteWriter } from 'hyparquet-writer/src/bytewriter.js'
import { ParquetWriter } from 'hyparquet-writer/src/parquet-writer.js'
import type { ColumnSource, Compressors } from 'hyparquet-writer/src/types.js'
import type { CheckedEvent, FormatWriter } from '../../ports'
import { ObjectWriter } from '../../storage/object-writer'
import type { ObjectWriterOptions, ObjectWriterResult } from '../../storage/object-writer'
import { INDICATOR_COLUMNS, memberSet, type ParquetLayout, timestampMicros } from './columns'

export const CONTENT_TYPE = 'application/vnd.apache.parquet'

/** The page codecs this writer can use: SNAPPY is the writer's own (JavaScript), the others node:zlib's, native in workerd. */
export type ParquetCodec = 'SNAPPY' | 'ZSTD' | 'GZIP' | 'BROTLI' | 'UNCOMPRESSED'

const BROTLI_QUALITY = 4
// Looked up when called, not imported by name: a Node older than 22.15 has no zstd, and a named
// import would fail to link wherever this module is bundled (the CLI, the bench). ZSTD is here for
// the bench only: workerd's zstdCompressSync (1.20261117) fails with "Unexpected end of file"
// once its output passes 64 KiB, so a page that does not shrink below that would fail the batch.
const COMPRESSORS: Compressors = {
  GZIP: (bytes) => zlib.gzipSync(bytes),
  ZSTD: (bytes) => zlib.zstdCompressSync(bytes),
  // Quality 4: its default, 11, costs several times the CPU for a few per cent.
  BROTLI: (bytes) => zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } }),
}

// What the rows waiting for their row group hold in memory, as a bound from what was written
// alone: twice the event's NDJSON text and a slot per column. Measured in Node (V8's heap after GC,
// 3,000 events buffered): 1.05 to 1.8 times the text (dex_application_tests to audit_logs,
// http_requests 1.33) plus slots; workerd compresses pointers, so it holds less.
const ROW_TEXT_FACTOR = 2
const SLOT_BYTES = 8
// What the file's metadata costs in memory per column chunk until the footer is written (the
// writer keeps every chunk's metadata and index entry): measured 0.9 KB in Node.
const CHUNK_METADATA_BYTES = 1024
// hyparquet-writer's state and its buffer of encoded bytes, once the first row group is written.
const OPEN_BYTES = 4096
const CREATED_BY = 'logpush-edge (hyparquet-writer)'
// A row group of fewer rows than this has its pages stored uncompressed, and so has a column with
// no value in its row group. Such pages are a few bytes to a few KB, where a compressor gains little
// and costs a zlib stream each: a batch over 5,000 hours, one event each, wrote 5,000 one-row files
// of ~150 columns and spent 7.6 of its 61 s (Node) starting compressors for them.
const MIN_COMPRESSED_ROWS = 32

export type ParquetObjectWriterOptions = Omit<ObjectWriterOptions, 'contentType' | 'contentEncoding'> & {
  layout: ParquetLayout
  codec: ParquetCodec
  /** Bytes of rows (as `held` counts them) at which the rows so far are written as a row group. */
  rowGroupBytes: number
}

const isNull = (value: unknown): boolean => value === null || value === undefined

export type ParquetObjectWriterResult = ObjectWriterResult & { rows: number; rowGroups: number }

/**
 * Streams events into one Parquet object through hyparquet-writer and an `ObjectWriter`, with
 * bounded memory: the rows of the row group being built, each row group encoded and handed to
 * the object writer (whose parts go up as multipart parts as they fill) once its rows reach
 * `rowGroupBytes`, and the metadata of the row groups written, which the footer needs at the end.
 *
 * Rows wait as rows (one array each), not as columns: an object left open with a row or two,
 * as thousands are in a batch spread over thousands of hours, holds those rows and no array per
 * column. `suspend()` therefore keeps them: they are counted in `held`, and writing them as a
 * row group at every suspension would turn a batch interleaved over many hours into row groups
 * of a row each, every one with its metadata and CPU. Every size `held` reports follows from the
 * events alone: the one value that differs when a batch is retried, `p_parse_time`, is stored
 * uncompressed, so the encoded bytes are the same on a retry too.
 *
 * @example
 * const out = new ParquetObjectWriter({ storage, key, layout: parquetLayout(fields), codec: 'GZIP', rowGroupBytes: 4 << 20 })
 * try {
 *   for (const event of events) await out.write(event)
 *   await out.close()
 * } catch (err) {
 *   await out.abort(err)
 *   throw err
 * }
 */
export class ParquetObjectWriter implements FormatWriter {
  readonly key: string
  /** Rows written so far. */
  rows = 0
  readonly #object: ObjectWriter
  readonly #layout: ParquetLayout
  readonly #codec: ParquetCodec
  readonly #rowGroupBytes: number
  readonly #chunkMetadata: number
  readonly #residueColumns: number[]
  // Both made with the first row group: an object that has none holds neither.
  #bytes: ByteWriter | undefined
  #parquet: ParquetWriter | undefined
  #rowsBuffered: unknown[][] = []
  #bufferedBytes = 0
  #rowGroups = 0
  #trimmed = true
  #parseTime = ''
  #parseMicros = 0n
  #failure: unknown
  #done = false

  constructor(options: ParquetObjectWriterOptions) {
    const { layout, codec, rowGroupBytes, ...objectOptions } = options
    if (!(rowGroupBytes > 0)) throw new RangeError('ParquetObjectWriter: rowGroupBytes must be positive')
    this.#object = new ObjectWriter({ ...objectOptions, contentType: CONTENT_TYPE })
    this.key = this.#object.key
    this.#layout = layout
    this.#codec = codec
    this.#rowGroupBytes = rowGroupBytes
    this.#chunkMetadata = CHUNK_METADATA_BYTES * layout.schema.filter((e) => e.type !== undefined).length
    this.#residueColumns = layout.residues.flatMap((r, i) => (r ? [i] : []))
  }

  /** Encoded bytes that reached the object writer so far. */
  get bytes(): number {
    return this.#object.bytes
  }

  /**
   * Memory held for this object's bytes not yet stored: the rows of the row group being built
   * (bounded from their NDJSON text), the encoded bytes in the object writer's parts, and the
   * metadata of the row groups written.
   */
  get held(): number {
    const encoded = this.#object.bytes + (this.#bytes?.index ?? 0)
    const writing = this.#parquet ? OPEN_BYTES : 0
    return this.#object.holdsAtMost(encoded, this.#trimmed) + this.#bufferedBytes + this.#rowGroups * this.#chunkMetadata + writing
  }

  /** Appends one event as a row; resolves at once unless its row group is complete and written. */
  write(event: CheckedEvent): void | Promise<void> {
    this.#check()
    const layout = this.#layout
    const fields = layout.fields
    const row = new Array<unknown>(layout.columns.length)
    for (let i = 0; i < fields; i++) row[i] = layout.columns[i]!.convert(event.value(i))
    const s = event.standard
    if (s.p_parse_time !== this.#parseTime) {
      this.#parseTime = s.p_parse_time
      this.#parseMicros = timestampMicros(s.p_parse_time)
    }
    let c = fields
    row[c++] = s.p_log_type
    row[c++] = timestampMicros(s.p_event_time)
    row[c++] = this.#parseMicros
    row[c++] = s.p_row_id
    row[c++] = s.p_source_id
    row[c++] = s.p_source_label
    // Copies: the pipeline reuses these arrays for the next event.
    for (const name of INDICATOR_COLUMNS) {
      const list = s[name]
      row[c++] = list.length ? list.slice() : null
    }
    row[c] = this.#unknownFields(event)
    this.#rowsBuffered.push(row)
    this.rows++
    this.#bufferedBytes += ROW_TEXT_FACTOR * event.json.length + SLOT_BYTES * row.length
    if (this.#bufferedBytes >= this.#rowGroupBytes) return this.#guard(() => this.#writeRowGroup())
  }

  /**
   * Keeps the rows of the row group being built (see above) and lets the object writer's part
   * shrink to its bytes; the object stays open.
   */
  async suspend(): Promise<void> {
    this.#check()
    if (this.#trimmed) return
    this.#object.trim()
    this.#trimmed = true
  }

  /** Writes the last row group and the footer, and stores the object. */
  async close(): Promise<ParquetObjectWriterResult> {
    this.#check()
    this.#done = true
    return this.#guard(async () => {
      // An object of no rows is still a Parquet file: a footer and no row group.
      if (this.#rowsBuffered.length > 0 || !this.#parquet) await this.#writeRowGroup()
      this.#parquet!.finish()
      await this.#drain()
      this.#release()
      const result = await this.#object.close()
      return { ...result, rows: this.rows, rowGroups: this.#rowGroups }
    })
  }

  /** Drops the rows and aborts any multipart upload. Never rejects. */
  async abort(reason?: unknown): Promise<void> {
    if (!this.#done) {
      this.#done = true
      this.#failure ??= reason ?? new Error('ParquetObjectWriter aborted')
    }
    this.#release()
    // Once closing or closed, the object writer decides whether anything landed.
    await this.#object.abort(reason)
  }

  #check(): void {
    if (this.#failure !== undefined) throw this.#failure
    if (this.#done) throw new Error('ParquetObjectWriter: used after close() or abort()')
  }

  async #guard<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (err) {
      this.#done = true
      this.#failure ??= err
      this.#release()
      await this.#object.abort(err)
      throw this.#failure
    }
  }

  // The batch keeps a partition's writer until its end: a writer done with its file lets go of
  // the metadata of its row groups (about 200 KB for one of 150 columns), or 5,000 closed files
  // would hold a gigabyte.
  #release(): void {
    this.#rowsBuffered = []
    this.#parquet = undefined
    this.#bytes = undefined
  }

  /**
   * p_unknown_fields: the event's members the schema has no column for and, under a struct
   * column's name, what its structs hold beyond their fields; null when there is neither.
   */
  #unknownFields(event: CheckedEvent): Record<string, unknown> | null {
    let out: Record<string, unknown> | null = null
    for (const [name, value] of event.unknownFields()) (out ??= memberSet())[name] = value
    for (const i of this.#residueColumns) {
      const r = this.#layout.residues[i]!(event.value(i))
      if (r !== undefined) (out ??= memberSet())[this.#layout.columns[i]!.name] = r
    }
    return out
  }

  async #writeRowGroup(): Promise<void> {
    const layout = this.#layout
    const rows = this.#rowsBuffered
    this.#rowsBuffered = []
    this.#bufferedBytes = 0
    if (!this.#parquet) {
      this.#bytes = new ByteWriter(OPEN_BYTES)
      this.#parquet = new ParquetWriter({ writer: this.#bytes, schema: layout.schema, codec: this.#codec, compressors: COMPRESSORS, createdBy: CREATED_BY })
    }
    if (rows.length === 0) return
    const compress = rows.length >= MIN_COMPRESSED_ROWS
    const columnData: ColumnSource[] = layout.columns.map((column, i) => {
      const data = rows.map((row) => row[i])
      // p_parse_time: the one value a retried batch changes, uncompressed so that its bytes have
      // the same size. Every choice here follows from the events alone, so a retry makes the same.
      const uncompressed = !compress || column.name === 'p_parse_time' || data.every(isNull)
      return { name: column.name, data, statistics: column.statistics, ...(uncompressed && { codec: 'UNCOMPRESSED' as CompressionCodec }) }
    })
    this.#parquet.write({ columnData, rowGroupSize: rows.length })
    this.#rowGroups++
    await this.#drain()
  }

  // Hands the encoded bytes to the object writer, then lets the buffer go: a row group's buffer
  // is as large as its encoded bytes, and the next one grows its own.
  async #drain(): Promise<void> {
    const out = this.#bytes!
    if (out.index === 0) return
    this.#trimmed = false
    await this.#object.write(out.getBytes())
    out.index = 0
    if (out.buffer.byteLength > OPEN_BYTES) {
      out.buffer = new ArrayBuffer(OPEN_BYTES)
      out.view = new DataView(out.buffer)
    }
  }
}
