#!/usr/bin/env node
/**
 * Issue 17, question 5 on hardware: relaxation time per velocity evaluation (transient.t_free)
 * and horizon t1 against sample quality, generating on the chip each in-situ checkpoint of a
 * finished `findings-insitu-reram` sweep was trained on (same circuit, same chip seed).
 *
 *   node scripts/findings/relaxation-chip.mjs SWEEP_DIR OUT_DIR [--n 1000]
 *
 * Writes OUT_DIR/<chip>/<t_free>-<t1>/{circuit.json,samples.json,summary.json,eval.json} and
 * OUT_DIR/results.json (one row per run); a run whose eval.json exists is skipped (resumable).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const [sweepDir, outDir] = process.argv.slice(2);
const nAt = process.argv.indexOf('--n');
const n = nAt > 0 ? Number(process.argv[nAt + 1]) : 1000;
if (!sweepDir || !outDir || !(n >= 10)) {
  console.error('usage: node scripts/findings/relaxation-chip.mjs SWEEP_DIR OUT_DIR [--n N>=10]');
  process.exit(2);
}
// t_free with its measurement window (the window scaled down below 30 ns, as sweep-relaxation-reram).
const RELAX = [['10 ns', '2 ns', 10e-9], ['30 ns', '5 ns', 30e-9], ['100 ns', '5 ns', 100e-9]];
const T1 = [1.0, 1.5];
const cli = join(root, 'dist', 'cli', 'main.js');
const { writeFileAtomic: writeAtomic } = await import(join(root, 'dist', 'util', 'atomic.js'));

const meta = JSON.parse(readFileSync(join(sweepDir, 'sweep.json'), 'utf8'));
const spec = typeof meta.spec === 'string' ? JSON.parse(meta.spec) : meta.spec;
const rows = readFileSync(join(sweepDir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const insitu = rows.filter((r) => r.action === 'insitu').sort((a, b) => a.chip_seed - b.chip_seed);
if (insitu.length === 0) {
  console.error(`${sweepDir}/results.jsonl: no insitu rows`);
  process.exit(1);
}
const base = JSON.parse(readFileSync(join(root, spec.base ?? 'circuits/reram.json'), 'utf8'));
const out = [];
for (const r of insitu) {
  const ck = join(sweepDir, 'points', r.key, 'checkpoint.json');
  for (const [tFree, window, tFreeS] of RELAX) {
    for (const t1 of T1) {
      const dir = join(outDir, `chip${r.chip_seed}`, `${tFree.replace(' ', '')}-t${t1}`);
      mkdirSync(dir, { recursive: true });
      const evalFile = join(dir, 'eval.json');
      if (!existsSync(evalFile)) {
        const c = structuredClone(base);
        for (const [path, v] of Object.entries({ ...(spec.set ?? {}), ...r.overrides })) {
          const [sec, field] = path.split('.');
          c[sec][field] = v;
        }
        c.transient.t_free = tFree;
        c.measure.window = window;
        writeAtomic(join(dir, 'circuit.json'), JSON.stringify(c, null, 2) + '\n');
        const t0 = performance.now();
        const summary = execFileSync('node', [cli, 'sample', '--checkpoint', ck, '--circuit', join(dir, 'circuit.json'), '--chip-seed', String(r.chip_seed), '--n', String(n), '--t1', String(t1), '--seed', String(r.chip_seed), '--out', join(dir, 'samples.json'), '--json'], { encoding: 'utf8' });
        writeAtomic(join(dir, 'summary.json'), JSON.stringify({ ...JSON.parse(summary), wall_seconds: (performance.now() - t0) / 1000 }, null, 2) + '\n');
        const ev = execFileSync('node', [cli, 'eval', '--samples', join(dir, 'samples.json'), '--no-rows', '--json'], { encoding: 'utf8' });
        writeAtomic(evalFile, ev);
      }
      const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
      out.push({ chip_seed: r.chip_seed, t_free_s: tFreeS, t1, summary, eval: JSON.parse(readFileSync(evalFile, 'utf8')) });
      console.log(`chip ${r.chip_seed} t_free ${tFree} t1 ${t1}: done`);
    }
  }
}
writeAtomic(join(outDir, 'results.json'), JSON.stringify(out, null, 1) + '\n');
