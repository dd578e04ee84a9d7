import { formatDuration } from '../core/units.js';

/** Small HTML helpers: every value that reaches a page goes through `esc` (or `html`). */
export function esc(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Raw HTML, already escaped. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** A tagged template that escapes every interpolated value unless it is Html (arrays are joined). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new Html(out);
}

function render(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === undefined || v === null || v === false) return '';
  return esc(v);
}

export function layout(title: string, body: Html, nav: 'apps' | 'traffic' | null = null): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · slipway</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/dashboard.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<nav aria-label="Main">
<span class="brand">slipway</span>
<a href="/"${nav === 'apps' ? ' aria-current="page"' : ''}>Apps</a>
<a href="/traffic"${nav === 'traffic' ? ' aria-current="page"' : ''}>Traffic</a>
</nav>
</header>
<main id="main">
${body.text}
</main>
<dialog id="confirm" aria-labelledby="confirm-title">
<form method="dialog">
<h2 id="confirm-title">Please confirm</h2>
<p id="confirm-text"></p>
<menu><button value="no" autofocus>Cancel</button><button value="yes" class="danger">Confirm</button></menu>
</form>
</dialog>
</body>
</html>
`;
}

/** A status badge: colour and text (never colour alone). */
export function badge(status: string): Html {
  const tone =
    status === 'success' ? 'ok' : status.endsWith('-error') ? 'bad' : status === 'aborted' ? 'muted' : 'busy';
  return html`<span class="badge ${tone}">${status}</span>`;
}

/** A duration for people: `1.2s`, `3m4s` (null: not known yet). */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return formatDuration(ms < 1000 ? ms : Math.round(ms / 100) * 100);
}

export function time(iso: string | number): Html {
  const d = new Date(iso);
  return html`<time datetime="${d.toISOString()}">${d.toISOString().replace('T', ' ').slice(0, 19)} UTC</time>`;
}
