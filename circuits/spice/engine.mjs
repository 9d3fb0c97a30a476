// The in-process ngspice both characterisation scripts use: start it once, then run a netlist
// and get its vectors by name (an ngspice error is thrown, not ignored).
import { Simulation } from 'eecircuit-engine';

export async function startEngine() {
  const sim = new Simulation();
  await sim.start();
  return async function run(text) {
    sim.setNetList(text);
    const r = await sim.runSim();
    const errs = sim.getError().filter((e) => e.trim());
    if (errs.length) throw new Error(errs.join('; '));
    return (name) => r.data.find((d) => d.name === name).values;
  };
}
