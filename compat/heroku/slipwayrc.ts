import { stringify } from 'yaml';
import type { Mode } from '../../lib/core/types.js';

export interface MigratedConfig {
  app: string;
  mode: Mode;
  modeReason: string;
  docker?: { dockerfile: string; buildArgs?: Record<string, string> };
  formation: Record<string, number>;
  env: Record<string, string>;
  /** Where the env values come from: `app.json`, `heroku.yml setup.config`. */
  envSources: string[];
  firstDeploy?: string;
  sources: string[];
}

/** A YAML scalar as the yaml package would write it (quoted only when it must be). */
const scalar = (v: string | number) => stringify(v, { lineWidth: 0 }).trimEnd();

/** `# ` lines of at most `width` characters. */
function comment(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(' ')) {
    if (line.length + 1 + word.length > width && line !== '#') {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}

/** The .slipwayrc.yaml text: only keys that differ from the defaults, each with why it is there. */
export function renderSlipwayrc(c: MigratedConfig): string {
  const out: string[] = [
    `# slipway config written by \`slipway migrate heroku\` from ${c.sources.join(', ')}.`,
    '# Every key: docs/configuration.md. What behaves differently from Heroku: docs/heroku.md',
    `app: ${scalar(c.app)}`,
    '',
    ...comment(`${c.mode}: ${c.modeReason}.`),
    `mode: ${c.mode}`,
  ];
  if (c.docker) {
    out.push('', 'runtime: docker', 'docker:', `  dockerfile: ${scalar(c.docker.dockerfile)}`);
    const args = Object.entries(c.docker.buildArgs ?? {});
    if (args.length > 0) {
      out.push('  # From heroku.yml build.config: passed to the Docker build (ARG in the Dockerfile).', '  buildArgs:');
      for (const [k, v] of args) out.push(`    ${scalar(k)}: ${scalar(v)}`);
    }
  }
  const formation = Object.entries(c.formation);
  if (formation.length > 0) {
    out.push('', '# From app.json formation (quantities; dyno sizes do not exist here).', 'formation:');
    for (const [type, n] of formation) out.push(`  ${type}: ${n}`);
  }
  const env = Object.entries(c.env);
  if (env.length > 0) {
    out.push(
      '',
      `# Values from ${c.envSources.join(' and ')}; secrets go in \`slipway config:set\`, never here.`,
      'env:',
    );
    for (const [k, v] of env) out.push(`  ${scalar(k)}: ${scalar(v)}`);
  }
  if (c.firstDeploy) {
    out.push(
      '',
      "# app.json scripts.postdeploy: runs after the app's first successful deployment, until it succeeded once.",
      'scripts:',
      `  first-deploy: ${scalar(c.firstDeploy)}`,
    );
  }
  return `${out.join('\n')}\n`;
}
