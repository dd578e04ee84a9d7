/**
 * The config file schema. Every message here is written to follow a key path
 * ("port must be …") and never quotes an `env` value, which may be a secret.
 */
// zod's functional build: a deploy loads only the parts this schema uses
// (a fraction of the method-chaining build), which keeps the CLI start quick.
import * as z from 'zod/mini';
import { formatBytes, parseDuration, parseSize } from '../core/units.js';
import { PROCESS_TYPE_PATTERN } from '../procfile/procfile.js';

import { APP_NAME_PATTERN } from './defaults.js';

export { APP_NAME_PATTERN };

/** A registry host (with an optional port) and an optional path under it: what goes before `/slipway/<app>`. */
const REGISTRY_PATTERN = /^[a-zA-Z0-9.-]+(:[0-9]{1,5})?(\/[a-z0-9._-]+)*$/;

// Docker refuses memory limits under 6 MB; below that a hook cannot even start.
const MIN_MEMORY = 6 * 1024 * 1024;

const text = (what: string) =>
  z.string({ error: `must be ${what}` }).check(z.trim(), z.minLength(1, { error: `must be ${what}, not empty` }));

/** A whole number within bounds, with a message for each way to miss them. */
const count = (errors: { type: string; whole?: string; min: [number, string]; max?: [number, string] }) =>
  z
    .number({ error: errors.type })
    .check(
      z.refine(Number.isInteger, { error: errors.whole ?? 'must be a whole number' }),
      z.minimum(errors.min[0], { error: errors.min[1] }),
      ...(errors.max ? [z.maximum(errors.max[0], { error: errors.max[1] })] : []),
    );

const PORT_RANGE = 'must be between 1 and 65535';

function duration(options: { allowZero: boolean }) {
  return z.pipe(
    z.unknown(),
    z.transform((v, ctx): number => {
      if (typeof v !== 'string' && typeof v !== 'number') {
        ctx.issues.push({
          code: 'custom',
          message: 'must be a duration such as "90s" or a number of seconds',
          input: v,
        });
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
    }),
  );
}

const memory = z.pipe(
  z.unknown(),
  z.transform((v, ctx): number => {
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
  }),
);

const section = <S extends z.core.$ZodLooseShape>(shape: S, example: string) =>
  z.strictObject(shape, { error: `must be an object of settings, e.g. ${example}` });

const formation = z
  .record(
    z.string(),
    count({
      type: 'must be a number of processes',
      whole: 'must be a whole number of processes',
      min: [0, 'must be 0 or more'],
    }),
    {
      error: 'must map process types to counts, e.g. { web: 2, worker: 1 }',
    },
  )
  .check(
    z.superRefine((counts, ctx) => {
      for (const type of Object.keys(counts)) {
        if (!PROCESS_TYPE_PATTERN.test(type)) {
          ctx.addIssue({
            code: 'custom',
            message: 'is not a process type (letters, digits, "_" and "-")',
            path: [type],
          });
        }
      }
    }),
  );

// Values may be secrets: the messages below describe the type, never the value.
const envValue = z.pipe(
  z.unknown(),
  z.transform((v, ctx): string => {
    if (typeof v === 'string') {
      if (!v.includes('\0')) return v;
      ctx.issues.push({ code: 'custom', message: 'must not contain a NUL character', input: undefined });
      return z.NEVER;
    }
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    ctx.issues.push({ code: 'custom', message: 'must be a string, number or boolean', input: undefined });
    return z.NEVER;
  }),
);

const env = z
  .record(z.string(), envValue, { error: 'must map variable names to values, e.g. { NODE_ENV: production }' })
  .check(
    z.superRefine((vars, ctx) => {
      for (const name of Object.keys(vars)) {
        if (name === '' || /[=\0]/.test(name)) {
          ctx.addIssue({
            code: 'custom',
            message: 'is not a valid variable name (no "=" and not empty)',
            path: [name],
          });
        }
      }
    }),
  );

const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `docker.buildArgs`: the Dockerfile's `ARG`s; values are described, never quoted. */
const buildArgs = z
  .record(z.string(), envValue, {
    error: 'must map build argument names to values, e.g. { BUNDLE_WITHOUT: "development:test" }',
  })
  .check(
    z.superRefine((args, ctx) => {
      for (const name of Object.keys(args)) {
        if (!BUILD_ARG_NAME.test(name)) {
          ctx.addIssue({
            code: 'custom',
            message: 'is not a build argument name (letters, digits and "_", not starting with a digit)',
            path: [name],
          });
        }
      }
    }),
  );

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const PLUGIN_SHAPES = '"name", ["name", { options }] or an object with name and apply()';

// Only the shape is checked here; plugins.ts resolves names and checks options.
const pluginSpec = z.unknown().check(
  z.superRefine((v, ctx) => {
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
  }),
);

export const configSchema = z.partial(
  z.strictObject(
    {
      app: z.string({ error: 'must be a string' }).check(
        z.maxLength(63, { error: 'must be at most 63 characters' }),
        z.regex(APP_NAME_PATTERN, {
          error: 'must be lowercase letters, digits and "-", starting and ending with a letter or digit',
        }),
      ),
      port: count({ type: 'must be a port number', min: [1, PORT_RANGE], max: [65535, PORT_RANGE] }),
      host: text('a host name or IP address'),
      runtime: text('"process", "docker" or the name of a runtime plugin'),
      build: text('a command'),
      formation,
      env,
      start: section({ timeout: z.optional(duration({ allowZero: false })) }, '{ timeout: 60s }'),
      postdeploy: section(
        { timeout: z.optional(duration({ allowZero: false })), memory: z.optional(memory) },
        '{ timeout: 20m, memory: 512MB }',
      ),
      stop: section({ grace: z.optional(duration({ allowZero: true })) }, '{ grace: 30s }'),
      healthcheck: section(
        {
          path: z
            .string({ error: 'must be a URL path such as "/health"' })
            .check(z.regex(/^\/\S*$/, { error: 'must start with "/" and contain no spaces, e.g. "/health"' })),
          timeout: z.optional(duration({ allowZero: false })),
        },
        '{ path: /health, timeout: 5s }',
      ),
      mode: z.enum(['postdeploy', 'heroku'], { error: 'must be "postdeploy" or "heroku"' }),
      plugins: z.array(pluginSpec, { error: 'must be a list of plugins' }),
      scripts: section({ 'first-deploy': z.optional(text('a command')) }, '{ first-deploy: npm run seed }'),
      keepReleases: count({ type: 'must be a number of releases', min: [1, 'must be at least 1'] }),
      docker: section(
        {
          dockerfile: z.optional(text('a path to a Dockerfile')),
          image: z.optional(text('an image name')),
          network: z.optional(text('a Docker network name')),
          keepImages: z.optional(count({ type: 'must be a number of images', min: [1, 'must be at least 1'] })),
          buildArgs: z.optional(buildArgs),
        },
        '{ image: my-app, keepImages: 5 }',
      ),
      swarm: section(
        {
          registry: z.optional(
            z.string({ error: 'must be a registry address such as "registry.example.com:5000"' }).check(
              z.regex(REGISTRY_PATTERN, {
                error:
                  'must be a registry address without a scheme, such as "registry.example.com:5000" or "ghcr.io/acme"',
              }),
            ),
          ),
        },
        '{ registry: registry.example.com:5000 }',
      ),
    },
    { error: 'must be an object of settings' },
  ),
);

/** Every key the schema knows, by parent path ('' for the top level). */
export function knownKeys(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (schema: z.core.$ZodType, parent: string) => {
    const def = schema._zod.def as {
      type: string;
      shape?: Record<string, z.core.$ZodType>;
      innerType?: z.core.$ZodType;
      in?: z.core.$ZodType;
    };
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
