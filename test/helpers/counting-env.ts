import type { CountersEnv } from '../../src/counters/client'

/**
 * The env with its counters bindings wrapped so that every Durable Object call made through
 * them is listed, as 'BINDING.method'. A measurement, not a fake: each call goes on to the real
 * object. Calls one object makes to another (a dataset's push to the summary) do not pass here.
 * @example const { env: counted, calls } = countingEnv(env); await app.fetch(req, counted)
 */
export function countingEnv<E extends CountersEnv>(env: E): { env: E; calls: string[] } {
  const calls: string[] = []
  const stub = <S extends object>(binding: string, target: S): S =>
    new Proxy(target, {
      get(obj, prop) {
        const value: unknown = Reflect.get(obj, prop)
        if (typeof prop !== 'string' || prop === 'then' || typeof value !== 'function') return value
        return (...args: unknown[]) => {
          calls.push(`${binding}.${prop}`)
          return Reflect.apply(value, obj, args)
        }
      },
    })
  const namespace = <N extends object>(binding: string, target: N): N =>
    new Proxy(target, {
      get(obj, prop) {
        const value: unknown = Reflect.get(obj, prop)
        if (typeof value !== 'function') return value
        if (prop === 'get') return (...args: unknown[]) => stub(binding, Reflect.apply(value, obj, args) as object)
        return value.bind(obj)
      },
    })
  return {
    env: {
      ...env,
      DATASET_COUNTERS: namespace('DATASET_COUNTERS', env.DATASET_COUNTERS),
      COUNTERS_SUMMARY: namespace('COUNTERS_SUMMARY', env.COUNTERS_SUMMARY),
    },
    calls,
  }
}
