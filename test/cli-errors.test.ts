/**
 * Bad input gives a one-line error (exit 1) or a usage error (exit 2), never a stack trace or
 * a failure after the work. Library checks are called directly; the CLI is spawned only where
 * the exit code and stderr are what is tested, a few processes at a time.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateCircuit } from '../src/circuit/spec.js';
import { checkEulerSteps, MAX_EULER_STEPS } from '../src/cli/commands/sample.js';
import { checkOutPath } from '../src/cli/io.js';
import { buildProgram } from '../src/cli/program.js';
import { expandVary } from '../src/experiments/sweep/index.js';
import { readLog } from '../src/report/loss-figure.js';
import { readSweepMeta } from '../src/report/sweep-report.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { GradepError, UsageError } from '../src/util/errors.js';
import { parseJsonText, readJsonFile } from '../src/util/json.js';
import { packagePath } from '../src/util/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'gradep-errors-'));
const aDir = join(dir, 'a-dir');
const aFile = join(dir, 'a-file');
mkdirSync(aDir);
writeFileSync(aFile, 'x');

/** The thrown error's message (fails the test when nothing is thrown). */
function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('output paths', () => {
  it('are checked before any work: directory for a file, file for a directory, a file in the way, an unwritable folder', () => {
    expect(messageOf(() => checkOutPath('--out', aDir, 'file'))).toBe(`--out: ${aDir}: is a directory, allowed a file path`);
    expect(messageOf(() => checkOutPath('--out', aFile, 'dir'))).toBe(`--out: ${aFile}: exists and is not a directory, allowed a directory`);
    expect(messageOf(() => checkOutPath('--png', join(aFile, 'sub', 'x.png'), 'file'))).toMatch(/^--png: .*a-file\/sub\/x.png: .*a-file is a file/);
    if (existsSync('/proc/self')) expect(messageOf(() => checkOutPath('--out', '/proc/x.json', 'file'))).toMatch(/^--out: \/proc\/x.json: cannot create files in \/proc/);
    // Valid targets pass and leave nothing behind: a new nested path, an existing file, an existing directory.
    checkOutPath('--out', join(dir, 'new', 'deeper', 'x.json'), 'file');
    checkOutPath('--out', aFile, 'file');
    checkOutPath('--out', aDir, 'dir');
    expect(existsSync(join(dir, 'new'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['a-dir', 'a-file']);
  });

  it('writeFileAtomic removes its temp file when the rename fails', () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    mkdirSync(join(sub, 'target'));
    expect(() => writeFileAtomic(join(sub, 'target'), 'data')).toThrow();
    expect(readdirSync(sub)).toEqual(['target']);
  });
});

describe('input files', () => {
  it('JSON syntax errors are one line; non-finite number literals name their field', () => {
    const m = messageOf(() => parseJsonText('{\n "a": 1,\n "b": x\n}\n', 'f.json'));
    expect(m).toMatch(/^f.json: not valid JSON \(/);
    expect(m).not.toContain('\n');
    expect(messageOf(() => parseJsonText('{"a": 1,\n', 'f.json'))).toBe('f.json: not valid JSON (Expected double-quoted property name in JSON at line 2 column 1)');
    expect(messageOf(() => parseJsonText('# title\n\ntext\n', 'README.md'))).not.toContain('\n');
    expect(messageOf(() => parseJsonText('{"vary": {"synapse.g_dtod": [0, 1e400]}}', 's.json'))).toBe('s.json: vary.synapse.g_dtod[1]: got 1e400 (not a finite number), allowed a finite number');
    expect(messageOf(() => parseJsonText('[-2E+999]', 'p.json'))).toBe('p.json: [0]: got -2E+999 (not a finite number), allowed a finite number');
    // Large but finite literals and tiny ones (which underflow to 0) are numbers like any other.
    expect(parseJsonText('{"a": 1e300, "b": 1e-400, "c": "1e400"}', 'ok.json')).toEqual({ a: 1e300, b: 0, c: '1e400' });
    expect(messageOf(() => readJsonFile(aDir, 'circuit'))).toBe(`${aDir}: is a directory, allowed a circuit file`);
  });

  it('circuit fields named like Object.prototype members are unknown fields', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const raw = JSON.parse(`{"format": "gradep-circuit/1", "${name}": 1}`);
      expect(messageOf(() => validateCircuit(raw, 'c.json'))).toMatch(new RegExp(`^c.json: ${name}: unknown field, allowed fields here: format, `));
      const nested = JSON.parse(`{"format": "gradep-circuit/1", "synapse": {"${name}": 1}}`);
      expect(messageOf(() => validateCircuit(nested, 'c.json'))).toMatch(new RegExp(`^c.json: synapse.${name}: unknown field`));
    }
  });

  it('sweep list values are checked as vary.<field>[i]', () => {
    expect(messageOf(() => expandVary('s.json', 'vary.synapse.g_dtod', 'synapse.g_dtod', [0, 0.05, -0.013]))).toBe('s.json: vary.synapse.g_dtod[2]: got -0.013, allowed a number >= 0 and <= 1');
    expect(messageOf(() => expandVary('s.json', 'quick.vary.synapse.g_dtod', 'synapse.g_dtod', ['abc']))).toMatch(/^s.json: quick.vary.synapse.g_dtod\[0\]: got "abc", allowed/);
    expect(messageOf(() => expandVary('s.json', 'vary.transient.solver', 'transient.solver', ['heun', 'rk4']))).toMatch(/^s.json: vary.transient.solver\[1\]: got "rk4", allowed one of "euler"/);
    expect(expandVary('s.json', 'vary.node.capacitance', 'node.capacitance', ['100 fF', 2e-13])).toEqual(['100 fF', 2e-13]);
  });

  it('a training log with a cut last line is read without it, with a note', () => {
    const log = join(dir, 'log.jsonl');
    writeFileSync(log, '{"step":1,"flow_mse":0.5,"seconds":1}\n{"step":2,"flow_mse":0.4,"seconds":1}\n{"step":3,"flo');
    const notes: string[] = [];
    expect(readLog(log, (m) => notes.push(m)).map((r) => r.step)).toEqual([1, 2]);
    expect(notes).toEqual([`note: ${log}: line 3 is not a complete step record (cut by a killed run?), skipped`]);
    expect(messageOf(() => readLog(join(dir, 'missing.jsonl')))).toBe(`${join(dir, 'missing.jsonl')}: log file not found`);
  });

  it('a malformed sweep.json is a one-line error naming the file and the field', () => {
    const sd = join(dir, 'sweep-dir');
    mkdirSync(sd);
    const meta = join(sd, 'sweep.json');
    const cases: [string, RegExp][] = [
      ['{"file": "x.json", "spec": ', /sweep.json: not valid JSON \(Unexpected end of JSON input\)$/],
      ['[]', /sweep.json: \(top level\): got \[\], allowed an object/],
      ['{"spec": {}}', /sweep.json: file: got nothing, allowed the sweep file name/],
      ['{"file": "x.json", "spec": {"name": 3}}', /sweep.json: spec.name: got 3, allowed a string/],
      ['{"file": "x.json", "spec": {"name": "n", "description": "", "base": "b", "vary": {"a": 1}}}', /sweep.json: spec.vary: got \{"a":1\}, allowed an object of value lists/],
    ];
    for (const [text, re] of cases) {
      writeFileSync(meta, text);
      const m = messageOf(() => readSweepMeta(sd));
      expect(m).toMatch(re);
      expect(m).not.toContain('\n');
    }
  });
});

describe('option checks', () => {
  it('--dt must divide --t1 into at most MAX_EULER_STEPS whole steps (a usage error)', () => {
    const e = (() => {
      try {
        checkEulerSteps(0.1, 0.9);
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(UsageError);
    expect(e).toBeInstanceOf(GradepError);
    expect((e as Error).message).toBe('--dt: got 0.9, allowed <= --t1 (0.1)');
    expect(messageOf(() => checkEulerSteps(1, 0.03))).toMatch(/^--dt: got 0.03, allowed a step that divides --t1 \(1\)/);
    expect(messageOf(() => checkEulerSteps(1, 1e-9))).toContain(`at most ${MAX_EULER_STEPS} Euler steps`);
    for (const [t1, dt] of [[1, 0.01], [1.2, 0.01], [0.1, 0.1], [100, 0.001], [1, 0.2]]) expect(() => checkEulerSteps(t1, dt)).not.toThrow();
  });

  it('--help marks required options', () => {
    const sample = buildProgram().commands.find((c) => c.name() === 'sample')!;
    const help = sample.helpInformation();
    expect(help).toMatch(/--checkpoint <file>\s+checkpoint file \(required\)/);
    expect(help).toMatch(/--out <file>\s+samples JSON file \(required\)/);
    expect(help).not.toMatch(/--n <n>.*\(required\)/);
  });
});

const CLI = packagePath('dist', 'cli', 'main.js');
const CK = packagePath('reports', 'quick', 'checkpoint.json');

function gradep(args: string[]): Promise<{ code: number; err: string; out: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 }, (e, out, err) => {
      done({ code: e ? ((e as { code?: number }).code ?? -1) : 0, out, err });
    });
  });
}

/** Runs the cases `width` processes at a time; each gets its result. */
async function runAll<T extends { args: string[] }>(cases: T[], width = 4): Promise<(T & { r: Awaited<ReturnType<typeof gradep>> })[]> {
  const res: (T & { r: Awaited<ReturnType<typeof gradep>> })[] = [];
  for (let i = 0; i < cases.length; i += width) res.push(...(await Promise.all(cases.slice(i, i + width).map(async (c) => ({ ...c, r: await gradep(c.args) })))));
  return res;
}

describe('gradep CLI exit codes and messages', () => {
  it('bad values exit 1 (one line naming the file or flag) or 2 (usage), before any work', async () => {
    const p = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const torn = p('torn.jsonl', '{"step":1,"flow_mse":0.5,"seconds":1}\n{"step":2,"flow_mse":0.4,"seconds":1}\n{"st');
    const badSweepDir = join(dir, 'bad-sweep');
    mkdirSync(badSweepDir);
    writeFileSync(join(badSweepDir, 'sweep.json'), '{"file": 1}');
    const sample = ['sample', '--checkpoint', CK, '--n', '1', '--t1', '0.02', '--dt', '0.01'];
    const cases: { args: string[]; code: number; err: RegExp }[] = [
      { args: [...sample, '--out', aDir], code: 1, err: /^gradep: --out: .*a-dir: is a directory, allowed a file path$/ },
      { args: [...sample, '--out', join(dir, 's.json'), '--png', aDir], code: 1, err: /^gradep: --png: .*a-dir: is a directory/ },
      { args: ['train', '--steps', '1', '--batch', '2', '--out', aFile], code: 1, err: /^gradep: --out: .*a-file: exists and is not a directory/ },
      { args: ['plot-log', '--log', join(dir, 'missing.jsonl'), '--out', join(dir, 'l.png')], code: 1, err: /^gradep: .*missing.jsonl: log file not found$/ },
      { args: ['plot-log', '--log', torn, '--out', join(dir, 'torn.png')], code: 0, err: /^note: .*torn.jsonl: line 3 is not a complete step record/ },
      { args: ['plot-log', '--log', torn, torn, '--label', 'a', '--out', join(dir, 'l2.png')], code: 2, err: /^gradep: --label: got 1 labels for 2 logs, allowed one per --log$/ },
      { args: ['plot-log', '--log', torn, torn, '--label', 'a', 'b', '--x', 'seconds', '--out', join(dir, 'two.png')], code: 0, err: /^note: .*torn.jsonl: line 3/ },
      { args: ['report', badSweepDir], code: 1, err: /^gradep: .*bad-sweep\/sweep.json: file: got 1, allowed the sweep file name/ },
      { args: ['--threads', '0', 'circuit'], code: 2, err: /^error: option '--threads <n>' argument '0' is invalid. --threads: got "0", allowed an integer 1..64/ },
      { args: ['--threads', 'x', ...sample, '--out', join(dir, 't.json')], code: 2, err: /--threads: got "x", allowed an integer 1..64/ },
      { args: ['sweep', packagePath('experiments', 'sweep-bits.json'), '--list', '--shard', '3/2'], code: 2, err: /--shard: got "3\/2", allowed i\/N with 0 <= i < N/ },
      { args: ['circuit', packagePath('README.md')], code: 1, err: /^gradep: .*README.md: not valid JSON \(Unexpected token '#'\)$/ },
      { args: ['circuit', p('inf.json', '{"format": "gradep-circuit/1", "node": {"capacitance": 1e400}}')], code: 1, err: /^gradep: .*inf.json: node.capacitance: got 1e400 \(not a finite number\)/ },
      { args: [...sample.slice(0, 5), '--t1', '0.1', '--dt', '0.9', '--out', join(dir, 'u.json')], code: 2, err: /^gradep: --dt: got 0.9, allowed <= --t1 \(0.1\)$/ },
    ];
    for (const c of await runAll(cases)) {
      expect({ args: c.args.join(' '), code: c.r.code }).toEqual({ args: c.args.join(' '), code: c.code });
      const lines = c.r.err.trim().split('\n');
      // Usage errors from commander add the "(run with --help for usage)" hint on a second line.
      expect(lines.length, c.r.err).toBe(c.code === 2 && c.r.err.startsWith('error:') ? 2 : c.code === 0 ? lines.length : 1);
      expect(c.r.err.trim(), c.args.join(' ')).toMatch(c.err);
      expect(c.r.err).not.toMatch(/internal error|\n\s+at /);
    }
    // Nothing was written where the checks failed, and no temp file was left.
    expect(readdirSync(aDir)).toEqual([]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') || /^[stu]\.json$/.test(f))).toEqual([]);
    expect(existsSync(join(dir, 'torn.png'))).toBe(true);
    expect(existsSync(join(dir, 'two.png'))).toBe(true);
    expect(existsSync(join(dir, 'l2.png'))).toBe(false);
  });

  it('sweep --list lists only the points of --shard', async () => {
    const file = packagePath('experiments', 'sweep-bits.json');
    const [all, one] = await runAll([{ args: ['sweep', file, '--list', '--json'] }, { args: ['sweep', file, '--list', '--json', '--shard', '1/3'] }]);
    const idx = (r: { out: string }) => (JSON.parse(r.out) as { points: { index: number }[] }).points.map((x) => x.index);
    expect(all.r.code, all.r.err).toBe(0);
    expect(idx(one.r)).toEqual(idx(all.r).filter((i) => i % 3 === 1));
    expect(idx(one.r).length).toBeGreaterThan(0);
  });
});

// Keep the checkpoint fixture honest: the spawned sample cases must fail on their flags, not on a missing file.
it('the sample cases use a committed checkpoint', () => {
  expect(JSON.parse(readFileSync(CK, 'utf8')).format).toMatch(/^gradep-checkpoint/);
});
