import type { z } from 'zod';

export interface OptionIssue {
  path: string[];
  message: string;
}

export type EnvNames<O> = { readonly [K in keyof O]?: string };

/**
 * Fills options the user left out from the deploying process's env, each
 * value checked by the option's own schema. Never echoes a value: env
 * variables named here usually hold tokens.
 */
export function applyEnvDefaults<O extends Record<string, unknown>>(
  shape: Readonly<Record<string, z.ZodType>>,
  options: O,
  names: EnvNames<O>,
  env: NodeJS.ProcessEnv,
): { options: O; issues: OptionIssue[] } {
  const out: Record<string, unknown> = { ...options };
  const issues: OptionIssue[] = [];
  for (const [key, name] of Object.entries(names) as [string, string | undefined][]) {
    const raw = name ? env[name] : undefined;
    if (out[key] !== undefined || !raw?.trim()) continue;
    const parsed = shape[key]?.safeParse(raw);
    if (!parsed || parsed.success) out[key] = parsed ? parsed.data : raw;
    else issues.push({ path: [key], message: `${name} in the environment: ${parsed.error.issues[0]?.message}` });
  }
  return { options: out as O, issues };
}

/** One issue per required option that neither the options nor the env gave. */
export function missingOptions<O>(options: O, required: ReadonlyArray<keyof O & string>, names: EnvNames<O>) {
  const issues: OptionIssue[] = [];
  for (const key of required) {
    if (options[key] !== undefined && options[key] !== '') continue;
    const name = names[key];
    issues.push({ path: [key], message: name ? `required: set it here or in ${name}` : 'required' });
  }
  return issues;
}
