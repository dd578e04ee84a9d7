/**
 * Validating settings and filling in defaults. Loaded only when a config has
 * to be checked: the schema and the YAML reader it names lines with are most
 * of the code a deploy would otherwise load (see config-cache.ts).
 */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import type { ResolvedConfig } from '../core/types.js';
import { canonicalProcessType } from '../procfile/procfile.js';
import { DEFAULTS, defaultAppName, display, settingsPath } from './defaults.js';
import { type ConfigProblem, describeIssues, formatPath } from './problems.js';
import { configSchema, type ParsedConfig } from './schema.js';
import { findLine } from './source.js';

// The YAML/JSON reader comes with the schema: a config that is not cached needs both, loaded once.
export { loadYamlOrJson } from './source.js';

/**
 * Validates `raw` settings and fills in defaults. `file` (absolute) is where
 * they came from; it names the file, and the line when it is YAML or JSON.
 */
export function resolveConfig(raw: unknown, dir: string, file?: string): ResolvedConfig {
  const appDir = resolve(dir);
  const prefix = file ? settingsPath(file) : [];
  // A YAML `!!binary` or `!!set` root reads as a Buffer or a Set: objects, but not of settings.
  if (raw instanceof Uint8Array || raw instanceof Set || raw instanceof Map) {
    throw invalid([{ path: [], message: 'the config must be an object of settings' }], appDir, file);
  }
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) throw invalid(describeIssues(parsed.error.issues, raw, prefix), appDir, file);
  const config = parsed.data;

  const formation = canonicalFormation(config.formation ?? {}, prefix);
  if (Array.isArray(formation)) throw invalid(formation, appDir, file);

  return {
    dir: appDir,
    ...(file ? { file } : {}),
    app: config.app ?? defaultAppName(appDir),
    ...(config.port !== undefined ? { port: config.port } : {}),
    host: config.host ?? DEFAULTS.host,
    runtime: config.runtime ?? DEFAULTS.runtime,
    ...(config.build !== undefined ? { build: config.build } : {}),
    formation: { web: 1, ...formation },
    env: config.env ?? {},
    start: { timeout: config.start?.timeout ?? DEFAULTS.startTimeout },
    postdeploy: {
      timeout: config.postdeploy?.timeout ?? DEFAULTS.postdeployTimeout,
      memory: config.postdeploy?.memory ?? DEFAULTS.postdeployMemory,
    },
    stop: { grace: config.stop?.grace ?? DEFAULTS.stopGrace },
    ...(config.healthcheck
      ? {
          healthcheck: {
            path: config.healthcheck.path,
            timeout: config.healthcheck.timeout ?? DEFAULTS.healthcheckTimeout,
          },
        }
      : {}),
    mode: config.mode ?? DEFAULTS.mode,
    plugins: (config.plugins ?? []) as ResolvedConfig['plugins'],
    scripts: config.scripts?.['first-deploy'] !== undefined ? { 'first-deploy': config.scripts['first-deploy'] } : {},
    keepReleases: config.keepReleases ?? DEFAULTS.keepReleases,
    docker: {
      ...(config.docker?.dockerfile !== undefined ? { dockerfile: config.docker.dockerfile } : {}),
      ...(config.docker?.image !== undefined ? { image: config.docker.image } : {}),
      ...(config.docker?.network !== undefined ? { network: config.docker.network } : {}),
      keepImages: config.docker?.keepImages ?? DEFAULTS.keepImages,
      ...(config.docker?.buildArgs !== undefined
        ? { buildArgs: config.docker.buildArgs as Record<string, string> }
        : {}),
    },
    ...(config.swarm?.registry !== undefined ? { swarm: { registry: config.swarm.registry } } : {}),
  };
}

// Formation keys name Procfile types, which are known by their canonical name.
function canonicalFormation(
  counts: NonNullable<ParsedConfig['formation']>,
  prefix: readonly string[],
): Record<string, number> | ConfigProblem[] {
  const out: Record<string, number> = {};
  const spelledAs = new Map<string, string>();
  const problems: ConfigProblem[] = [];
  for (const [type, count] of Object.entries(counts)) {
    const name = canonicalProcessType(type);
    const other = spelledAs.get(name);
    if (name === '' || other !== undefined) {
      const key = formatPath(['formation', type], prefix);
      problems.push({
        path: ['formation', type],
        message:
          name === ''
            ? `${key}: a process type needs at least one letter or digit`
            : `${key}: same process type as "${other}" (both are "${name}")`,
      });
      continue;
    }
    spelledAs.set(name, type);
    out[name] = count;
  }
  return problems.length > 0 ? problems : out;
}

function invalid(problems: ConfigProblem[], appDir: string, file?: string): SlipwayError {
  const where = file ? display(file, appDir) : 'config';
  const content = file && !/\.(c|m)?[jt]s$/.test(file) ? readQuietly(file) : undefined;
  const prefix = file ? settingsPath(file) : [];
  const located = problems.map((p) => ({
    ...p,
    line: content === undefined ? undefined : findLine(content, [...prefix, ...p.path]),
  }));
  const lines = located.map((p) => `${where}${p.line ? `:${p.line}` : ''}: ${p.message}`);
  const first = located[0];
  const more = lines.length > 1 ? ` (and ${lines.length - 1} more)` : '';
  return new SlipwayError('CONFIG_INVALID', `${lines[0]}${more}`, {
    location: file ? { file: where, line: first?.line } : undefined,
    problems: located.map((p) => ({ where: `${where}${p.line ? `:${p.line}` : ''}`, message: p.message })),
    details:
      lines.length > 1 ? 'Fix each key named above; every key is described in docs/configuration.md.' : undefined,
    data: {
      ...(file ? { file } : {}),
      problems: located.map((p) => ({ path: formatPath(p.path, prefix), message: p.message, line: p.line })),
    },
  });
}

function readQuietly(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
