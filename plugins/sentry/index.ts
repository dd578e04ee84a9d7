import * as z from 'zod';
import { SlipwayError } from '../../lib/core/errors.js';
import { defineNotifier, type NotifyRun } from '../../lib/notifier/define-notifier.js';
import type { NotifyResponse, Verdict } from '../../lib/notifier/http.js';
import { httpReason } from '../../lib/notifier/http.js';
import { httpUrl, notifierSchema, secretString } from '../../lib/notifier/options.js';
import { urlSecrets } from '../../lib/notifier/secrets.js';
import { rebase, vendorUrl } from '../../lib/notifier/vendor-url.js';

export const PLUGIN_NAME = 'sentry';

export const DEFAULT_BASE_URL = 'https://sentry.io';

const schema = notifierSchema({
  authToken: secretString.optional(),
  org: z.string().trim().min(1).optional(),
  /** Project slugs, as a list or comma-separated like SENTRY_PROJECT. */
  projects: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((p) => p.trim()).filter(Boolean))
    .pipe(z.array(z.string()).min(1, 'needs at least one project slug'))
    .optional(),
  environment: z.string().trim().min(1).max(64).optional(),
  /** The project's deploy hook URL (Settings › Projects › Releases): creates the release only. */
  deployHook: httpUrl.optional(),
});

type Options = z.output<typeof schema>;

/** Sentry refuses these as release versions. */
export function invalidVersion(version: string): string | undefined {
  if (/[/\\\r\n]/.test(version)) return 'contains a slash, a backslash or a line break';
  if (['.', '..', 'latest'].includes(version)) return `is "${version}"`;
  if (!version.trim()) return 'is empty';
  return undefined;
}

/** Treats a vendor status as a passing hiccup rather than a final answer. */
function retryOn(status: number) {
  return (response: NotifyResponse): Verdict | undefined =>
    response.status === status ? { ok: false, retry: true, reason: httpReason(response) } : undefined;
}

function checkVersion(run: NotifyRun): void {
  const why = invalidVersion(run.ctx.version);
  if (why) {
    throw new SlipwayError(
      'NOTIFY_FAILED',
      `sentry: version ${JSON.stringify(run.ctx.version)} ${why}, which Sentry refuses`,
    );
  }
}

function viaApi(o: Options) {
  const base = o.baseUrl ?? DEFAULT_BASE_URL;
  const headers = { Authorization: `Bearer ${o.authToken}` };
  const org = encodeURIComponent(o.org ?? '');
  return async (run: NotifyRun) => {
    checkVersion(run);
    const { ctx } = run;
    // 201 created or 208 already there are both fine; a 409 is a concurrent create and passes.
    await run.send({
      what: `release ${ctx.version} of ${o.projects?.join(', ')}`,
      method: 'POST',
      url: vendorUrl(base, `/api/0/organizations/${org}/releases/`),
      headers,
      json: { version: ctx.version, projects: o.projects },
      judge: retryOn(409),
      id: (r) => (r.body as { version?: string }).version,
    });
    // The new release can be invisible to the deploys endpoint for a moment: a 404 here is retried.
    await run.send({
      what: `deploy of ${ctx.version} to ${o.environment}`,
      method: 'POST',
      url: vendorUrl(base, `/api/0/organizations/${org}/releases/${encodeURIComponent(ctx.version)}/deploys/`),
      headers,
      json: {
        environment: o.environment,
        name: `${ctx.app} v${ctx.release}`,
        dateStarted: ctx.startedAt.toISOString(),
        dateFinished: new Date().toISOString(),
        projects: o.projects,
      },
      judge: retryOn(404),
      id: (r) => (r.body as { id?: string }).id,
    });
  };
}

function viaHook(o: Options) {
  return async (run: NotifyRun) => {
    checkVersion(run);
    await run.send({
      what: `release ${run.ctx.version} through the deploy hook`,
      method: 'POST',
      url: rebase(o.deployHook ?? '', o.baseUrl),
      json: { version: run.ctx.version },
      id: (r) => (r.body as { version?: string }).version,
    });
  };
}

/** Chosen by the user writing `deployHook`, else by which credential is set. */
function usesHook(o: Options, given: ReadonlySet<string>): boolean {
  return given.has('deployHook') || (!o.authToken && Boolean(o.deployHook));
}

/** Sentry releases and deploys through the API, or a release through a project's deploy hook. */
export default defineNotifier({
  name: PLUGIN_NAME,
  schema,
  env: {
    authToken: 'SENTRY_AUTH_TOKEN',
    org: 'SENTRY_ORG',
    projects: 'SENTRY_PROJECT',
    environment: 'SENTRY_ENVIRONMENT',
    baseUrl: 'SENTRY_URL',
    deployHook: 'SENTRY_DEPLOY_HOOK',
  },
  requires: (o, given) => (usesHook(o, given) ? ['deployHook'] : ['authToken', 'org', 'projects', 'environment']),
  create: (o, given) =>
    usesHook(o, given)
      ? { secrets: urlSecrets(o.deployHook), succeeded: viaHook(o) }
      : { secrets: [o.authToken], calls: 2, succeeded: viaApi(o) },
});
