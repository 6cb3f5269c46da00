// One stylesheet, inlined: the page makes no other request, so the CSP can forbid them all.
export const STYLES = `
:root {
  --bg: #f5f6f8; --card: #ffffff; --line: #e3e6eb; --grid: #eceef2;
  --text: #14171f; --muted: #667085; --faint: #98a2b3;
  --events: #3e6ae1; --quarantined: #f08c00; --failed: #d92d20;
  --good: #12a150; --good-bg: #e7f6ec; --warn-bg: #fff4e0; --bad-bg: #fdecea; --idle-bg: #eef0f3;
  --brand: #f38020;
  --radius: 12px;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1116; --card: #161b22; --line: #262d38; --grid: #20262f;
    --text: #e6e9ef; --muted: #9aa4b2; --faint: #6b7583;
    --events: #6f94ff; --quarantined: #ffa94d; --failed: #ff6b5e;
    --good: #3fcf7f; --good-bg: #12301f; --warn-bg: #3a2a0e; --bad-bg: #3d1714; --idle-bg: #232a34;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-variant-numeric: tabular-nums;
}
code { font: 12px/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
.wrap { max-width: 1200px; margin: 0 auto; padding: 0 20px; }
.muted { color: var(--muted); }

.top { background: var(--card); border-bottom: 1px solid var(--line); }
.top-inner { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 6px 24px; min-height: 60px; padding-top: 10px; padding-bottom: 10px; }
.brand { display: flex; align-items: center; gap: 10px; }
.mark { width: 22px; height: 22px; border-radius: 6px; background: linear-gradient(135deg, #fbad41, var(--brand) 55%, #c5530a); box-shadow: inset 0 -2px 0 rgba(0,0,0,.12); }
.brand-name { font-weight: 650; font-size: 16px; letter-spacing: -0.01em; }
.brand-sub { color: var(--muted); font-size: 13px; padding-left: 10px; border-left: 1px solid var(--line); }
.updated { margin: 0; color: var(--muted); font-size: 13px; }
.dot-sep { margin: 0 6px; color: var(--faint); }
.refresh { white-space: nowrap; }

.summary { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 12px; margin: 22px 0 18px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); padding: 14px 16px; min-width: 0; }
.kpi-label { color: var(--muted); font-size: 12px; font-weight: 550; text-transform: uppercase; letter-spacing: .04em; }
.kpi-value { font-size: 26px; font-weight: 650; letter-spacing: -0.02em; margin-top: 4px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.kpi-note { color: var(--muted); font-size: 12px; margin-top: 2px; }
.kpi-bad .kpi-value { color: var(--failed); }

.cards { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); padding: 18px 18px 14px; min-width: 0; display: flex; flex-direction: column; gap: 14px; }
.card.state-failing { border-color: color-mix(in srgb, var(--failed) 45%, var(--line)); }
.card-head { display: flex; align-items: center; justify-content: space-between; gap: 12px; }
.card-head h2 { margin: 0; font: 600 16px/1.2 ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; letter-spacing: -0.01em; overflow-wrap: anywhere; }

.pill { display: inline-flex; align-items: center; gap: 6px; border-radius: 999px; padding: 3px 10px 3px 8px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.pill-dot { width: 7px; height: 7px; border-radius: 50%; background: currentColor; }
.pill-receiving { background: var(--good-bg); color: var(--good); }
.pill-receiving .pill-dot { box-shadow: 0 0 0 3px color-mix(in srgb, var(--good) 25%, transparent); }
.pill-idle { background: var(--idle-bg); color: var(--muted); }
.pill-empty { background: var(--idle-bg); color: var(--faint); }
.pill-failing { background: var(--bad-bg); color: var(--failed); }

dl { margin: 0; }
dt { color: var(--muted); font-size: 12px; }
dd { margin: 2px 0 0; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.timeline { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 10px; padding: 10px 12px; background: var(--bg); border-radius: 8px; }
.timeline dd { font-size: 14px; }
.metrics { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 12px 10px; }
.metrics dd { font-size: 18px; letter-spacing: -0.01em; }
.rate { margin-left: 6px; font-size: 12px; font-weight: 600; color: var(--muted); }
.tone-warn .rate { color: var(--quarantined); }
.tone-bad dd { color: var(--failed); }

.chart { margin: 0; }
.chart-head { display: flex; justify-content: space-between; align-items: baseline; gap: 12px; margin-bottom: 6px; font-size: 12px; color: var(--muted); }
.chart-title { font-weight: 600; }
.legend { display: inline-flex; align-items: center; gap: 6px; white-space: nowrap; }
.key { display: inline-block; width: 9px; height: 9px; border-radius: 2px; margin-left: 6px; }
.key-events { background: var(--events); margin-left: 0; }
.key-quarantined { background: var(--quarantined); }
.plot { position: relative; height: 120px; padding-right: 34px; }
.plot svg { display: block; width: 100%; height: 100%; overflow: visible; }
.ytick { position: absolute; right: 0; transform: translateY(-50%); font-size: 11px; color: var(--faint); width: 30px; text-align: left; }
.grid { stroke: var(--grid); stroke-width: 1; }
.axis { stroke: var(--line); stroke-width: 1; }
.hit { fill: transparent; }
g:hover .hit { fill: color-mix(in srgb, var(--events) 8%, transparent); }
.bar-events { fill: var(--events); }
.bar-quarantined { fill: var(--quarantined); }
.bar-failed { fill: var(--failed); }
.plot-empty { position: absolute; inset: 0 34px 0 0; display: grid; place-items: center; margin: 0; color: var(--faint); font-size: 13px; }
.xaxis { position: relative; height: 18px; margin-right: 34px; font-size: 11px; color: var(--faint); }
.xaxis span { position: absolute; top: 4px; transform: translateX(-50%); white-space: nowrap; }
.xaxis span::before { content: ""; position: absolute; left: 50%; top: -5px; height: 4px; border-left: 1px solid var(--line); }

.card-foot { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 6px 12px; padding-top: 10px; border-top: 1px solid var(--line); font-size: 12px; }
.reasons { display: flex; flex-wrap: wrap; gap: 6px; margin: 0; padding: 0; list-style: none; }
.reasons li { background: var(--bad-bg); color: var(--failed); border-radius: 6px; padding: 1px 8px; font-weight: 600; }
.reasons code { font-size: 11px; color: inherit; }

.no-traffic { background: var(--card); border: 1px dashed var(--line); border-radius: var(--radius); padding: 18px; margin: 0; color: var(--muted); text-align: center; }

.idle { margin-top: 16px; background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); }
.idle summary { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 10px; padding: 12px 18px; cursor: pointer; list-style: none; }
.idle summary::-webkit-details-marker { display: none; }
.idle summary::before { content: ""; align-self: center; width: 6px; height: 6px; border-right: 2px solid var(--muted); border-bottom: 2px solid var(--muted); transform: rotate(-45deg); margin-right: 4px; transition: transform .15s; }
.idle[open] summary::before { transform: rotate(45deg); }
.idle-sub { color: var(--muted); font-size: 13px; }
.idle-title { font-weight: 600; }
.idle-list { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 0 16px; margin: 0; padding: 4px 18px 14px; list-style: none; border-top: 1px solid var(--line); }
.idle-list li { display: flex; flex-direction: column; gap: 1px; min-width: 0; padding: 8px 0; border-bottom: 1px solid var(--grid); }
.idle-name { font-size: 13px; font-weight: 600; overflow-wrap: anywhere; }
.idle-note { color: var(--muted); font-size: 12px; }

.foot { color: var(--muted); font-size: 12px; padding-top: 22px; padding-bottom: 32px; }
.foot code { font-size: 11px; }

@media (max-width: 1020px) {
  .summary { grid-template-columns: repeat(3, minmax(0, 1fr)); }
}
@media (max-width: 860px) {
  .cards { grid-template-columns: minmax(0, 1fr); }
}
@media (max-width: 560px) {
  .wrap { padding: 0 12px; }
  .brand-sub, .refresh, .dot-sep { display: none; }
  .top-inner { min-height: 0; }
  .summary { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; margin-top: 14px; }
  .summary .kpi:first-child { grid-column: 1 / -1; }
  .kpi { padding: 10px 12px; }
  .kpi-value { font-size: 21px; }
  .card { padding: 14px 14px 12px; }
  .metrics dd { font-size: 16px; }
  .timeline { gap: 8px; padding: 8px 10px; }
  .idle summary { padding: 10px 14px; }
  .idle-list { padding: 2px 14px 10px; }
}
`
