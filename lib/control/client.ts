import { mkdirSync, openSync } from 'node:fs';
import { type IncomingMessage, type RequestOptions, request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brand } from '../core/brand.js';
import type {
  Artifact,
  ControlPlane,
  DeploymentRecord,
  FinishRecord,
  LogLine,
  OpenedDeployment,
  OpenRequest,
  Upstream,
} from '../core/context.js';
import { catalogue, type ErrorCode, SlipwayError } from '../core/errors.js';
import { lineSplitter } from '../core/line-splitter.js';
import { packageInfo } from '../core/package-root.js';
import type { DeploymentStatus } from '../core/status.js';
import { type AgentPaths, agentPaths } from './paths.js';
import type { FirstDeployState, OneOffRequest, StartRequest, StartResult, StreamMessage } from './protocol.js';

type Exit = Extract<StreamMessage, { type: 'exit' }>;

/**
 * The agent's entry file. Next to this file in source and in dist/; from the
 * bundled CLI, the compiled agent in the package's dist/.
 */
export function agentEntry(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('client.ts') || here.endsWith('client.js'))
    return fileURLToPath(new URL('../agent/main.js', import.meta.url));
  return join(packageInfo(here).root, 'dist', 'lib', 'agent', 'main.js');
}

function toError(body: unknown, status: number): SlipwayError {
  const e = (body as { error?: { code?: string; message?: string; data?: Record<string, unknown> } })?.error;
  const code = (e?.code && e.code in catalogue ? e.code : 'AGENT_REQUEST') as ErrorCode;
  return new SlipwayError(code, e?.message ?? `agent answered HTTP ${status}`, { data: e?.data });
}

/** A whole JSON answer; null when the body is empty or not JSON. */
function readJson(res: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'));
      } catch {
        resolve(null);
      }
    });
  });
}

/** Nobody listens on the socket: the request never left. */
function notListening(error: unknown): boolean {
  const code = ((error as { cause?: NodeJS.ErrnoException }).cause ?? (error as NodeJS.ErrnoException)).code;
  return code === 'ENOENT' || code === 'ECONNREFUSED';
}

/** Talks to the agent over its unix socket; the Deployer's control plane in production. */
export class AgentClient implements ControlPlane {
  /**
   * With `startOnDemand`, a call that finds no agent listening (no socket, or
   * a stale one) starts the agent and is sent again: nothing was sent the
   * first time, and a CLI needs no separate health check before its first call.
   */
  constructor(
    readonly paths: AgentPaths = agentPaths(),
    readonly options: { startOnDemand?: boolean } = {},
  ) {}

  #options(method: string, path: string, payload: string | undefined): RequestOptions {
    return {
      method,
      path,
      headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
      // A connection per request, without http.Agent: a CLI makes a handful of
      // calls, and the Agent's host bookkeeping (an IPv6 regex compiled on first
      // use) costs each invocation ~10 ms. No idle socket can hold the CLI either.
      createConnection: () => connect(this.paths.socket),
    };
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    try {
      return await this.#call<T>(method, path, body);
    } catch (error) {
      if (!this.options.startOnDemand || !notListening(error)) throw error;
      await this.ensureRunning();
      return this.#call<T>(method, path, body);
    }
  }

  #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(this.#options(method, path, payload), (res) => {
        void readJson(res).then((parsed) => {
          if ((res.statusCode ?? 500) >= 400) reject(toError(parsed, res.statusCode ?? 500));
          else resolve(parsed as T);
        });
      });
      req.on('error', (error) =>
        reject(
          new SlipwayError('AGENT_UNAVAILABLE', `cannot reach the agent at ${this.paths.socket}: ${error.message}`, {
            cause: error,
          }),
        ),
      );
      req.end(payload);
    });
  }

  /** POSTs and reads an NDJSON stream until its final message. */
  stream(path: string, body: unknown, onMessage: (m: StreamMessage) => void, signal?: AbortSignal): Promise<Exit> {
    return new Promise((resolve, reject) => {
      const payload = JSON.stringify(body);
      let final: Exit | undefined;
      const req = request({ ...this.#options('POST', path, payload), signal }, (res) => {
        if ((res.statusCode ?? 500) >= 400) {
          void readJson(res).then((parsed) => reject(toError(parsed, res.statusCode ?? 500)));
          return;
        }
        let failure: SlipwayError | undefined;
        const split = lineSplitter((line) => {
          if (!line) return;
          const m = JSON.parse(line) as StreamMessage;
          if (m.type === 'exit') final = m;
          else if (m.type === 'error') failure = toError({ error: m }, 500);
          else onMessage(m);
        });
        res.on('data', (c: Buffer) => split.push(c));
        // An agent that dies mid-stream aborts the response: never wait for an end that won't come.
        res.on('close', () => {
          if (!res.complete) {
            reject(new SlipwayError('AGENT_UNAVAILABLE', 'lost the agent while the one-off was running'));
          }
        });
        res.on('end', () => {
          split.end();
          if (failure) reject(failure);
          else if (final) resolve(final);
          else reject(new SlipwayError('AGENT_UNAVAILABLE', 'the agent closed the stream before the one-off ended'));
        });
      });
      req.on('error', (error) => {
        if (signal?.aborted) reject(new SlipwayError('DEPLOY_ABORTED', 'deployment aborted'));
        else reject(new SlipwayError('AGENT_UNAVAILABLE', `lost the agent: ${error.message}`, { cause: error }));
      });
      req.end(payload);
    });
  }

  async health(): Promise<{ pid: number; uptimeMs: number; rss: number; home: string } | null> {
    try {
      return await this.#call('GET', '/health');
    } catch {
      return null;
    }
  }

  /** Starts the agent when nothing answers on the socket, then waits until it does. */
  async ensureRunning(timeoutMs = 10_000): Promise<void> {
    if (await this.health()) return;
    mkdirSync(this.paths.home, { recursive: true, mode: 0o700 });
    const out = openSync(this.paths.log, 'a', 0o600);
    const entry = agentEntry();
    // Loaded here: a CLI finds the agent running far more often than not.
    const { spawn } = await import('node:child_process');
    // A young generation of 1 MiB (V8's default grows to 16): the idle agent
    // stays ~3 MiB smaller, and the router's throughput measured the same.
    // The agent makes no TLS connections: an inherited NODE_EXTRA_CA_CERTS
    // would only cost it Node's whole root store, loaded at start (~2 MiB).
    const { NODE_EXTRA_CA_CERTS: _unused, ...env } = process.env;
    const child = spawn(process.execPath, [...process.execArgv, '--max-semi-space-size=1', entry], {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...env, SLIPWAY_HOME: this.paths.home },
    });
    child.unref();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await this.health()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new SlipwayError(
      'AGENT_UNAVAILABLE',
      `the agent did not start within ${timeoutMs / 1000}s; see ${this.paths.log}`,
    );
  }

  // ── ControlPlane ───────────────────────────────────────────────────────

  async open(req: OpenRequest, onWait: (message: string) => void): Promise<OpenedDeployment> {
    let announced = false;
    for (;;) {
      try {
        return await this.call<OpenedDeployment>('POST', '/deployments', req);
      } catch (error) {
        if (!(error instanceof SlipwayError) || error.code !== 'DEPLOY_LOCKED' || !req.wait) throw error;
        if (!announced) onWait(`${error.message}; waiting for it to finish`);
        announced = true;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  async heartbeat(id: string): Promise<void> {
    await this.call('POST', `/deployments/${id}/heartbeat`);
  }

  async setStatus(id: string, status: DeploymentStatus): Promise<void> {
    await this.call('POST', `/deployments/${id}/status`, { status });
  }

  async appendLogs(id: string, lines: LogLine[]): Promise<void> {
    await this.call('POST', `/deployments/${id}/logs`, { lines });
  }

  async switchRoute(id: string, upstreams: Upstream[], artifact?: Artifact): Promise<void> {
    await this.call('POST', `/deployments/${id}/switch`, { upstreams, artifact });
  }

  finish(id: string, record: FinishRecord): Promise<DeploymentRecord> {
    return this.call('POST', `/deployments/${id}/finish`, record);
  }

  // ── process runtime ────────────────────────────────────────────────────

  /**
   * Hands the agent a process this command runs for the deployment (a build
   * command): when the deployment ends without this command (its lease
   * lapsed, the agent restarted), the agent kills its process group.
   */
  async trackProcess(id: string, process: { name: string; pid: number; startTime: number }): Promise<void> {
    await this.call('POST', `/deployments/${id}/tracked`, process);
  }

  startProcesses(id: string, req: StartRequest): Promise<StartResult> {
    return this.call('POST', `/deployments/${id}/processes`, req);
  }

  oneOff(id: string, req: OneOffRequest, onMessage: (m: StreamMessage) => void, signal?: AbortSignal): Promise<Exit> {
    return this.stream(`/deployments/${id}/one-off`, req, onMessage, signal);
  }

  /**
   * Drains and stops what the switch replaced; with `background`, answers at
   * once and lets the agent do it. With `keepReleases`, also removes the
   * app's release directories beyond the newest N releases (`pruned`).
   */
  retire(
    id: string,
    graceMs: number,
    options: { background?: boolean; keepReleases?: number } = {},
  ): Promise<{ drained: boolean; release?: number; background?: boolean; pruned?: number[] }> {
    return this.call('POST', `/deployments/${id}/retire`, {
      graceMs,
      background: options.background === true,
      ...(options.keepReleases === undefined ? {} : { keepReleases: options.keepReleases }),
    });
  }

  // ── first-deploy scripts (any runtime) ─────────────────────────────────

  firstDeployState(app: string): Promise<FirstDeployState> {
    return this.call('GET', `/apps/${encodeURIComponent(app)}/first-deploy`);
  }

  /** Records one run of `scripts.first-deploy`; a zero exit code marks it done for good. */
  recordFirstDeploy(app: string, run: { deploymentId: string; exitCode: number }): Promise<FirstDeployState> {
    return this.call('POST', `/apps/${encodeURIComponent(app)}/first-deploy`, run);
  }
}
brand(AgentClient, 'AgentClient');
