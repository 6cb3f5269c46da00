import { describe, expect, it } from 'vitest'
import { StorageError } from '../../src/ports'
import { WaitBudget } from '../../src/storage/wait-budget'

const after = (ms: number) => new Promise<string>((resolve) => setTimeout(() => resolve('done'), ms))

function busy(ms: number): void {
  const until = Date.now() + ms
  while (Date.now() < until) {
    // The batch's own work: parsing, compressing.
  }
}

describe('WaitBudget', () => {
  it("spends nothing on the batch's own work between waits", async () => {
    const budget = new WaitBudget(1_000)
    busy(150)
    await budget.wait(Promise.resolve(1), 'PutObject', 'k')
    busy(150)
    expect(budget.remainingMs()).toBe(1_000)
  })

  it('runs down only while a wait is pending, and starts again at every answer', async () => {
    const budget = new WaitBudget(1_000)
    const slow = budget.wait(after(300), 'UploadPart', 'a')
    await after(100)
    const left = budget.remainingMs()
    expect(left).toBeLessThanOrEqual(910)
    expect(left).toBeGreaterThan(800)
    // Another call answers: storage is moving, so the clock starts again.
    await budget.wait(after(50), 'PutObject', 'b')
    expect(budget.remainingMs()).toBeGreaterThan(980)
    await slow
    expect(budget.remainingMs()).toBe(1_000)
  })

  it('keeps a long wait going while other calls keep answering, longer than the budget in all', async () => {
    // Six objects stored at a time, each answering within the budget: the batch's storing takes
    // three budgets in all and is never cut short (5,000 one-row Parquet files were, with a sum).
    const budget = new WaitBudget(200)
    const long = budget.wait(after(600), 'PutObject', 'long')
    for (let i = 0; i < 8; i++) await budget.wait(after(70), 'PutObject', `k${i}`)
    expect(await long).toBe('done')
  })

  it('fails a wait when no call answers for the budget, naming the call it was waiting on', async () => {
    const budget = new WaitBudget(200)
    await budget.wait(after(120), 'PutObject', 'a')
    const started = Date.now()
    const err = await budget.wait(new Promise(() => {}), 'CompleteMultipartUpload', 'logs/t/x.json.gz').catch((e: unknown) => e)
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
    expect(Date.now() - started).toBeLessThan(400)
    expect(err).toBeInstanceOf(StorageError)
    expect(err).toMatchObject({ operation: 'CompleteMultipartUpload', key: 'logs/t/x.json.gz', code: 'TimeoutError', status: 0 })
    expect((err as Error).message).toMatch(/S3_BATCH_BUDGET_MS/)
  })

  it('fails every pending wait once storage stops answering', async () => {
    const budget = new WaitBudget(150)
    const never = () => new Promise<never>(() => {})
    const started = Date.now()
    const results = await Promise.allSettled([budget.wait(never(), 'UploadPart', 'a'), budget.wait(never(), 'PutObject', 'b')])
    // One running out is no answer: the other runs out at the same time, not a budget later.
    expect(Date.now() - started).toBeLessThan(280)
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
  })

  it('passes a failure of the call through as it is', async () => {
    const budget = new WaitBudget(1_000)
    const failure = new Error('refused')
    await expect(budget.wait(Promise.reject(failure), 'PutObject', 'a')).rejects.toBe(failure)
  })
})
