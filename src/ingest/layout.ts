// Where objects land in the bucket. The contract's layout: Hive-style partitions that Athena,
// Snowflake and DuckDB read as columns, and the batch id as the file name so a retry overwrites.
import type { OutputFormat } from '../ports'

/**
 * Key of the enriched events of one batch in one hour, in one format: under the format's own top
 * folder (a table location takes every file under it) and with its extension. `n` numbers the
 * further objects of the same partition (`<batchId>-<n>`), when one batch writes it as several.
 * @example eventsKey('', ndjsonGzip, 'cloudflare_httprequest', '2022-05-25 13', 'ab12') // 'logs/cloudflare_httprequest/year=2022/month=05/day=25/hour=13/ab12.json.gz'
 * @example eventsKey('', ndjsonGzip, 'cloudflare_httprequest', '2022-05-25 13', 'ab12', 1) // '…/hour=13/ab12-1.json.gz'
 */
export function eventsKey(
  prefix: string,
  format: Pick<OutputFormat, 'keyPrefix' | 'extension'>,
  table: string,
  partition: string,
  batchId: string,
  n = 0,
): string {
  const name = n === 0 ? batchId : `${batchId}-${n}`
  return `${prefix}${format.keyPrefix}${table}/year=${partition.slice(0, 4)}/month=${partition.slice(5, 7)}/day=${partition.slice(8, 10)}/hour=${partition.slice(11, 13)}/${name}${format.extension}`
}

/**
 * Key of the quarantined lines of one batch; `day` is `YYYY-MM-DD`.
 * @example quarantineKey('', 'http_requests', '2026-11-25', 'ab12') // 'quarantine/http_requests/year=2026/month=11/day=25/ab12.json.gz'
 */
export function quarantineKey(prefix: string, dataset: string, day: string, batchId: string): string {
  return `${prefix}quarantine/${dataset}/year=${day.slice(0, 4)}/month=${day.slice(5, 7)}/day=${day.slice(8, 10)}/${batchId}.json.gz`
}

/** Key of a request body too large to hold in memory while its batch is processed. */
export function stagingKey(prefix: string, id: string): string {
  return `${prefix}staging/incoming/${id}`
}
