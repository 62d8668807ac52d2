import { createServer } from 'node:net';

const PORT_LOW = 20_000;
const PORT_HIGH = 32_000;

/**
 * A free loopback port for a child process told which port to take, chosen below Linux's
 * ephemeral range (32768–60999): the child listens seconds after the port was picked (tsx,
 * seeding), and a port from the ephemeral range may meanwhile become the local end of some
 * process's outgoing connection (a PostgreSQL client's), failing the listen.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = PORT_LOW + Math.floor(Math.random() * (PORT_HIGH - PORT_LOW));
    if (await listenable(port)) return port;
  }
  throw new Error(`freePort: no free port in ${PORT_LOW}–${PORT_HIGH} after 100 tries`);
}

function listenable(port: number): Promise<boolean> {
  return new Promise((resolveProbe) => {
    const probe = createServer();
    probe.once('error', () => resolveProbe(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolveProbe(true)));
  });
}
