/**
 * Builds the migration plan of a Heroku app: the slipway config, the
 * Procfile, and the report of what behaves differently. Writes nothing;
 * reads only what the release command runs (package.json, scripts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultAppName } from '../../lib/config/load-config.js';
import { APP_NAME_PATTERN } from '../../lib/config/schema.js';
import { SlipwayError } from '../../lib/core/errors.js';
import type { Mode } from '../../lib/core/types.js';
import { formatProcfile } from '../../lib/procfile/procfile.js';
import { appJsonChanges, buildChange, herokuModeChanges, herokuYmlChanges, postdeployModeChanges } from './changes.js';
import { chooseMode } from './choose-mode.js';
import type { Change, MigrationPlan, PlannedFile } from './plan.js';
import type { NotCarried } from './problems.js';
import type { HerokuApp } from './read-app.js';
import { releaseSteps } from './release-command.js';
import { renderSlipwayrc } from './slipwayrc.js';

export interface PlanOptions {
  /** Overrides the mode slipway would choose. */
  mode?: Mode;
  /** Overrides the app name (app.json `name`, else the directory's). */
  app?: string;
}

/** Process types that are one-offs: never counted in a formation. */
const ONE_OFF = new Set(['release', 'postdeploy']);

function appName(app: HerokuApp, override?: string): { name: string; change?: Change } {
  if (override !== undefined) {
    if (!APP_NAME_PATTERN.test(override) || override.length > 63) {
      throw new SlipwayError('USAGE', `--app: "${override}" is not an app name (lowercase letters, digits and "-")`);
    }
    return { name: override };
  }
  const given = app.appJson?.name;
  if (!given) return { name: defaultAppName(app.dir) };
  const name = defaultAppName(given.value);
  if (name === given.value) return { name };
  return {
    name,
    change: {
      id: 'app-name',
      source: given.source,
      title: 'App name',
      detail: `app.json names the app "${given.value}"; slipway app names are DNS labels, so it is "${name}" (or give --app).`,
    },
  };
}

/** The build command a buildpack ran for this kind of app, when the files say which. */
function detectBuild(dir: string): { language?: string; suggestion?: string } {
  if (existsSync(join(dir, 'Gemfile'))) return { language: 'Ruby', suggestion: 'bundle install' };
  if (existsSync(join(dir, 'package.json'))) {
    let build = false;
    try {
      build = typeof JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))?.scripts?.build === 'string';
    } catch {
      // an unreadable package.json gets the plain suggestion
    }
    return { language: 'Node.js', suggestion: build ? 'npm ci && npm run build' : 'npm ci' };
  }
  if (existsSync(join(dir, 'requirements.txt'))) {
    return { language: 'Python', suggestion: 'pip install -r requirements.txt' };
  }
  return {};
}

/** Renames the `release:` line to `postdeploy:`, keeping every other byte (comments, order) as it was. */
function renameRelease(text: string, line: number): string {
  const lines = text.split('\n');
  lines[line - 1] = lines[line - 1]!.replace(/^(\s*)release(\s*):/i, '$1postdeploy$2:');
  return lines.join('\n');
}

export function buildPlan(app: HerokuApp, options: PlanOptions = {}): MigrationPlan {
  const { procfile, appJson, herokuYml: yml } = app;
  const changes: Change[] = [];
  const notCarried: NotCarried[] = [...(appJson?.notCarried ?? []), ...(yml?.notCarried ?? [])];
  const name = appName(app, options.app);
  if (name.change) changes.push(name.change);

  // Processes: the Procfile when there is one (heroku.yml `run` is then only reported), else heroku.yml.
  let processes: Record<string, string>;
  let release: { command: string; source: string } | null = null;
  if (procfile) {
    processes = { ...procfile.parsed.processes };
    if (processes.release)
      release = { command: processes.release, source: `Procfile:${procfile.parsed.lines.release}` };
    for (const p of yml?.run ?? []) {
      notCarried.push({
        source: p.source,
        key: `run.${p.type}`,
        detail: 'the Procfile defines the processes; slipway reads only the Procfile',
      });
    }
    if (yml?.release) {
      notCarried.push({
        source: yml.release.source,
        key: 'release',
        detail: 'the Procfile defines the processes; slipway reads only the Procfile',
      });
    }
  } else {
    processes = {};
    for (const p of yml?.run ?? []) if (p.command) processes[p.type] = p.command;
    if (yml?.release) {
      processes.release = yml.release.command;
      release = { command: yml.release.command, source: yml.release.source };
    }
  }
  for (const p of procfile ? [] : (yml?.run ?? [])) {
    if (p.image && p.image !== 'web') {
      notCarried.push({
        source: p.source,
        key: `run.${p.type}.image`,
        detail: `slipway runs every process in the one app image, not in the \`${p.image}\` image`,
      });
    }
  }
  for (const d of yml?.dockerfiles ?? []) {
    if (d.type !== 'web' && yml!.dockerfiles.some((w) => w.type === 'web')) {
      notCarried.push({
        source: d.source,
        key: `build.docker.${d.type}`,
        detail: `slipway builds one image per app (from the \`web\` Dockerfile); ${d.path} is not built`,
      });
    }
  }
  if (yml?.release?.image) {
    notCarried.push({
      source: yml.release.source,
      key: 'release.image',
      detail: "the release command runs in the app's one image",
    });
  }
  if (yml?.buildArgs.length && !yml.dockerfiles.length) {
    notCarried.push({
      source: yml.buildArgs[0]!.source,
      key: 'build.config',
      detail: 'heroku.yml builds no Dockerfile (no build.docker), so there is no Docker build to pass them to',
      keys: yml.buildArgs.map((a) => a.key),
    });
  }
  if (appJson?.prPredestroy) {
    notCarried.push({
      source: appJson.prPredestroy.source,
      key: 'scripts.pr-predestroy',
      detail: 'slipway has no review apps; nothing runs before an app is removed',
    });
  }

  const steps = release ? releaseSteps(app.dir, release.command, release.source) : [];
  const choice = chooseMode(release ? { command: release.command, steps } : null);
  const mode = options.mode ?? choice.mode;

  // The Procfile slipway will read.
  const files: PlannedFile[] = [];
  let procfileFile: PlannedFile;
  const renamed = mode === 'postdeploy' && release !== null && processes.postdeploy === undefined;
  if (mode === 'postdeploy' && release && processes.postdeploy !== undefined) {
    changes.push({
      id: 'release-and-postdeploy',
      source: release.source,
      title: 'Both release and postdeploy',
      detail: `The Procfile has both; in postdeploy mode \`release\` never runs. Fold \`${release.command}\` into \`postdeploy\` by hand, or use --mode heroku.`,
    });
  }
  if (procfile) {
    const content = renamed ? renameRelease(procfile.text, procfile.parsed.lines.release!) : procfile.text;
    procfileFile = renamed
      ? { path: 'Procfile', action: 'overwrite', summary: 'release → postdeploy', content }
      : { path: 'Procfile', action: 'unchanged', summary: 'as it is', content };
  } else {
    const ordered = Object.fromEntries(
      Object.entries(processes).map(([t, c]) => [renamed && t === 'release' ? 'postdeploy' : t, c]),
    );
    procfileFile = {
      path: 'Procfile',
      action: 'create',
      summary: `from heroku.yml${renamed ? ' (release → postdeploy)' : ''}`,
      content: formatProcfile(ordered),
    };
  }

  // Formation: app.json quantities of the types the Procfile has.
  const counts: Record<string, number> = {};
  for (const f of appJson?.formation ?? []) {
    if (f.quantity === undefined) continue;
    if (processes[f.type] !== undefined && !ONE_OFF.has(f.type)) counts[f.type] = f.quantity;
    else
      notCarried.push({
        source: f.source,
        key: `formation.${f.type}`,
        detail: `the Procfile has no "${f.type}" process to run`,
      });
  }

  const env: Record<string, string> = {};
  for (const e of appJson?.env ?? []) if (!e.secret && e.value !== undefined) env[e.key] = e.value;
  for (const c of yml?.setupConfig ?? []) env[c.key] = c.value;

  const web = yml?.dockerfiles.find((d) => d.type === 'web') ?? yml?.dockerfiles[0];
  const sources = [...(procfile ? ['Procfile'] : []), ...(appJson ? ['app.json'] : []), ...(yml ? ['heroku.yml'] : [])];
  for (const s of steps) {
    const file = s.source.replace(/( scripts\..*|:\d+(:\d+)?)$/, '');
    if (!sources.includes(file)) sources.push(file);
  }

  const config = renderSlipwayrc({
    app: name.name,
    mode,
    modeReason: options.mode && options.mode !== choice.mode ? 'chosen with --mode' : choice.reason,
    ...(web
      ? {
          docker: {
            dockerfile: web.path,
            ...(yml?.buildArgs.length
              ? { buildArgs: Object.fromEntries(yml.buildArgs.map((a) => [a.key, a.value])) }
              : {}),
          },
        }
      : {}),
    formation: counts,
    env,
    envSources: [
      ...(appJson?.env.some((e) => !e.secret && e.value !== undefined) ? ['app.json'] : []),
      ...(yml?.setupConfig.length ? ['heroku.yml setup.config'] : []),
    ],
    ...(appJson?.postdeploy ? { firstDeploy: appJson.postdeploy.value } : {}),
    sources: sources.filter((s) => ['Procfile', 'app.json', 'heroku.yml'].includes(s)),
  });
  files.push({
    path: '.slipwayrc.yaml',
    action: existsSync(join(app.dir, '.slipwayrc.yaml')) ? 'overwrite' : 'create',
    summary: `app ${name.name}, mode ${mode}`,
    content: config,
  });
  files.push(procfileFile);

  changes.push(...(mode === 'heroku' ? herokuModeChanges(release) : postdeployModeChanges(release)));
  if (appJson) changes.push(...appJsonChanges(appJson, { counts }));
  if (yml) changes.push(...herokuYmlChanges(yml, Boolean(procfile), release?.command));
  if (!web) {
    const detected = detectBuild(app.dir);
    changes.push(buildChange(appJson, detected.suggestion, detected.language));
  }

  const nextSteps: string[] = [];
  for (const e of appJson?.env ?? []) {
    if (e.secret) nextSteps.push(`slipway config:set --app ${name.name} ${e.key}=$(openssl rand -hex 32)`);
    else if (e.required && e.value === undefined) nextSteps.push(`slipway config:set --app ${name.name} ${e.key}=…`);
  }
  nextSteps.push('slipway check', 'slipway deploy');

  // In file order, so the list reads along with the files.
  const order = (source: string) => {
    const [file = '', line = '0', column = '0'] = source.split(':');
    return [sources.indexOf(file), Number(line), Number(column)];
  };
  notCarried.sort((a, b) => {
    const [x, y] = [order(a.source), order(b.source)];
    return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
  });

  return {
    app: name.name,
    sources,
    mode,
    suggestedMode: choice.mode,
    modeReason: choice.reason,
    release: release ? { ...release, steps } : null,
    files,
    changes,
    notCarried,
    nextSteps,
  };
}
