import { setTimeout as sleep } from 'node:timers/promises';
import { appLogFile } from '../../lib/control/paths.js';
import type { AppLogEntry } from '../../lib/control/protocol.js';
import type { DeploymentRecord, LogLine } from '../../lib/core/context.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { agent, resolveApp } from '../app.js';
import { followAppLog, tailAppLog } from '../app-log-reader.js';
import { appArg, appOption } from '../args.js';
import { defineCommand } from '../command.js';
import type { Io } from '../io.js';

/** How often a running deployment's log is asked for new lines. */
const POLL_MS = 250;

/** Aborts on Ctrl-C (and SIGTERM): following stops, nothing else does. */
function interruption(): { signal: AbortSignal; done: () => void } {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: stop.signal,
    done: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** A `-----> <phase>` header each time the phase changes, then the lines indented. */
function deploymentPrinter(io: Io): (lines: LogLine[]) => void {
  let phase = '';
  return (lines) => {
    for (const l of lines) {
      if (io.json) {
        io.data(l);
        continue;
      }
      if (l.phase !== phase) {
        phase = l.phase;
        io.out(io.color.bold(`-----> ${phase}`));
      }
      io.out(`       ${l.stream === 'system' ? io.color.dim(l.line) : l.line}`);
    }
  };
}

function printEntry(io: Io, e: AppLogEntry): void {
  if (io.json) io.data(e);
  else io.out(`${new Date(e.ts).toISOString()} ${e.process}: ${e.line}`);
}

/** The app's output after its deployments ended: the last `count` lines, then new ones with --follow. */
async function appOutput(app: string, count: number, follow: boolean, io: Io): Promise<number> {
  const client = await agent();
  const file = appLogFile(client.paths, app);
  const tail = tailAppLog(file, count);
  if (io.json && !follow) {
    io.data(tail);
    return 0;
  }
  for (const e of tail) printEntry(io, e);
  if (!follow) return 0;
  const stop = interruption();
  try {
    await followAppLog(file, (e) => printEntry(io, e), stop.signal);
  } finally {
    stop.done();
  }
  return 0;
}

/** A deployment's lines as they are stored, until it has finished (or Ctrl-C). */
async function followDeployment(id: string, io: Io): Promise<number> {
  const client = await agent();
  const print = deploymentPrinter(io);
  const stop = interruption();
  let after = 0;
  try {
    while (!stop.signal.aborted) {
      // Finished is read before the lines: once it is, the lines fetched after it are its last.
      const { finishedAt } = await client.call<DeploymentRecord>('GET', `/deployments/${id}`);
      const lines = await client.call<(LogLine & { seq: number })[]>('GET', `/deployments/${id}/logs?after=${after}`);
      if (lines.length > 0) after = lines.at(-1)!.seq;
      // Lines of one batch come from the agent and the CLI that deploys: in time order.
      print(lines.sort((a, b) => a.ts - b.ts).map(({ seq: _, ...l }) => l));
      if (finishedAt !== null) break;
      // Rejects when Ctrl-C aborts it: the loop then ends.
      await sleep(POLL_MS, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    stop.done();
  }
  return 0;
}

export const { run, options } = defineCommand(
  {
    ...appOption,
    follow: { type: 'boolean', short: 'f' },
    tail: { type: 'boolean', short: 't' },
    num: { type: 'string', short: 'n' },
  },
  async ({ values, positionals }, io) => {
    const follow = Boolean(values.follow);
    if (values.tail) {
      if (positionals.length > 0)
        throw new SlipwayError('USAGE', 'logs: --tail shows the app output, not a deployment');
      const count = values.num === undefined ? 100 : Number(values.num);
      if (!Number.isInteger(count) || count < 0) {
        throw new SlipwayError('USAGE', `logs: --num must be a whole number of lines, not "${values.num}"`);
      }
      return appOutput(await resolveApp(values.app), count, follow, io);
    }
    if (values.num !== undefined) throw new SlipwayError('USAGE', 'logs: --num goes with --tail (the app output)');
    appArg(values.app, 'logs');
    let id = positionals[0];
    if (id !== undefined && !/^[0-9a-f][0-9a-f-]{0,35}$/i.test(id)) {
      throw new SlipwayError(
        'USAGE',
        `logs: ${JSON.stringify(id)} is not a deployment id (as \`slipway deployments\` lists them)`,
      );
    }
    const client = await agent();
    if (id && id.length < 36) {
      // A short id, as `slipway deployments` prints it.
      const all = await client.call<DeploymentRecord[]>('GET', '/deployments?limit=1000');
      id = all.find((d) => d.id.startsWith(id!))?.id ?? id;
    }
    if (!id) {
      const app = await resolveApp(values.app);
      const [latest] = await client.call<DeploymentRecord[]>('GET', `/deployments?app=${app}&limit=1`);
      if (!latest) throw new SlipwayError('DEPLOY_NOT_FOUND', `${app} has no deployments yet`);
      id = latest.id;
    }
    if (follow) return followDeployment(id, io);
    // Lines come from the agent (process output) and the CLI (build, steps): order by time.
    const lines = (await client.call<LogLine[]>('GET', `/deployments/${id}/logs`)).sort((a, b) => a.ts - b.ts);
    if (io.json) {
      io.data(lines);
      return 0;
    }
    deploymentPrinter(io)(lines);
    return 0;
  },
);
