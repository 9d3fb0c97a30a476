// Characterise the transistor-level rho'(h) x a multiplier (circuits/spice/gilbert-deriv.cir) with
// ngspice 45 in process (eecircuit-engine): output current over (vx, vy), the fitted
// G sech^2((vx - x0) / s_m) tanh(vy / s_y) with its error, its vx-shape against the activation
// pair's own derivative (reports/spice-activation/characterisation.json), the linear range in vy,
// output offset, static power and bandwidth, at -40, 27 and 85 C and with a 5 % width mismatch of one
// lower-pair transistor. Writes reports/spice-activation/{multiplier.json,multiplier.png}.
// Run after `npm run build` and characterise.mjs: node circuits/spice/characterise-mult.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEngine } from './engine.mjs';
import { lineChartPng } from '../../dist/report/figures.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(ROOT, 'reports', 'spice-activation');
const BASE = readFileSync(join(ROOT, 'circuits', 'spice', 'gilbert-deriv.cir'), 'utf8');
const ACT = JSON.parse(readFileSync(join(OUT, 'characterisation.json'), 'utf8'));
const CASES = [
  { name: '-40 C', temp: -40, dw: 0 },
  { name: '27 C', temp: 27, dw: 0 },
  { name: '85 C', temp: 85, dw: 0 },
  { name: '27 C, ML11 width +5 %', temp: 27, dw: 0.05 },
];
const VDD = 1.2;
const VYS = Array.from({ length: 41 }, (_, k) => Math.round((-0.2 + 0.01 * k) * 1000) / 1000);

const run = await startEngine();
const variant = (c, vy) =>
  BASE.replace('.temp 27', `.temp ${c.temp}`)
    .replace('VY vy 0 DC 0', `VY vy 0 DC ${vy}`)
    .replace(/^(ML11 .* W=)\{w\}/m, `$1{w*${1 + c.dw}}`);

/** Best s of y ~ G sech^2((x - x0) / s) (G linear) over a grid of s; error relative to max |y|. */
function fitSech2(x, y, x0) {
  let best = null;
  for (let s = 0.02; s <= 0.5; s *= 1.002) {
    const t = x.map((v) => 1 / Math.cosh((v - x0) / s) ** 2);
    const G = t.reduce((a, b, i) => a + b * y[i], 0) / t.reduce((a, b) => a + b * b, 0);
    const err = Math.max(...t.map((v, i) => Math.abs(G * v - y[i])));
    if (!best || err < best.err) best = { G, s, err };
  }
  return { ...best, rel: best.err / Math.max(...y.map(Math.abs)) };
}

const results = [];
const shapes = [];
for (const c of CASES) {
  const rows = [];
  let vx = null;
  let idd0 = 0;
  for (const vy of VYS) {
    const g = await run(variant(c, vy));
    vx = g('v(v-sweep)') ?? vx;
    const ip = g('i(vop)'), im = g('i(von)');
    rows.push(ip.map((v, k) => v - im[k]));
    if (vy === 0) idd0 = g('i(vdd)')[Math.floor(ip.length / 2)];
  }
  const k0 = vx.findIndex((v) => Math.abs(v) < 1e-9);
  const j0 = VYS.indexOf(0);
  const jSmall = VYS.indexOf(0.02);
  // vx-shape at a small vy (offset removed), against G sech^2((vx - x0) / s_m).
  const shape = rows[jSmall].map((v, k) => v - rows[j0][k]);
  let x0 = 0;
  for (let k = 1; k < vx.length - 1; k++) if (shape[k] >= shape[k - 1] && shape[k] >= shape[k + 1]) x0 = vx[k];
  const fit = fitSech2(vx, shape, x0);
  // vy-transfer at the vx of the peak; linear range: |I - gm vy| < 1 % of gm |vy|.
  const kp = vx.findIndex((v) => Math.abs(v - x0) < 1e-9);
  const iy = rows.map((r) => r[kp] - rows[j0][kp]);
  const gmY = (iy[j0 + 1] - iy[j0 - 1]) / (VYS[j0 + 1] - VYS[j0 - 1]);
  let lin = 0;
  for (let j = j0 + 1; j < VYS.length; j++) if (Math.abs(iy[j] - gmY * VYS[j]) <= 0.01 * Math.abs(gmY * VYS[j])) lin = VYS[j]; else break;
  const act = ACT.results.find((r) => r.case === c.name.replace(', ML11 width +5 %', ''));
  const ac = await run(variant(c, 0).replace('VY vy 0 DC 0', 'VY vy 0 DC 0 AC 1').replace(/^\.dc .*$/m, '.ac dec 20 1e3 1e11'));
  const f = ac('frequency').map((z) => (typeof z === 'number' ? z : z.real));
  const op = ac('i(vop)'), on = ac('i(von)');
  const mag = op.map((z, k) => Math.hypot(z.real - on[k].real, z.img - on[k].img));
  results.push({
    case: c.name, temperature_c: c.temp, ml11_width_mismatch: c.dw,
    peak_vx_v: x0, gm_vy_at_peak_s: gmY, linear_range_1pct_v: lin,
    output_offset_a: rows[j0][k0],
    fit: { g_a: fit.G, s_m_v: fit.s, max_error_rel: fit.rel },
    activation_v_s: act ? act.fit.v_s : null,
    shape_scale_ratio: act ? fit.s / act.fit.v_s : null,
    static_power_w: VDD * Math.abs(idd0),
    bandwidth_3db_hz: f.find((_, k) => mag[k] < mag[0] / Math.SQRT2) ?? null,
  });
  shapes.push({ name: c.name, vx, y: shape.map((v) => v * 1e9) });
}
writeFileSync(join(OUT, 'multiplier.json'), JSON.stringify({ circuit: 'circuits/spice/gilbert-deriv.cir', model: 'PTM 130 nm (PTM130N)', vdd_v: VDD, small_vy_v: 0.02, results }, null, 2) + '\n');
writeFileSync(join(OUT, 'multiplier.png'), lineChartPng({ title: "rho'(h) x a multiplier: output at vy = 20 mV vs vx (PTM 130 nm)", xLabel: 'hidden-node input vx (V)', yLabel: 'output current (nA)', series: shapes.map((s) => ({ label: s.name, x: s.vx, y: s.y })) }));
for (const r of results) console.log(`${r.case}: peak at ${(r.peak_vx_v * 1e3).toFixed(1)} mV, s_m ${(r.fit.s_m_v * 1e3).toFixed(1)} mV (activation V_s ${r.activation_v_s ? (r.activation_v_s * 1e3).toFixed(1) : '-'} mV), sech^2 fit error ${(100 * r.fit.max_error_rel).toFixed(2)} %, gm_y ${(r.gm_vy_at_peak_s * 1e6).toFixed(2)} uS, 1 % linear to ${(r.linear_range_1pct_v * 1e3).toFixed(0)} mV, offset ${(r.output_offset_a * 1e9).toFixed(2)} nA, power ${(r.static_power_w * 1e6).toFixed(2)} uW, f3dB ${r.bandwidth_3db_hz?.toExponential(2)} Hz`);
