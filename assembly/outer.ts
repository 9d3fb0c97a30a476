/**
 * The local GradEP update's outer products in WebAssembly (float64), for src/learning/insitu.ts:
 * per sample b, in order, acc[r cols + c] -= k[b rows + r] * v[b cols + c] (dE/dW0 from
 * w rho(h1) and x, dE/dW1 from w rho(h2) and rho(h1)). Each element gets the same float64
 * multiply then subtract, in the same sample order, as the TypeScript loop of
 * accumulateEnergyParamGrad (f64x2 mul then sub, no FMA), so the sums are bit-identical.
 */

/**
 * acc (rows x cols, row-major f64) -= sum over samples b < B, in order, of k_b v_b^T; k: B x rows,
 * v: B x cols (f64, row-major).
 */
export function outerSub(acc: usize, k: usize, v: usize, B: i32, rows: i32, cols: i32): void {
  const pairs = cols & ~1;
  for (let b = 0; b < B; b++) {
    const kb = k + ((<usize>b * <usize>rows) << 3);
    const vb = v + ((<usize>b * <usize>cols) << 3);
    for (let r = 0; r < rows; r++) {
      const kr = load<f64>(kb + (<usize>r << 3));
      const ks = f64x2.splat(kr);
      const row = acc + ((<usize>r * <usize>cols) << 3);
      let c = 0;
      for (; c < pairs; c += 2) {
        const o = <usize>c << 3;
        v128.store(row + o, f64x2.sub(v128.load(row + o), f64x2.mul(ks, v128.load(vb + o))));
      }
      for (; c < cols; c++) {
        const o = <usize>c << 3;
        store<f64>(row + o, load<f64>(row + o) - kr * load<f64>(vb + o));
      }
    }
  }
}
