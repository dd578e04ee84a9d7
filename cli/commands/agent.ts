import { AgentClient } from '../../lib/control/client.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { defineCommand } from '../command.js';

export const { run, options } = defineCommand({}, async ({ positionals }, io) => {
  const action = positionals[0] ?? 'status';
  const client = new AgentClient();
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
  throw new SlipwayError('USAGE', `agent: unknown action "${action}" (start, stop, restart, status)`);
});

/** Whether a process with this pid still exists. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
