import { badge, duration, html, layout } from './html.js';
import type { DashboardSource } from './source.js';

/** Every app: live release, version, last deployment, uptime, router port, processes. */
export function appsPage(source: DashboardSource): string {
  const apps = source.apps();
  const rows = apps.map((app) => {
    const last = source.deployments(app.name, 1)[0];
    const url = app.port ? `http://${app.host === '0.0.0.0' ? '127.0.0.1' : app.host}:${app.port}/` : null;
    return html`<tr>
<th scope="row"><a href="/apps/${encodeURIComponent(app.name)}">${app.name}</a></th>
<td>${app.live ? html`<a href="/deployments/${app.live.deploymentId}">v${app.live.release}</a>` : 'none'}</td>
<td><code>${app.live ? app.live.version.slice(0, 12) : '—'}</code></td>
<td>${last ? html`<a href="/deployments/${last.id}">v${last.release}</a> ${badge(last.status)}` : '—'}</td>
<td>${app.live ? duration(Date.now() - app.live.since) : '—'}</td>
<td>${url ? html`<a href="${url}">${app.port}</a>` : '—'}</td>
<td>${
      app.processes.length === 0
        ? app.live
          ? app.live.runtime
          : '—'
        : html`<ul class="plain">${app.processes.map((p) => html`<li>${p.name} <span class="muted">pid ${p.pid}${p.port ? `, port ${p.port}` : ''}</span> ${p.running ? html`<span class="badge ok">up</span>` : html`<span class="badge busy">restarting</span>`}</li>`)}</ul>`
    }</td>
</tr>`;
  });
  const body =
    apps.length === 0
      ? html`<h1>Apps</h1><p>No apps yet: deploy one with <code>slipway deploy</code>.</p>`
      : html`<h1>Apps</h1>
<table>
<caption>Apps on this machine</caption>
<thead><tr><th scope="col">App</th><th scope="col">Live release</th><th scope="col">Version</th><th scope="col">Last deployment</th><th scope="col">Uptime</th><th scope="col">Router port</th><th scope="col">Processes</th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
  return layout('Apps', body, 'apps');
}
