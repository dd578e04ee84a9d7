// slipway never builds shell command lines from data. Its source (lib, cli,
// plugins, compat) has no child_process exec/execSync and no `shell: true`;
// every `sh -c` runs either the user's own Procfile command as it is, or a
// fixed wrapper script that takes its data as positional arguments ("$1").
// A new `sh -c` must be added here, with why it is safe.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|mjs|js)$/.test(name) ? [path] : [];
  });
}

const files = ['lib', 'cli', 'plugins', 'compat'].flatMap((d) => sources(join(root, d)));

/** `sh -c` sites, by file, with the script argument each passes. */
const ALLOWED_SH_C: Record<string, string[]> = {
  // The Procfile command of a process (process runtime).
  'lib/agent/supervisor.ts': ['spec.command'],
  'plugins/process/index.ts': ['command'],
  // The Procfile command of a container; the image's CMD otherwise.
  'plugins/docker/container-spec.ts': ['plan.command'],
  // The same for a swarm service's tasks.
  'plugins/swarm/service-spec.ts': ['plan.command'],
  // Fixed wrappers (wait for the go line, join a cgroup) that exec the command given as "$1"/"$2".
  'lib/agent/memory-limit.ts': [
    `\`\${GATE}exec /bin/sh -c "$1"\``,
    'command',
    `\`echo $$ > "$1" || exit 125; \${gate}exec /bin/sh -c "$2"\``,
  ],
};

test('no exec/execSync from child_process and no shell: true anywhere', () => {
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const name = relative(root, file);
    assert.not.match(text, /shell:\s*true/, `${name}: shell: true`);
    // (db.exec is SQLite's; a child_process exec is called bare or on the module.)
    assert.not.match(text, /(?<![.\w])(exec|execSync)\s*\(|child_process\.exec/, `${name}: exec() of a command line`);
    assert.not.match(
      text,
      /import\s*\{[^}]*\b(exec|execSync)\b[^}]*\}\s*from\s*'node:child_process'/,
      `${name}: imports exec`,
    );
    if (/from 'execa'/.test(text))
      assert.not.match(text, /execaCommand|\$`|execa\s*`/, `${name}: execa command strings`);
  }
});

test("every sh -c is the user's command or a fixed wrapper taking data as arguments", () => {
  const found: Record<string, string[]> = {};
  // `['/bin/sh', '-c', script]` and `spawn('sh', ['-c', script])`, also bash.
  const site = /['"](?:\/(?:usr\/)?bin\/)?(?:ba)?sh['"],\s*\[?\s*['"]-c['"],\s*([^,\]\n]+)/g;
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const scripts = [...text.matchAll(site)].map((m) => m[1]!.trim());
    if (scripts.length > 0) found[relative(root, file)] = scripts;
  }
  assert.equal(found, ALLOWED_SH_C);
  for (const scripts of Object.values(found)) {
    for (const s of scripts) {
      // Only constants are interpolated into a wrapper script.
      for (const [, expr] of s.matchAll(/\$\{([^}]+)\}/g))
        assert.ok(['GATE', 'gate'].includes(expr!), `${s}: \${${expr}}`);
    }
  }
});

test.run();
