/**
 * Runs `run`, waits one timer turn for stray promises to settle, and returns the reasons of the
 * rejections nobody handled meanwhile (kept from failing the run, so the test can assert on them).
 * @example expect(await unhandledRejectionsDuring(() => expect(p).rejects.toThrow())).toEqual([])
 */
export async function unhandledRejectionsDuring(run: () => Promise<void>): Promise<string[]> {
  const unhandled: unknown[] = []
  const onUnhandled = (event: PromiseRejectionEvent) => {
    event.preventDefault()
    unhandled.push(event.reason)
  }
  addEventListener('unhandledrejection', onUnhandled)
  try {
    await run()
    await new Promise((resolve) => setTimeout(resolve, 0))
    return unhandled.map(String)
  } finally {
    removeEventListener('unhandledrejection', onUnhandled)
  }
}
