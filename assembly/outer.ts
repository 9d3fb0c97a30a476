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
  // Register-blocked: a 2 x 8 block of acc stays in registers while b runs over the batch, so
  // acc is read and written once instead of once per sample. Each element still sees
  // acc - k v (f64 mul, then sub) for b = 0, 1, ... in order: the same bits as the row loop.
  const cb = cols & ~7;
  const rb = rows & ~1;
  const vs = <usize>cols << 3;
  const ks = <usize>rows << 3;
  for (let r = 0; r < rb; r += 2) {
    const row0 = acc + ((<usize>r * <usize>cols) << 3);
    const row1 = row0 + vs;
    for (let c = 0; c < cb; c += 8) {
      const o = <usize>c << 3;
      let a0 = v128.load(row0 + o);
      let a1 = v128.load(row0 + o + 16);
      let a2 = v128.load(row0 + o + 32);
      let a3 = v128.load(row0 + o + 48);
      let e0 = v128.load(row1 + o);
      let e1 = v128.load(row1 + o + 16);
      let e2 = v128.load(row1 + o + 32);
      let e3 = v128.load(row1 + o + 48);
      let vp = v + o;
      let kp = k + (<usize>r << 3);
      for (let b = 0; b < B; b++) {
        const v0 = v128.load(vp);
        const v1 = v128.load(vp + 16);
        const v2 = v128.load(vp + 32);
        const v3 = v128.load(vp + 48);
        const k0 = f64x2.splat(load<f64>(kp));
        const k1 = f64x2.splat(load<f64>(kp + 8));
        a0 = f64x2.sub(a0, f64x2.mul(k0, v0));
        a1 = f64x2.sub(a1, f64x2.mul(k0, v1));
        a2 = f64x2.sub(a2, f64x2.mul(k0, v2));
        a3 = f64x2.sub(a3, f64x2.mul(k0, v3));
        e0 = f64x2.sub(e0, f64x2.mul(k1, v0));
        e1 = f64x2.sub(e1, f64x2.mul(k1, v1));
        e2 = f64x2.sub(e2, f64x2.mul(k1, v2));
        e3 = f64x2.sub(e3, f64x2.mul(k1, v3));
        vp += vs;
        kp += ks;
      }
      v128.store(row0 + o, a0);
      v128.store(row0 + o + 16, a1);
      v128.store(row0 + o + 32, a2);
      v128.store(row0 + o + 48, a3);
      v128.store(row1 + o, e0);
      v128.store(row1 + o + 16, e1);
      v128.store(row1 + o + 32, e2);
      v128.store(row1 + o + 48, e3);
    }
  }
  // The rows and columns outside the blocks, element by element (same order over b).
  for (let r = 0; r < rows; r++) {
    const c0 = r < rb ? cb : 0;
    const row = acc + ((<usize>r * <usize>cols) << 3);
    for (let c = c0; c < cols; c++) {
      const o = <usize>c << 3;
      let a = load<f64>(row + o);
      let vp = v + o;
      let kp = k + (<usize>r << 3);
      for (let b = 0; b < B; b++) {
        a = a - load<f64>(kp) * load<f64>(vp);
        vp += vs;
        kp += ks;
      }
      store<f64>(row + o, a);
    }
  }
}
