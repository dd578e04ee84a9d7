import type { LogLine } from '../core/context.js';
import { badge, duration, type Html, html, layout, time } from './html.js';
import { CHART_PHASES, phaseDurations } from './phases.js';
import type { DashboardSource } from './source.js';

export function logLine(l: LogLine): Html {
  return html`<span class="line ${l.stream}"><span class="ph">${l.phase}</span>${l.line}</span>\n`;
}

/**
 * Lines are stored as they arrive: the agent stores a hook's output at once,
 * while the deploying CLI sends its own lines (build, start) in batches. The
 * page shows them in the order they were written.
 */
function inTimeOrder(lines: LogLine[]): LogLine[] {
  // Array sort is stable: lines of the same millisecond keep their stored order.
  return [...lines].sort((a, b) => a.ts - b.ts);
}

/** One deployment: its timeline, its output, followed live while it runs (see the page script). */
export function deploymentPage(source: DashboardSource, id: string): string | null {
  const d = source.deployment(id);
  if (!d) return null;
  const marks = source.phaseMarks(id);
  const durations = phaseDurations(d, marks);
  const logs = source.logsAfter(id, 0);
  const last = logs.at(-1)?.seq ?? 0;
  const steps = [
    html`<li>queued ${time(d.startedAt)}</li>`,
    ...CHART_PHASES.filter((p) => marks[p] !== undefined).map(
      (p) => html`<li><strong>${p}</strong> ${time(marks[p]!)} · ${duration(durations[p])}</li>`,
    ),
    d.finishedAt ? html`<li>finished ${time(d.finishedAt)}: ${badge(d.status)}</li>` : '',
  ];
  const running = d.finishedAt === null;
  const body = html`<p><a href="/apps/${encodeURIComponent(d.app)}">${d.app}</a></p>
<h1>${d.app} v${d.release} <span id="status">${badge(d.status)}</span></h1>
<dl class="facts">
<dt>Deployment</dt><dd><code>${d.id}</code></dd>
<dt>What</dt><dd>${d.kind}${d.sourceRelease ? ` of v${d.sourceRelease}` : ''}, ${d.mode} mode</dd>
<dt>Version</dt><dd><code>${d.version}</code></dd>
<dt>Duration</dt><dd>${running ? 'running' : duration(d.durationMs)}</dd>
${d.hookExitCode !== null ? html`<dt>Hook exit</dt><dd>${d.hookExitCode}${d.hookReason ? ` (${d.hookReason})` : ''}</dd>` : ''}
${d.error ? html`<dt>Error</dt><dd><code>${d.error.code}</code> ${d.error.message}</dd>` : ''}
</dl>
<section aria-labelledby="timeline"><h2 id="timeline">Timeline</h2><ol class="timeline">${steps}</ol></section>
<section aria-labelledby="output"><h2 id="output">Output${running ? html` <span class="badge busy" id="live">live</span>` : ''}</h2>
<pre id="logs" class="logs" role="log" aria-label="Deployment output"${running ? html` data-follow="/deployments/${d.id}/events?after=${last}"` : ''}>${inTimeOrder(logs).map(logLine)}</pre>
</section>`;
  return layout(`${d.app} v${d.release}`, body, 'apps');
}
