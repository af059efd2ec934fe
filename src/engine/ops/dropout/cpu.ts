/** CPU kernel of dropout (the reference; see index.ts for the mask). */
import { type CpuKernels, eachRun, f32, i32 } from '../../backends/cpu/kernel-kit.ts';
import { numel } from '../shape.ts';
import { dropoutKeeps, dropoutKey, dropoutScale, dropoutThreshold } from './index.ts';

export const dropoutCpu: CpuKernels<'dropout'> = {
  dropout: eachRun((l, [xv, sv], ov) => {
    const x = f32(xv).data;
    const o = f32(ov).data;
    const key = dropoutKey(i32(sv).data[0], l.attrs.salt);
    const threshold = dropoutThreshold(l.attrs.p);
    const scale = dropoutScale(l.attrs.p);
    const n = numel(xv.shape);
    for (let e = 0; e < n; e++) o[e] = dropoutKeeps(key, e, threshold) ? Math.fround(x[e] * scale) : 0;
  }),
};
