import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { SlipwayError } from '../../lib/core/errors.js';
import { appArg, appOption } from '../args.js';
import { defineCommand } from '../command.js';

function template(app: string): string {
  return `# slipway configuration — every key: docs/configuration.md
app: ${app}

# The router's public port for this app (chosen by the agent when absent).
# port: 5000
# host: 127.0.0.1        # 0.0.0.0 to accept connections from other machines

# runtime: process       # process (local processes, the default), docker or swarm
# build: npm ci --omit=dev

# How many of each Procfile process type to run (web defaults to 1).
# formation:
#   web: 1
#   worker: 1

# App environment; values are never printed. Use \`slipway config:set\` for secrets.
# env:
#   NODE_ENV: production

# start:
#   timeout: 60s         # web must accept a connection on $PORT within this
# healthcheck:
#   path: /up            # optional HTTP check after the TCP check
# postdeploy:
#   timeout: 20m         # the postdeploy command is stopped after this (exit status -128)
#   memory: 512MB
# stop:
#   grace: 30s           # SIGTERM, then SIGKILL after this
# keepReleases: 5        # successful releases whose directories stay on disk for rollbacks (process runtime)

# docker:                # runtime: docker only
#   buildArgs:           # the Dockerfile's ARGs, passed to its build
#     NODE_ENV: production

# mode: postdeploy       # or heroku: the Procfile \`release\` runs before anything starts

# plugins:
#   - [rollbar, { environment: production }]
`;
}

export const { run, options } = defineCommand({ ...appOption, force: { type: 'boolean' } }, async ({ values }, io) => {
  const given = appArg(values.app, 'init');
  const dir = process.cwd();
  const file = join(dir, '.slipwayrc.yaml');
  if (existsSync(file) && !values.force) {
    throw new SlipwayError('USAGE', `${file} already exists; use --force to overwrite it`);
  }
  const app =
    given ??
    basename(dir)
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '') ??
    'app';
  await writeFile(file, template(app || 'app'));
  if (io.json) io.data({ file, app });
  else {
    io.out(`wrote ${file}`);
    if (!existsSync(join(dir, 'Procfile'))) io.out('next: add a Procfile with a `web: <command>` line');
    io.out('then: slipway check && slipway deploy');
  }
  return 0;
});
