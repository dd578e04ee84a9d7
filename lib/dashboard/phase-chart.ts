import type { DeploymentRecord } from '../core/context.js';
import { duration, type Html, html } from './html.js';
import { CHART_PHASES, type ChartPhase } from './phases.js';

export interface ChartRow {
  deployment: DeploymentRecord;
  phases: Partial<Record<ChartPhase, number>>;
}

const W = 720;
const H = 200;
const PAD = { left: 56, bottom: 24, top: 8 };

/**
 * Durations by phase of the given deployments, oldest on the left, as
 * stacked bars (inline SVG, no script), followed by the same numbers as a
 * table for screen readers and copying.
 */
export function phaseChart(rows: ChartRow[]): Html {
  if (rows.length === 0) return html`<p>No deployments yet.</p>`;
  const total = (r: ChartRow) => CHART_PHASES.reduce((n, p) => n + (r.phases[p] ?? 0), 0);
  const max = Math.max(1, ...rows.map(total));
  const slot = (W - PAD.left) / Math.max(rows.length, 10);
  const barW = Math.max(4, slot * 0.7);
  const scale = (ms: number) => (ms / max) * (H - PAD.bottom - PAD.top);
  const bars = rows.map((r, i) => {
    let y = H - PAD.bottom;
    const x = PAD.left + i * slot + (slot - barW) / 2;
    const parts = CHART_PHASES.filter((p) => r.phases[p] !== undefined).map((p) => {
      const h = scale(r.phases[p]!);
      y -= h;
      return html`<rect class="ph-${p}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(0.5, h).toFixed(1)}"><title>v${r.deployment.release} ${p}: ${duration(r.phases[p])}</title></rect>`;
    });
    return html`<g>${parts}<text class="tick" x="${(x + barW / 2).toFixed(1)}" y="${H - 8}" text-anchor="middle">v${r.deployment.release}</text></g>`;
  });
  const label = `Deployment durations by phase for the last ${rows.length} deployments; longest ${duration(max)}`;
  return html`<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${label}">
<line class="axis" x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W}" y2="${H - PAD.bottom}"/>
<text class="tick" x="${PAD.left - 6}" y="${PAD.top + 10}" text-anchor="end">${duration(max)}</text>
<text class="tick" x="${PAD.left - 6}" y="${H - PAD.bottom}" text-anchor="end">0</text>
${bars}
</svg>
<figcaption><ul class="legend">${CHART_PHASES.map((p) => html`<li><span class="swatch ph-${p}" aria-hidden="true"></span>${p}</li>`)}</ul></figcaption>
</figure>
<details><summary>Durations as a table</summary>
<table><caption>Durations by phase</caption>
<thead><tr><th scope="col">Release</th>${CHART_PHASES.map((p) => html`<th scope="col">${p}</th>`)}<th scope="col">Status</th></tr></thead>
<tbody>${rows.map(
    (r) =>
      html`<tr><th scope="row">v${r.deployment.release}</th>${CHART_PHASES.map((p) => html`<td>${duration(r.phases[p])}</td>`)}<td>${r.deployment.status}</td></tr>`,
  )}</tbody></table></details>`;
}
