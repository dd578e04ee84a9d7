import { createServer } from 'node:http';

createServer((_req, res) => res.end('hello from slipway\n')).listen(Number(process.env.PORT ?? 5000));
