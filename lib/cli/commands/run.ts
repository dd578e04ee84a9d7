import type { ProcessSpec } from '../../agent/protocol.js';
import { runtimeEnv, SIZE_M_BYTES } from '../../env.js';
import { SlipwayError } from '../../errors.js';
import { agent, resolveApp } from '../app.js';
import { appOption } from '../args.js';
import { defineCommand } from '../command.js';

export const { run } = defineCommand({ ...appOption }, async ({ values, positionals }, io) => {
  if (positionals.length === 0) throw new SlipwayError('USAGE', 'run: give a command, e.g. `slipway run -- ls -la`');
  const app = await resolveApp(values.app);
  const client = await agent();
  const live = await client.call<{ deploymentId: string; specs: ProcessSpec[]; cwd?: string } | null>(
    'GET',
    `/apps/${app}/live`,
  );
  if (!live?.cwd) throw new SlipwayError('NO_LIVE_RELEASE', `${app} has no live release to run a one-off in`);
  const base = live.specs.find((s) => s.web) ?? live.specs[0];
  const name = `run-${process.pid}`;
  const exit = await client.stream(
    `/apps/${app}/run`,
    {
      name,
      command: positionals.join(' '),
      copyFrom: live.cwd,
      appEnv: base?.appEnv ?? {},
      runtimeEnv: runtimeEnv({
        app,
        container: name,
        version: base?.runtimeEnv.CONTAINER_VERSION ?? '',
        memory: SIZE_M_BYTES,
      }),
      timeoutMs: 24 * 3600_000,
      memoryBytes: SIZE_M_BYTES,
      graceMs: 10_000,
      phase: 'run',
      store: false,
    },
    (m) => {
      if (m.type !== 'log') return;
      if (io.json) io.data(m);
      else (m.stream === 'stderr' ? io.err : io.out)(m.line);
    },
  );
  if (io.json) io.data(exit);
  return exit.exitCode < 0 ? 1 : exit.exitCode;
});
