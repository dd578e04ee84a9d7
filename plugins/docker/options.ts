import * as z from 'zod';

/**
 * Options of the runtime itself (`runtime: docker` loads it without any; a
 * `plugins: [['docker', { … }]]` entry may pass them). What to build and run
 * is app config (`docker:` in the config file), not plugin options.
 */
export const optionsSchema = z.strictObject(
  {
    /** An Engine address, as DOCKER_HOST would give it (`unix:///path`, `tcp://127.0.0.1:2375`). */
    host: z
      .string({ error: 'must be an Engine address such as "unix:///var/run/docker.sock"' })
      .regex(/^(unix|tcp|http|https):\/\/\S+$/, {
        error: 'must start with unix://, tcp://, http:// or https://',
      })
      .optional(),
  },
  { error: 'must be an object of options, e.g. { host: "unix:///var/run/docker.sock" }' },
);

export type DockerRuntimeOptions = z.output<typeof optionsSchema>;
