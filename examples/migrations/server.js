// Serves rows of the migrated schema: it relies on migration 003's column.
import { createServer } from 'node:http';
import { rows } from './db.js';

const server = createServer((_req, res) => {
  try {
    const greetings = rows('SELECT text, language FROM greetings ORDER BY id');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ version: process.env.CONTAINER_VERSION, greetings }));
  } catch (error) {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end(`schema not ready: ${error.message}\n`);
  }
});
server.listen(Number(process.env.PORT ?? 5000));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
