/**
 * The control API's request bodies, one schema per route that takes one.
 * Each schema is typed by the protocol shape it checks (lib/control,
 * lib/core/context.ts), so a change to either side that the other does not
 * follow fails the type check. Unknown keys are dropped: a newer CLI may send
 * more than this agent knows.
 */
// zod's functional build, as the config schema: the agent loads only the parts used here.
import * as z from 'zod/mini';
import { APP_NAME_PATTERN } from '../config/defaults.js';
import type { OneOffRequest, ProcessSpec, StartRequest } from '../control/protocol.js';
import type { Artifact, FinishRecord, LogLine, OpenRequest, Upstream, Warning } from '../core/context.js';
import { statuses } from '../core/status.js';

// What becomes a file name under SLIPWAY_HOME: never a path ("/", "." or "..") nor a NUL.
const segment = z.string().check(z.regex(/^(?!\.{1,2}$)[^/\\\0]{1,200}$/, { error: 'must be a name, not a path' }));
const appName = z
  .string()
  .check(
    z.maxLength(63),
    z.regex(APP_NAME_PATTERN, { error: 'must be an app name (lowercase letters, digits and "-")' }),
  );

const env = z.record(z.string(), z.string());
const count = z.number().check(z.refine(Number.isInteger, { error: 'must be a whole number' }), z.minimum(0));
const phases = ['build', 'release', 'start', 'postdeploy', 'first-deploy', 'switch', 'retire', 'notify', 'system'];
const status = z.enum(statuses);

const upstream: z.ZodMiniType<Upstream> = z.object({ host: z.string(), port: count });

const artifact: z.ZodMiniType<Artifact> = z.object({
  runtime: z.string(),
  release: count,
  path: z.optional(z.string()),
  image: z.optional(z.string()),
  oneOff: z.optional(z.object({ env, network: z.optional(z.string()), engine: z.optional(z.string()) })),
});

const logLine: z.ZodMiniType<LogLine> = z.object({
  phase: z.enum(phases as [LogLine['phase'], ...LogLine['phase'][]]),
  stream: z.enum(['stdout', 'stderr', 'system']),
  line: z.string(),
  ts: z.number(),
});

const warning: z.ZodMiniType<Warning> = z.object({
  hook: z.optional(z.string()),
  plugin: z.optional(z.string()),
  code: z.optional(z.string()),
  message: z.string(),
});

const processSpec: z.ZodMiniType<ProcessSpec> = z.object({
  type: segment,
  index: count,
  name: segment,
  command: z.string(),
  cwd: z.string(),
  appEnv: env,
  runtimeEnv: env,
  web: z.boolean(),
});

export const oneOffRequest: z.ZodMiniType<OneOffRequest> = z.object({
  name: segment,
  command: z.string(),
  copyFrom: z.string(),
  appEnv: env,
  runtimeEnv: env,
  timeoutMs: count,
  memoryBytes: count,
  graceMs: count,
  phase: z.enum(['postdeploy', 'release', 'run', 'first-deploy']),
  store: z.boolean(),
});

export const openRequest: z.ZodMiniType<OpenRequest> = z.object({
  app: appName,
  version: z.string(),
  kind: z.enum(['deploy', 'rollback', 'config', 'retry']),
  mode: z.enum(['postdeploy', 'heroku']),
  port: z.optional(count),
  host: z.string(),
  sourceRelease: z.optional(count),
  wait: z.boolean(),
  env,
});

export const statusRequest = z.object({ status });

/** A process the deploying command runs itself (a build), for the agent to stop if the deployment ends without it. */
export const trackRequest = z.object({ name: z.string(), pid: count, startTime: count });

export const logsRequest = z.object({ lines: z._default(z.array(logLine), []) });

export const startRequest: z.ZodMiniType<StartRequest> = z.object({
  specs: z.array(processSpec),
  startTimeoutMs: count,
  healthcheck: z.optional(z.object({ path: z.string(), timeoutMs: count })),
  graceMs: count,
  prepareOneOff: z.optional(oneOffRequest),
});

export const switchRequest = z.object({
  upstreams: z._default(z.array(upstream), []),
  artifact: z.optional(artifact),
});

export const retireRequest = z.object({
  graceMs: z.optional(count),
  background: z.optional(z.boolean()),
  // Checked by the agent itself, with its own message: at least 1.
  keepReleases: z.optional(z.unknown()),
});

export const finishRequest: z.ZodMiniType<FinishRecord> = z.object({
  status,
  hookExitCode: z.nullable(z.number()),
  hookReason: z.nullable(z.string()),
  warnings: z.array(warning),
  error: z.nullable(z.object({ code: z.string(), message: z.string() })),
  logs: z.optional(z.array(logLine)),
});

export const configChangesRequest = z.object({
  changes: z._default(z.record(z.string(), z.nullable(z.string())), {}),
});

/** `slipway dashboard`: 0 lets the system pick a free port. */
export const dashboardRequest = z.object({
  port: z._default(
    z.number().check(z.refine(Number.isInteger, { error: 'must be a whole number' }), z.minimum(0), z.maximum(65535)),
    0,
  ),
});

export const firstDeployRequest = z.object({ deploymentId: z.string(), exitCode: z.number() });
