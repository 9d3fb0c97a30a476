/**
 * Frozen draws of a chip's peripheral circuits (docs/circuit-model.md "Activation, multiplier
 * and amplifier elements"): the separate rho' generator and the four-quadrant multiplier of
 * every hidden neuron, and the sense amplifier of every node's sensed line. Each array is null
 * when its spread is 0, so an ideal periphery costs nothing and reproduces the ideal model
 * exactly. Streams: Rng(seed, "chip", "periphery", <what>), apart from realiseChip's streams,
 * so adding the periphery leaves every existing draw unchanged.
 */
import type { DeviceSpec } from '../circuit/spec.js';
import type { Dims } from '../circuit/params.js';
import { Rng } from '../util/rng.js';

export interface Periphery {
  /** Per hidden neuron (n1 then n2): rho' generator's own relative gain and input offset (u units). */
  derivGain: Float64Array | null;
  derivOffset: Float64Array | null;
  /** Per hidden neuron: multiplier gain m_i and input offset o_i (units of G_unit V_unit). */
  multGain: Float64Array | null;
  multOffset: Float64Array | null;
  /** Per node (x, h1, h2): amplifier input offset voltage V_os (V). */
  vos: Float64Array | null;
  /** Per node: amplifier gain-bandwidth product (Hz); null = ideal amplifiers (amplifier.gbw = 0). */
  gbw: Float64Array | null;
}

function relative(n: number, std: number, r: Rng, floor: number): Float64Array | null {
  if (std === 0) return null;
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.max(floor, 1 + std * r.normal());
  return a;
}

function absolute(n: number, std: number, r: Rng): Float64Array | null {
  if (std === 0) return null;
  const a = new Float64Array(n);
  r.fillNormal(a, 0, std);
  return a;
}

/** Draw the periphery of chip `seed`. Missing spec sections (records older than the fields) mean ideal. */
export function realisePeriphery(spec: DeviceSpec, d: Dims, seed: number): Periphery {
  const nh = d.n1 + d.n2;
  const N = d.nx + nh;
  const a = spec.activation;
  const amp = spec.amplifier ?? { gbw: 0, gbw_dtod: 0, vos_dtod: 0 };
  const rng = (what: string) => new Rng(seed, 'chip', 'periphery', what);
  let gbw: Float64Array | null = null;
  if (amp.gbw > 0) {
    gbw = relative(N, amp.gbw_dtod, rng('gbw'), 0.01) ?? new Float64Array(N).fill(1);
    for (let n = 0; n < N; n++) gbw[n] *= amp.gbw;
  }
  return {
    derivGain: relative(nh, a.deriv_gain_dtod ?? 0, rng('deriv_gain'), 0),
    derivOffset: absolute(nh, a.deriv_offset_dtod ?? 0, rng('deriv_offset')),
    multGain: relative(nh, a.mult_gain_dtod ?? 0, rng('mult_gain'), 0),
    multOffset: absolute(nh, a.mult_offset_dtod ?? 0, rng('mult_offset')),
    vos: absolute(N, amp.vos_dtod, rng('vos')),
    gbw,
  };
}
