import net from 'node:net'

/**
 * A loopback port nobody listens on now, so parallel runs (other worktrees, CI beside a dev
 * server) never collide.
 * @example const port = await freePort()
 */
export async function freePort(host = '127.0.0.1') {
  const server = net.createServer()
  await new Promise((resolve) => server.listen(0, host, resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}
