// A client whose every request is recorded: when it was sent, when its
// answer came back, and what the answer was. Next to autocannon's load, it
// shows which release answered at which moment (the body carries the version).
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface Sample {
  /** performance.now() when the request was sent and when its response ended (or failed). */
  sentAt: number;
  receivedAt: number;
  /** 0 when no response came back. */
  status: number;
  body: string;
  error?: string;
}

export interface Probe {
  /** Stops after the requests in flight and resolves with every sample. */
  stop(): Promise<Sample[]>;
}

function once(agent: Agent, port: number, path: string): Promise<Sample> {
  const sentAt = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ sentAt, receivedAt: performance.now(), status: res.statusCode ?? 0, body }));
      res.on('error', (error) =>
        resolve({ sentAt, receivedAt: performance.now(), status: 0, body, error: error.message }),
      );
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no response within 10 s')));
    req.on('error', (error) =>
      resolve({ sentAt, receivedAt: performance.now(), status: 0, body: '', error: error.message }),
    );
    req.end();
  });
}

/** `connections` keep-alive connections on 127.0.0.1, each sending one request every `intervalMs`. */
export function startProbe(options: { port: number; connections?: number; intervalMs?: number; path?: string }): Probe {
  const samples: Sample[] = [];
  let running = true;
  const loops = Array.from({ length: options.connections ?? 4 }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    while (running) {
      samples.push(await once(agent, options.port, options.path ?? '/'));
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 20));
    }
    agent.destroy();
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return samples;
    },
  };
}
