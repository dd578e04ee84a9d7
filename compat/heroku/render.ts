import type { MigrationPlan } from './plan.js';
import type { Written } from './writer.js';

const WIDTH = 100;

/** Word-wraps `text` to WIDTH columns, every line indented by `indent`. */
export function wrap(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent.length + line.length + 1 + word.length > WIDTH) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** The plan as the terminal shows it: mode and why, the files, what changes, what is not carried over, what next. */
export function renderPlan(plan: MigrationPlan, written: Written[] | null): string {
  const out: string[] = [`Heroku → slipway: ${plan.app} (read ${plan.sources.join(', ')})`, '', `Mode: ${plan.mode}`];
  if (plan.mode === plan.suggestedMode) out.push(...wrap(`Why: ${plan.modeReason}.`, '  '));
  else
    out.push(
      ...wrap(`Chosen with --mode. By itself slipway would choose ${plan.suggestedMode}: ${plan.modeReason}.`, '  '),
    );

  out.push('', 'Files:');
  const width = Math.max(...plan.files.map((f) => f.path.length));
  for (const f of plan.files) out.push(`  ${f.action.padEnd(10)} ${f.path.padEnd(width)}  ${f.summary}`);
  for (const f of plan.files) {
    if (f.action === 'unchanged') continue;
    out.push('', `--- ${f.path}`, f.content.replace(/\n$/, ''));
  }

  out.push('', 'What changes for this app:');
  plan.changes.forEach((c, n) => {
    out.push(`  ${n + 1}. ${c.title}${c.source ? ` (${c.source})` : ''}`);
    out.push(...wrap(c.detail, '     '));
  });

  out.push('', 'Not carried over:');
  if (plan.notCarried.length === 0) out.push('  nothing: every key was carried over or reported above');
  for (const u of plan.notCarried) {
    const keys = u.keys ? ` (keys: ${u.keys.join(', ')})` : '';
    out.push(...wrap(`${u.source} ${u.key}${keys}: ${u.detail}`, '  ').map((l, i) => (i ? `  ${l}` : l)));
  }

  out.push('', 'Next:');
  for (const step of plan.nextSteps) out.push(`  ${step}`);
  out.push('');
  if (written === null) out.push('Nothing was written: run again with --write to write the files above.');
  else if (written.length === 0) out.push('Nothing to write: the files are as they should be.');
  else for (const w of written) out.push(`${w.action} ${w.path}`);
  return `${out.join('\n')}\n`;
}
