/** A loopback port nobody listens on now. */
export function freePort(host?: string): Promise<number>
