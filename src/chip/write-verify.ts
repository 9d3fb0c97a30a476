/**
 * Program-and-verify (`program.update = "write_verify"`): write a device, read it, and write
 * again until |G - G_target| <= tol or the pulse budget is spent (iterative programming as in
 * Joshi et al., Nat. Commun. 11, 2473 (2020), Methods). Each write is one pulse with the
 * device's own write noise; the verify read is taken as exact (an assumption: its noise is far
 * below the write noise). With a per-write success probability p the pulse count is geometric
 * truncated at the budget B: E[pulses] = (1 - (1 - p)^B) / p.
 */

export interface VerifyResult {
  g: number;
  pulses: number;
  converged: boolean;
}

/** Verify loop of one device: `write()` returns the conductance after one more pulse. */
export function writeVerify(target: number, write: () => number, tol: number, maxPulses: number): VerifyResult {
  let g = write();
  let pulses = 1;
  while (Math.abs(g - target) > tol && pulses < maxPulses) {
    g = write();
    pulses++;
  }
  return { g, pulses, converged: Math.abs(g - target) <= tol };
}

/**
 * A population: `write(i)` is one pulse on device i. Fills `G` and the per-device pulse counts
 * and returns the total pulse count (what an energy model charges) and the unconverged devices.
 */
export function writeVerifyArray(targets: Float64Array, write: (i: number) => number, tol: number, maxPulses: number, G: Float64Array, pulses: Int32Array): { total: number; unconverged: number } {
  let total = 0;
  let unconverged = 0;
  for (let i = 0; i < targets.length; i++) {
    const r = writeVerify(targets[i], () => write(i), tol, maxPulses);
    G[i] = r.g;
    pulses[i] = r.pulses;
    total += r.pulses;
    if (!r.converged) unconverged++;
  }
  return { total, unconverged };
}
