/**
 * Float32 WebAssembly SIMD kernels of the relaxation, the hot loops of WasmEngine (the float64
 * engines are the reference its tests check them against): one fused network evaluation per
 * tile of 8 samples, the paper dynamics (T steps of eps), the per-sample vector work of
 * Anderson acceleration and the chip transients. Compiled twice by asc: with relaxed SIMD (FMA)
 * and without (mul+add), selected at compile time through ASC_FEATURE_RELAXED_SIMD.
 *
 * No allocation and no static data: the module runs on a shared imported memory whose whole
 * layout is decided by src/solvers/wasm-layout.ts and described by a context block at `ctx`.
 * The block's offsets come from one table, src/solvers/kernel-layout.json: CTX in
 * wasm-layout.ts is read from it, and ./layout.ts, imported below, is generated from it by
 * scripts/gen-kernel-layout.mjs. Vector constants live in that block and are loaded where
 * used (V8 rebuilds splat constants inside loops otherwise).
 *
 * Per-sample layout inside a slot (byte offsets read from ctx, 64-byte aligned):
 *   S [x|h1|h2] (N), XT, XG (nx), G = grad F (N), D = [rho'(h1)|rho'(h2)] (n1+n2),
 *   R = [rho(h1)|rho(h2)], A = drives [ax|a1|a2] (N), Anderson buffers,
 *   RES: f32 |g|^2, |s|^2, |s-g|^2, then f64 F(s) and the sum of its terms' magnitudes.
 * Every sample is computed on its own (SIMD runs over units, never across samples), so a
 * sample's result does not depend on which slot, tile or thread computes it.
 */

// ---- context block: byte offsets from ctx, generated from src/solvers/kernel-layout.json ----
import {
  C_NX, C_N1, C_N2, C_N, C_PA1, C_PA2, C_BA1, C_BA2, C_CLAMPX, C_STRIDE, C_M, O_S, O_XT, O_XG, O_G,
  O_D, O_A, O_R, O_FP, O_GMP, O_BEST, O_DF, O_DG, O_GRAM, O_RHS, O_SOLVE, O_RES, O_SPREV, C_REG,
  C_OFF, C_GAIN, C_KL, C_KS, C_KNB, C_HR, C_SIG, C_PL, C_PS, C_PX, C_PN, C_PR, V_ONE, V_TWO, V_TEN,
  V_FIFTH, V_ZERO, V_EXPLO, V_EXPHI, V_LOG2E, V_NLN2HI, V_NLN2LO, V_E0, V_E1, V_E2, V_E3, V_E4,
  V_E5, V_MAGIC, V_LAMBDA, V_BK, V_NEGEPS, V_SIGN
} from './layout';
// chip activation of kind tanh (actTanh)
import { C_ACT, V_TA, V_TIS, V_TB, C_PRECOND, O_H2, V_HFLOOR } from './layout';
// chip transients: exponential steps, the rho' path, multiplicative noise, amplifier poles, sinh I-V
import { C_EA, C_P1, C_P2, C_CHIPF, C_DM, C_DOFF, C_SQ, C_SLN, C_WZ, C_EAZ, C_P1Z, C_P2Z, C_SIGZ, V_IVK, V_IVH } from './layout';

@inline function ld(ctx: usize, off: usize): i32 {
  return load<i32>(ctx + off);
}

/** a*b + c: one fused instruction with relaxed SIMD, mul+add otherwise. */
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** c - a*b. */
@inline function nmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

/** m ? a : b per lane, m from a comparison (all-ones or zero lanes): one blend with relaxed SIMD. */
@inline function sel(a: v128, b: v128, m: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_laneselect(a, b, m);
  return v128.bitselect(a, b, m);
}

/**
 * exp(x) - 1 and exp(x), Cephes expf (Cody-Waite reduction, degree-5 polynomial, about
 * 1 ulp). The caller clamps x to [-80, 88] so 2^n stays a normal float. Rounding x log2e to
 * n and building 2^n both go through the float 2^23 + 127 + n (MAGIC): its low mantissa
 * bits are n + 127, the biased exponent, so a shift makes 2^n (no nearest/trunc_sat, which
 * V8 expands to ~8 instructions).
 */
@inline function vexpq(x: v128, c: usize, minusOne: bool): v128 {
  const magic = v128.load(c, V_MAGIC);
  const kf = madd(x, v128.load(c, V_LOG2E), magic);
  const n = f32x4.sub(kf, magic);
  let r = madd(n, v128.load(c, V_NLN2HI), x);
  r = madd(n, v128.load(c, V_NLN2LO), r);
  // Estrin's scheme: the activation is latency-bound, Horner's chain of 6 FMAs is not.
  const z = f32x4.mul(r, r);
  const p01 = madd(v128.load(c, V_E0), r, v128.load(c, V_E1));
  const p23 = madd(v128.load(c, V_E2), r, v128.load(c, V_E3));
  const p45 = madd(v128.load(c, V_E4), r, v128.load(c, V_E5));
  const y = madd(madd(p01, z, p23), z, p45);
  const q = madd(y, z, r); // exp(r) - 1, accurate for small r
  const pw = i32x4.shl(kf, 23);
  // exp = 2^n q + 2^n; expm1 = 2^n q + (2^n - 1), exact for n = 0 so small arguments keep
  // their digits (and exp of large negative arguments never goes through expm1 + 1).
  return madd(pw, q, minusOne ? f32x4.sub(pw, v128.load(c, V_ONE)) : pw);
}

@inline function vexp(x: v128, c: usize): v128 {
  return vexpq(x, c, false);
}

@inline function vexpm1(x: v128, c: usize): v128 {
  return vexpq(x, c, true);
}

/** The sinh device I-V of a driven line (chip, CHIPF & 16): sinh(k u) / k = (expm1(k u) - expm1(-k u)) / (2 k), k u clamped to +-80. */
@inline function ivf(u: v128, c: usize): v128 {
  const lo = v128.load(c, V_EXPLO);
  const y = f32x4.pmin(f32x4.pmax(f32x4.mul(u, v128.load(c, V_IVK)), lo), f32x4.neg(lo));
  return f32x4.mul(f32x4.sub(vexpm1(y, c), vexpm1(f32x4.neg(y), c)), v128.load(c, V_IVH));
}

/**
 * rho(u) = 10 tanh(silu(u)/10) into the return value, rho'(u) stored at dOut:
 *   e = exp(-|u|), sigmoid = 1/(1+e) or e/(1+e), z = u sigmoid / 10 (>= -0.028),
 *   tanh(z) = E/(E + 2) with E = expm1(2z) (no cancellation for small z),
 *   rho' = (1 - tanh(z)^2) sigmoid (1 + u (1 - sigmoid)).
 */
@inline function act(u: v128, c: usize, dOut: usize, d2Out: usize = 0): v128 {
  // Ordered for short dependency chains: everything that does not wait on a division or
  // an exp is computed beside it.
  const one = v128.load(c, V_ONE);
  const neg = f32x4.lt(u, v128.load(c, V_ZERO));
  const u02 = f32x4.mul(u, v128.load(c, V_FIFTH));
  const e = vexp(f32x4.pmax(v128.or(u, v128.load(c, V_SIGN)), v128.load(c, V_EXPLO)), c);
  const inv = f32x4.div(one, f32x4.add(one, e));
  const sig = f32x4.mul(sel(e, one, neg), inv);
  const oms = f32x4.mul(sel(one, e, neg), inv); // 1 - sigmoid without cancellation
  const em = vexpm1(f32x4.pmin(f32x4.mul(u02, sig), v128.load(c, V_EXPHI)), c); // expm1(2z)
  const w = f32x4.mul(sig, madd(u, oms, one));
  const th = f32x4.div(em, f32x4.add(em, v128.load(c, V_TWO)));
  const sech2 = nmadd(th, th, one);
  v128.store(dOut, f32x4.mul(sech2, w));
  if (d2Out) {
    // rho'' = sech^2(z) [silu'' - 0.2 tanh(z) silu'^2], silu'' = sig oms (2 + u (oms - sig)).
    const s2 = f32x4.mul(f32x4.mul(sig, oms), madd(u, f32x4.sub(oms, sig), v128.load(c, V_TWO)));
    const t = f32x4.mul(f32x4.mul(th, v128.load(c, V_FIFTH)), f32x4.mul(w, w));
    v128.store(d2Out, f32x4.mul(sech2, f32x4.sub(s2, t)));
  }
  return f32x4.mul(th, v128.load(c, V_TEN));
}

/**
 * The chip's tanh element (activation.kind "tanh", src/circuit/activation-shape.ts; its input
 * offset u0 is folded into the per-unit offsets): rho = A tanh(u/s) + c returned, rho' =
 * (A/s)(1 - tanh^2) stored at dOut. tanh(|z|) = E/(E + 2), E = expm1(2|z|), sign copied back.
 */
@inline function actTanh(u: v128, c: usize, dOut: usize): v128 {
  const a = v128.load(c, V_TA);
  const is = v128.load(c, V_TIS);
  const sign = v128.load(c, V_SIGN);
  const z = f32x4.mul(u, is);
  const az = v128.andnot(z, sign);
  const em = vexpm1(f32x4.pmin(f32x4.add(az, az), v128.load(c, V_EXPHI)), c);
  const th = v128.or(f32x4.div(em, f32x4.add(em, v128.load(c, V_TWO))), v128.and(z, sign));
  v128.store(dOut, f32x4.mul(f32x4.mul(a, is), nmadd(th, th, v128.load(c, V_ONE))));
  return madd(a, th, v128.load(c, V_TB));
}

/** The chip's activation: the tanh element when tk, else the paper's rho. */
@inline function actChip(u: v128, c: usize, dOut: usize, tk: bool): v128 {
  return tk ? actTanh(u, c, dOut) : act(u, c, dOut);
}

/** Store the 4x4 block (v0..v3 = 4 units of samples 0..3) unit-major: dst[j][k]. */
@inline function store4x4(dst: usize, v0: v128, v1: v128, v2: v128, v3: v128): void {
  const t0 = v128.shuffle<i32>(v0, v1, 0, 4, 1, 5);
  const t1 = v128.shuffle<i32>(v0, v1, 2, 6, 3, 7);
  const t2 = v128.shuffle<i32>(v2, v3, 0, 4, 1, 5);
  const t3 = v128.shuffle<i32>(v2, v3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<i64>(t0, t2, 0, 2));
  v128.store(dst, v128.shuffle<i64>(t0, t2, 1, 3), 16);
  v128.store(dst, v128.shuffle<i64>(t1, t3, 0, 2), 32);
  v128.store(dst, v128.shuffle<i64>(t1, t3, 1, 3), 48);
}

/**
 * Inputs of the four matrix products for a block of 4 samples, interleaved unit-major in xb
 * ([x | rho(h2) | rho(h1)], 4 floats per unit) so the product loop reads them through one
 * pointer; rho' goes to each slot's D, and rho to its R when keepR (the energy needs it). */
function prep4(ctx: usize, s0: usize, s1: usize, s2: usize, s3: usize, xb: usize, keepR: bool, chip: bool): void {
  const nx = ld(ctx, C_NX);
  const n1 = ld(ctx, C_N1);
  const n2 = ld(ctx, C_N2);
  const c = ctx;
  const os = <usize>ld(ctx, O_S);
  const od = <usize>ld(ctx, O_D);
  const orr = <usize>ld(ctx, O_R) - od;
  let dst = xb;
  const sinh = chip && (ld(ctx, C_CHIPF) & 16) != 0;
  for (let j = 0; j < nx; j += 4) {
    const o = os + (<usize>j << 2);
    if (sinh) store4x4(dst, ivf(v128.load(s0 + o), c), ivf(v128.load(s1 + o), c), ivf(v128.load(s2 + o), c), ivf(v128.load(s3 + o), c));
    else store4x4(dst, v128.load(s0 + o), v128.load(s1 + o), v128.load(s2 + o), v128.load(s3 + o));
    dst += 64;
  }
  // h2 first (its rho feeds a1 together with x), then h1.
  if (chip) {
    // Per-neuron activation elements: rho_i(u) = gain_i rho(u - offset_i) (src/dynamics/circuit.ts).
    const off = <usize>ld(ctx, C_OFF);
    const gn = <usize>ld(ctx, C_GAIN);
    dst = actBlockChip(c, s0, s1, s2, s3, os + (<usize>(nx + n1) << 2), od + (<usize>n1 << 2), orr, n2, off + (<usize>n1 << 2), gn + (<usize>n1 << 2), dst, sinh);
    actBlockChip(c, s0, s1, s2, s3, os + (<usize>nx << 2), od, orr, n1, off, gn, dst, sinh);
    return;
  }
  dst = actBlock(c, s0, s1, s2, s3, os + (<usize>(nx + n1) << 2), od + (<usize>n1 << 2), orr, n2, keepR, dst);
  actBlock(c, s0, s1, s2, s3, os + (<usize>nx << 2), od, orr, n1, keepR, dst);
}

/**
 * rho of n units (starting at state offset o, derivative offset q) of 4 samples: rho' into
 * each slot's D, rho into R when keepR, and rho unit-major into dst. Returns the next dst.
 */
@inline function actBlock(c: usize, s0: usize, s1: usize, s2: usize, s3: usize, o: usize, q: usize, orr: usize, n: i32, keepR: bool, dst: usize): usize {
  // rho'' (into H2) only where the diag_hessian preconditioner will read it.
  const oh = keepR && ld(c, C_PRECOND) != 0 ? <usize>ld(c, O_H2) - <usize>ld(c, O_D) : 0;
  for (let k = 0; k < n; k += 4) {
    const r0 = act(v128.load(s0 + o), c, s0 + q, oh ? s0 + q + oh : 0);
    const r1 = act(v128.load(s1 + o), c, s1 + q, oh ? s1 + q + oh : 0);
    const r2 = act(v128.load(s2 + o), c, s2 + q, oh ? s2 + q + oh : 0);
    const r3 = act(v128.load(s3 + o), c, s3 + q, oh ? s3 + q + oh : 0);
    if (keepR) {
      v128.store(s0 + q + orr, r0);
      v128.store(s1 + q + orr, r1);
      v128.store(s2 + q + orr, r2);
      v128.store(s3 + q + orr, r3);
    }
    store4x4(dst, r0, r1, r2, r3);
    dst += 64;
    o += 16;
    q += 16;
  }
  return dst;
}

/** actBlock for a chip: u - offset in, gain x rho into R and dst (through the sinh I-V when sinh), gain x rho' into D. */
function actBlockChip(c: usize, s0: usize, s1: usize, s2: usize, s3: usize, o: usize, q: usize, orr: usize, n: i32, off: usize, gn: usize, dst: usize, sinh: bool): usize {
  const tk = ld(c, C_ACT) == 1;
  for (let k = 0; k < n; k += 4) {
    const ov = v128.load(off);
    const gv = v128.load(gn);
    const r0 = f32x4.mul(gv, actChip(f32x4.sub(v128.load(s0 + o), ov), c, s0 + q, tk));
    const r1 = f32x4.mul(gv, actChip(f32x4.sub(v128.load(s1 + o), ov), c, s1 + q, tk));
    const r2 = f32x4.mul(gv, actChip(f32x4.sub(v128.load(s2 + o), ov), c, s2 + q, tk));
    const r3 = f32x4.mul(gv, actChip(f32x4.sub(v128.load(s3 + o), ov), c, s3 + q, tk));
    v128.store(s0 + q, f32x4.mul(gv, v128.load(s0 + q)));
    v128.store(s1 + q, f32x4.mul(gv, v128.load(s1 + q)));
    v128.store(s2 + q, f32x4.mul(gv, v128.load(s2 + q)));
    v128.store(s3 + q, f32x4.mul(gv, v128.load(s3 + q)));
    v128.store(s0 + q + orr, r0);
    v128.store(s1 + q + orr, r1);
    v128.store(s2 + q + orr, r2);
    v128.store(s3 + q + orr, r3);
    if (sinh) store4x4(dst, ivf(r0, c), ivf(r1, c), ivf(r2, c), ivf(r3, c));
    else store4x4(dst, r0, r1, r2, r3);
    dst += 64;
    o += 16;
    q += 16;
    off += 16;
    gn += 16;
  }
  return dst;
}

/**
 * One 8-output panel for 4 samples: out_k = bias + sum_j W[:, j] in_k[j]. The 4 x 8 block
 * lives in 8 registers; per input unit: 2 weight loads, 4 broadcast loads, 8 FMAs.
 */
function panel4(wp: usize, bias: usize, inp: usize, nin: i32, o0: usize, o1: usize, o2: usize, o3: usize): void {
  let c00 = v128.load(bias);
  let c01 = v128.load(bias, 16);
  let c10 = c00;
  let c11 = c01;
  let c20 = c00;
  let c21 = c01;
  let c30 = c00;
  let c31 = c01;
  const end = inp + (<usize>nin << 4);
  while (inp < end) {
    const w0 = v128.load(wp);
    const w1 = v128.load(wp, 16);
    let x = v128.load32_splat(inp);
    c00 = madd(x, w0, c00);
    c01 = madd(x, w1, c01);
    x = v128.load32_splat(inp, 4);
    c10 = madd(x, w0, c10);
    c11 = madd(x, w1, c11);
    x = v128.load32_splat(inp, 8);
    c20 = madd(x, w0, c20);
    c21 = madd(x, w1, c21);
    x = v128.load32_splat(inp, 12);
    c30 = madd(x, w0, c30);
    c31 = madd(x, w1, c31);
    wp += 32;
    inp += 16;
  }
  v128.store(o0, c00);
  v128.store(o0, c01, 16);
  v128.store(o1, c10);
  v128.store(o1, c11, 16);
  v128.store(o2, c20);
  v128.store(o2, c21, 16);
  v128.store(o3, c30);
  v128.store(o3, c31, 16);
}

/**
 * Drives A = [bx + W0^T r1 | b0 + W0 x + W1^T r2 | b1 + W1 r1] of the 8 slots of a tile
 * (slot k at tile + k*stride); a half (4 slots) whose mask bits are all clear is skipped.
 * Panel-outer, half-inner: a weight panel is read from L2 once and reused from L1.
 */
function drives(ctx: usize, tile: usize, xb: usize, mask: i32, keepR: bool, chip: bool): void {
  const nx = ld(ctx, C_NX);
  const n1 = ld(ctx, C_N1);
  const n2 = ld(ctx, C_N2);
  const st = <usize>ld(ctx, C_STRIDE);
  const oa = <usize>ld(ctx, O_A);
  const xbStride = <usize>(nx + n1 + n2) << 4;
  const h0 = (mask & 15) != 0;
  const h1 = (mask & 240) != 0;
  if (h0) prep4(ctx, tile, tile + st, tile + 2 * st, tile + 3 * st, xb, keepR, chip);
  if (h1) prep4(ctx, tile + 4 * st, tile + 5 * st, tile + 6 * st, tile + 7 * st, xb + xbStride, keepR, chip);
  const pa1 = <usize>ld(ctx, C_PA1);
  const pa2 = <usize>ld(ctx, C_PA2);
  const ba1 = <usize>ld(ctx, C_BA1);
  const ba2 = <usize>ld(ctx, C_BA2);
  const nin1 = nx + n2;
  for (let p = 0; p < (n1 >> 3); p++) {
    const wp = pa1 + <usize>p * (<usize>nin1 << 5);
    const o = oa + (<usize>(nx + (p << 3)) << 2);
    const b = ba1 + (<usize>p << 5);
    if (h0) panel4(wp, b, xb, nin1, tile + o, tile + st + o, tile + 2 * st + o, tile + 3 * st + o);
    if (h1) panel4(wp, b, xb + xbStride, nin1, tile + 4 * st + o, tile + 5 * st + o, tile + 6 * st + o, tile + 7 * st + o);
  }
  const r1off = <usize>nin1 << 4;
  const px = nx >> 3;
  for (let p = 0; p < ((nx + n2) >> 3); p++) {
    const wp = pa2 + <usize>p * (<usize>n1 << 5);
    // Panels 0..nx/8 produce ax, the rest a2 (which sits after a1 in A).
    const o = oa + (p < px ? <usize>(p << 3) << 2 : <usize>(n1 + (p << 3)) << 2);
    const b = ba2 + (<usize>p << 5);
    if (h0) panel4(wp, b, xb + r1off, n1, tile + o, tile + st + o, tile + 2 * st + o, tile + 3 * st + o);
    if (h1) panel4(wp, b, xb + xbStride + r1off, n1, tile + 4 * st + o, tile + 5 * st + o, tile + 6 * st + o, tile + 7 * st + o);
  }
}

/**
 * grad F of one slot from its drives:
 *   g_x = x - ax + lambda (x - xt) + betaKappa (x - xtarget)   (0 when x is clamped)
 *   g_h = h - rho'(h) a
 * RES gets |g|^2, |s|^2 and |s - g|^2 (the last two size the float32 rounding floor).
 * update != 0: the paper step s <- s - eps g, without storing g or computing F.
 * Otherwise also F(s) = 1/2|s|^2 - bx.x + lambda/2|x-xt|^2 + betaKappa/2|x-xtarget|^2
 *   - r1.a1 - r2.b1  (r1.(W0 x + b0) + r2.(W1 r1 + b1) = r1.a1 + r2.b1, no extra products)
 * and the sum of the magnitudes of its terms (the scale of its float32 rounding).
 */
function grad(ctx: usize, slot: usize, update: i32): void {
  const nx = ld(ctx, C_NX);
  const n1 = ld(ctx, C_N1);
  const N = ld(ctx, C_N);
  const c = ctx;
  const s = slot + <usize>ld(ctx, O_S);
  const a = slot + <usize>ld(ctx, O_A);
  const g = slot + <usize>ld(ctx, O_G);
  const xt = slot + <usize>ld(ctx, O_XT);
  const xg = slot + <usize>ld(ctx, O_XG);
  const dd = slot + <usize>ld(ctx, O_D) - (<usize>nx << 2);
  const rr = slot + <usize>ld(ctx, O_R) - (<usize>nx << 2);
  const bx = <usize>ld(ctx, C_BA2);
  const b1 = <usize>ld(ctx, C_BA2) + (<usize>nx << 2) - (<usize>(nx + n1) << 2);
  const clamp = ld(ctx, C_CLAMPX) != 0;
  const lam = v128.load(c, V_LAMBDA);
  const bk = v128.load(c, V_BK);
  const ne = v128.load(c, V_NEGEPS);
  const half = f32x4.splat(0.5);
  let gs = v128.load(c, V_ZERO);
  let ss = gs;
  let fs = gs;
  let en = gs;
  let ea = gs;
  let n = 0;
  for (; n < nx; n += 4) {
    const o = <usize>n << 2;
    const x = v128.load(s + o);
    const dt = f32x4.sub(x, v128.load(xt + o));
    const dg = f32x4.sub(x, v128.load(xg + o));
    let gv = v128.load(c, V_ZERO);
    if (!clamp) {
      gv = f32x4.sub(x, v128.load(a + o));
      gv = madd(lam, dt, gv);
      gv = madd(bk, dg, gv);
    }
    gs = madd(gv, gv, gs);
    ss = madd(x, x, ss);
    const f = f32x4.sub(x, gv);
    fs = madd(f, f, fs);
    if (update) v128.store(s + o, madd(gv, ne, x));
    else {
      v128.store(g + o, gv);
      // 1/2 x^2 + lambda/2 dt^2 + bk/2 dg^2 - bx x
      const q = f32x4.mul(half, madd(bk, f32x4.mul(dg, dg), madd(lam, f32x4.mul(dt, dt), f32x4.mul(x, x))));
      const l = f32x4.mul(v128.load(bx + o), x);
      en = f32x4.add(en, f32x4.sub(q, l));
      ea = f32x4.add(ea, f32x4.add(f32x4.abs(q), f32x4.abs(l)));
    }
  }
  const nh1 = nx + n1;
  // diag_hessian: H2 (rho'') becomes P = 1/max(floor, 1 - rho'' a), read by `anderson`.
  const hp = !update && ld(ctx, C_PRECOND) != 0 ? slot + <usize>ld(ctx, O_H2) - (<usize>nx << 2) : 0;
  const floor = v128.load(c, V_HFLOOR);
  const one = v128.load(c, V_ONE);
  for (; n < N; n += 4) {
    const o = <usize>n << 2;
    const h = v128.load(s + o);
    const av = v128.load(a + o);
    const f = f32x4.mul(v128.load(dd + o), av);
    const gv = f32x4.sub(h, f);
    if (hp) v128.store(hp + o, f32x4.div(one, f32x4.pmax(nmadd(v128.load(hp + o), av, one), floor)));
    gs = madd(gv, gv, gs);
    ss = madd(h, h, ss);
    fs = madd(f, f, fs);
    if (update) v128.store(s + o, madd(gv, ne, h));
    else {
      v128.store(g + o, gv);
      // 1/2 h^2 - r1 a1 on h1, 1/2 h^2 - r2 b1 on h2
      const q = f32x4.mul(half, f32x4.mul(h, h));
      const l = f32x4.mul(v128.load(rr + o), n < nh1 ? av : v128.load(b1 + o));
      en = f32x4.add(en, f32x4.sub(q, l));
      ea = f32x4.add(ea, f32x4.add(q, f32x4.abs(l)));
    }
  }
  const r = slot + <usize>ld(ctx, O_RES);
  store<f32>(r, f32x4.extract_lane(gs, 0) + f32x4.extract_lane(gs, 1) + (f32x4.extract_lane(gs, 2) + f32x4.extract_lane(gs, 3)));
  store<f32>(r, f32x4.extract_lane(ss, 0) + f32x4.extract_lane(ss, 1) + (f32x4.extract_lane(ss, 2) + f32x4.extract_lane(ss, 3)), 4);
  store<f32>(r, f32x4.extract_lane(fs, 0) + f32x4.extract_lane(fs, 1) + (f32x4.extract_lane(fs, 2) + f32x4.extract_lane(fs, 3)), 8);
  if (!update) {
    store<f64>(r, <f64>f32x4.extract_lane(en, 0) + <f64>f32x4.extract_lane(en, 1) + <f64>f32x4.extract_lane(en, 2) + <f64>f32x4.extract_lane(en, 3), 16);
    store<f64>(r, <f64>f32x4.extract_lane(ea, 0) + <f64>f32x4.extract_lane(ea, 1) + <f64>f32x4.extract_lane(ea, 2) + <f64>f32x4.extract_lane(ea, 3), 24);
  }
}

/** grad F (into G) and RES of the slots set in mask. */
export function evaluate(ctx: usize, tile: usize, xb: usize, mask: i32): void {
  drives(ctx, tile, xb, mask, true, false);
  const st = <usize>ld(ctx, C_STRIDE);
  for (let k = 0; k < 8; k++) if ((mask >> k) & 1) grad(ctx, tile + <usize>k * st, 0);
}

/**
 * The paper dynamics on a whole tile: T steps s <- s - eps grad F, then one evaluation for
 * the residual. One call per tile keeps the tile in L1/L2 for all its steps; a call lasts
 * ~10 ms, so V8 tiers the kernels up from Liftoff after the first few tiles.
 */
export function paperRun(ctx: usize, tile: usize, xb: usize, T: i32): void {
  const st = <usize>ld(ctx, C_STRIDE);
  for (let t = 0; t < T; t++) {
    drives(ctx, tile, xb, 255, false, false);
    for (let k = 0; k < 8; k++) grad(ctx, tile + <usize>k * st, 1);
  }
  evaluate(ctx, tile, xb, 255);
}

@inline function dot(a: usize, b: usize, n: i32): f64 {
  let s0 = f32x4.splat(0);
  let s1 = s0;
  const end = a + (<usize>n << 2);
  // n is a multiple of 8 (padded dims).
  while (a < end) {
    s0 = madd(v128.load(a), v128.load(b), s0);
    s1 = madd(v128.load(a, 16), v128.load(b, 16), s1);
    a += 32;
    b += 32;
  }
  const s = f32x4.add(s0, s1);
  return <f64>f32x4.extract_lane(s, 0) + <f64>f32x4.extract_lane(s, 1) + (<f64>f32x4.extract_lane(s, 2) + <f64>f32x4.extract_lane(s, 3));
}

/** Solve the k x k system A y = r (row stride m, f64) in place, y into r; the reference's solveSmall. */
function solveSmall(A: usize, r: usize, k: i32, m: i32, regFactor: f64): bool {
  let tr = 0.0;
  for (let i = 0; i < k; i++) tr += load<f64>(A + (<usize>(i * m + i) << 3));
  const reg = regFactor * (tr / <f64>k) + 1e-300;
  for (let i = 0; i < k; i++) {
    const p = A + (<usize>(i * m + i) << 3);
    store<f64>(p, load<f64>(p) + reg);
  }
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let i = c + 1; i < k; i++) {
      if (Math.abs(load<f64>(A + (<usize>(i * m + c) << 3))) > Math.abs(load<f64>(A + (<usize>(piv * m + c) << 3)))) piv = i;
    }
    const pv = load<f64>(A + (<usize>(piv * m + c) << 3));
    if (pv == 0) return false;
    if (piv != c) {
      for (let j = 0; j < k; j++) {
        const pa = A + (<usize>(c * m + j) << 3);
        const pb = A + (<usize>(piv * m + j) << 3);
        const t = load<f64>(pa);
        store<f64>(pa, load<f64>(pb));
        store<f64>(pb, t);
      }
      const ra = r + (<usize>c << 3);
      const rb = r + (<usize>piv << 3);
      const t = load<f64>(ra);
      store<f64>(ra, load<f64>(rb));
      store<f64>(rb, t);
    }
    const inv = 1.0 / load<f64>(A + (<usize>(c * m + c) << 3));
    const rc = load<f64>(r + (<usize>c << 3));
    for (let i = c + 1; i < k; i++) {
      const fct = load<f64>(A + (<usize>(i * m + c) << 3)) * inv;
      if (fct == 0) continue;
      for (let j = c; j < k; j++) {
        const p = A + (<usize>(i * m + j) << 3);
        store<f64>(p, load<f64>(p) - fct * load<f64>(A + (<usize>(c * m + j) << 3)));
      }
      const p = r + (<usize>i << 3);
      store<f64>(p, load<f64>(p) - fct * rc);
    }
  }
  for (let c = k - 1; c >= 0; c--) {
    let v = load<f64>(r + (<usize>c << 3));
    for (let j = c + 1; j < k; j++) v -= load<f64>(A + (<usize>(c * m + j) << 3)) * load<f64>(r + (<usize>j << 3));
    v /= load<f64>(A + (<usize>(c * m + c) << 3));
    if (!isFinite(v)) return false;
    store<f64>(r + (<usize>c << 3), v);
  }
  return true;
}

/**
 * One Anderson (type II) update of one slot from an accepted iterate, mirroring
 * relaxEquilibrium in relax.ts: f = -eta P g, gm = s + f; with addCol, column `col` of
 * dF/dG becomes the newest difference and row/column `col` of the Gram matrix dF^T dF is
 * refreshed ("count" columns in use after it); s, f, gm are kept as the last accepted
 * iterate (SPREV, FP, GMP). With history, s <- gm - dG gamma, gamma = (dF^T dF)^-1 dF^T f;
 * otherwise, or when the solve fails, s <- gm. Returns 1 when the solve succeeded.
 * px: the x preconditioner 1/(1+lambda+betaKappa).
 */
export function anderson(ctx: usize, slot: usize, eta: f32, px: f32, count: i32, col: i32, addCol: i32): i32 {
  const nx = ld(ctx, C_NX);
  const N = ld(ctx, C_N);
  const m = ld(ctx, C_M);
  const s = slot + <usize>ld(ctx, O_S);
  const g = slot + <usize>ld(ctx, O_G);
  const FP = slot + <usize>ld(ctx, O_FP);
  const GMP = slot + <usize>ld(ctx, O_GMP);
  const SP = slot + <usize>ld(ctx, O_SPREV);
  const DF = slot + <usize>ld(ctx, O_DF);
  const DG = slot + <usize>ld(ctx, O_DG);
  const gram = slot + <usize>ld(ctx, O_GRAM);
  const rhs = slot + <usize>ld(ctx, O_RHS);
  const A = slot + <usize>ld(ctx, O_SOLVE);
  const rowB = <usize>N << 2;
  const cx = f32x4.splat(-eta * px);
  const ch = f32x4.splat(-eta);
  const dfc = DF + <usize>col * rowB;
  const dgc = DG + <usize>col * rowB;
  const hp = ld(ctx, C_PRECOND) != 0 ? slot + <usize>ld(ctx, O_H2) - (<usize>nx << 2) : 0;
  for (let n = 0; n < N; n += 4) {
    const o = <usize>n << 2;
    const sv = v128.load(s + o);
    let f = f32x4.mul(n < nx ? cx : ch, v128.load(g + o));
    if (hp && n >= nx) f = f32x4.mul(f, v128.load(hp + o));
    const gm = f32x4.add(sv, f);
    if (addCol) {
      v128.store(dfc + o, f32x4.sub(f, v128.load(FP + o)));
      v128.store(dgc + o, f32x4.sub(gm, v128.load(GMP + o)));
    }
    v128.store(FP + o, f);
    v128.store(GMP + o, gm);
    v128.store(SP + o, sv);
  }
  if (addCol) {
    for (let c = 0; c < count; c++) {
      const v = dot(dfc, DF + <usize>c * rowB, N);
      store<f64>(gram + (<usize>(col * m + c) << 3), v);
      store<f64>(gram + (<usize>(c * m + col) << 3), v);
    }
  }
  if (count > 0) {
    for (let c = 0; c < count; c++) {
      store<f64>(rhs + (<usize>c << 3), dot(DF + <usize>c * rowB, FP, N));
      for (let c2 = 0; c2 < count; c2++) {
        store<f64>(A + (<usize>(c * m + c2) << 3), load<f64>(gram + (<usize>(c * m + c2) << 3)));
      }
    }
    if (solveSmall(A, rhs, count, m, load<f64>(ctx + C_REG))) {
      // s = gm - sum_c gamma_c dG_c, accumulated in the reference's order.
      memory.copy(s, GMP, rowB);
      for (let c = 0; c < count; c++) {
        const gv = f32x4.splat(<f32>-load<f64>(rhs + (<usize>c << 3)));
        const dg = DG + <usize>c * rowB;
        for (let n = 0; n < N; n += 4) {
          const o = <usize>n << 2;
          v128.store(s + o, madd(gv, v128.load(dg + o), v128.load(s + o)));
        }
      }
      return 1;
    }
  }
  memory.copy(s, GMP, rowB);
  return 0;
}

/** Energy safeguard's backtrack: s <- sPrev + scale * fPrev (a shortened plain step). */
export function backtrack(ctx: usize, slot: usize, scale: f32): void {
  const N = ld(ctx, C_N);
  const s = slot + <usize>ld(ctx, O_S);
  const SP = slot + <usize>ld(ctx, O_SPREV);
  const FP = slot + <usize>ld(ctx, O_FP);
  const k = f32x4.splat(scale);
  for (let n = 0; n < N; n += 4) {
    const o = <usize>n << 2;
    v128.store(s + o, madd(k, v128.load(FP + o), v128.load(SP + o)));
  }
}

/** Plain preconditioned step s <- s - e (cx on x, 1 on h) g of one slot (the fallback). */
export function plainStep(ctx: usize, slot: usize, e: f32, cx: f32): void {
  const nx = ld(ctx, C_NX);
  const N = ld(ctx, C_N);
  const s = slot + <usize>ld(ctx, O_S);
  const g = slot + <usize>ld(ctx, O_G);
  const vx = f32x4.splat(-e * cx);
  const vh = f32x4.splat(-e);
  for (let n = 0; n < N; n += 4) {
    const o = <usize>n << 2;
    v128.store(s + o, madd(n < nx ? vx : vh, v128.load(g + o), v128.load(s + o)));
  }
}

/** Copy n bytes (slot <-> batch arrays, best iterate). */
export function copy(dst: usize, src: usize, n: usize): void {
  memory.copy(dst, src, n);
}

// ---- chip transients (src/solvers/wasm-engine.ts transient; reference: solvers/transient.ts) ----
// Slot buffers reused by chipRun: G = h f(y0) (Heun's first stage), FP = y0, GMP = window sum,
// BEST = this step's noise sigma sqrt(h) z, SPREV = the slot's 4-lane xoshiro128** state,
// RES + 16 (f64) = sum over steps of the power (in G_unit V_unit^2).

/**
 * 4 lanes of xoshiro128** (Blackman & Vigna 2018), state s0..s3 (one u32 per lane each) at st;
 * `draws` pairs of outputs feed Box-Muller. Returns nothing: normals go to z (2 * 4 * draws floats).
 * u1 = 2 - [1,2) in (0, 1] (23 bits: |z| <= 5.6), v = [1,2) - 1.5 in [-0.5, 0.5).
 * ln by Cephes logf (frexp + degree-8 polynomial), sin/cos of 2 pi v from pi v in [-pi/2, pi/2]
 * by Taylor polynomials to degree 11/12 (error < 6e-8), then the double-angle formulas.
 */
function normals(st: usize, z: usize, sig: usize, pairs: i32): void {
  let a = v128.load(st);
  let b = v128.load(st, 16);
  let c = v128.load(st, 32);
  let d = v128.load(st, 48);
  const five = i32x4.splat(5);
  const nine = i32x4.splat(9);
  const oneBits = i32x4.splat(0x3f800000);
  const one = f32x4.splat(1);
  const two = f32x4.splat(2);
  const half = f32x4.splat(0.5);
  for (let k = 0; k < pairs; k++) {
    // two draws of 4 lanes
    let m = i32x4.mul(b, five);
    const r1 = i32x4.mul(v128.or(i32x4.shl(m, 7), i32x4.shr_u(m, 25)), nine);
    let t = i32x4.shl(b, 9);
    c = v128.xor(c, a); d = v128.xor(d, b); b = v128.xor(b, c); a = v128.xor(a, d); c = v128.xor(c, t);
    d = v128.or(i32x4.shl(d, 11), i32x4.shr_u(d, 21));
    m = i32x4.mul(b, five);
    const r2 = i32x4.mul(v128.or(i32x4.shl(m, 7), i32x4.shr_u(m, 25)), nine);
    t = i32x4.shl(b, 9);
    c = v128.xor(c, a); d = v128.xor(d, b); b = v128.xor(b, c); a = v128.xor(a, d); c = v128.xor(c, t);
    d = v128.or(i32x4.shl(d, 11), i32x4.shr_u(d, 21));
    const u = f32x4.sub(two, v128.or(i32x4.shr_u(r1, 9), oneBits)); // (0, 1]
    const v = f32x4.sub(v128.or(i32x4.shr_u(r2, 9), oneBits), f32x4.splat(1.5)); // [-0.5, 0.5)
    // ln u: u = mant 2^e, mant in [0.5, 1)
    const ub = u;
    let e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(ub, 23), i32x4.splat(126)));
    let mant = v128.or(v128.and(ub, i32x4.splat(0x807fffff)), i32x4.splat(0x3f000000));
    const small = f32x4.lt(mant, f32x4.splat(0.707106781186547524));
    e = f32x4.sub(e, v128.and(small, one));
    const x = f32x4.sub(f32x4.add(mant, v128.and(small, mant)), one);
    const x2 = f32x4.mul(x, x);
    let p = f32x4.splat(7.0376836292e-2);
    p = madd(p, x, f32x4.splat(-1.1514610310e-1));
    p = madd(p, x, f32x4.splat(1.1676998740e-1));
    p = madd(p, x, f32x4.splat(-1.2420140846e-1));
    p = madd(p, x, f32x4.splat(1.4249322787e-1));
    p = madd(p, x, f32x4.splat(-1.6668057665e-1));
    p = madd(p, x, f32x4.splat(2.0000714765e-1));
    p = madd(p, x, f32x4.splat(-2.4999993993e-1));
    p = madd(p, x, f32x4.splat(3.3333331174e-1));
    let y = f32x4.mul(f32x4.mul(p, x), x2);
    y = madd(e, f32x4.splat(-2.12194440e-4), y);
    y = nmadd(half, x2, y);
    const lnu = madd(e, f32x4.splat(0.693359375), f32x4.add(x, y));
    const r = f32x4.sqrt(f32x4.mul(f32x4.splat(-2), lnu));
    // sin, cos of phi = pi v
    const ph = f32x4.mul(v, f32x4.splat(3.14159265358979));
    const q = f32x4.mul(ph, ph);
    let sp = f32x4.splat(-2.50521083854e-8); // -1/11!
    sp = madd(sp, q, f32x4.splat(2.75573192240e-6));
    sp = madd(sp, q, f32x4.splat(-1.98412698413e-4));
    sp = madd(sp, q, f32x4.splat(8.33333333333e-3));
    sp = madd(sp, q, f32x4.splat(-1.66666666667e-1));
    const sn = madd(f32x4.mul(sp, q), ph, ph);
    let cp = f32x4.splat(2.08767569879e-9); // 1/12!
    cp = madd(cp, q, f32x4.splat(-2.75573192240e-7));
    cp = madd(cp, q, f32x4.splat(2.48015873016e-5));
    cp = madd(cp, q, f32x4.splat(-1.38888888889e-3));
    cp = madd(cp, q, f32x4.splat(4.16666666667e-2));
    cp = madd(cp, q, f32x4.splat(-0.5));
    const cs = madd(cp, q, one);
    const sin2 = f32x4.mul(two, f32x4.mul(sn, cs));
    const cos2 = nmadd(f32x4.mul(two, sn), sn, one);
    v128.store(z, f32x4.mul(v128.load(sig), f32x4.mul(r, cos2)));
    v128.store(z, f32x4.mul(v128.load(sig, 16), f32x4.mul(r, sin2)), 16);
    z += 32;
    sig += 32;
  }
  v128.store(st, a);
  v128.store(st, b, 16);
  v128.store(st, c, 32);
  v128.store(st, d, 48);
}

/**
 * One stage of a chip step on one slot, from its drives (circuit.ts CircuitModel.drift), with a
 * the drive A, or with amplifier poles (CHIPF & 8) the amplifier outputs z (poleStage), and
 * D the multiplier's rho' factor. Explicit schemes take the whole node force (current / G_unit)
 *   x: -KL x + a + KS (xt - x) - KNB (x - xg)     (0 when x is clamped)
 *   h: -KL h + D a
 * exponential ones only its nonlinear part nl (the linear rate of leak, spring and nudge is exact)
 *   x: a + KS xt + KNB xg   (0 when x is clamped)
 *   h: D a
 * Explicit schemes, one step's drift f = HR force:
 *   stage 0 (Euler-Maruyama):  s += f + Z
 *   stage 1 (Heun predictor):  G = f, FP = s, s += f + Z
 *   stage 2 (Heun corrector):  s = FP + (G + f) / 2 + Z
 * Exponential schemes (solvers/sde.ts exp_euler / exp_heun), the linear part exact:
 *   stage 3 (exp Euler):        s = EA s + P1 nl + Z
 *   stage 4 (ETD2RK predictor): G = nl, s = EA s + P1 nl + Z
 *   stage 5 (ETD2RK corrector): s += P2 (nl - G)
 * The stages that start a step (0, 1, 3, 4) accumulate the power at s, and with multiplicative
 * noise (CHIPF & 4: sensed-line noise through the multiplier) scale a hidden node's raw normal
 * Z to sqrt(SQ + (D SLN)^2) Z, kept for the corrector (Ito: amplitude at the step start).
 * acc != 0 adds the new s to the window sum (GMP).
 */
function chipStage(ctx: usize, slot: usize, stage: i32, acc: i32): void {
  const nx = ld(ctx, C_NX);
  const N = ld(ctx, C_N);
  const flags = ld(ctx, C_CHIPF);
  const s = slot + <usize>ld(ctx, O_S);
  const g = slot + <usize>ld(ctx, O_G);
  const y0 = slot + <usize>ld(ctx, O_FP);
  const win = slot + <usize>ld(ctx, O_GMP);
  const zz = slot + <usize>ld(ctx, O_BEST);
  const xt = slot + <usize>ld(ctx, O_XT);
  const xg = slot + <usize>ld(ctx, O_XG);
  const hid = <usize>nx << 2;
  const dd = slot + <usize>ld(ctx, O_D) - hid;
  // The nodes read the amplifier outputs z (DF) when the amplifiers have a pole.
  const a = slot + <usize>ld(ctx, (flags & 8) != 0 ? O_DF : O_A);
  const kl = <usize>ld(ctx, C_KL);
  const ks = <usize>ld(ctx, C_KS);
  const knb = <usize>ld(ctx, C_KNB);
  const hr = <usize>ld(ctx, C_HR);
  const ea = <usize>ld(ctx, C_EA);
  const p1 = <usize>ld(ctx, C_P1);
  const p2 = <usize>ld(ctx, C_P2);
  const sq = <usize>ld(ctx, C_SQ) - hid;
  const sln = <usize>ld(ctx, C_SLN) - hid;
  const clamp = ld(ctx, C_CLAMPX) != 0;
  const mult = (flags & 4) != 0;
  const exp = stage >= 3;
  const start = stage != 2 && stage != 5;
  const half = f32x4.splat(0.5);
  let pw = f32x4.splat(0);
  for (let n = 0; n < N; n += 4) {
    const o = <usize>n << 2;
    const sv = v128.load(s + o);
    let nl: v128;
    let z = v128.load(zz + o);
    if (n < nx) {
      if (clamp) nl = f32x4.splat(0);
      else if (exp) nl = madd(v128.load(knb + o), v128.load(xg + o), madd(v128.load(ks + o), v128.load(xt + o), v128.load(a + o)));
      else {
        // The whole force, differences first (x near xt or xg keeps its digits).
        nl = nmadd(v128.load(kl + o), sv, v128.load(a + o));
        nl = madd(v128.load(ks + o), f32x4.sub(v128.load(xt + o), sv), nl);
        nl = nmadd(v128.load(knb + o), f32x4.sub(sv, v128.load(xg + o)), nl);
      }
      if (start) pw = powerX(ctx, slot, o, sv, pw);
    } else {
      const dv = v128.load(dd + o);
      nl = f32x4.mul(dv, v128.load(a + o));
      if (!exp) nl = nmadd(v128.load(kl + o), sv, nl);
      if (start) {
        pw = powerH(ctx, slot, o, sv, pw);
        if (mult) {
          const m = f32x4.mul(dv, v128.load(sln + o));
          z = f32x4.mul(z, f32x4.sqrt(madd(m, m, v128.load(sq + o))));
          v128.store(zz + o, z);
        }
      }
    }
    let ns: v128;
    if (exp) {
      if (stage == 5) ns = madd(v128.load(p2 + o), f32x4.sub(nl, v128.load(g + o)), sv);
      else {
        if (stage == 4) v128.store(g + o, nl);
        ns = f32x4.add(madd(v128.load(p1 + o), nl, f32x4.mul(v128.load(ea + o), sv)), z);
      }
    } else {
      const f = f32x4.mul(v128.load(hr + o), nl);
      if (stage == 2) ns = f32x4.add(madd(half, f32x4.add(v128.load(g + o), f), v128.load(y0 + o)), z);
      else {
        if (stage == 1) {
          v128.store(g + o, f);
          v128.store(y0 + o, sv);
        }
        ns = f32x4.add(f32x4.add(sv, f), z);
      }
    }
    v128.store(s + o, ns);
    if (acc) v128.store(win + o, f32x4.add(v128.load(win + o), ns));
  }
  if (start) {
    const r = slot + <usize>ld(ctx, O_RES) + 16;
    store<f64>(r, load<f64>(r) + (<f64>f32x4.extract_lane(pw, 0) + <f64>f32x4.extract_lane(pw, 1) + <f64>f32x4.extract_lane(pw, 2) + <f64>f32x4.extract_lane(pw, 3)));
  }
  if ((flags & 8) != 0) poleStage(ctx, slot, stage);
}

/**
 * Power (units of G_unit V_unit^2) of 4 visible nodes at byte offset o: leak, crossbar columns
 * (PX u f(u), f the device I-V: f(u) = u, or sinh(k u) / k with CHIPF & 16), spring and nudge.
 */
@inline function powerX(ctx: usize, slot: usize, o: usize, sv: v128, pw: v128): v128 {
  const dt = f32x4.sub(sv, v128.load(slot + <usize>ld(ctx, O_XT) + o));
  const dg = f32x4.sub(sv, v128.load(slot + <usize>ld(ctx, O_XG) + o));
  const fv = (ld(ctx, C_CHIPF) & 16) != 0 ? ivf(sv, ctx) : sv;
  pw = madd(v128.load(<usize>ld(ctx, C_PL) + o), f32x4.mul(sv, sv), pw);
  pw = madd(v128.load(<usize>ld(ctx, C_PX) + o), f32x4.mul(sv, fv), pw);
  pw = madd(v128.load(<usize>ld(ctx, C_PS) + o), f32x4.mul(dt, dt), pw);
  return madd(v128.load(<usize>ld(ctx, C_PN) + o), f32x4.mul(dg, dg), pw);
}

/** Power of 4 hidden nodes at byte offset o (of the state): leak, and the crossbar lines their rho drives. */
@inline function powerH(ctx: usize, slot: usize, o: usize, sv: v128, pw: v128): v128 {
  const hid = <usize>ld(ctx, C_NX) << 2;
  const rv = v128.load(slot + <usize>ld(ctx, O_R) - hid + o);
  const fv = (ld(ctx, C_CHIPF) & 16) != 0 ? ivf(rv, ctx) : rv;
  pw = madd(v128.load(<usize>ld(ctx, C_PL) + o), f32x4.mul(sv, sv), pw);
  return madd(v128.load(<usize>ld(ctx, C_PR) - hid + o), f32x4.mul(rv, fv), pw);
}

/**
 * The amplifier poles of one slot (circuit.ts amplifierPoles): z' = w_a (A - z) on the slot's
 * outputs z = DF[0, N), with FPz = DF[N, 2N) (Heun's step start), Zz = DF[2N, 3N) (this step's
 * noise, SIGZ) and Gz = DG[0, N). Explicit stages use WZ = w_a h, exponential ones EAZ = e^{-w_a h},
 * P1Z = phi1 w_a, P2Z = phi2 w_a, as chipStage. Called after the nodes, which read z at the stage start.
 */
function poleStage(ctx: usize, slot: usize, stage: i32): void {
  const N = ld(ctx, C_N);
  const nb = <usize>N << 2;
  const z = slot + <usize>ld(ctx, O_DF);
  const gz = slot + <usize>ld(ctx, O_DG);
  const a = slot + <usize>ld(ctx, O_A);
  const wz = <usize>ld(ctx, C_WZ);
  const eaz = <usize>ld(ctx, C_EAZ);
  const p1z = <usize>ld(ctx, C_P1Z);
  const p2z = <usize>ld(ctx, C_P2Z);
  const half = f32x4.splat(0.5);
  for (let n = 0; n < N; n += 4) {
    const o = <usize>n << 2;
    const zv = v128.load(z + o);
    const av = v128.load(a + o);
    const nz = v128.load(z + 2 * nb + o);
    let ns: v128;
    if (stage >= 3) {
      if (stage == 5) ns = madd(v128.load(p2z + o), f32x4.sub(av, v128.load(gz + o)), zv);
      else {
        if (stage == 4) v128.store(gz + o, av);
        ns = f32x4.add(madd(v128.load(p1z + o), av, f32x4.mul(v128.load(eaz + o), zv)), nz);
      }
    } else {
      const f = f32x4.mul(v128.load(wz + o), f32x4.sub(av, zv));
      if (stage == 2) ns = f32x4.add(madd(half, f32x4.add(v128.load(gz + o), f), v128.load(z + nb + o)), nz);
      else {
        if (stage == 1) {
          v128.store(gz + o, f);
          v128.store(z + nb + o, zv);
        }
        ns = f32x4.add(f32x4.add(zv, f), nz);
      }
    }
    v128.store(z + o, ns);
  }
}

/**
 * The rho' path of a chip's hidden neurons after its drives (circuit.ts activations), one slot:
 * with its own input offset (CHIPF & 2) D = gain rho'(u - OFF - DOFF), and (CHIPF & 1) D *= DM, the
 * rho' generator's gain times the multiplier's.
 */
function derivPath(ctx: usize, slot: usize, flags: i32): void {
  const nx = ld(ctx, C_NX);
  const nh = ld(ctx, C_N1) + ld(ctx, C_N2);
  const s = slot + <usize>ld(ctx, O_S) + (<usize>nx << 2);
  const dd = slot + <usize>ld(ctx, O_D);
  const off = <usize>ld(ctx, C_OFF);
  const gn = <usize>ld(ctx, C_GAIN);
  const doff = <usize>ld(ctx, C_DOFF);
  const dm = <usize>ld(ctx, C_DM);
  const tk = ld(ctx, C_ACT) == 1;
  for (let k = 0; k < nh; k += 4) {
    const o = <usize>k << 2;
    if ((flags & 2) != 0) {
      actChip(f32x4.sub(f32x4.sub(v128.load(s + o), v128.load(off + o)), v128.load(doff + o)), ctx, dd + o, tk);
      v128.store(dd + o, f32x4.mul(v128.load(gn + o), v128.load(dd + o)));
    }
    if ((flags & 1) != 0) v128.store(dd + o, f32x4.mul(v128.load(dm + o), v128.load(dd + o)));
  }
}

/** Drives of a tile for a chip: the crossbars, then each slot's rho' path when it has its own elements. */
function chipDrives(ctx: usize, tile: usize, xb: usize, keepR: bool): void {
  drives(ctx, tile, xb, 255, keepR, true);
  const flags = ld(ctx, C_CHIPF) & 3;
  if (flags == 0) return;
  const st = <usize>ld(ctx, C_STRIDE);
  for (let k = 0; k < 8; k++) derivPath(ctx, tile + <usize>k * st, flags);
}

/** Amplifier outputs settled on their inputs at the start state (circuit.ts initAux): z = A, Zz = 0. */
function poleInit(ctx: usize, tile: usize, xb: usize): void {
  drives(ctx, tile, xb, 255, false, true);
  const st = <usize>ld(ctx, C_STRIDE);
  const nb = <usize>ld(ctx, C_N) << 2;
  for (let k = 0; k < 8; k++) {
    const slot = tile + <usize>k * st;
    const z = slot + <usize>ld(ctx, O_DF);
    memory.copy(z, slot + <usize>ld(ctx, O_A), nb);
    memory.fill(z + 2 * nb, 0, nb);
  }
}

/**
 * nSteps fixed steps of a chip transient on a whole tile, noisy when `noisy`; the last nWin
 * states are summed into GMP (the measurement window). scheme: 0 Euler-Maruyama, 1 stochastic
 * Heun (the same Z in both stages), 2 exponential Euler, 3 ETD2RK (exp_heun, the same Z in the
 * predictor). Every slot draws from its own generator, so a sample's path does not depend on
 * its slot, tile or thread. With amplifier poles each slot also draws the noise of its N
 * amplifier outputs (SIGZ), after the nodes'.
 */
export function chipRun(ctx: usize, tile: usize, xb: usize, nSteps: i32, nWin: i32, scheme: i32, noisy: i32): void {
  const st = <usize>ld(ctx, C_STRIDE);
  const N = ld(ctx, C_N);
  const zOff = <usize>ld(ctx, O_BEST);
  const rOff = <usize>ld(ctx, O_SPREV);
  const pzOff = <usize>ld(ctx, O_DF) + (<usize>(2 * N) << 2);
  const sig = <usize>ld(ctx, C_SIG);
  const sigz = <usize>ld(ctx, C_SIGZ);
  const pole = (ld(ctx, C_CHIPF) & 8) != 0;
  const two = (scheme & 1) != 0;
  const s1 = scheme >= 2 ? (two ? 4 : 3) : two ? 1 : 0;
  if (pole) poleInit(ctx, tile, xb);
  for (let t = 0; t < nSteps; t++) {
    const acc = t >= nSteps - nWin ? 1 : 0;
    if (noisy) {
      for (let k = 0; k < 8; k++) {
        const slot = tile + <usize>k * st;
        normals(slot + rOff, slot + zOff, sig, N >> 3);
        if (pole) normals(slot + rOff, slot + pzOff, sigz, N >> 3);
      }
    }
    chipDrives(ctx, tile, xb, true);
    for (let k = 0; k < 8; k++) chipStage(ctx, tile + <usize>k * st, s1, two ? 0 : acc);
    if (two) {
      chipDrives(ctx, tile, xb, false);
      for (let k = 0; k < 8; k++) chipStage(ctx, tile + <usize>k * st, s1 + 1, acc);
    }
  }
}

// ---- exact OT pairing (src/flow/assignment.ts): float64 cost matrix and LAPJV ----
export { otCost, lapSolve, lapWorkspaceBytes, firstNonFinite } from './lap';
export { outerSub } from './outer';
