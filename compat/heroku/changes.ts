/**
 * The report's items: each behaviour that is different on slipway for this
 * app, in words a team leaving Heroku can act on. The facts come from
 * Heroku's release phase (before boot, every new release, 1 h limit) and
 * Scalingo's postdeploy (after start, before traffic, 20 min, 512 MB).
 */
import type { AppJson } from './app-json.js';
import type { HerokuYml } from './heroku-yml.js';
import type { Change } from './plan.js';

const keys = (names: string[]) => names.join(', ');

export function postdeployModeChanges(release: { command: string; source: string } | null): Change[] {
  const out: Change[] = [];
  if (release) {
    const c = `\`${release.command}\``;
    out.push(
      {
        id: 'release-becomes-postdeploy',
        source: release.source,
        title: 'The release command becomes the postdeploy command',
        detail: `${c} moves to \`postdeploy:\` in the Procfile. As on Heroku, it runs once per deployment in a one-off process with the app's env and its own copy of the build, and if it fails the deployment fails (hook-error) and the previous release keeps serving.`,
      },
      {
        id: 'release-order',
        source: release.source,
        title: 'It runs after the new processes start, not before they boot',
        detail:
          'Heroku ran the release command before any dyno of the new release booted. slipway starts the new processes first (each web process must accept connections on $PORT within 60 s), then runs postdeploy, then switches traffic. The new code must therefore boot against the database as it was before the migration; it gets no traffic until postdeploy succeeded.',
      },
      {
        id: 'release-triggers',
        source: release.source,
        title: 'Config var changes no longer run it',
        detail:
          "On Heroku every new release ran the release command, including the ones made by a config var change or an add-on change. `slipway config:set` and `config:unset` store the vars and restart the live processes without running postdeploy. `slipway rollback` still runs the earlier build's postdeploy, as a Heroku rollback ran its release command.",
      },
      {
        id: 'release-limits',
        source: release.source,
        title: '20 minutes instead of 1 hour, and 512 MB',
        detail:
          'Heroku stopped a release command after 1 hour. postdeploy is stopped after 20 minutes (exit status -128) and killed above 512 MB of memory; either fails the deployment with hook-error. Raise `postdeploy.timeout` or `postdeploy.memory` in .slipwayrc.yaml if a migration needs more.',
      },
      {
        id: 'release-output',
        source: release.source,
        title: 'Its output is in `slipway logs`',
        detail:
          '`heroku releases:output` becomes `slipway logs` (the postdeploy part of the deployment). `heroku releases:retry` has no postdeploy-mode equivalent: deploy again.',
      },
    );
  }
  out.push({
    id: 'dyno-metadata',
    title: 'No HEROKU_* variables and no DYNO',
    detail:
      'HEROKU_APP_NAME, HEROKU_APP_ID, HEROKU_RELEASE_VERSION, HEROKU_SLUG_COMMIT and the other dyno metadata, and DYNO, are only set in heroku mode. Use APP, CONTAINER (`web-1`) and CONTAINER_VERSION (the deployed revision) instead.',
  });
  return out;
}

export function herokuModeChanges(release: { command: string; source: string } | null): Change[] {
  const out: Change[] = [];
  if (release) {
    out.push(
      {
        id: 'release-phase-kept',
        source: release.source,
        title: 'The release command keeps running in a release phase',
        detail: `With \`mode: heroku\`, \`${release.command}\` runs after the build and before any new process starts, with a 1 hour limit, for every new release: a deployment, \`slipway config:set\` / \`config:unset\`, \`slipway rollback\` and \`slipway releases:retry\`. If it fails, nothing new starts and the previous release keeps serving; its output is in \`slipway releases:output\`.`,
      },
      {
        id: 'release-triggers',
        source: release.source,
        title: 'No add-on or pipeline releases',
        detail:
          'Heroku also made a release, and ran the release command, when an add-on was provisioned and on a pipeline promotion. slipway has neither, so those releases no longer happen.',
      },
      {
        id: 'release-limits',
        source: release.source,
        title: '512 MB for the release command',
        detail:
          'The release command runs in its own copy of the build with at most 512 MB of memory (`postdeploy.memory`); going over it fails the release (hook-error) and nothing new starts.',
      },
    );
  }
  out.push({
    id: 'dyno-metadata',
    title: "Dyno metadata has slipway's values",
    detail:
      "HEROKU_APP_NAME, HEROKU_APP_ID, HEROKU_RELEASE_VERSION (`vN`), HEROKU_RELEASE_CREATED_AT, HEROKU_SLUG_COMMIT, HEROKU_SLUG_DESCRIPTION, HEROKU_DYNO_ID and DYNO (`web.1`, `release.N`) are set, with slipway's values: HEROKU_APP_ID is the app's id on this machine and release numbers start again at v1.",
  });
  return out;
}

export function appJsonChanges(appJson: AppJson, formation: { counts: Record<string, number> }): Change[] {
  const out: Change[] = [];
  if (appJson.postdeploy) {
    out.push({
      id: 'app-json-postdeploy',
      source: appJson.postdeploy.source,
      title: 'app.json postdeploy becomes scripts.first-deploy',
      detail: `Heroku ran \`${appJson.postdeploy.value}\` once, after the (review) app was created. slipway runs \`scripts.first-deploy\` after the app's first successful deployment, and again at each deployment until it has succeeded once. The app is already live when it runs, so its failure is a warning, not a failed deployment.`,
    });
  }
  if (appJson.prPredestroy) {
    out.push({
      id: 'pr-predestroy',
      source: appJson.prPredestroy.source,
      title: 'pr-predestroy has no equivalent',
      detail: `Heroku ran \`${appJson.prPredestroy.value}\` before destroying a review app. slipway has no review apps and never runs it: run it yourself (\`slipway run -- ${appJson.prPredestroy.value}\`) before removing an app.`,
    });
  }
  const secrets = appJson.env.filter((e) => e.secret);
  if (secrets.length > 0) {
    out.push({
      id: 'env-secret',
      source: secrets[0]!.source,
      title: 'Generated secrets must be set by hand',
      detail: `Heroku generated ${keys(secrets.map((e) => e.key))} (\`generator: secret\`) when the app was created. Set each once with \`slipway config:set KEY=$(openssl rand -hex 32)\`: config vars are kept by the agent, never in the config file.`,
    });
  }
  const missing = appJson.env.filter((e) => !e.secret && e.required && e.value === undefined);
  if (missing.length > 0) {
    out.push({
      id: 'env-required',
      source: missing[0]!.source,
      title: 'Required config vars have no value',
      detail: `app.json requires ${keys(missing.map((e) => e.key))} without giving a value; Heroku asked for them when the app was created. Set them with \`slipway config:set\` before the first deployment.`,
    });
  }
  const optional = appJson.env.filter((e) => !e.secret && !e.required && e.value === undefined);
  if (optional.length > 0) {
    out.push({
      id: 'env-optional',
      source: optional[0]!.source,
      title: 'Optional config vars are left unset',
      detail: `${keys(optional.map((e) => e.key))}: optional in app.json and without a value, so nothing is set; use \`slipway config:set\` if the app needs them.`,
    });
  }
  const valued = appJson.env.filter((e) => !e.secret && e.value !== undefined);
  if (valued.length > 0) {
    out.push({
      id: 'env-values',
      source: valued[0]!.source,
      title: 'app.json values become `env`',
      detail: `${keys(valued.map((e) => e.key))} go into \`env\` in .slipwayrc.yaml, committed with the code as app.json was. \`slipway config:set\` overrides them; put secrets there, not in the file.`,
    });
  }
  const sized = appJson.formation.filter((f) => f.size);
  if (appJson.formation.length > 0) {
    const counts = Object.entries(formation.counts)
      .map(([t, n]) => `${t}: ${n}`)
      .join(', ');
    const sizes = sized.map((f) => `\`${f.size}\` (${f.type})`).join(' and ');
    out.push({
      id: 'formation',
      source: appJson.formation[0]!.source,
      title: 'Process counts are kept, dyno sizes are not',
      detail: `${counts ? `\`formation\` gets ${counts}. ` : ''}Every process runs as size M (512 MB): there are no dyno sizes${sizes ? `, so ${sizes} no longer ${sized.length > 1 ? 'apply' : 'applies'}` : ''}.`,
    });
  }
  return out;
}

export function buildChange(
  appJson: AppJson | undefined,
  suggestion: string | undefined,
  detected: string | undefined,
): Change {
  const packs = appJson?.buildpacks.map((b) => b.value) ?? [];
  const how = packs.length
    ? `with buildpacks (${packs.join(', ')}${appJson?.stack ? `; stack ${appJson.stack.value}` : ''})`
    : `with ${detected ? `the ${detected} buildpack it detected` : 'the buildpack it detected'}${appJson?.stack ? ` on stack ${appJson.stack.value}` : ''}`;
  return {
    id: 'build',
    source: appJson?.buildpacks[0]?.source ?? appJson?.stack?.source,
    title: 'No buildpacks: say how to build',
    detail: `Heroku built the app ${how}. slipway's process runtime copies the directory and runs \`build\` when set${suggestion ? ` — for this app probably \`build: ${suggestion}\`` : ''}; or use \`runtime: docker\` with a Dockerfile.`,
  };
}

export function herokuYmlChanges(yml: HerokuYml, usesProcfile: boolean, releaseCommand: string | undefined): Change[] {
  const out: Change[] = [];
  const web = yml.dockerfiles.find((d) => d.type === 'web') ?? yml.dockerfiles[0];
  if (web) {
    out.push({
      id: 'docker-build',
      source: web.source,
      title: 'Built from the Dockerfile with the docker runtime',
      detail: `heroku.yml built \`${web.type}\` from ${web.path}: .slipwayrc.yaml sets \`runtime: docker\` and \`docker.dockerfile: ${web.path}\`. slipway builds one image per app; every process and one-off runs in it.`,
    });
  }
  if (!usesProcfile && yml.run.length > 0) {
    out.push({
      id: 'procfile-from-heroku-yml',
      source: yml.run[0]!.source,
      title: 'The processes move to a Procfile',
      detail: `slipway reads process types from a Procfile; it is written from heroku.yml \`run\`${yml.release ? ' and `release`' : ''}.`,
    });
  }
  if (!usesProcfile && yml.run.length > 0 && !yml.run.some((p) => p.type === 'web')) {
    out.push({
      id: 'web-command',
      source: yml.run[0]!.source,
      title: 'No web command',
      detail:
        "heroku.yml has no `run.web`, so Heroku ran the image's CMD for web. Add `web: <command>` to the Procfile: slipway starts the processes the Procfile names.",
    });
  }
  if (yml.release?.image && yml.release.image !== (web?.type ?? 'web')) {
    const dockerfile = yml.dockerfiles.find((d) => d.type === yml.release!.image)?.path;
    out.push({
      id: 'release-image',
      source: yml.release.source,
      title: "The release command runs in the app's image",
      detail: `heroku.yml ran it in the \`${yml.release.image}\` image${dockerfile ? ` (${dockerfile})` : ''}. slipway runs it in the one app image, so \`${releaseCommand ?? yml.release.command}\` and what it needs must be in ${web?.path ?? 'the Dockerfile'}.`,
    });
  }
  if (yml.buildArgs.length > 0 && web) {
    out.push({
      id: 'build-config',
      source: yml.buildArgs[0]!.source,
      title: 'build.config becomes `docker.buildArgs`',
      detail: `${keys(yml.buildArgs.map((a) => a.key))}: passed to the Docker build of ${web.path} as build arguments (\`ARG\` in the Dockerfile), as Heroku did; they go into \`docker.buildArgs\` in .slipwayrc.yaml.`,
    });
  }
  if (yml.setupConfig.length > 0) {
    out.push({
      id: 'setup-config',
      source: yml.setupConfig[0]!.source,
      title: 'setup.config becomes `env`',
      detail: `${keys(yml.setupConfig.map((c) => c.key))}: set by heroku.yml when the app was created; they go into \`env\` in .slipwayrc.yaml. Secrets belong in \`slipway config:set\` instead.`,
    });
  }
  return out;
}
