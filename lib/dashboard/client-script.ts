/**
 * The dashboard's only script (served as /assets/dashboard.js): the
 * confirmation dialog and actions (fetch), and live views (EventSource).
 * Plain browser JavaScript, no build step; every page works without it
 * except for what is live.
 */
export const CLIENT_SCRIPT = `'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const tone = (s) => s === 'success' ? 'ok' : /-error$/.test(s) ? 'bad' : s === 'aborted' ? 'muted' : 'busy';
  const badge = (s) => { const b = document.createElement('span'); b.className = 'badge ' + tone(s); b.textContent = s; return b; };
  const follow = (pre) => pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40;

  // Actions: a button names its action; nothing is sent before the dialog is confirmed.
  document.addEventListener('click', (event) => {
    const button = event.target.closest && event.target.closest('button.action');
    if (!button) return;
    const dialog = $('confirm');
    $('confirm-text').textContent = button.dataset.question;
    dialog.returnValue = '';
    dialog.addEventListener('close', () => { if (dialog.returnValue === 'yes') run(button); else button.focus(); }, { once: true });
    dialog.showModal();
  });

  async function run(button) {
    const { action, app, release } = button.dataset;
    const section = $('action');
    const out = $('action-output');
    const status = $('action-status');
    section.hidden = false;
    out.textContent = '';
    status.textContent = button.textContent + ': running…';
    const line = (text) => { const keep = follow(out); out.append(text + '\\n'); if (keep) out.scrollTop = out.scrollHeight; };
    let answer;
    try {
      const res = await fetch('/apps/' + encodeURIComponent(app) + '/' + action, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ confirm: true, release: release ? Number(release) : undefined }),
      });
      answer = await res.json();
      if (!res.ok) { status.textContent = button.textContent + ' failed: ' + answer.error.message; return; }
    } catch (error) {
      status.textContent = button.textContent + ' failed: ' + error.message;
      return;
    }
    const events = new EventSource('/actions/' + answer.action + '/events');
    events.addEventListener('line', (e) => line(JSON.parse(e.data).text));
    events.addEventListener('exit', (e) => {
      events.close();
      const code = JSON.parse(e.data).code;
      status.textContent = button.textContent + (code === 0 ? ': done. ' : ': failed (exit ' + code + '). ');
      const again = document.createElement('a');
      again.href = location.pathname;
      again.textContent = 'Reload the page';
      status.append(again);
    });
  }

  // A running deployment's output, line by line as it is stored.
  const logs = $('logs');
  if (logs && logs.dataset.follow) {
    const events = new EventSource(logs.dataset.follow);
    events.addEventListener('log', (e) => {
      const l = JSON.parse(e.data);
      const keep = follow(logs);
      const span = document.createElement('span');
      span.className = 'line ' + l.stream;
      const ph = document.createElement('span');
      ph.className = 'ph';
      ph.textContent = l.phase;
      span.append(ph, l.line);
      logs.append(span, '\\n');
      if (keep) logs.scrollTop = logs.scrollHeight;
    });
    events.addEventListener('end', (e) => {
      events.close();
      const d = JSON.parse(e.data);
      $('status').replaceChildren(badge(d.status));
      const live = $('live');
      if (live) live.replaceWith(badge(d.status));
    });
  }

  // Traffic: samples of the routers' counters every second; rates are their differences.
  const sections = [...document.querySelectorAll('section.traffic')];
  if (sections.length > 0) {
    const samples = [];
    const palette = ['#1d4ed8', '#b45309', '#047857', '#7c3aed', '#be123c', '#0e7490', '#4d7c0f', '#6b7280'];
    const colours = new Map([['router', '#6b7280']]);
    const colour = (r) => { if (!colours.has(r)) colours.set(r, palette[(colours.size - 1) % (palette.length - 1)]); return colours.get(r); };
    const svgEl = (name, attrs) => { const el = document.createElementNS('http://www.w3.org/2000/svg', name); for (const k in attrs) el.setAttribute(k, attrs[k]); return el; };
    const rows = (tbody, entries) => tbody.replaceChildren(...entries.map(([k, v]) => {
      const tr = document.createElement('tr'); const th = document.createElement('th'); th.scope = 'row'; th.textContent = k;
      const td = document.createElement('td'); td.textContent = String(v); tr.append(th, td); return tr;
    }));
    const draw = () => {
      for (const section of sections) {
        const app = section.dataset.app;
        const points = [];
        for (let i = 1; i < samples.length; i++) {
          const a = samples[i - 1].apps[app];
          const b = samples[i].apps[app];
          if (!a || !b || a.since !== b.since) continue;
          const seconds = Math.max(0.001, (samples[i].at - samples[i - 1].at) / 1000);
          const rates = {};
          for (const r in b.byRelease) { const n = b.byRelease[r] - (a.byRelease[r] || 0); if (n > 0) rates[r] = n / seconds; }
          points.push(rates);
        }
        const total = (p) => Object.values(p).reduce((n, v) => n + v, 0);
        const max = Math.max(1, ...points.map(total));
        const svg = section.querySelector('svg');
        const slot = 600 / 120;
        const bars = [];
        const shown = points.slice(-120);
        // Newest on the right.
        shown.forEach((p, j) => {
          const i = 120 - shown.length + j;
          let y = 110;
          for (const r of Object.keys(p).sort()) {
            const h = (p[r] / max) * 100;
            y -= h;
            const rect = svgEl('rect', { x: (i * slot).toFixed(1), y: y.toFixed(1), width: (slot * 0.85).toFixed(1), height: h.toFixed(1), fill: colour(r) });
            const title = svgEl('title', {}); title.textContent = r + ': ' + p[r].toFixed(1) + ' requests/s'; rect.append(title);
            bars.push(rect);
          }
        });
        const label = svgEl('text', { x: 4, y: 12, class: 'tick' }); label.textContent = max.toFixed(1) + ' req/s';
        svg.replaceChildren(svgEl('line', { x1: 0, y1: 110, x2: 600, y2: 110, class: 'axis' }), label, ...bars);
        const last = samples[samples.length - 1].apps[app];
        if (!last) continue;
        const now = points.length ? total(points[points.length - 1]) : 0;
        section.querySelector('.rate').textContent = now.toFixed(1) + ' requests/s';
        section.querySelector('.live-release').textContent = last.live ? 'v' + last.live : 'none';
        section.querySelector('.since').textContent = new Date(last.since).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
        rows(section.querySelector('.statuses'), Object.entries(last.byStatus).sort());
        rows(section.querySelector('.served'), Object.entries(last.byRelease).sort());
        section.querySelector('.releases').replaceChildren(...Object.keys(last.byRelease).sort().map((r) => {
          const li = document.createElement('li'); const sw = document.createElement('span');
          sw.className = 'swatch'; sw.style.background = colour(r); sw.setAttribute('aria-hidden', 'true');
          li.append(sw, r); return li;
        }));
      }
    };
    const events = new EventSource('/traffic/events');
    events.addEventListener('sample', (e) => { samples.push(JSON.parse(e.data)); if (samples.length > 121) samples.shift(); draw(); });
  }
})();
`;
