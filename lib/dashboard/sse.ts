import type { ServerResponse } from 'node:http';

/** Starts a Server-Sent Events answer; returns how to send one event. */
export function openEvents(res: ServerResponse): (event: string, data: unknown, id?: number) => void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  res.write(': events\n\n');
  return (event, data, id) => {
    if (res.destroyed) return;
    res.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
}
