import { describe, expect, it } from 'vitest';
import { DEFAULT_CIRCUIT_FILE, loadCircuit, validateCircuit } from '../src/circuit/spec.js';

const base = () => JSON.parse(JSON.stringify(loadCircuit(DEFAULT_CIRCUIT_FILE)));

describe('circuit files', () => {
  it('circuits/paper.json holds the paper hyperparameters', () => {
    const c = loadCircuit(DEFAULT_CIRCUIT_FILE);
    expect(c.layers).toEqual({ visible: 64, hidden1: 128, hidden2: 128 });
    expect(c.spring.lambda).toBe(15);
    expect(c.readout.alpha).toBe(2);
    expect(c.nudge.beta).toBe(1.25e-3);
    expect(c.relax).toMatchObject({ method: 'paper', epsilon: 0.1, T: 300 });
  });
  it('fills defaults for omitted fields', () => {
    const c = validateCircuit({ format: 'gradep-circuit/1' }, 'x.json');
    expect(c.spring.lambda).toBe(15);
    expect(c.relax.T).toBe(300);
  });
  const cases: [string, (c: any) => void, RegExp][] = [
    ['unknown field', (c) => (c.spring.stiffness = 3), /^bad\.json: spring\.stiffness: unknown field, allowed fields here: lambda, g_dtod$/],
    ['wrong type', (c) => (c.relax.T = '300'), /^bad\.json: relax\.T: got "300", allowed an integer >= 1 and <= 1000000$/],
    ['out of range', (c) => (c.nudge.beta = -1), /^bad\.json: nudge\.beta: got -1, allowed a number > 0 and <= 1$/],
    ['non-integer', (c) => (c.layers.hidden1 = 12.5), /^bad\.json: layers\.hidden1: got 12\.5, allowed an integer/],
    ['bad enum', (c) => (c.relax.method = 'rk4'), /^bad\.json: relax\.method: got "rk4", allowed one of "paper", "equilibrium", "transient"$/],
    ['wrong format', (c) => (c.format = 'other/1'), /^bad\.json: format: got "other\/1", allowed "gradep-circuit\/1"$/],
    ['a -beta phase without equilibrium', (c) => ((c.relax.method = 'equilibrium'), (c.nudge.beta = 0.02)), /^bad\.json: nudge\.beta: got 0\.02, allowed beta \(alpha lambda\)\^2 < 1 \+ lambda, i\.e\. beta < 0\.0178 for this spring and readout/],
    ['unstable paper dynamics', (c) => (c.spring.lambda = 25), /^bad\.json: relax\.epsilon: got 0\.1, allowed epsilon \* \(1 \+ lambda \+ beta \(alpha lambda\)\^2\) < 2, i\.e\. epsilon < 0\.0686/],
  ];
  for (const [name, mutate, re] of cases) {
    it(`rejects ${name} with a one-line message naming file, field and range`, () => {
      const c = base();
      mutate(c);
      expect(() => validateCircuit(c, 'bad.json')).toThrow(re);
    });
  }
  it('rejects a missing file and invalid JSON', () => {
    expect(() => loadCircuit('/nonexistent/c.json')).toThrow(/c\.json: circuit file not found/);
  });
});
