/**
 * The self-contained index.html reports are what people open first: every committed one is
 * opened in headless Chromium (Debian's `chromium`, driven by playwright-core), with no
 * console error and no failed request allowed, and every chart canvas must have drawn
 * something. Screenshots go to runs/browser/ as test artefacts.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SHOTS = join(ROOT, 'runs', 'browser');
const CANDIDATES = [process.env.GRADEP_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];
const executable = CANDIDATES.find((p): p is string => Boolean(p) && existsSync(p as string));
// Flags for a closed network: no background connections (they would fail, many at a time).
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const reports = readdirSync(join(ROOT, 'reports'))
  .filter((d) => existsSync(join(ROOT, 'reports', d, 'index.html')))
  .sort();

if (!executable) {
  const msg = 'headless Chromium not found: install it with `apt-get install chromium` (or set GRADEP_CHROMIUM) to run the browser tests';
  if (process.env.CI) throw new Error(`${msg}; CI must run them`);
  console.warn(`browser tests skipped: ${msg}`);
}

/** In the page: legend texts, tick labels (all, and of log axes), the points table's box, displayed/natural width of grids. */
function readability() {
  type C = { legend?: { legendItems?: { text: string }[] }; scales: Record<string, { type: string; ticks: { label: string | string[] }[]; options: { title?: { text?: string } } }> };
  const charts = Object.values((globalThis as unknown as { Chart: { instances: Record<string, C> } }).Chart.instances);
  const labels = (log: boolean) => charts.flatMap((c) => Object.values(c.scales).filter((s) => (s.type === 'logarithmic') === log || !log).flatMap((s) => s.ticks.map((t) => String(t.label)).filter(Boolean)));
  const box = document.querySelector('.points');
  const st = box ? getComputedStyle(box) : null;
  return {
    legend: charts.flatMap((c) => (c.legend?.legendItems ?? []).map((i) => i.text)),
    ticks: labels(false),
    logTicks: labels(true),
    // Ticks of axes in an SI unit ("(s)", "(J)" in the title) carry prefixes: "30 ns", never 3e-8.
    siTicks: charts.flatMap((c) => Object.values(c.scales).filter((s) => /\((s|J|F|S|V|A|W)\)/.test(s.options.title?.text ?? '')).flatMap((s) => s.ticks.map((t) => String(t.label)))),
    tableBox: { overflow: st?.overflowY ?? 'none', bounded: Boolean(st && st.maxHeight !== 'none') },
    gridScales: [...document.querySelectorAll('.grids img')].map((i) => (i as HTMLImageElement).clientWidth / (i as HTMLImageElement).naturalWidth),
  };
}

describe.skipIf(!executable)('committed HTML reports in a real browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: executable, headless: true, args: ARGS });
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('there are reports to check', () => {
    expect(reports.length).toBeGreaterThan(0);
  });

  for (const name of reports) {
    it(`reports/${name}/index.html loads without errors and every chart draws`, async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
      await page.goto(pathToFileURL(join(ROOT, 'reports', name, 'index.html')).href, { waitUntil: 'load' });
      // Charts animate in: wait until every canvas has non-blank pixels (or time out and report).
      const drawn = await page
        .waitForFunction(
          () => {
            const canvases = [...document.querySelectorAll('canvas')];
            const inked = canvases.map((c) => {
              const ctx = c.getContext('2d');
              if (!ctx || c.width === 0 || c.height === 0) return 0;
              const px = ctx.getImageData(0, 0, c.width, c.height).data;
              let n = 0;
              for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
              return n / (c.width * c.height);
            });
            return canvases.length > 0 && inked.every((f) => f > 0.002) ? inked : false;
          },
          undefined,
          { timeout: 15_000 },
        )
        .then((h) => h.jsonValue() as Promise<number[]>)
        .catch(() => null);
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
      const canvases = await page.locator('canvas').count();
      const look = await page.evaluate(readability);
      await page.close();
      expect(problems).toEqual([]);
      // Formatted like the PNGs: one legend entry per series, SI ticks, 1-2-5 on log axes.
      expect(look.legend.filter((t) => !t || /std/.test(t))).toEqual([]);
      expect(look.ticks.filter((t) => /\d[eE][-+]?\d{2,}|\d{6,}/.test(t))).toEqual([]);
      expect(look.siTicks.filter((t) => /\d[eE][-+]?\d/.test(t))).toEqual([]);
      const mantissa = (t: string) => Number((parseFloat(t) / 10 ** Math.floor(Math.log10(parseFloat(t)) + 1e-9)).toPrecision(6));
      expect(look.logTicks.filter((t) => ![1, 2, 5].includes(mantissa(t)))).toEqual([]);
      // The points table scrolls in its own box; grids are drawn at their own size (titles at 15 px).
      expect(look.tableBox).toEqual({ overflow: 'auto', bounded: true });
      expect(look.gridScales.filter((s) => s < 1)).toEqual([]);
      expect(canvases).toBeGreaterThan(0);
      expect(drawn, `every one of the ${canvases} canvases has ink`).not.toBeNull();
    });
  }
});
