import { formationPlan, isOneOff } from '../../lib/core/formation-plan.js';
import { loadPlugins } from '../../lib/core/plugins.js';
import { formatBytes, formatDuration } from '../../lib/core/units.js';
import { defineCommand } from '../command.js';
import { preflight } from '../preflight.js';

export const { run, options } = defineCommand({}, async ({ positionals }, io) => {
  const { config, procfile, warnings } = await preflight(positionals[0] ?? '.');
  await loadPlugins(config.plugins, config.dir);
  // Counted as the runtimes count them, so a formation type missing from the Procfile fails here too.
  const formation: Record<string, number> = {};
  for (const type of Object.keys(procfile.processes)) if (!isOneOff(type)) formation[type] = 0;
  for (const p of formationPlan(procfile, config.formation)) formation[p.type] = (formation[p.type] ?? 0) + 1;
  const hookType = config.mode === 'heroku' ? 'release' : 'postdeploy';
  const hook = procfile.processes[hookType];
  const plugins = config.plugins.map((p) => (typeof p === 'string' ? p : Array.isArray(p) ? p[0] : p.name));
  const plan = {
    app: config.app,
    configFile: config.file ?? null,
    runtime: config.runtime,
    mode: config.mode,
    port: config.port ?? null,
    host: config.host,
    build: config.build ?? null,
    formation,
    hook: hook
      ? {
          type: hookType,
          command: hook,
          timeoutMs: config.mode === 'heroku' ? 3600_000 : config.postdeploy.timeout,
          memoryBytes: config.postdeploy.memory,
        }
      : null,
    startTimeoutMs: config.start.timeout,
    stopGraceMs: config.stop.grace,
    healthcheck: config.healthcheck ?? null,
    plugins,
    envKeys: Object.keys(config.env),
    warnings,
  };
  if (io.json) {
    io.data(plan);
    return 0;
  }
  const c = io.color;
  io.out(`${c.bold(config.app)} — ${config.file ? `config from ${config.file}` : 'no config file (defaults)'}`);
  io.out(`  runtime     ${config.runtime} (${config.mode} mode)`);
  io.out(`  router      ${config.host}:${config.port ?? '(chosen by the agent)'}`);
  io.out(`  build       ${config.build ?? '(none)'}`);
  io.out(
    `  formation   ${
      Object.entries(formation)
        .map(([t, n]) => `${t}×${n}`)
        .join(', ') || '(nothing to start)'
    }`,
  );
  io.out(
    `  start       ready on $PORT within ${formatDuration(config.start.timeout)}${config.healthcheck ? `, then GET ${config.healthcheck.path} 2xx/3xx` : ''}`,
  );
  if (plan.hook) {
    io.out(`  ${hookType.padEnd(11)} ${plan.hook.command}`);
    io.out(
      `              limits: ${formatDuration(plan.hook.timeoutMs)}, ${formatBytes(plan.hook.memoryBytes)}; failure keeps the live release serving`,
    );
  } else io.out(`  ${hookType.padEnd(11)} (none)`);
  io.out(`  stop        SIGTERM, SIGKILL after ${formatDuration(config.stop.grace)}`);
  io.out(`  env         ${plan.envKeys.length ? plan.envKeys.join(', ') : '(none)'} (values hidden)`);
  io.out(`  plugins     ${plugins.length ? plugins.join(', ') : '(none)'}`);
  for (const w of warnings) io.err(`${c.yellow('warning')} ${w}`);
  io.out(c.green('✓ ready to deploy (nothing was started)'));
  return 0;
});
