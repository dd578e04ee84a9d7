/**
 * `.dockerignore` rules, as the docker CLI applies them before sending a
 * build context: one pattern a line, `#` comments, `!` re-includes, `**`
 * spans directories, and a pattern that matches a directory excludes
 * everything under it. The last matching rule wins.
 */
export interface IgnoreRules {
  /** True when the path (relative, `/`-separated) stays out of the context. */
  excludes(path: string): boolean;
  /** Some rule re-includes paths: an excluded directory must still be walked. */
  readonly hasExceptions: boolean;
}

interface Rule {
  negate: boolean;
  pattern: RegExp;
}

function toRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more directories; a trailing `**` matches anything.
        if (glob[i + 2] === '/') {
          out += '(?:.*/)?';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) out += '\\[';
      else {
        out += `[${glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      out += `\\${glob[++i]}`;
    } else out += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function clean(pattern: string): string {
  const parts: string[] = [];
  for (const part of pattern.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

export function parseDockerignore(text: string): IgnoreRules {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1).trim();
    const pattern = clean(line);
    if (pattern) rules.push({ negate, pattern: toRegExp(pattern) });
  }
  return {
    hasExceptions: rules.some((r) => r.negate),
    excludes(path: string): boolean {
      // A rule matches a path when it matches the path itself or one of its parent directories.
      const candidates: string[] = [];
      const parts = path.split('/');
      for (let i = 1; i <= parts.length; i++) candidates.push(parts.slice(0, i).join('/'));
      let excluded = false;
      for (const rule of rules) {
        if (candidates.some((c) => rule.pattern.test(c))) excluded = !rule.negate;
      }
      return excluded;
    },
  };
}
