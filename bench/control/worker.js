// The control of the workerd memory bench: a Worker that does nothing but the requests a batch's
// storage makes (N PUTs of a small body, six at a time, each answer read), so that the runtime's
// own memory per request can be told apart from the service's (bench/README.md).
export default {
  async fetch(request, env) {
    const url = new URL(request.url)
    const count = Number(url.searchParams.get('n') ?? 0)
    const bytes = Number(url.searchParams.get('bytes') ?? 200)
    const body = new Uint8Array(bytes).fill(0x7b)
    let next = 0
    const putAll = async () => {
      while (next < count) {
        const response = await fetch(`${env.TARGET}/control/${next++}`, { method: 'PUT', body })
        await response.arrayBuffer()
        if (!response.ok) throw new Error(`PUT answered ${response.status}`)
      }
    }
    await Promise.all(Array.from({ length: 6 }, putAll))
    return Response.json({ written: count })
  },
}
