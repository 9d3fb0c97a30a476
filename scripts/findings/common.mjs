/** Helpers shared by the findings scripts (scripts/findings/*.mjs). */

/** Total-variation distance of class frequencies from uniform (the data's 10% each): 0.5 sum |f_d - 0.1|; undefined without 10 frequencies. */
export const classTv = (f) => (Array.isArray(f) && f.length === 10 ? 0.5 * f.reduce((a, x) => a + Math.abs(x - 0.1), 0) : undefined);

/** "mean [lo, hi]" of an Interval (src/metrics/intervals.ts) at d significant digits; "(n = 1)" without spread, "-" for none. */
export const fmtInterval = (i, d = 3) => (i === null ? '-' : i.lo === null ? `${i.mean.toPrecision(d)} (n = 1)` : `${i.mean.toPrecision(d)} [${i.lo.toPrecision(d)}, ${i.hi.toPrecision(d)}]`);
