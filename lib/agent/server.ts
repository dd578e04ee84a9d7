import { chmodSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type * as z from 'zod/mini';
import { isAppName } from '../config/defaults.js';
import type { StreamMessage, StreamSend } from '../control/protocol.js';
import { SlipwayError, toSlipwayError } from '../core/errors.js';
import type { Agent } from './agent.js';
import {
  configChangesRequest,
  dashboardRequest,
  finishRequest,
  firstDeployRequest,
  logsRequest,
  oneOffRequest,
  openRequest,
  retireRequest,
  startRequest,
  statusRequest,
  switchRequest,
  trackRequest,
} from './control-schemas.js';
import { openDashboard } from './dashboard-host.js';

type Params = Record<string, string>;
interface RequestContext<B = unknown> {
  params: Params;
  query: URLSearchParams;
  /** The JSON body as sent; a route that reads it declares its schema with `withBody`. */
  body: B;
  res: ServerResponse;
  req: IncomingMessage;
}
type Handler = (ctx: RequestContext) => Promise<unknown> | unknown;

/** A route whose body is checked against its schema first: a malformed request is refused, naming the field. */
function withBody<S extends z.ZodMiniType>(
  schema: S,
  handler: (ctx: RequestContext<z.output<S>>) => Promise<unknown> | unknown,
): Handler {
  return (ctx) => {
    const parsed = schema.safeParse(ctx.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = ['body', ...issue.path.map(String)].join('.');
      throw new SlipwayError('AGENT_REQUEST', `${ctx.req.method} ${ctx.req.url}: ${where}: ${issue.message}`);
    }
    return handler({ ...ctx, body: parsed.data });
  };
}

/** Answers already written by the handler (streams) return this. */
const STREAMED = Symbol('streamed');

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (chunks.length === 0) return resolve({});
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        reject(new SlipwayError('AGENT_REQUEST', `malformed JSON body: ${(error as Error).message}`));
      }
    });
    req.on('error', reject);
  });
}

/** What a stream holds for a reader before the one-off behind it is paused. */
const STREAM_BUFFER_BYTES = 1024 * 1024;

/** Streams NDJSON messages; ends when `work` settles. */
async function stream(res: ServerResponse, work: (send: StreamSend) => Promise<StreamMessage>) {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  // Messages go out together once per turn of the event loop: a one-off
  // printing lines by the thousand costs one write each turn, not one each line.
  let queued = '';
  const write = () => {
    if (queued && !res.destroyed && !res.writableEnded) res.write(queued);
    queued = '';
  };
  // A reader slower than the one-off: the one-off waits (its output is
  // paused) rather than the agent holding what the reader has not taken.
  let room: Promise<void> | undefined;
  const send: StreamSend = (m) => {
    if (!queued) setImmediate(write);
    queued += `${JSON.stringify(m)}\n`;
    if (queued.length + res.writableLength <= STREAM_BUFFER_BYTES || res.destroyed) return;
    room ??= new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        room = undefined;
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
    return room;
  };
  try {
    send(await work(send));
  } catch (error) {
    const e = toSlipwayError(error);
    send({ type: 'error', code: e.code, message: e.message });
  }
  write();
  res.end();
  return STREAMED;
}

/** What the process around the agent does for the control API: stop it, or replace it with a new agent. */
export interface AgentLifecycle {
  stop(): void;
  restart(): Promise<{ pid: number }>;
}

function routes(agent: Agent, lifecycle: AgentLifecycle): [string, string, Handler][] {
  return [
    [
      'GET',
      '/health',
      () => ({
        pid: process.pid,
        uptimeMs: Date.now() - agent.startedAt,
        rss: process.memoryUsage().rss,
        home: agent.paths.home,
      }),
    ],
    [
      'POST',
      '/agent/stop',
      () => {
        setImmediate(() => lifecycle.stop());
        return { stopping: true };
      },
    ],
    ['POST', '/agent/restart', () => lifecycle.restart()],
    ['POST', '/deployments', withBody(openRequest, ({ body }) => agent.open(body))],
    [
      'GET',
      '/deployments',
      ({ query }) =>
        agent.store.listDeployments({ app: query.get('app') ?? undefined, limit: Number(query.get('limit') ?? 50) }),
    ],
    [
      'GET',
      '/deployments/:id',
      ({ params }) => {
        const d = agent.store.getDeployment(params.id!);
        if (!d) throw new SlipwayError('DEPLOY_NOT_FOUND', `no deployment ${params.id}`);
        return d;
      },
    ],
    [
      'GET',
      '/deployments/:id/logs',
      ({ params, query }) => {
        if (!agent.store.getDeployment(params.id!)) {
          throw new SlipwayError('DEPLOY_NOT_FOUND', `no deployment ${params.id}`);
        }
        // `?after=N`: only the lines after line N, each with its number (`slipway logs --follow`).
        const after = query.get('after');
        return agent.logs(params.id!, after === null ? undefined : Number(after) || 0);
      },
    ],
    ['POST', '/deployments/:id/heartbeat', ({ params }) => agent.heartbeat(params.id!)],
    [
      'POST',
      '/deployments/:id/status',
      withBody(statusRequest, ({ params, body }) => agent.setStatus(params.id!, body.status)),
    ],
    [
      'POST',
      '/deployments/:id/logs',
      withBody(logsRequest, ({ params, body }) => agent.appendLogs(params.id!, body.lines)),
    ],
    [
      'POST',
      '/deployments/:id/tracked',
      withBody(trackRequest, ({ params, body }) => agent.trackProcess(params.id!, body)),
    ],
    [
      'POST',
      '/deployments/:id/processes',
      withBody(startRequest, ({ params, body }) => agent.startProcesses(params.id!, body)),
    ],
    [
      'POST',
      '/deployments/:id/one-off',
      withBody(oneOffRequest, ({ params, body, res }) => {
        const closed = new AbortController();
        res.on('close', () => {
          if (!res.writableFinished) closed.abort();
        });
        return stream(res, (send) => agent.oneOff(params.id!, body, send, closed.signal));
      }),
    ],
    [
      'POST',
      '/deployments/:id/switch',
      withBody(switchRequest, ({ params, body }) => agent.switchRoute(params.id!, body.upstreams, body.artifact)),
    ],
    [
      'POST',
      '/deployments/:id/retire',
      withBody(retireRequest, ({ params, body }) =>
        agent.retire(params.id!, body.graceMs, {
          background: body.background === true,
          keepReleases: body.keepReleases,
        }),
      ),
    ],
    ['POST', '/deployments/:id/finish', withBody(finishRequest, ({ params, body }) => agent.finish(params.id!, body))],
    ['POST', '/dashboard', withBody(dashboardRequest, ({ body }) => openDashboard(agent, body))],
    ['GET', '/apps', () => agent.apps()],
    ['GET', '/apps/:app/config', ({ params }) => agent.configVars(params.app!)],
    [
      'POST',
      '/apps/:app/config',
      withBody(configChangesRequest, ({ params, body }) => agent.setConfigVars(params.app!, body.changes)),
    ],
    ['GET', '/apps/:app/releases', ({ params }) => agent.store.listReleases(params.app!)],
    ['GET', '/apps/:app/live', ({ params }) => agent.liveSpecs(params.app!)],
    ['GET', '/apps/:app', ({ params }) => agent.appInfo(params.app!)],
    [
      'POST',
      '/apps/:app/config/store',
      withBody(configChangesRequest, ({ params, body }) => agent.storeConfigVars(params.app!, body.changes)),
    ],
    ['GET', '/apps/:app/first-deploy', ({ params }) => agent.firstDeployState(params.app!)],
    [
      'POST',
      '/apps/:app/first-deploy',
      withBody(firstDeployRequest, ({ params, body }) => agent.recordFirstDeploy(params.app!, body)),
    ],
    [
      'POST',
      '/apps/:app/run',
      withBody(oneOffRequest, ({ params, body, res }) => {
        const closed = new AbortController();
        res.on('close', () => {
          if (!res.writableFinished) closed.abort();
        });
        return stream(res, (send) =>
          agent.supervisor.oneOffs.run(params.app!, `run-${Date.now()}`, body, send, closed.signal),
        );
      }),
    ],
  ];
}

// A malformed escape (`%zz`) matches no route, rather than throwing a URIError.
function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function match(pattern: string, path: string): Params | null {
  const a = pattern.split('/');
  const b = path.split('/');
  if (a.length !== b.length) return null;
  const params: Params = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.startsWith(':')) {
      const value = decodeSegment(b[i]!);
      if (value === null) return null;
      params[a[i]!.slice(1)] = value;
    } else if (a[i] !== b[i]) return null;
  }
  return params;
}

/** The control API: JSON over HTTP on a unix socket that only the owner can open. */
export function createControlServer(agent: Agent, lifecycle: AgentLifecycle): Server {
  const table = routes(agent, lifecycle);
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://agent');
    try {
      for (const [method, pattern, handler] of table) {
        if (method !== req.method) continue;
        const params = match(pattern, url.pathname);
        if (!params) continue;
        // An app name becomes a directory under SLIPWAY_HOME: refused before any handler sees it.
        if (params.app !== undefined && !isAppName(params.app)) {
          throw new SlipwayError('USAGE', `${JSON.stringify(params.app)} is not an app name`);
        }
        const body = req.method === 'POST' ? await readBody(req) : {};
        const result = await handler({ params, query: url.searchParams, body, res, req });
        if (result === STREAMED) return;
        const json = JSON.stringify(result ?? { ok: true });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(json);
        return;
      }
      throw new SlipwayError('AGENT_REQUEST', `no route ${req.method} ${url.pathname}`);
    } catch (error) {
      const e = toSlipwayError(error);
      if (e.code === 'INTERNAL') agent.log(`${req.method} ${url.pathname}: ${(error as Error).stack ?? e.message}`);
      if (res.headersSent) return res.end();
      const status = e.code === 'DEPLOY_LOCKED' ? 409 : e.severity === 'internal' ? 500 : 400;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: e.code, message: e.message, details: e.details, data: e.data } }));
    }
  });
}

export function listenOnSocket(server: Server, socket: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // The socket is created 0600 before anyone else can connect: umask first, chmod after as a guarantee.
    const previous = process.umask(0o177);
    server.listen(socket, () => {
      process.umask(previous);
      chmodSync(socket, 0o600);
      server.off('error', reject);
      resolve();
    });
  });
}
