/** The dashboard's stylesheet (served as /assets/dashboard.css; no build step, no CDN). */
export const STYLE = `
:root { color-scheme: light; --fg: #111827; --muted: #4b5563; --line: #d1d5db; --bg: #ffffff; --soft: #f3f4f6; --link: #1d4ed8; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
a:focus-visible, button:focus-visible, summary:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 10; }
header { background: #111827; color: #fff; }
header nav { display: flex; gap: 20px; align-items: center; padding: 10px 24px; }
header a { color: #e5e7eb; text-decoration: none; padding: 2px 0; }
header a[aria-current="page"] { color: #fff; border-bottom: 2px solid #fbbf24; }
.brand { font-weight: 700; margin-right: 12px; }
main { padding: 16px 24px 48px; max-width: 1200px; }
h1 { font-size: 24px; margin: 8px 0 12px; }
h2 { font-size: 18px; margin: 28px 0 8px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
caption { text-align: left; color: var(--muted); padding-bottom: 4px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--soft); font-weight: 600; }
code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
.muted { color: var(--muted); }
.plain { list-style: none; margin: 0; padding: 0; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 13px; font-weight: 600; border: 1px solid; }
.badge.ok { color: #14532d; background: #dcfce7; border-color: #86efac; }
.badge.bad { color: #7f1d1d; background: #fee2e2; border-color: #fca5a5; }
.badge.busy { color: #1e3a8a; background: #dbeafe; border-color: #93c5fd; }
.badge.muted { color: #374151; background: #e5e7eb; border-color: #9ca3af; }
button { font: inherit; padding: 4px 12px; border-radius: 6px; border: 1px solid #374151; background: #fff; color: var(--fg); cursor: pointer; }
button:hover { background: var(--soft); }
button.danger { background: #b91c1c; border-color: #991b1b; color: #fff; }
dialog { border: 1px solid var(--line); border-radius: 8px; max-width: 480px; padding: 20px; }
dialog::backdrop { background: rgb(17 24 39 / 0.5); }
dialog menu { display: flex; gap: 8px; justify-content: flex-end; padding: 0; margin: 16px 0 0; }
.logs { background: #0b1020; color: #e5e7eb; padding: 12px; border-radius: 6px; overflow: auto; max-height: 480px; font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre-wrap; }
.logs .ph { color: #93c5fd; margin-right: 8px; }
.logs .stderr { color: #fecaca; }
.logs .system { color: #fde68a; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.timeline { padding-left: 20px; }
.chart svg, .traffic-chart { width: 100%; max-width: 760px; height: auto; display: block; }
.axis { stroke: #6b7280; }
.tick { font-size: 11px; fill: #374151; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; list-style: none; padding: 0; margin: 6px 0; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -1px; border-radius: 2px; }
.ph-build { fill: #1d4ed8; background: #1d4ed8; }
.ph-start { fill: #7c3aed; background: #7c3aed; }
.ph-postdeploy { fill: #b45309; background: #b45309; }
.ph-switch { fill: #047857; background: #047857; }
.traffic { border-top: 1px solid var(--line); margin-top: 16px; }
.traffic table { max-width: 360px; display: inline-table; margin-right: 24px; }
`;
