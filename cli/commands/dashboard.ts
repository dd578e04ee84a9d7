import { isSlipwayError, SlipwayError } from '../../lib/core/errors.js';
import { agent } from '../app.js';
import { defineCommand } from '../command.js';

/** Opens the URL in the desktop's browser, when there is one; never through a shell. */
async function openInBrowser(url: string): Promise<boolean> {
  const { spawn } = await import('node:child_process');
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
  return new Promise((resolve) => {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

export const { run, options } = defineCommand(
  { port: { type: 'string', short: 'p' }, open: { type: 'boolean' } },
  async ({ values }, io) => {
    // Without --port the system picks a free one.
    const port = values.port === undefined ? 0 : Number(values.port);
    if (values.port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
      throw new SlipwayError('USAGE', `dashboard: --port must be a number from 1 to 65535, got "${values.port}"`);
    }
    const client = await agent();
    const { url } = await client
      .call<{ url: string; port: number }>('POST', '/dashboard', { port })
      .catch((error: unknown) => {
        if (!isSlipwayError(error) || error.code !== 'PORT_IN_USE') throw error;
        throw new SlipwayError('PORT_IN_USE', error.message, {
          details: 'Pass another --port, or none to let the system pick a free one.',
        });
      });
    if (io.json) {
      io.data({ url });
      return 0;
    }
    io.out(`Dashboard: ${url}`);
    io.out(
      io.color.dim(
        'The URL holds the token: anyone who has it can see your apps and roll them back. Keep it to yourself.',
      ),
    );
    if (values.open && !(await openInBrowser(url))) io.err('could not start a browser here: open the URL yourself');
    return 0;
  },
);
