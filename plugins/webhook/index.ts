import { createHmac } from 'node:crypto';
import type { z } from 'zod';
import type { DeploymentRecord } from '../../lib/core/context.js';
import { defineNotifier, type NotifyRun } from '../../lib/notifier/define-notifier.js';
import { httpUrl, notifierSchema, secretString } from '../../lib/notifier/options.js';
import { outcomeOf } from '../../lib/notifier/outcome.js';
import { rebase } from '../../lib/notifier/vendor-url.js';

export const PLUGIN_NAME = 'webhook';

export const SIGNATURE_HEADER = 'X-Slipway-Signature';

export type WebhookEvent = 'deployment.finished' | 'deployment.gate';

/** What a webhook receives: the deployment record, and which moment sent it. */
export interface WebhookPayload extends DeploymentRecord {
  event: WebhookEvent;
}

const schema = notifierSchema({
  url: httpUrl.optional(),
  /** Key for the HMAC-SHA256 signature of the body. */
  secret: secretString.optional(),
});

type Options = z.output<typeof schema>;

/** `sha256=<hex HMAC-SHA256 of the exact body bytes>`, as GitHub signs its webhooks. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export function payload(run: NotifyRun, event: WebhookEvent): WebhookPayload {
  const { ctx } = run;
  const outcome = outcomeOf(run);
  const finished = event === 'deployment.finished';
  return {
    event,
    id: ctx.id,
    app: ctx.app,
    release: ctx.release,
    version: ctx.version,
    kind: ctx.kind,
    mode: ctx.mode,
    status: outcome.status,
    hookExitCode: ctx.hook?.exitCode ?? null,
    hookReason: ctx.hook?.reason ?? null,
    warnings: ctx.warnings.map((w) => ({ ...w, message: run.mask(w.message) })),
    error: outcome.error,
    startedAt: ctx.startedAt.toISOString(),
    finishedAt: finished ? new Date().toISOString() : null,
    durationMs: finished ? outcome.durationMs : null,
    sourceRelease: ctx.sourceRelease,
  };
}

function deliver(o: Options, event: WebhookEvent) {
  return async (run: NotifyRun) => {
    // Signed and sent as one string: the signature must cover exactly these bytes.
    const body = JSON.stringify(payload(run, event));
    await run.send({
      what: `${event} (${run.ctx.status})`,
      method: 'POST',
      url: rebase(o.url ?? '', o.baseUrl),
      headers: {
        'content-type': 'application/json',
        'X-Slipway-Event': event,
        ...(o.secret ? { [SIGNATURE_HEADER]: signature(o.secret, body) } : {}),
      },
      body,
    });
  };
}

/** Credentials written into the URL itself are masked too. */
function urlCredentials(url: string | undefined): string[] {
  if (!url) return [];
  const { password, search } = new URL(url);
  return [password, search.length > 1 ? search : ''].filter(Boolean);
}

/** POSTs the deployment record as JSON when a deployment ends, optionally signed. */
export default defineNotifier({
  name: PLUGIN_NAME,
  schema,
  requires: () => ['url'],
  create: (o) => ({
    secrets: [o.secret, ...urlCredentials(o.url)],
    done: deliver(o, 'deployment.finished'),
    gate: deliver(o, 'deployment.gate'),
  }),
});
