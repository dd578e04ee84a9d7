import { userInfo } from 'node:os';

/** Who is deploying, as vendors show it: `SLIPWAY_USER`, else the OS user. */
export function deployUser(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SLIPWAY_USER) return env.SLIPWAY_USER;
  try {
    return userInfo().username;
  } catch {
    // containers often run with a uid that has no passwd entry
    return env.USER ?? env.LOGNAME ?? 'unknown';
  }
}
