import * as z from 'zod';
import type { DeploymentContext } from '../../lib/core/context.js';
import { defineNotifier, type NotifyRun } from '../../lib/notifier/define-notifier.js';
import { deployUser } from '../../lib/notifier/deploy-user.js';
import { excerpt } from '../../lib/notifier/excerpt.js';
import type { NotifyResponse, Verdict } from '../../lib/notifier/http.js';
import { notifierSchema, secretString } from '../../lib/notifier/options.js';
import { vendorUrl } from '../../lib/notifier/vendor-url.js';

export const PLUGIN_NAME = 'rollbar';

export const DEFAULT_BASE_URL = 'https://api.rollbar.com';

type DeployStatus = 'started' | 'succeeded' | 'failed' | 'timed_out';

/** Failures Rollbar should show as a timeout rather than a plain failure. */
const TIMEOUT_CODES = new Set(['HOOK_TIMEOUT', 'PLUGIN_TIMEOUT']);

const schema = notifierSchema({
  /** A project token with the `post_server_item` scope. */
  accessToken: secretString.optional(),
  environment: z.string().trim().min(1).max(255).optional(),
  localUsername: z.string().min(1).optional(),
  /** Links the deploy to a Rollbar account. */
  rollbarUsername: z.string().min(1).optional(),
  comment: z.string().optional(),
});

type Options = z.output<typeof schema>;

/** Rollbar may answer 200 with `{"err":1,"message":…}`. */
function judge(response: NotifyResponse): Verdict | undefined {
  const body = response.body as { err?: number; message?: string };
  if (response.status < 300 && typeof body === 'object' && body?.err) {
    return { ok: false, retry: false, reason: `Rollbar refused it: ${body.message ?? excerpt(response.text)}` };
  }
  return undefined;
}

function endStatus(run: NotifyRun): DeployStatus {
  if (!run.error) return 'succeeded';
  return TIMEOUT_CODES.has(run.error.code) ? 'timed_out' : 'failed';
}

function endComment(run: NotifyRun): string | undefined {
  if (!run.error) return undefined;
  return excerpt(run.mask(`${run.ctx.status}: ${run.error.code}: ${run.error.message}`), 240);
}

function rollbar(o: Options) {
  const base = o.baseUrl ?? DEFAULT_BASE_URL;
  const headers = { 'X-Rollbar-Access-Token': o.accessToken ?? '' };
  // One Rollbar deploy per deployment: opened as `started`, closed with the outcome.
  const deploys = new WeakMap<DeploymentContext, number>();

  const create = async (run: NotifyRun, status: DeployStatus, comment?: string) => {
    const { ctx } = run;
    const note = comment ?? o.comment;
    const response = await run.send({
      what: `deploy ${status} of ${ctx.version} in ${o.environment}`,
      method: 'POST',
      url: vendorUrl(base, '/api/1/deploy'),
      headers,
      json: {
        environment: o.environment,
        revision: ctx.version,
        local_username: o.localUsername ?? deployUser(),
        ...(o.rollbarUsername ? { rollbar_username: o.rollbarUsername } : {}),
        ...(note ? { comment: note } : {}),
        status,
      },
      judge,
      id: (r) => (r.body as { data?: { deploy_id?: number } }).data?.deploy_id,
    });
    const id = (response.body as { data?: { deploy_id?: number } }).data?.deploy_id;
    if (typeof id === 'number') deploys.set(ctx, id);
  };

  const finish = async (run: NotifyRun) => {
    const status = endStatus(run);
    const comment = endComment(run);
    const id = deploys.get(run.ctx);
    // The `started` call failed (it only warns): record the outcome as a deploy of its own.
    if (id === undefined) return create(run, status, comment);
    await run.send({
      what: `deploy ${status}`,
      method: 'PATCH',
      url: vendorUrl(base, `/api/1/deploy/${id}`),
      headers,
      json: { status, ...(comment ? { comment } : {}) },
      judge,
      id: () => id,
    });
  };

  return {
    secrets: [o.accessToken],
    started: (run: NotifyRun) => create(run, 'started'),
    succeeded: finish,
    failed: finish,
  };
}

/** Rollbar deploys with start and end states: `started`, then `succeeded`, `failed` or `timed_out`. */
export default defineNotifier({
  name: PLUGIN_NAME,
  schema,
  env: { accessToken: 'ROLLBAR_ACCESS_TOKEN', localUsername: 'ROLLBAR_USERNAME' },
  requires: () => ['accessToken', 'environment'],
  create: rollbar,
});
