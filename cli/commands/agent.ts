import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentClient, agentEntry } from '../../lib/control/client.js';
import { keepAgentRunning } from '../../lib/control/keeper.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { packageInfo } from '../../lib/core/package-root.js';
import { defineCommand } from '../command.js';
import { systemdUnit } from '../systemd-unit.js';

/** Where `agent install` writes the unit unless told otherwise. */
const UNIT_FILE = '/etc/systemd/system/slipway-agent.service';

export const { run, options } = defineCommand(
  { output: { type: 'string', short: 'o' }, user: { type: 'string' } },
  async ({ positionals, values }, io) => {
    const action = positionals[0] ?? 'status';
    const client = new AgentClient();
    if (action === 'run') {
      // In the foreground, for a service manager: the agent's log on stdout, started again when it dies.
      return keepAgentRunning({
        paths: client.paths,
        entry: agentEntry(),
        env: { ...process.env, SLIPWAY_HOME: client.paths.home },
        log: (message) => process.stdout.write(`slipway agent run: ${message}\n`),
      });
    }
    if (action === 'install') {
      const unit = systemdUnit({
        node: process.execPath,
        bin: join(packageInfo().root, 'bin', 'slipway'),
        home: client.paths.home,
        user: values.user as string | undefined,
      });
      const file = (values.output as string | undefined) ?? UNIT_FILE;
      if (file === '-') {
        process.stdout.write(unit);
        return 0;
      }
      writeFileSync(file, unit, { mode: 0o644 });
      if (io.json) io.data({ unit: file });
      else {
        io.out(`wrote ${file}`);
        io.out('enable it (the agent then starts at boot and comes back after a crash):');
        io.out('  systemctl daemon-reload && systemctl enable --now slipway-agent');
      }
      return 0;
    }
    if (action === 'start') {
      await client.ensureRunning();
      const h = await client.health();
      if (io.json) io.data(h);
      else io.out(`agent running (pid ${h?.pid}) — ${client.paths.socket}`);
      return 0;
    }
    if (action === 'stop') {
      const h = await client.health();
      if (!h) {
        if (io.json) io.data({ running: false });
        else io.out('agent not running');
        return 0;
      }
      await client.call('POST', '/agent/stop');
      // The socket closes first; the agent then stops the processes and removes
      // what they left. Stopped means its process is gone.
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && running(h.pid)) await new Promise((r) => setTimeout(r, 50));
      if (io.json) io.data({ running: false, pid: h.pid });
      else io.out(`agent stopped (pid ${h.pid})`);
      return 0;
    }
    if (action === 'restart') {
      const h = await client.health();
      if (!h) {
        await client.ensureRunning();
        const started = await client.health();
        if (io.json) io.data({ restarted: false, pid: started?.pid });
        else io.out(`agent was not running; started it (pid ${started?.pid})`);
        return 0;
      }
      // The running agent starts its successor, hands it the app listeners and exits once its requests are done.
      const next = await client.call<{ pid: number }>('POST', '/agent/restart');
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && running(h.pid)) await new Promise((r) => setTimeout(r, 50));
      if (io.json) io.data({ restarted: true, previousPid: h.pid, pid: next.pid });
      else io.out(`agent restarted (pid ${h.pid} → ${next.pid}); the apps kept serving, no process restarted`);
      return 0;
    }
    if (action === 'status') {
      const h = await client.health();
      if (io.json) io.data(h ? { running: true, ...h } : { running: false, home: client.paths.home });
      else if (h)
        io.out(
          `agent running (pid ${h.pid}, up ${Math.round(h.uptimeMs / 1000)}s, ${Math.round(h.rss / 1048576)} MB) — ${client.paths.socket}`,
        );
      else io.out(`agent not running — ${client.paths.home}`);
      return h ? 0 : 1;
    }
    throw new SlipwayError('USAGE', `agent: unknown action "${action}" (start, stop, restart, status, run, install)`);
  },
);

/** Whether a process with this pid still exists. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
