/**
 * AdamW, in place on param, m and v. The hyper-parameters live in a device tensor rewritten each
 * step (queue.writeBuffer), so a compiled program never changes; gradient clipping reads the
 * global squared norm computed on the device, so there is no readback either.
 */
import type { Launch } from '../../backend.ts';
import { elementwise } from '../../backends/webgpu/kernels/elementwise.ts';
import type { DispatchSpec, KernelContext, WgslKernels } from '../../backends/webgpu/kernels/types.ts';
import { asGpuTensor } from '../../backends/webgpu/tensor.ts';
import { numel } from '../shape.ts';

export function adamwKernel(launch: Launch<'adamw'>, ctx: KernelContext): DispatchSpec[] {
  const [param, grad, m, v, hyper, gnorm] = launch.inputs;
  const count = numel(param.shape);
  const out = asGpuTensor(launch.output.tensor, 'adamw output');
  if (out !== param.tensor) throw new Error('adamw: the output must be the param tensor itself (in-place update)');
  const t = (name: string, view: typeof param, access: 'read' | 'read_write') => ({
    name,
    tensor: asGpuTensor(view.tensor, `adamw ${name}`),
    count: name === 'hyper' ? 8 : name === 'gnorm' ? 1 : count,
    access,
    broadcast: name === 'hyper' || name === 'gnorm',
  });
  return elementwise(
    {
      label: 'adamw',
      out,
      count,
      outIsOperand: true,
      operands: [
        t('w', param, 'read_write'),
        t('g', grad, 'read'),
        t('m', m, 'read_write'),
        t('v', v, 'read_write'),
        t('hyper', hyper, 'read'),
        t('gnorm', gnorm, 'read'),
      ],
      body: adamwBody(),
    },
    ctx,
  );
}

/**
 * `hyper` and `gnorm` are broadcast operands (8 and 1 elements): the generic loader reads them at
 * (base + i) % n, which is not what adamw wants, so the body re-reads them at fixed indices.
 */
function adamwBody(): string {
  return `  let lr = ld_hyper(0u);
  let b1 = ld_hyper(1u);
  let b2 = ld_hyper(2u);
  let eps = ld_hyper(3u);
  let wd = ld_hyper(4u);
  let bc1 = ld_hyper(5u);
  let bc2 = ld_hyper(6u);
  let maxNorm = ld_hyper(7u);
  let clip = select(1.0, min(1.0, maxNorm / (sqrt(ld_gnorm(0u)) + 1e-6)), maxNorm > 0.0);
  let gc = g * clip;
  m = b1 * m + (1.0 - b1) * gc;
  v = b2 * v + (1.0 - b2) * gc * gc;
  w = w - lr * (m / bc1 / (sqrt(v / bc2) + eps) + wd * w);
  st_m(i, m);
  st_v(i, v);
  st_w(i, w);`;
}

export const adamwWgsl: WgslKernels<'adamw'> = { adamw: adamwKernel };
