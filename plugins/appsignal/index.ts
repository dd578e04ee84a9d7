import * as z from 'zod';
import { defineNotifier, type NotifyRun } from '../../lib/notifier/define-notifier.js';
import { deployUser } from '../../lib/notifier/deploy-user.js';
import type { NotifyResponse, Verdict } from '../../lib/notifier/http.js';
import { httpReason } from '../../lib/notifier/http.js';
import { notifierSchema, secretString } from '../../lib/notifier/options.js';
import { vendorUrl } from '../../lib/notifier/vendor-url.js';

export const PLUGIN_NAME = 'appsignal';

export const DEFAULT_BASE_URL = 'https://push.appsignal.com';

const schema = notifierSchema({
  /** The app's Push API key (not the Front-end key). */
  pushApiKey: secretString.optional(),
  appName: z.string().trim().min(1).optional(),
  environment: z.string().trim().min(1).optional(),
  user: z.string().min(1).optional(),
  repository: z.string().optional(),
});

type Options = z.output<typeof schema>;

/** The Push API's only success is a 200; any other 2xx means the marker was not made. */
function judge(response: NotifyResponse): Verdict | undefined {
  if (response.status === 200) return { ok: true };
  if (response.status < 300) return { ok: false, retry: false, reason: httpReason(response) };
  return undefined;
}

function marker(o: Options) {
  return async (run: NotifyRun) => {
    const { ctx } = run;
    const query = new URLSearchParams({
      api_key: o.pushApiKey ?? '',
      name: o.appName ?? '',
      environment: o.environment ?? '',
    });
    await run.send({
      what: `deploy marker ${ctx.version} for ${o.appName} (${o.environment})`,
      method: 'POST',
      url: vendorUrl(o.baseUrl ?? DEFAULT_BASE_URL, `/1/markers?${query}`),
      json: {
        revision: ctx.version,
        user: o.user ?? deployUser(),
        ...(o.repository ? { repository: o.repository } : {}),
      },
      judge,
      id: (r) => (typeof r.body === 'object' ? (r.body as { id?: unknown }).id : undefined),
    });
  };
}

/** AppSignal deploy markers through the Push API. */
export default defineNotifier({
  name: PLUGIN_NAME,
  schema,
  env: {
    pushApiKey: 'APPSIGNAL_PUSH_API_KEY',
    appName: 'APPSIGNAL_APP_NAME',
    environment: 'APPSIGNAL_APP_ENV',
    baseUrl: 'APPSIGNAL_PUSH_API_ENDPOINT',
  },
  requires: () => ['pushApiKey', 'appName', 'environment'],
  create: (o) => ({ secrets: [o.pushApiKey], succeeded: marker(o) }),
});
