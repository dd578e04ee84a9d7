// A minimal web process: answers every request with the version it runs.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 5000);
const version = process.env.CONTAINER_VERSION ?? 'unknown';

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`hello from ${process.env.APP ?? 'hello'} ${version} (${process.env.CONTAINER ?? 'web'})\n`);
});

server.listen(port, () => console.log(`listening on ${port}, version ${version}`));
// Finish in-flight requests, then exit, when slipway retires this release.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
