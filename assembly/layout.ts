// Generated from src/solvers/kernel-layout.json by scripts/gen-kernel-layout.mjs: do not edit.
// Context block of the kernels: byte offsets from ctx, "type: comment" after each.

export const C_NX = 0; // i32: x units, padded to a multiple of 8
export const C_N1 = 4; // i32: h1 units, padded to a multiple of 8
export const C_N2 = 8; // i32: h2 units, padded to a multiple of 8
export const C_N = 12; // i32: state length nx + n1 + n2
export const C_PA1 = 16; // ptr: packed [W0 | W1^T], n1/8 panels of (nx+n2) x 8
export const C_PA2 = 20; // ptr: packed [W0^T ; W1], (nx+n2)/8 panels of n1 x 8
export const C_BA1 = 24; // ptr: b0 (n1)
export const C_BA2 = 28; // ptr: [bx | b1] (nx + n2)
export const C_CLAMPX = 32; // i32: 1 when x is clamped, else 0
export const C_STRIDE = 36; // i32: bytes from one slot to the next
export const C_M = 40; // i32: Anderson memory (columns of DF and DG)
export const C_PRECOND = 44; // i32: equilibrium hidden preconditioner: 1 diag_hessian (O_H2 holds it), 0 none

// Per-sample slot: offsets of its vectors (64-byte aligned).
export const O_S = 48; // slot: state [x|h1|h2] (N)
export const O_XT = 52; // slot: x_t, anchor of the lambda term (nx)
export const O_XG = 56; // slot: x target of the betaKappa nudge (nx)
export const O_G = 60; // slot: grad F (N)
export const O_D = 64; // slot: [rho'(h1)|rho'(h2)] (n1+n2)
export const O_A = 68; // slot: drives [ax|a1|a2] (N)
export const O_R = 72; // slot: rho of [h1|h2] (n1+n2), for the energy
export const O_H2 = 76; // slot: rho'' of [h1|h2] (n1+n2), then the diag_hessian preconditioner 1/max(floor, 1 - rho'' a)
export const O_FP = 80; // slot: Anderson: last step f = -eta P g (N); chip: y0, the step's start
export const O_GMP = 84; // slot: Anderson: last s + f (N); chip: window sum
export const O_BEST = 88; // slot: best iterate so far (N); chip: this step's noise
export const O_DF = 92; // slot: Anderson: step differences dF (m x N)
export const O_DG = 96; // slot: Anderson: iterate differences dG (m x N)
export const O_GRAM = 100; // slot: Anderson: f64 Gram matrix dF^T dF (m x m)
export const O_RHS = 104; // slot: Anderson: f64 right-hand side, then gamma (m)
export const O_SOLVE = 108; // slot: Anderson: f64 copy of the Gram matrix for the solve (m x m)
export const O_RES = 112; // slot: f32 |g|^2, |s|^2, |s-g|^2, pad, f64 F(s), f64 sum of |terms of F|
export const O_SPREV = 116; // slot: last accepted iterate (energy safeguard backtracking); chip: xoshiro128** state
export const C_REG = 120; // f64: Tikhonov factor of the Anderson normal equations

// Chip transient (chipRun): pointers to per-unit float32 vectors (zero on padded units).
export const C_OFF = 128; // ptr: activation input offset (n1+n2)
export const C_GAIN = 132; // ptr: activation gain (n1+n2)
export const C_KL = 136; // ptr: G_L,n / G_unit (N)
export const C_KS = 140; // ptr: G_spring,j / G_unit (nx)
export const C_KNB = 144; // ptr: signed beta kappa x nudge gain (nx)
export const C_HR = 148; // ptr: h G_unit / C_n: one step's drift per unit of force (N)
export const C_SIG = 152; // ptr: sigma_n sqrt(h): one step's noise std (N; 0 on a clamped x)
export const C_PL = 156; // ptr: power weights / G_unit: leak (N)
export const C_PS = 160; // ptr: spring (nx)
export const C_PX = 164; // ptr: crossbar columns driven by x (nx)
export const C_PN = 168; // ptr: |beta kappa| nudge gain (nx)
export const C_PR = 172; // ptr: crossbar lines driven by rho(h) (n1+n2)
export const C_EA = 176; // ptr: exponential schemes: e^{-a h} per unit, a the linear rate of leak, spring and nudge (N)
export const C_P1 = 180; // ptr: phi1(a h) G_unit / C: one exponential step's response to the nonlinear force (N)
export const C_P2 = 184; // ptr: phi2(a h) G_unit / C: the ETD2RK corrector's factor (N)
export const C_CHIPF = 188; // i32: chip effects: 1 rho' gain DM, 2 rho' offset DOFF, 4 multiplicative line noise (SQ, SLN), 8 amplifier poles (WZ..SIGZ), 16 sinh device I-V (V_IVK, V_IVH)
export const C_DM = 192; // ptr: rho' generator gain times multiplier gain (n1+n2)
export const C_DOFF = 196; // ptr: rho' generator's own input offset, u units (n1+n2)
export const C_SQ = 200; // ptr: multiplicative noise: a hidden node's squared step noise std without its line noise (n1+n2)
export const C_SLN = 204; // ptr: multiplicative noise: sensed-line step noise std before the multiplier (n1+n2)
export const C_WZ = 208; // ptr: amplifier poles: w_a h, explicit step of z' = w_a (A - z) (N)
export const C_EAZ = 212; // ptr: e^{-w_a h} (N)
export const C_P1Z = 216; // ptr: phi1(w_a h) w_a (N)
export const C_P2Z = 220; // ptr: phi2(w_a h) w_a (N)
export const C_SIGZ = 224; // ptr: step noise std of the amplifier outputs z (N)

// Vector constants (16-byte aligned), loaded where used.
export const V_ONE = 256; // f32x4: 1
export const V_TWO = 272; // f32x4: 2
export const V_TEN = 288; // f32x4: 10
export const V_FIFTH = 304; // f32x4: 0.2
export const V_ZERO = 320; // f32x4: 0
export const V_EXPLO = 336; // f32x4: exp clamp, low (-80)
export const V_EXPHI = 352; // f32x4: exp clamp, high (88)
export const V_LOG2E = 368; // f32x4: log2(e)
export const V_NLN2HI = 384; // f32x4: -ln 2, high part (Cody-Waite)
export const V_NLN2LO = 400; // f32x4: -ln 2, low part (Cody-Waite)
export const V_E0 = 416; // f32x4: expf polynomial: coefficient of r^5
export const V_E1 = 432; // f32x4: coefficient of r^4
export const V_E2 = 448; // f32x4: coefficient of r^3
export const V_E3 = 464; // f32x4: coefficient of r^2
export const V_E4 = 480; // f32x4: coefficient of r
export const V_E5 = 496; // f32x4: coefficient of 1
export const V_MAGIC = 608; // f32x4: 2^23 + 127
export const V_LAMBDA = 624; // f32x4: lambda of the dynamics
export const V_BK = 640; // f32x4: beta kappa of the nudge
export const V_NEGEPS = 656; // f32x4: -eps, the paper dynamics' step
export const V_SIGN = 672; // i32x4: 0x80000000
export const V_IVK = 688; // f32x4: chip sinh I-V (CHIPF & 16): k = v_read_scale V_unit / V0
export const V_IVH = 704; // f32x4: chip sinh I-V: 1 / (2 k)
export const V_HFLOOR = 720; // f32x4: floor of the diagonal Hessian in the diag_hessian preconditioner

// Chip activation of kind tanh (rho = A tanh((u - offset_i)/s) + c; its u0 is folded into OFF).
export const V_TA = 960; // f32x4: amplitude A
export const V_TIS = 976; // f32x4: 1/s, the inverse input scale
export const V_TB = 992; // f32x4: output offset c
export const C_ACT = 1008; // i32: chip activation kind: 0 scaled_tanh_silu, 1 tanh

// Outside the kernels' part of the block.
export const C_COUNTER = 1024; // i32: work counter, taken atomically by the JS workers

export const C_SIZE = 2048; // bytes of the whole block
