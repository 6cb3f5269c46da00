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
    expect(budget.spentMs).toBeLessThan(20)
    expect(budget.remainingMs()).toBeGreaterThan(980)
  })

  it('spends the time a wait takes, and overlapping waits once', async () => {
    const budget = new WaitBudget(1_000)
    expect(await budget.wait(after(100), 'PutObject', 'a')).toBe('done')
    const one = budget.spentMs
    expect(one).toBeGreaterThanOrEqual(90)
    await Promise.all([budget.wait(after(100), 'UploadPart', 'a'), budget.wait(after(100), 'UploadPart', 'b')])
    expect(budget.spentMs - one).toBeGreaterThanOrEqual(90)
    expect(budget.spentMs - one).toBeLessThan(180)
  })

  it('fails a wait when the budget runs out, naming the call it was waiting on', async () => {
    const budget = new WaitBudget(200)
    await budget.wait(after(120), 'PutObject', 'a')
    const started = Date.now()
    const err = await budget.wait(new Promise(() => {}), 'CompleteMultipartUpload', 'logs/t/x.json.gz').catch((e: unknown) => e)
    expect(Date.now() - started).toBeLessThan(150)
    expect(err).toBeInstanceOf(StorageError)
    expect(err).toMatchObject({ operation: 'CompleteMultipartUpload', key: 'logs/t/x.json.gz', code: 'TimeoutError', status: 0 })
    expect((err as Error).message).toMatch(/S3_BATCH_BUDGET_MS/)
    expect(budget.remainingMs()).toBe(0)
  })

  it('passes a failure of the call through as it is', async () => {
    const budget = new WaitBudget(1_000)
    const failure = new Error('refused')
    await expect(budget.wait(Promise.reject(failure), 'PutObject', 'a')).rejects.toBe(failure)
  })
})
