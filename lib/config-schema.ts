/**
 * The config file schema. Every message here is written to follow a key path
 * ("port must be …") and never quotes an `env` value, which may be a secret.
 */
import * as z from 'zod';
import { PROCESS_TYPE_PATTERN } from './procfile.js';
import { formatBytes, parseDuration, parseSize } from './units.js';

export const APP_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

// Docker refuses memory limits under 6 MB; below that a hook cannot even start.
const MIN_MEMORY = 6 * 1024 * 1024;

const text = (what: string) =>
  z
    .string({ error: `must be ${what}` })
    .trim()
    .min(1, { error: `must be ${what}, not empty` });

function duration(options: { allowZero: boolean }) {
  return z.unknown().transform((v, ctx): number => {
    if (typeof v !== 'string' && typeof v !== 'number') {
      ctx.issues.push({ code: 'custom', message: 'must be a duration such as "90s" or a number of seconds', input: v });
      return z.NEVER;
    }
    try {
      const ms = parseDuration(v);
      if (ms === 0 && !options.allowZero) {
        ctx.issues.push({ code: 'custom', message: 'must be longer than 0', input: v });
        return z.NEVER;
      }
      return ms;
    } catch (error) {
      ctx.issues.push({ code: 'custom', message: (error as Error).message, input: v });
      return z.NEVER;
    }
  });
}

const memory = z.unknown().transform((v, ctx): number => {
  if (typeof v !== 'string' && typeof v !== 'number') {
    ctx.issues.push({ code: 'custom', message: 'must be a size such as "512MB"', input: v });
    return z.NEVER;
  }
  try {
    const bytes = parseSize(v);
    if (bytes < MIN_MEMORY) {
      const hint = typeof v === 'number' ? ' (a bare number is bytes: write "512MB")' : '';
      ctx.issues.push({ code: 'custom', message: `must be at least ${formatBytes(MIN_MEMORY)}${hint}`, input: v });
      return z.NEVER;
    }
    return bytes;
  } catch (error) {
    ctx.issues.push({ code: 'custom', message: (error as Error).message, input: v });
    return z.NEVER;
  }
});

const section = <S extends z.ZodRawShape>(shape: S, example: string) =>
  z.strictObject(shape, { error: `must be an object of settings, e.g. ${example}` });

const formation = z
  .record(
    z.string(),
    z
      .number({ error: 'must be a number of processes' })
      .int({ error: 'must be a whole number of processes' })
      .min(0, { error: 'must be 0 or more' }),
    { error: 'must map process types to counts, e.g. { web: 2, worker: 1 }' },
  )
  .superRefine((counts, ctx) => {
    for (const type of Object.keys(counts)) {
      if (!PROCESS_TYPE_PATTERN.test(type)) {
        ctx.addIssue({ code: 'custom', message: 'is not a process type (letters, digits, "_" and "-")', path: [type] });
      }
    }
  });

// Values may be secrets: the messages below describe the type, never the value.
const envValue = z.unknown().transform((v, ctx): string => {
  if (typeof v === 'string') {
    if (!v.includes('\0')) return v;
    ctx.issues.push({ code: 'custom', message: 'must not contain a NUL character', input: undefined });
    return z.NEVER;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  ctx.issues.push({ code: 'custom', message: 'must be a string, number or boolean', input: undefined });
  return z.NEVER;
});

const env = z
  .record(z.string(), envValue, { error: 'must map variable names to values, e.g. { NODE_ENV: production }' })
  .superRefine((vars, ctx) => {
    for (const name of Object.keys(vars)) {
      if (name === '' || /[=\0]/.test(name)) {
        ctx.addIssue({ code: 'custom', message: 'is not a valid variable name (no "=" and not empty)', path: [name] });
      }
    }
  });

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const PLUGIN_SHAPES = '"name", ["name", { options }] or an object with name and apply()';

// Only the shape is checked here; plugins.ts resolves names and checks options.
const pluginSpec = z.unknown().superRefine((v, ctx) => {
  const fail = (message: string, path: PropertyKey[] = []) => ctx.addIssue({ code: 'custom', message, path });
  if (typeof v === 'string') {
    if (v.trim() === '') fail('must be a plugin name, not empty');
  } else if (Array.isArray(v)) {
    if (v.length < 1 || v.length > 2 || typeof v[0] !== 'string' || v[0].trim() === '') {
      fail(`must be ${PLUGIN_SHAPES}`);
    } else if (v[1] !== undefined && !isPlainObject(v[1])) {
      fail('plugin options must be an object', [1]);
    }
  } else if (typeof v === 'function') {
    fail('is a class or factory: pass an instance (new Plugin(options)) or call the factory');
  } else if (!isPlainObject(v) || typeof v.name !== 'string' || v.name === '' || typeof v.apply !== 'function') {
    fail(`must be ${PLUGIN_SHAPES}`);
  }
});

export const configSchema = z
  .strictObject(
    {
      app: z
        .string({ error: 'must be a string' })
        .max(63, { error: 'must be at most 63 characters' })
        .regex(APP_NAME_PATTERN, {
          error: 'must be lowercase letters, digits and "-", starting and ending with a letter or digit',
        }),
      port: z
        .number({ error: 'must be a port number' })
        .int({ error: 'must be a whole number' })
        .min(1, { error: 'must be between 1 and 65535' })
        .max(65535, { error: 'must be between 1 and 65535' }),
      host: text('a host name or IP address'),
      runtime: text('"process", "docker" or the name of a runtime plugin'),
      build: text('a command'),
      formation,
      env,
      start: section({ timeout: duration({ allowZero: false }).optional() }, '{ timeout: 60s }'),
      postdeploy: section(
        { timeout: duration({ allowZero: false }).optional(), memory: memory.optional() },
        '{ timeout: 20m, memory: 512MB }',
      ),
      stop: section({ grace: duration({ allowZero: true }).optional() }, '{ grace: 30s }'),
      healthcheck: section(
        {
          path: z
            .string({ error: 'must be a URL path such as "/health"' })
            .regex(/^\/\S*$/, { error: 'must start with "/" and contain no spaces, e.g. "/health"' }),
          timeout: duration({ allowZero: false }).optional(),
        },
        '{ path: /health, timeout: 5s }',
      ),
      mode: z.enum(['postdeploy', 'heroku'], { error: 'must be "postdeploy" or "heroku"' }),
      plugins: z.array(pluginSpec, { error: 'must be a list of plugins' }),
      scripts: section({ 'first-deploy': text('a command').optional() }, '{ first-deploy: npm run seed }'),
      docker: section(
        {
          dockerfile: text('a path to a Dockerfile').optional(),
          image: text('an image name').optional(),
          network: text('a Docker network name').optional(),
          keepImages: z
            .number({ error: 'must be a number of images' })
            .int({ error: 'must be a whole number' })
            .min(1, { error: 'must be at least 1' })
            .optional(),
        },
        '{ image: my-app, keepImages: 5 }',
      ),
    },
    { error: 'must be an object of settings' },
  )
  .partial();

/** Every key the schema knows, by parent path ('' for the top level). */
export function knownKeys(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (schema: z.ZodType, parent: string) => {
    const def = (
      schema as unknown as {
        def: { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; in?: z.ZodType };
      }
    ).def;
    if (def.type === 'optional' && def.innerType) return walk(def.innerType, parent);
    if (def.type === 'pipe' && def.in) return walk(def.in, parent);
    if (def.type !== 'object' || !def.shape) return;
    out.set(parent, Object.keys(def.shape));
    for (const [key, child] of Object.entries(def.shape)) walk(child, parent ? `${parent}.${key}` : key);
  };
  walk(configSchema, '');
  return out;
}

export type ParsedConfig = z.output<typeof configSchema>;
