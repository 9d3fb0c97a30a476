// Characterise the transistor-level activation element (circuits/spice/diffpair-tanh.cir) with
// ngspice 45 in process (eecircuit-engine): DC transfer, derivative, offset, static power and
// bandwidth at three temperatures and a 5 % width-mismatch corner, a fitted A tanh((vd - vos) / V_s)
// with its error, and at FF/SS-like threshold corners. Writes reports/spice-activation/{characterisation.json,transfer.png,derivative.png}.
// Run after `npm run build`: node circuits/spice/characterise.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEngine } from './engine.mjs';
import { lineChartPng } from '../../dist/report/figures.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(ROOT, 'reports', 'spice-activation');
const BASE = readFileSync(join(ROOT, 'circuits', 'spice', 'diffpair-tanh.cir'), 'utf8');
// Process corners, FF/SS-like: every NMOS and PMOS threshold shifted by 50 mV (ngspice's BSIM4 instance
// parameter delvto adds to vth0: + slows an NMOS and speeds a PMOS). The PTM cards have no corner
// cards of their own, so these stand in for them.
const CASES = [
  { name: '-40 C', temp: -40, dw: 0 },
  { name: '27 C', temp: 27, dw: 0 },
  { name: '85 C', temp: 85, dw: 0 },
  { name: '27 C, M1 width +5 %', temp: 27, dw: 0.05 },
  { name: 'FF-like (|Vth| -50 mV), 27 C', temp: 27, dw: 0, dvt: -0.05 },
  { name: 'SS-like (|Vth| +50 mV), 27 C', temp: 27, dw: 0, dvt: 0.05 },
  { name: 'FF-like, -40 C', temp: -40, dw: 0, dvt: -0.05 },
  { name: 'SS-like, 85 C', temp: 85, dw: 0, dvt: 0.05 },
];
const VDD = 1.2;

const run = await startEngine();
const variant = (c) =>
  BASE.replace('.temp 27', `.temp ${c.temp}`)
    .replace('dw=0', `dw=${c.dw}`)
    .replace(/^(M\d .* PTM130N .*)$/gm, `$1 delvto=${c.dvt ?? 0}`)
    .replace(/^(M\d .* PTM130P .*)$/gm, `$1 delvto=${-(c.dvt ?? 0)}`);

/** Least squares of y ~ A tanh((x - x0) / s) + c over a grid of s (A, c linear), x0 the zero crossing. */
function fitTanh(x, y, x0) {
  let best = null;
  for (let s = 0.01; s <= 0.5; s *= 1.002) {
    const t = x.map((v) => Math.tanh((v - x0) / s));
    const n = x.length, st = t.reduce((a, b) => a + b, 0), stt = t.reduce((a, b) => a + b * b, 0);
    const sy = y.reduce((a, b) => a + b, 0), sty = t.reduce((a, b, i) => a + b * y[i], 0);
    const A = (n * sty - st * sy) / (n * stt - st * st), c = (sy - A * st) / n;
    const err = Math.max(...t.map((v, i) => Math.abs(A * v + c - y[i])));
    if (!best || err < best.err) best = { A, s, c, err };
  }
  return best;
}

const results = [];
const curves = [];
for (const c of CASES) {
  const dc = await run(variant(c));
  const vd = dc('v(v-sweep)'), di = dc('i(vout)').map((v) => v), idd = dc('i(vdd)');
  const k0 = vd.findIndex((v) => Math.abs(v) < 1e-9);
  let vos = 0;
  for (let k = 1; k < vd.length; k++) if (di[k - 1] <= 0 && di[k] > 0) vos = vd[k - 1] - (di[k - 1] * (vd[k] - vd[k - 1])) / (di[k] - di[k - 1]);
  const deriv = vd.map((_, k) => (k === 0 || k === vd.length - 1 ? NaN : (di[k + 1] - di[k - 1]) / (vd[k + 1] - vd[k - 1])));
  const fit = fitTanh(vd, di, vos);
  const ac = await run(variant(c).replace(/^\.dc .*$/m, '.ac dec 20 1e3 1e11'));
  const f = ac('frequency').map((z) => (typeof z === 'number' ? z : z.real));
  const mag = ac('i(vout)').map((z) => Math.hypot(z.real, z.img));
  const f3db = f.find((_, k) => mag[k] < mag[0] / Math.SQRT2) ?? null;
  results.push({
    case: c.name, temperature_c: c.temp, m1_width_mismatch: c.dw, nmos_delvto_v: c.dvt ?? 0,
    i_sat_pos_a: di[di.length - 1], i_sat_neg_a: di[0],
    offset_v: vos, gm_at_0_s: deriv[k0],
    fit: { amplitude_a: fit.A, v_s: fit.s, offset_current_a: fit.c, max_error_a: fit.err, max_error_rel: fit.err / Math.abs(fit.A) },
    static_power_w: VDD * Math.abs(idd[k0]),
    bandwidth_3db_hz: f3db,
  });
  curves.push({ name: c.name, vd, di, deriv });
}
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'characterisation.json'), JSON.stringify({ circuit: 'circuits/spice/diffpair-tanh.cir', model: 'PTM 130 nm (PTM130N, PTM130P)', vdd_v: VDD, results }, null, 2) + '\n');
const series = (key, scale) => curves.map((c) => ({ label: c.name, x: c.vd.filter((_, k) => Number.isFinite(c[key][k])), y: c[key].filter((v) => Number.isFinite(v)).map((v) => v * scale) }));
writeFileSync(join(OUT, 'transfer.png'), lineChartPng({ title: 'Differential pair: output current vs input (PTM 130 nm)', xLabel: 'differential input vd (V)', yLabel: 'output current (uA)', series: series('di', 1e6) }));
writeFileSync(join(OUT, 'derivative.png'), lineChartPng({ title: 'Differential pair: transconductance (derivative path)', xLabel: 'differential input vd (V)', yLabel: 'dI/dvd (uA/V)', series: series('deriv', 1e6) }));
for (const r of results) console.log(`${r.case}: I+ ${(r.i_sat_pos_a * 1e6).toFixed(3)} uA, I- ${(r.i_sat_neg_a * 1e6).toFixed(3)} uA, offset ${(r.offset_v * 1e3).toFixed(2)} mV, gm ${(r.gm_at_0_s * 1e6).toFixed(2)} uS, V_s ${(r.fit.v_s * 1e3).toFixed(1)} mV, fit error ${(100 * r.fit.max_error_rel).toFixed(2)} %, power ${(r.static_power_w * 1e6).toFixed(2)} uW, f3dB ${r.bandwidth_3db_hz?.toExponential(2)} Hz`);
