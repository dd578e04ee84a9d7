/**
 * The systemd unit that keeps the agent running: `slipway agent run` in the
 * foreground (it starts the agent again when it dies, and follows the one
 * that replaced it after `slipway agent restart`), logs to the journal,
 * started at boot. KillMode=process: stopping or restarting the unit's main
 * process must not kill the app processes behind systemd's back — the agent
 * stops them itself on `systemctl stop`, and a new agent adopts them after
 * a crash.
 */
export interface UnitOptions {
  /** The node binary. */
  node: string;
  /** bin/slipway of this installation. */
  bin: string;
  home: string;
  /** Run as this user (default: whoever installs it, root for a system unit). */
  user?: string;
}

/** systemd's quoting for one word of ExecStart=: double quotes, with `\` and `"` escaped, `%` doubled. */
function word(value: string): string {
  if (/^[\w@%+=:,./-]+$/.test(value) && !value.includes('%')) return value;
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('%', '%%')}"`;
}

export function systemdUnit(options: UnitOptions): string {
  const lines = [
    '[Unit]',
    'Description=slipway agent: router, supervisor and state of the apps deployed with slipway',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${[options.node, options.bin, 'agent', 'run'].map(word).join(' ')}`,
    `Environment=${word(`SLIPWAY_HOME=${options.home}`)}`,
    ...(options.user ? [`User=${options.user}`] : []),
    'Restart=always',
    'RestartSec=1',
    'KillMode=process',
    'TimeoutStopSec=90',
    'StandardOutput=journal',
    'StandardError=journal',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}
