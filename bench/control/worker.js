// The control of the workerd memory bench: a Worker that does nothing but the requests a batch's
// storage makes (N PUTs of 200 bytes, six at a time, each answer read), so that the runtime's
// own memory per request can be told apart from the service's (bench/README.md).

// A small body, as the 5000h case's objects of one event each are.
const BODY_BYTES = 200

export default {
  async fetch(request, env) {
    const url = new URL(request.url)
    const count = Number(url.searchParams.get('n') ?? 0)
    const body = new Uint8Array(BODY_BYTES).fill(0x7b)
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
