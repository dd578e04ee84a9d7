import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lintPostdeploy } from '../lib/procfile/postdeploy-lint.js';

const builds = [
  'npm run build',
  'pnpm run build:css',
  'yarn build',
  'pnpm build',
  'bun run build',
  'npx webpack --mode production',
  'webpack-cli',
  'vite build',
  'npx next build',
  'nuxt build',
  'parcel build src/index.html',
  'esbuild app.ts --bundle --outdir=public',
  'rollup -c',
  'tsc',
  'tsc -p tsconfig.build.json',
  './node_modules/.bin/tsc',
  'gulp',
  'grunt build',
  'tailwindcss -i in.css -o public/out.css',
  'rake assets:precompile',
  'bundle exec rake assets:precompile',
  'bin/rails assets:precompile',
  'python manage.py collectstatic --noinput',
  'mix assets.deploy',
  'npm run migrate && npm run build',
  'rake db:migrate; gulp build',
];

const notBuilds = [
  'npm run migrate',
  'bundle exec rake db:migrate',
  'python manage.py migrate',
  'node scripts/seed.js',
  'npm run build-db-index',
  'yarn buildkite-notify',
  'tsc --noEmit',
  'npx tsc -p . --noEmit && node migrate.js',
  'node tsc-helper.js',
  'php artisan migrate --force',
  '',
];

test('warns about asset builds, naming the tool and where builds belong', () => {
  for (const command of builds) {
    const warning = lintPostdeploy(command);
    assert.type(warning, 'string', `expected a warning for ${JSON.stringify(command)}`);
    assert.match(warning as string, /looks like an asset build/);
    assert.match(warning as string, /never seen by the web processes/);
    assert.match(warning as string, /`build`/);
  }
});

test('quotes the part of the command that looks like a build', () => {
  assert.match(lintPostdeploy('npm run migrate && npm run build') as string, /runs "npm run build"/);
  assert.match(lintPostdeploy('bundle exec rake assets:precompile') as string, /runs "rake assets:precompile"/);
});

test('stays quiet for migrations and other one-off tasks', () => {
  for (const command of notBuilds) {
    assert.is(lintPostdeploy(command), undefined, `no warning expected for ${JSON.stringify(command)}`);
  }
});

test.run();
