/**
 * Shared pieces of the notifier tests: a config, a deployment run through the
 * real Deployer with the in-memory control plane and runtime, env overrides,
 * and an msw recorder that keeps every request as the vendor saw it.
 */
import { HttpResponse, http } from 'msw';
import type { SetupServer } from 'msw/node';
import type { DeploymentEvent, DeploymentRecord } from '../lib/core/context.js';
import { Deployer } from '../lib/core/deployer.js';
import type { Plugin } from '../lib/core/plugins.js';
import type { Procfile, ResolvedConfig } from '../lib/core/types.js';
import { MemoryControl } from './support/memory-control.js';
import { type MemoryRuntimeOptions, memoryRuntime } from './support/memory-runtime.js';

export function testConfig(env: Record<string, string> = {}): ResolvedConfig {
  return {
    dir: process.cwd(),
    app: 'shop',
    host: '127.0.0.1',
    runtime: 'memory',
    formation: { web: 1 },
    env,
    start: { timeout: 60_000 },
    postdeploy: { timeout: 20 * 60_000, memory: 512 * 1024 * 1024 },
    stop: { grace: 30_000 },
    mode: 'postdeploy',
    plugins: [],
    scripts: {},
    keepReleases: 5,
    docker: { keepImages: 3 },
  };
}

export const procfile: Procfile = {
  processes: { web: 'node server.js', postdeploy: 'node migrate.js' },
  lines: { web: 1, postdeploy: 2 },
  warnings: [],
};

export interface DeployResult {
  record: DeploymentRecord;
  events: DeploymentEvent[];
  control: MemoryControl;
  /** Everything stored under the deployment's logs, one line each. */
  logs: string;
}

export async function deploy(
  plugins: Plugin[],
  options: {
    runtime?: MemoryRuntimeOptions;
    version?: string;
    env?: Record<string, string>;
    control?: MemoryControl;
  } = {},
): Promise<DeployResult> {
  const control = options.control ?? new MemoryControl();
  const events: DeploymentEvent[] = [];
  const deployer = new Deployer({
    config: testConfig(options.env),
    procfile,
    control,
    version: options.version ?? 'abc1234',
    plugins: [memoryRuntime(options.runtime), ...plugins],
    onEvent: (event) => events.push(event),
    heartbeatMs: 60_000,
  });
  const record = await deployer.deploy();
  return { record, events, control, logs: control.logText(record.id) };
}

/** Runs `fn` with env variables set (undefined removes one), then puts them back. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T> | T): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

export interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Raw body text. */
  text: string;
  /** Parsed JSON body, or undefined. */
  json: unknown;
}

type Answer = Response | (() => Response | Promise<Response>);

/**
 * Records every request to `method url` and answers them in order; the last
 * answer repeats for any further call.
 */
export function vendor(
  server: Pick<SetupServer, 'use'>,
  method: 'post' | 'patch',
  url: string,
  ...answers: Answer[]
): Seen[] {
  const seen: Seen[] = [];
  server.use(
    http[method](url, async ({ request }) => {
      const text = await request.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      seen.push({ method: request.method, url: request.url, headers: Object.fromEntries(request.headers), text, json });
      const answer = answers[Math.min(seen.length, answers.length) - 1] ?? HttpResponse.json({});
      return typeof answer === 'function' ? answer() : answer.clone();
    }),
  );
  return seen;
}

export function warningsOf(record: DeploymentRecord): string {
  return record.warnings.map((w) => `${w.plugin}: ${w.message}`).join('\n');
}
