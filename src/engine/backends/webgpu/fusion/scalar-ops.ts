/**
 * One elementwise launch (add, sub, mul, scale, unary, unary_grad) as WGSL statements on values
 * already in registers, for the fused kernels: the same expressions as the standalone kernels
 * (ops/elementwise/wgsl.ts and wgsl-fns.ts), so fused and unfused results agree.
 */
import type { Launch } from '../../../backend.ts';
import { unaryExpr, unaryGradExpr } from '../../../ops/elementwise/wgsl-fns.ts';
import type { OpKind, UnaryFn } from '../../../ops.ts';

/** The elementwise ops scalarOpWgsl writes: each output element from the same element of its inputs. */
export const ELEMENTWISE_OPS: readonly OpKind[] = ['add', 'sub', 'mul', 'scale', 'unary', 'unary_grad'];

/** WGSL assigning launch `l`'s value to the f32 variable `r`; `operand(k)` is WGSL for input k. */
export function scalarOpWgsl(l: Launch, operand: (k: number) => string, r: string): string {
  switch (l.op) {
    case 'add':
    case 'sub':
    case 'mul': {
      const sym = l.op === 'add' ? '+' : l.op === 'sub' ? '-' : '*';
      return `    let x = ${operand(0)};\n    let y = ${operand(1)};\n    ${r} = x ${sym} y;`;
    }
    case 'scale':
      return `    let x = ${operand(0)};\n    ${r} = x * ${f32Literal((l.attrs as { s: number }).s)};`;
    case 'unary':
      return `    let x = ${operand(0)};\n    ${r} = ${unaryExpr((l.attrs as { fn: UnaryFn }).fn)};`;
    case 'unary_grad':
      return `    let x = ${operand(0)};\n    let g = ${operand(1)};\n    ${r} = ${unaryGradExpr((l.attrs as { fn: UnaryFn }).fn)};`;
    default:
      throw new Error(`fusion: ${l.op} is not an elementwise op`);
  }
}

/** The exact f32 value of s as WGSL (its bit pattern: no decimal rounding can differ from the uniform path). */
export function f32Literal(s: number): string {
  const bits = new Uint32Array(new Float32Array([s]).buffer)[0];
  return `bitcast<f32>(0x${bits.toString(16)}u)`;
}
