/**
 * Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil): exact for
 * every year, where Date.UTC reads years 0-99 as 1900-1999.
 * @example daysFromCivil(2022, 5, 25) // 19137
 */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y
  const era = Math.floor(yy / 400)
  const yoe = yy - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}
