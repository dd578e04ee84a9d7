import { html, layout } from './html.js';
import type { DashboardSource } from './source.js';

/** Per app: requests/s by release and status codes, drawn by the page script from /traffic/events. */
export function trafficPage(source: DashboardSource): string {
  const apps = source.apps();
  const sections = apps.map(
    (app) => html`<section class="traffic" id="app-${app.name}" data-app="${app.name}" aria-labelledby="t-${app.name}">
<h2 id="t-${app.name}"><a href="/apps/${encodeURIComponent(app.name)}">${app.name}</a></h2>
<p><span class="rate" aria-live="off">— requests/s</span> · live <span class="live-release">${app.live ? `v${app.live.release}` : 'none'}</span></p>
<svg class="traffic-chart" viewBox="0 0 600 120" role="img" aria-label="Requests per second over the last two minutes for ${app.name}, by release"></svg>
<ul class="legend releases"></ul>
<table><caption>Responses since <span class="since">—</span></caption>
<thead><tr><th scope="col">Status</th><th scope="col">Count</th></tr></thead>
<tbody class="statuses"></tbody></table>
<table><caption>Served by release</caption>
<thead><tr><th scope="col">Release</th><th scope="col">Count</th></tr></thead>
<tbody class="served"></tbody></table>
</section>`,
  );
  const body = html`<h1>Traffic</h1>
<p>Counted by each app's router as responses go out, sampled every second.</p>
${apps.length === 0 ? html`<p>No apps yet.</p>` : sections}`;
  return layout('Traffic', body, 'traffic');
}
