// bench/ttfr.mjs control: the browser's own cost of a page, without any of our code. The time this module is
// evaluated (ms from navigation start), on the same host as our app, cross-origin isolated or not: the
// difference is what Chromium spends on isolation before any script of an app can run.
const module = performance.now();
const nav = /** @type {PerformanceNavigationTiming | undefined} */ (performance.getEntriesByType('navigation')[0]);
const marks = { module, 'nav response': nav?.responseEnd ?? NaN, 'nav parsed': nav?.domInteractive ?? NaN };
const result = /** @type {HTMLElement} */ (document.getElementById('result'));
// after DOMContentLoaded (module scripts run before it), when the benchmark's observer is attached
const done = () => {
  result.textContent = JSON.stringify({ label: 'control', marks, runtime: { threads: null } });
  result.dataset.ms = String(module);
  result.dataset.state = 'done';
};
if (document.readyState === 'loading') addEventListener('DOMContentLoaded', () => setTimeout(done));
else setTimeout(done);
