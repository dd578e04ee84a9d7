import * as z from 'zod';
import { defineNotifier, type NotifyRun } from '../../lib/notifier/define-notifier.js';
import { deployUser } from '../../lib/notifier/deploy-user.js';
import type { NotifyResponse, Verdict } from '../../lib/notifier/http.js';
import { httpReason } from '../../lib/notifier/http.js';
import { httpUrl, notifierSchema, secretString } from '../../lib/notifier/options.js';
import { vendorUrl } from '../../lib/notifier/vendor-url.js';

export const PLUGIN_NAME = 'newrelic';

export const REGION_URLS = Object.freeze({
  US: 'https://api.newrelic.com',
  EU: 'https://api.eu.newrelic.com',
  JP: 'https://api.jp.newrelic.com',
});

/** New Relic retires the REST v2 deployments API on this date; NerdGraph change tracking replaces it. */
export const REST_V2_END_OF_LIFE = '2027-07-31';

/** NerdGraph error classes worth another attempt; anything else (BAD_API_KEY…) is final. */
const RETRYABLE_CLASSES = new Set(['TIMEOUT', 'INTERNAL_SERVER_ERROR', 'SERVER_ERROR', 'TOO_MANY_REQUESTS']);

export const MUTATION = `mutation SlipwayDeployment($deployment: ChangeTrackingDeploymentInput!) {
  changeTrackingCreateDeployment(deployment: $deployment) { deploymentId entityGuid }
}`;

const schema = notifierSchema({
  /** A user key (NRAK-…). */
  apiKey: secretString.optional(),
  entityGuid: z.string().trim().min(1).optional(),
  region: z
    .string()
    .transform((v) => v.trim().toUpperCase())
    .pipe(z.enum(['US', 'EU', 'JP']))
    .optional(),
  /** Selects the legacy REST v2 API (application id instead of entity GUID). */
  applicationId: z.union([z.int().positive(), z.string().regex(/^\d+$/, 'must be a number')]).optional(),
  user: z.string().min(1).optional(),
  description: z.string().optional(),
  changelog: z.string().optional(),
  deepLink: httpUrl.optional(),
});

type Options = z.output<typeof schema>;

interface GraphQLError {
  message?: string;
  extensions?: { errorClass?: string };
}

/** NerdGraph answers most errors with HTTP 200 and an `errors` array. */
export function judgeNerdGraph(response: NotifyResponse): Verdict | undefined {
  const body = response.body as { errors?: GraphQLError[]; data?: Record<string, { deploymentId?: string }> } | string;
  const errors = typeof body === 'object' && body !== null ? (body.errors ?? []) : [];
  if (errors.length > 0) {
    const reason = errors.map((e) => [e.extensions?.errorClass, e.message].filter(Boolean).join(': ')).join('; ');
    const retry =
      response.status === 429 ||
      response.status >= 500 ||
      errors.every((e) => RETRYABLE_CLASSES.has(e.extensions?.errorClass ?? ''));
    return { ok: false, retry, reason: `HTTP ${response.status} with errors: ${reason}` };
  }
  if (
    response.status === 200 &&
    typeof body === 'object' &&
    !body?.data?.changeTrackingCreateDeployment?.deploymentId
  ) {
    return { ok: false, retry: false, reason: `no deploymentId in the answer: ${httpReason(response)}` };
  }
  return undefined;
}

function nerdGraph(o: Options) {
  return async (run: NotifyRun) => {
    const { ctx } = run;
    await run.send({
      what: `deployment ${ctx.version} of entity ${o.entityGuid}`,
      method: 'POST',
      url: vendorUrl(o.baseUrl ?? REGION_URLS[o.region ?? 'US'], '/graphql'),
      headers: { 'API-Key': o.apiKey ?? '' },
      json: {
        query: MUTATION,
        variables: {
          deployment: {
            entityGuid: o.entityGuid,
            version: ctx.version,
            user: o.user ?? deployUser(),
            description: o.description ?? `${ctx.app} release v${ctx.release} deployed by slipway`,
            ...(o.changelog ? { changelog: o.changelog } : {}),
            ...(o.deepLink ? { deepLink: o.deepLink } : {}),
            deploymentType: 'BASIC',
            timestamp: Date.now(),
          },
        },
      },
      judge: judgeNerdGraph,
      id: (r) =>
        (r.body as { data: { changeTrackingCreateDeployment: { deploymentId: string } } }).data
          .changeTrackingCreateDeployment.deploymentId,
    });
  };
}

/** The legacy REST v2 call, kept for apps that only know their application id. */
function restV2(o: Options) {
  return async (run: NotifyRun) => {
    const { ctx } = run;
    ctx.warn({
      plugin: PLUGIN_NAME,
      message: `the New Relic REST v2 deployments API (applicationId) reaches end of life on ${REST_V2_END_OF_LIFE}; set entityGuid to use NerdGraph change tracking`,
    });
    await run.send({
      what: `deployment ${ctx.version} of application ${o.applicationId}`,
      method: 'POST',
      url: vendorUrl(
        o.baseUrl ?? REGION_URLS[o.region ?? 'US'],
        `/v2/applications/${o.applicationId}/deployments.json`,
      ),
      headers: { 'Api-Key': o.apiKey ?? '' },
      json: {
        deployment: {
          revision: ctx.version.slice(0, 127),
          description: o.description ?? `${ctx.app} release v${ctx.release} deployed by slipway`,
          user: (o.user ?? deployUser()).slice(0, 31),
          ...(o.changelog ? { changelog: o.changelog } : {}),
          timestamp: new Date().toISOString(),
        },
      },
      id: (r) => (r.body as { deployment?: { id?: number } }).deployment?.id,
    });
  };
}

/** New Relic deployment markers: NerdGraph change tracking, or REST v2 with `applicationId`. */
export default defineNotifier({
  name: PLUGIN_NAME,
  schema,
  env: {
    apiKey: 'NEW_RELIC_API_KEY',
    entityGuid: 'NEW_RELIC_DEPLOYMENT_ENTITY_GUID',
    region: 'NEW_RELIC_REGION',
  },
  requires: (o) => (o.applicationId ? ['apiKey'] : ['apiKey', 'entityGuid']),
  create: (o) => ({
    secrets: [o.apiKey],
    succeeded: o.applicationId ? restV2(o) : nerdGraph(o),
  }),
});
