// The agent's resident memory when idle, after the redeploys: VmRSS from
// /proc/<pid>/status, the pid from `slipway agent status --json`. pm2's daemon
// (same app, same number of reloads) is read the same way, for scale.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, readPid, runCommand } from './support.mjs';

export const RSS_TARGET_MIB = 60;

/** A `kB` field of /proc/<pid>/status, in MiB; null when the process is gone. */
function procStatusMiB(pid, field) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * @param {{ root: string, env: NodeJS.ProcessEnv, pm2Home?: string, children?: Set<unknown>,
 *   settleMs?: number, samples?: number, log?: (line: string) => void }} options
 */
export async function agentRssBench({ root, env, pm2Home, children, settleMs = 3000, samples = 5, log = console.log }) {
  const status = await runCommand(join(root, 'bin/slipway'), ['agent', 'status', '--json'], {
    env,
    timeoutMs: 10_000,
    children,
  });
  const health = JSON.parse(status.stdout.trim().split('\n').at(-1) || '{}');
  if (!health.running || !health.pid) throw new Error(`the agent is not running: ${status.stdout}${status.stderr}`);
  const pid = health.pid;
  // Idle: nothing deploys; give timers and the GC a moment.
  await new Promise((r) => setTimeout(r, settleMs));
  const values = [];
  for (let i = 0; i < samples; i++) {
    values.push(procStatusMiB(pid, 'VmRSS'));
    await new Promise((r) => setTimeout(r, 200));
  }
  if (values.some((v) => v === null)) throw new Error(`could not read /proc/${pid}/status`);
  const rssMiB = median(values);
  const hwmMiB = procStatusMiB(pid, 'VmHWM');
  const pm2Pid = pm2Home ? readPid(join(pm2Home, 'pm2.pid')) : null;
  const pm2RssMiB = pm2Pid ? procStatusMiB(pm2Pid, 'VmRSS') : null;
  const ratio = pm2RssMiB ? rssMiB / pm2RssMiB : null;
  log(
    `agent-rss: agent (pid ${pid}) idle VmRSS ${rssMiB.toFixed(1)} MiB (peak VmHWM ${hwmMiB?.toFixed(1)} MiB), target <= ${RSS_TARGET_MIB} MiB` +
      (pm2RssMiB ? `; pm2 daemon ${pm2RssMiB.toFixed(1)} MiB, ratio ${ratio.toFixed(2)}` : ''),
  );
  return {
    pid,
    rssMiB,
    hwmMiB,
    samplesMiB: values,
    pm2DaemonRssMiB: pm2RssMiB,
    ratio,
    target: { rssMiBMax: RSS_TARGET_MIB },
    pass: rssMiB <= RSS_TARGET_MIB,
  };
}
