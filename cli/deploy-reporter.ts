import type { DeploymentEvent, DeploymentRecord } from '../lib/core/context.js';
import { formatDuration } from '../lib/core/units.js';
import type { Io } from './io.js';

const STEP_TITLES: Record<string, string> = {
  build: 'Building',
  start: 'Starting processes',
  postdeploy: 'Running postdeploy',
  release: 'Running release command',
  switch: 'Switching traffic',
  retire: 'Retiring the previous release',
};

/** Renders deployment events: NDJSON with --json, readable lines otherwise. */
export function deployReporter(io: Io): (event: DeploymentEvent) => void {
  const c = io.color;
  if (io.json) return (event) => io.data(event);
  return (event) => {
    switch (event.type) {
      case 'waiting':
        io.err(c.yellow(`… ${event.message}`));
        break;
      case 'opened':
        io.out(
          `${c.bold('-----> ')}Deploying ${c.bold(event.app)}, release ${event.release} (${event.id.slice(0, 8)})`,
        );
        break;
      case 'step':
        if (event.state === 'start') {
          io.out(
            `${c.bold('-----> ')}${STEP_TITLES[event.step] ?? event.step}${event.detail ? `: ${c.dim(event.detail)}` : ''}`,
          );
        } else if (event.state === 'failed') io.out(`       ${c.red(`✗ ${event.step} failed`)}`);
        else if (event.state === 'done' && event.ms !== undefined && event.ms > 1000) {
          io.out(c.dim(`       ${event.step} took ${formatDuration(event.ms)}`));
        }
        break;
      case 'log': {
        const line = event.stream === 'system' ? c.dim(event.line) : event.line;
        io.out(`       ${line}`);
        break;
      }
      case 'warning':
        io.err(
          `${c.yellow('warning')} ${event.warning.plugin ? `${event.warning.plugin}: ` : ''}${event.warning.message}`,
        );
        break;
      case 'status':
      case 'result':
        break;
    }
  };
}

export function printResult(io: Io, record: DeploymentRecord, url?: string): void {
  const c = io.color;
  if (io.json) return;
  const took = record.durationMs !== null ? ` in ${formatDuration(record.durationMs)}` : '';
  if (record.status === 'success') {
    io.out(`${c.green('✓')} ${record.app} release ${record.release} is live${took}${url ? ` — ${url}` : ''}`);
  } else {
    const hookName = record.mode === 'heroku' ? 'release command' : 'postdeploy';
    const hook = record.hookExitCode !== null ? ` (${hookName} exit status ${record.hookExitCode})` : '';
    io.out(`${c.red('✗')} ${record.app} deployment ${c.bold(record.status)}${hook}${took}`);
    if (record.error) io.out(`  ${record.error.code}: ${record.error.message}`);
    io.out('  The previous release, if any, is still serving. Output: slipway logs ' + record.id);
  }
  // Warnings were shown as they happened; the summary only counts them.
  if (record.warnings.length > 0)
    io.err(c.yellow(`${record.warnings.length} warning(s): see above or \`slipway logs ${record.id}\``));
}
