import type { ProcessSpec, ReleaseArtifact } from '../../lib/control/protocol.js';
import { runtimeEnv, SIZE_M_BYTES } from '../../lib/core/env.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { agent, resolveApp } from '../app.js';
import { appOption } from '../args.js';
import { defineCommand } from '../command.js';
import type { Io } from '../io.js';

interface LiveRelease {
  deploymentId: string;
  version: string;
  specs: ProcessSpec[];
  artifact?: ReleaseArtifact;
}

/** A one-off runs for a day at most, as on Heroku and Scalingo. */
const RUN_TIMEOUT_MS = 24 * 3600_000;

function print(io: Io, m: { stream: 'stdout' | 'stderr'; line: string }): void {
  if (io.json) io.data({ type: 'log', ...m });
  else (m.stream === 'stderr' ? io.err : io.out)(m.line);
}

export const { run, options } = defineCommand({ ...appOption }, async ({ values, positionals }, io) => {
  if (positionals.length === 0) throw new SlipwayError('USAGE', 'run: give a command, e.g. `slipway run -- ls -la`');
  const app = await resolveApp(values.app);
  const client = await agent();
  const live = await client.call<LiveRelease | null>('GET', `/apps/${app}/live`);
  const name = `run-${process.pid}`;
  const command = positionals.join(' ');
  const base = live?.specs.find((s) => s.web) ?? live?.specs[0];
  const env = runtimeEnv({ app, container: name, version: live?.version ?? '', memory: SIZE_M_BYTES });
  if (live?.artifact?.image) {
    // A Docker release: a container of the live image, with the env its containers get.
    const { runInImage } = await import('../../plugins/docker/run-in-image.js');
    const configVars = await client.call<Record<string, string>>('GET', `/apps/${app}/config`);
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const exit = await runInImage({
      app,
      image: live.artifact.image,
      container: name,
      command,
      env: { ...live.artifact.oneOff?.env, ...configVars, ...env },
      network: live.artifact.oneOff?.network,
      engine: live.artifact.oneOff?.engine,
      memoryBytes: SIZE_M_BYTES,
      timeoutMs: RUN_TIMEOUT_MS,
      home: client.paths.home,
      signal: stop.signal,
      onLine: (stream, line) => print(io, { stream, line }),
    }).finally(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    });
    if (io.json) io.data({ type: 'exit', ...exit });
    return exit.exitCode < 0 ? 1 : exit.exitCode;
  }
  const cwd = live?.artifact?.path;
  if (!cwd) throw new SlipwayError('NO_LIVE_RELEASE', `${app} has no live release to run a one-off in`);
  const exit = await client.stream(
    `/apps/${app}/run`,
    {
      name,
      command,
      copyFrom: cwd,
      appEnv: base?.appEnv ?? {},
      runtimeEnv: env,
      timeoutMs: RUN_TIMEOUT_MS,
      memoryBytes: SIZE_M_BYTES,
      graceMs: 10_000,
      phase: 'run',
      store: false,
    },
    (m) => {
      if (m.type === 'log') print(io, m);
    },
  );
  if (io.json) io.data(exit);
  return exit.exitCode < 0 ? 1 : exit.exitCode;
});
