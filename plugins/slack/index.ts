import type { z } from 'zod';
import { formatDuration } from '../../lib/core/units.js';
import { defineNotifier, type NotifyRun } from '../../lib/notifier/define-notifier.js';
import { deployUser } from '../../lib/notifier/deploy-user.js';
import { excerpt } from '../../lib/notifier/excerpt.js';
import { httpUrl, notifierSchema } from '../../lib/notifier/options.js';
import { outcomeOf } from '../../lib/notifier/outcome.js';
import { urlSecrets } from '../../lib/notifier/secrets.js';
import { rebase } from '../../lib/notifier/vendor-url.js';

export const PLUGIN_NAME = 'slack';

const schema = notifierSchema({
  /** An incoming webhook URL; it is the credential, so it is masked like a token. */
  webhookUrl: httpUrl.optional(),
});

type Options = z.output<typeof schema>;

/** Slack reads `&`, `<` and `>` as markup in message text. */
function slackEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

const HEADLINES = {
  gate: ':large_green_circle: *%s* passed its postdeploy gate and is going live',
  succeeded: ':white_check_mark: *%s* deployed',
  failed: ':x: *%s* deployment failed',
} as const;

/** The message text: app, release, version, status, duration and who deployed; the error on failure. */
export function slackText(run: NotifyRun): string {
  const { ctx } = run;
  const outcome = outcomeOf(run);
  const moment = run.moment === 'failed' || run.moment === 'gate' ? run.moment : 'succeeded';
  const facts = [
    `release v${ctx.release}`,
    `version \`${slackEscape(ctx.version)}\``,
    `status ${outcome.status}`,
    `${moment === 'failed' ? 'after' : 'in'} ${formatDuration(outcome.durationMs)}`,
    `by ${slackEscape(deployUser())}`,
  ];
  const lines = [HEADLINES[moment].replace('%s', slackEscape(ctx.app)), facts.join(' · ')];
  if (outcome.error) lines.push(`> ${slackEscape(excerpt(`${outcome.error.code}: ${outcome.error.message}`, 500))}`);
  return lines.join('\n');
}

function post(o: Options) {
  return async (run: NotifyRun) => {
    await run.send({
      what: `a ${run.moment} message about ${run.ctx.app} v${run.ctx.release}`,
      method: 'POST',
      url: rebase(o.webhookUrl ?? '', o.baseUrl),
      json: { text: slackText(run) },
    });
  };
}

/** A Slack message through an incoming webhook, on success and on failure. */
export default defineNotifier({
  name: PLUGIN_NAME,
  schema,
  env: { webhookUrl: 'SLACK_WEBHOOK_URL' },
  requires: () => ['webhookUrl'],
  create: (o) => ({ secrets: urlSecrets(o.webhookUrl), succeeded: post(o), failed: post(o) }),
});
