/**
 * The dashboard's HTTP server, on 127.0.0.1 only: server-rendered pages, a
 * stylesheet and one script, live views as Server-Sent Events, and actions
 * as JSON POSTs. Every request needs the token (see auth.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ErrorCode } from '../core/errors.js';
import { Actions } from './actions.js';
import { appPage } from './app-page.js';
import { appsPage } from './apps-page.js';
import { checkAccess, checkAction, newToken, tokenCookie } from './auth.js';
import { CLIENT_SCRIPT } from './client-script.js';
import { deploymentPage } from './deployment-page.js';
import { esc } from './html.js';
import type { DashboardSource } from './source.js';
import { openEvents } from './sse.js';
import { STYLE } from './style.js';
import { trafficPage } from './traffic-page.js';
import { type TrafficSample, TrafficSampler } from './traffic-sampler.js';

export interface Dashboard {
  readonly port: number;
  /** Secret: printed once by `slipway dashboard`, never logged. */
  readonly token: string;
  /** The URL with the token in its query string. */
  readonly url: string;
  close(): Promise<void>;
}

/** Samples kept for a traffic page opened later: two minutes. */
const KEPT_SAMPLES = 121;
const LOG_POLL_MS = 200;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, ...headers });
  res.end(body);
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 16_384) chunks.push(c);
    });
    req.on('end', () => {
      try {
        const value = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        resolve(value && typeof value === 'object' ? value : {});
      } catch {
        resolve({});
      }
    });
  });
}

function notFound(res: ServerResponse, what: string): void {
  send(
    res,
    404,
    'text/html; charset=utf-8',
    `<!doctype html><title>Not found</title><p>${esc(what)} not found. <a href="/">Apps</a></p>`,
  );
}

/** A refused action: a code from the catalogue and the one-line message the page shows. */
function jsonError(res: ServerResponse, status: number, code: ErrorCode, message: string): void {
  send(res, status, 'application/json', JSON.stringify({ error: { code, message } }));
}

export async function startDashboard(source: DashboardSource, options: { port: number }): Promise<Dashboard> {
  const token = newToken();
  const actions = new Actions();
  const sampler = new TrafficSampler(source);
  const samples: TrafficSample[] = [];
  const trafficClients = new Set<(s: TrafficSample) => void>();
  let hosts: string[] = [];
  let origins: string[] = [];

  const takeSample = () => {
    try {
      const s = sampler.sample();
      samples.push(s);
      if (samples.length > KEPT_SAMPLES) samples.shift();
      for (const client of trafficClients) client(s);
    } catch (error) {
      source.log(`dashboard: traffic sample failed: ${(error as Error).message}`);
    }
  };
  const sampling = setInterval(takeSample, 1000);
  sampling.unref();

  const followDeployment = (req: IncomingMessage, res: ServerResponse, id: string, url: URL) => {
    if (!source.deployment(id)) return notFound(res, 'deployment');
    const event = openEvents(res);
    let after = Number(req.headers['last-event-id'] ?? url.searchParams.get('after') ?? 0) || 0;
    const poll = () => {
      const d = source.deployment(id);
      for (const l of source.logsAfter(id, after)) {
        after = l.seq;
        event('log', { phase: l.phase, stream: l.stream, line: l.line, ts: l.ts }, l.seq);
      }
      // Read before the lines: everything stored before it finished has been sent.
      if (!d || d.finishedAt !== null) {
        event('end', { status: d?.status ?? 'aborted' });
        res.end();
        return;
      }
      timer = setTimeout(poll, LOG_POLL_MS);
    };
    let timer = setTimeout(poll, 0);
    res.on('close', () => clearTimeout(timer));
  };

  const followAction = (res: ServerResponse, id: string) => {
    const action = actions.get(id);
    if (!action) return notFound(res, 'action');
    const event = openEvents(res);
    for (const e of action.events) event(e.type, e);
    if (action.done) return res.end();
    const listener = (e: { type: string }) => {
      event(e.type, e);
      if (e.type === 'exit') res.end();
    };
    action.listeners.add(listener);
    res.on('close', () => action.listeners.delete(listener));
  };

  const followTraffic = (res: ServerResponse) => {
    const event = openEvents(res);
    for (const s of samples) event('sample', s);
    const client = (s: TrafficSample) => event('sample', s);
    trafficClients.add(client);
    res.on('close', () => trafficClients.delete(client));
  };

  const act = async (req: IncomingMessage, res: ServerResponse, app: string, what: string) => {
    const refused = checkAction(req, origins);
    if (refused) return jsonError(res, 403, 'AGENT_REQUEST', refused);
    const body = await readJson(req);
    if (body.confirm !== true) return jsonError(res, 400, 'USAGE', 'the action was not confirmed');
    const summary = source.app(app);
    if (!summary) return jsonError(res, 404, 'APP_NOT_FOUND', `app "${app}" is not known to the agent`);
    if (what === 'restart') {
      if (!summary.live) return jsonError(res, 409, 'RELEASE_NOT_FOUND', `${app} has no live release to restart`);
      const action = actions.task(`restart ${app}`, async (line) => {
        line(`restarting the processes of ${app}…`);
        const restarted = await source.restart(app);
        line(
          restarted
            ? `${app}: a fresh set of processes serves now; the old set stopped`
            : `${app}: its runtime's processes are not the agent's to restart (containers): restart them with the runtime`,
        );
        return restarted ? 0 : 1;
      });
      source.log(`dashboard: restart of ${app} requested`);
      return send(res, 202, 'application/json', JSON.stringify({ action: action.id }));
    }
    const release = source.releases(app).find((r) => r.release === body.release);
    if (!release) return jsonError(res, 404, 'RELEASE_NOT_FOUND', `${app} has no release ${String(body.release)}`);
    if (!release.artifact.path) {
      return jsonError(
        res,
        400,
        'USAGE',
        `release ${release.release} of ${app} is an image: roll it back from the app directory with \`slipway rollback ${release.release}\``,
      );
    }
    const action = actions.runCli(
      `rollback ${app} to v${release.release}`,
      ['rollback', String(release.release), '--app', app],
      {
        cwd: release.artifact.path,
        home: source.home,
      },
    );
    source.log(`dashboard: rollback of ${app} to release ${release.release} requested`);
    send(res, 202, 'application/json', JSON.stringify({ action: action.id }));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const access = checkAccess(req, url, token, hosts);
    if (access.ok === 'exchange') {
      url.searchParams.delete('token');
      const rest = url.searchParams.toString();
      // The token leaves the address bar and the history: the cookie holds it from now on.
      return send(res, 303, 'text/plain; charset=utf-8', 'see other\n', {
        location: url.pathname + (rest ? `?${rest}` : ''),
        'set-cookie': tokenCookie(token),
      });
    }
    if (access.ok === false) {
      const text =
        access.status === 401
          ? 'This dashboard needs its token: open the URL that `slipway dashboard` printed.\n'
          : "Refused: this token is not the dashboard's, or the request did not come from the dashboard's own address. Run `slipway dashboard` for the URL.\n";
      return send(res, access.status, 'text/plain; charset=utf-8', text);
    }
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    // Fixed paths as they are; others with their ids (every second part) as `:`.
    const fixed = new Set([
      '/',
      '/favicon.ico',
      '/traffic',
      '/traffic/events',
      '/assets/dashboard.css',
      '/assets/dashboard.js',
    ]);
    const route = fixed.has(url.pathname)
      ? `${req.method} ${url.pathname}`
      : `${req.method} /${parts.map((p, i) => (i % 2 === 1 ? ':' : p)).join('/')}`;
    const html = (page: string | null, what: string) =>
      page === null ? notFound(res, what) : send(res, 200, 'text/html; charset=utf-8', page);
    switch (route) {
      case 'GET /':
        return html(appsPage(source), 'page');
      case 'GET /apps/:':
        return html(appPage(source, parts[1]!), `app ${parts[1]}`);
      case 'GET /deployments/:':
        return html(deploymentPage(source, parts[1]!), 'deployment');
      case 'GET /deployments/:/events':
        return followDeployment(req, res, parts[1]!, url);
      case 'GET /traffic':
        return html(trafficPage(source), 'page');
      case 'GET /traffic/events':
        return followTraffic(res);
      case 'GET /actions/:/events':
        return followAction(res, parts[1]!);
      case 'POST /apps/:/rollback':
      case 'POST /apps/:/restart':
        return act(req, res, parts[1]!, parts[2]!);
      case 'GET /assets/dashboard.css':
        return send(res, 200, 'text/css; charset=utf-8', STYLE);
      case 'GET /favicon.ico':
        return send(res, 204, 'image/x-icon', '');
      case 'GET /assets/dashboard.js':
        return send(res, 200, 'text/javascript; charset=utf-8', CLIENT_SCRIPT);
      default:
        return notFound(res, 'page');
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      source.log(
        `dashboard: ${req.method} ${new URL(req.url ?? '/', 'http://d').pathname}: ${error.stack ?? error.message}`,
      );
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error; see the agent log\n');
      else res.end();
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: '127.0.0.1', exclusive: true }, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : options.port);
    });
  });
  hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  origins = hosts.map((h) => `http://${h}`);
  takeSample();
  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    async close() {
      clearInterval(sampling);
      actions.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
