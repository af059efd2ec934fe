/**
 * WGSL for the elementwise functions of `unary` / `unary_grad`. Written to be stable in f32 on
 * every driver: tanh and sigmoid never evaluate exp of a large positive argument (some drivers'
 * built-in tanh returns NaN there), and log_sigmoid uses a log1p that keeps small arguments exact.
 * WGSL has no expm1 or log1p: log1mexp and its derivative use short Taylor series where the direct
 * forms cancel (series lengths chosen so the truncation error is below f32 rounding).
 */
import type { UnaryFn } from './index.ts';

export const UNARY_HELPERS = `
const GELU_C: f32 = 0.7978845608028654;
fn stable_tanh(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}
fn stable_sigmoid(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}
fn log1p_pos(e: f32) -> f32 {
  // log(1 + e) for e in [0, 1]; the series keeps precision where 1 + e rounds to 1.
  return select(log(1.0 + e), e * (1.0 - e * (0.5 - e / 3.0)), e < 1e-3);
}
fn stable_log_sigmoid(x: f32) -> f32 {
  return min(x, 0.0) - log1p_pos(exp(-abs(x)));
}
const LN2: f32 = 0.6931471805599453;
fn expm1_series(x: f32) -> f32 {
  // e^x − 1 for |x| <= ln 2: x(1 + x/2(1 + x/3(… (1 + x/11)))), error below 1e-9 relative.
  var t = 1.0;
  for (var k = 11; k >= 2; k--) {
    t = 1.0 + x / f32(k) * t;
  }
  return x * t;
}
fn stable_expm1(x: f32) -> f32 {
  return select(exp(x) - 1.0, expm1_series(x), abs(x) <= LN2);
}
fn log1m(e: f32) -> f32 {
  // log(1 − e) for e in [0, 1/2]: −e(1 + e/2 + e²/3 + …) below 0.1, where 1 − e drops digits of e.
  var t = 1.0 / 9.0;
  for (var k = 8; k >= 1; k--) {
    t = 1.0 / f32(k) + e * t;
  }
  return select(log(1.0 - e), -e * t, e < 0.1);
}
fn log1mexp(x: f32) -> f32 {
  // log(1 − e^x), x < 0: log(−expm1(x)) near 0, log1p(−e^x) left of −ln 2 (Mächler 2012).
  return select(log1m(exp(x)), log(-expm1_series(x)), x > -LN2);
}
fn gelu_inner(x: f32) -> f32 {
  return GELU_C * (x + 0.044715 * x * x * x);
}
`;

/** Per function: WGSL for fn(x), then WGSL for g * fn'(x). */
const EXPRS: Readonly<Record<UnaryFn, readonly [value: string, grad: string]>> = {
  neg: ['-x', '-g'],
  exp: ['exp(x)', 'g * exp(x)'],
  log: ['log(x)', 'g / x'],
  square: ['x * x', '2.0 * x * g'],
  sigmoid: ['stable_sigmoid(x)', 'g * stable_sigmoid(x) * (1.0 - stable_sigmoid(x))'],
  log_sigmoid: ['stable_log_sigmoid(x)', 'g * stable_sigmoid(-x)'],
  relu: ['max(x, 0.0)', 'select(0.0, g, x > 0.0)'],
  gelu_tanh: [
    '0.5 * x * (1.0 + stable_tanh(gelu_inner(x)))',
    'g * (0.5 * (1.0 + stable_tanh(gelu_inner(x))) + 0.5 * x * (1.0 - stable_tanh(gelu_inner(x)) * ' +
      'stable_tanh(gelu_inner(x))) * GELU_C * (1.0 + 3.0 * 0.044715 * x * x))',
  ],
  silu: ['x * stable_sigmoid(x)', 'g * (stable_sigmoid(x) + x * stable_sigmoid(x) * (1.0 - stable_sigmoid(x)))'],
  log1mexp: ['log1mexp(x)', '-g / stable_expm1(-x)'],
};

/** WGSL expression for fn(x). */
export function unaryExpr(fn: UnaryFn): string {
  return EXPRS[fn][0];
}

/** WGSL expression for g * fn'(x). */
export function unaryGradExpr(fn: UnaryFn): string {
  return EXPRS[fn][1];
}
