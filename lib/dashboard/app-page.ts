import type { ReleaseRow } from '../control/protocol.js';
import { badge, duration, type Html, html, layout, time } from './html.js';
import { phaseChart } from './phase-chart.js';
import { phaseDurations } from './phases.js';
import type { DashboardSource } from './source.js';

/** How many deployments the history and the chart show. */
export const HISTORY = 50;

function madeBy(r: ReleaseRow): string {
  if (r.kind === 'rollback') return r.sourceRelease ? `rollback to v${r.sourceRelease}` : 'rollback';
  return r.kind;
}

/** The confirm-and-post button the page script (assets) wires to the confirmation dialog. */
export function actionButton(label: string, action: string, fields: Record<string, string>, question: string): Html {
  const data = Object.entries(fields).map(([k, v]) => html` data-${k}="${v}"`);
  return html`<button type="button" class="action" data-action="${action}"${data} data-question="${question}">${label}</button>`;
}

/** One app: deployment history with durations, the chart by phase, releases with what made each, actions. */
export function appPage(source: DashboardSource, name: string): string | null {
  const app = source.app(name);
  if (!app) return null;
  const deployments = source.deployments(name, HISTORY);
  const releases = source.releases(name);
  const rows = deployments.map((d) => ({ deployment: d, phases: phaseDurations(d, source.phaseMarks(d.id)) }));
  const history = rows.map(
    ({ deployment: d }) => html`<tr>
<th scope="row"><a href="/deployments/${d.id}">v${d.release}</a></th>
<td>${badge(d.status)}</td>
<td>${d.kind}${d.sourceRelease ? ` of v${d.sourceRelease}` : ''}</td>
<td><code>${d.version.slice(0, 12)}</code></td>
<td>${time(d.startedAt)}</td>
<td>${d.finishedAt ? duration(d.durationMs) : 'running'}</td>
<td>${d.error ? html`<code>${d.error.code}</code>` : ''}</td>
</tr>`,
  );
  const live = app.live?.release;
  const releaseRows = releases.map(
    (r) => html`<tr>
<th scope="row">v${r.release}${r.release === live ? html` <span class="badge ok">live</span>` : ''}</th>
<td><code>${r.version.slice(0, 12)}</code></td>
<td>${madeBy(r)}</td>
<td>${time(r.createdAt)}</td>
<td><a href="/deployments/${r.deploymentId}">deployment</a></td>
<td>${
      r.release === live
        ? ''
        : r.artifact.path
          ? actionButton(
              `Roll back to v${r.release}`,
              'rollback',
              { app: name, release: String(r.release) },
              `Roll back ${name} to v${r.release} (${r.version.slice(0, 12)})? Its build is deployed again and its postdeploy runs again.`,
            )
          : html`<span class="muted">from the app directory: <code>slipway rollback ${r.release}</code></span>`
    }</td>
</tr>`,
  );
  const url = app.port ? `http://${app.host === '0.0.0.0' ? '127.0.0.1' : app.host}:${app.port}/` : null;
  const body = html`<h1>${name}</h1>
<p>${app.live ? html`Live: <strong>v${app.live.release}</strong> (<code>${app.live.version.slice(0, 12)}</code>, ${app.live.runtime}), up ${duration(Date.now() - app.live.since)}` : 'No live release.'}
${url ? html` · Router: <a href="${url}">${url}</a>` : ''} · <a href="/traffic#app-${name}">Traffic</a></p>
<p>${app.live ? actionButton('Restart', 'restart', { app: name }, `Restart the processes of ${name}? A fresh set starts, takes the traffic, then the old set stops (no postdeploy).`) : ''}</p>
<section id="action" hidden aria-labelledby="action-title"><h2 id="action-title">Action</h2>
<p id="action-status" role="status"></p>
<pre id="action-output" class="logs" role="log" aria-label="Action output"></pre></section>
<section aria-labelledby="history"><h2 id="history">Deployments</h2>
${
  deployments.length === 0
    ? html`<p>No deployments yet.</p>`
    : html`<table><caption>Last ${deployments.length} deployments, newest first</caption>
<thead><tr><th scope="col">Release</th><th scope="col">Status</th><th scope="col">What</th><th scope="col">Version</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col">Error</th></tr></thead>
<tbody>${history}</tbody></table>`
}
</section>
<section aria-labelledby="chart"><h2 id="chart">Durations by phase</h2>
${phaseChart([...rows].reverse())}
</section>
<section aria-labelledby="releases"><h2 id="releases">Releases</h2>
${
  releases.length === 0
    ? html`<p>No releases yet: a release is made by a successful deployment.</p>`
    : html`<table><caption>Releases, newest first</caption>
<thead><tr><th scope="col">Release</th><th scope="col">Version</th><th scope="col">Made by</th><th scope="col">Created</th><th scope="col">Deployment</th><th scope="col">Action</th></tr></thead>
<tbody>${releaseRows}</tbody></table>`
}
</section>`;
  return layout(name, body, 'apps');
}
