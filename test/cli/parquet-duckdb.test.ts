import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterAll, describe, expect, it } from 'vitest'
import { duckdbType } from '../../cli/commands/ddl/duckdb'
import { lakeTable } from '../../cli/commands/ddl/table'
import { parquetLayout } from '../../src/formats/parquet/columns'
import { ParquetObjectWriter } from '../../src/formats/parquet/writer'
import { PARQUET_CODEC } from '../../src/formats/parquet'
import { EventParser } from '../../src/pipeline/parse'
import type { ColumnField } from '../../src/ports'
import { knownDatasets, schemaFiles, schemas } from '../../src/schema/registry'
import { memoryStorage } from '../helpers/parquet'

// The Worker's Parquet files as DuckDB reads them: every dataset's fixture through the Parquet
// writer, then read_parquet: every row, and each column of the type `ddl --engine duckdb` gives it
// (timestamps as TIMESTAMP WITH TIME ZONE, Parquet's UTC timestamps).

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'parquet-duckdb-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const batch = { batchId: '0123456789abcdef0123456789abcdef', parseTime: '2026-11-25 10:00:00.000000000', sourceId: 's', sourceLabel: 'l' }

describe('DuckDB reads the Parquet files of every dataset', async () => {
  const duckdb = await (await DuckDBInstance.create(':memory:')).connect()
  for (const dataset of knownDatasets()) {
    it(dataset, async () => {
      const schema = schemas().get(dataset)!
      const entry = schemaFiles()[dataset]!
      const storage = memoryStorage()
      const parser = new EventParser(schema, { ...batch, logType: schema.logType })
      const writer = new ParquetObjectWriter({
        storage,
        key: 'k.parquet',
        layout: parquetLayout(entry.fields as readonly ColumnField[]),
        codec: PARQUET_CODEC,
        rowGroupBytes: 8192,
        minPartSize: 1,
      })
      let written = 0
      for (const [i, line] of readFileSync(join(ROOT, 'fixtures', `${dataset}.rfc3339ns.ndjson`), 'utf8')
        .trim()
        .split('\n')
        .entries()) {
        if (parser.parse(line, i + 1)) {
          await writer.write(parser)
          written++
        }
      }
      await writer.close()
      const file = join(dir, `${dataset}.parquet`)
      writeFileSync(file, storage.objects.get('k.parquet')!.bytes)
      const count = await duckdb.runAndReadAll(`SELECT count(*) FROM read_parquet('${file}')`)
      expect(Number(count.getRows()[0]![0])).toBe(written)
      const described = await duckdb.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)
      // Struct members compared without DuckDB's optional quotes; a column whose name equals an
      // earlier one's but for case is `<name>_1` in DuckDB, as in the table definitions.
      const unquoted = (type: unknown) => String(type).replaceAll('"', '')
      const got = described.getRows().map(([name, type]) => [name, unquoted(type)])
      const want = lakeTable(entry, 'parquet').columns.map((c) => [c.name, unquoted(duckdbType(c.type).replaceAll('TIMESTAMP', 'TIMESTAMP WITH TIME ZONE'))])
      expect(got).toEqual(want)
    })
  }
})
