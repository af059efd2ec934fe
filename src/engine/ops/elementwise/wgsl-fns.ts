/**
 * WGSL for the elementwise functions of `unary` / `unary_grad`. Written to be stable in f32 on
 * every driver: tanh and sigmoid never evaluate exp of a large positive argument (some drivers'
 * built-in tanh returns NaN there), and log_sigmoid uses a log1p that keeps small arguments exact.
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
};

/** WGSL expression for fn(x). */
export function unaryExpr(fn: UnaryFn): string {
  return EXPRS[fn][0];
}

/** WGSL expression for g * fn'(x). */
export function unaryGradExpr(fn: UnaryFn): string {
  return EXPRS[fn][1];
}
