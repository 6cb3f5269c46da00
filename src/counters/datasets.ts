/**
 * The Logpush datasets this service accepts, by their URL name.
 * One list for the stats API and the status page; the schema registry can replace it later.
 * @example if (!isKnownDataset(name)) return notFound(name)
 */
export const DATASETS = ['audit_logs', 'firewall_events', 'http_requests', 'spectrum_events'] as const

export type Dataset = (typeof DATASETS)[number]

export function isKnownDataset(name: string): name is Dataset {
  return (DATASETS as readonly string[]).includes(name)
}
