/** WGSL kernel of dropout: the CPU kernel's mask in u32 arithmetic (index.ts), through the elementwise helper. */
import type { Launch } from '../../backend.ts';
import { elementwise, operand, output } from '../../backends/webgpu/kernels/elementwise.ts';
import type { DispatchSpec, KernelContext, WgslKernels } from '../../backends/webgpu/kernels/types.ts';
import { DROPOUT_WGSL, dropoutSaltMix, dropoutScale, dropoutThreshold } from './index.ts';

function dropoutKernel(launch: Launch<'dropout'>, ctx: KernelContext): DispatchSpec[] {
  const [x, seed] = launch.inputs;
  const { p, salt } = launch.attrs;
  return elementwise(
    {
      label: 'dropout',
      ...output(launch),
      operands: [operand('x', x, 'dropout'), { ...operand('seed', seed, 'dropout'), broadcast: true }],
      helpers: DROPOUT_WGSL,
      // The salt's share of the key is hashed on the host; the seed's on the device (it changes per run).
      uniforms: (k) =>
        k.u32('salt_mix', dropoutSaltMix(salt)).u32('thr', dropoutThreshold(p)).f32('scale', dropoutScale(p)),
      body: `  let key = drop_mix(bitcast<u32>(seed) ^ p.salt_mix);
  let keep = (drop_mix(key ^ (p.base + i)) >> 8u) >= p.thr;
  st_out(i, select(0.0, x * p.scale, keep));`,
    },
    ctx,
  );
}

export const dropoutWgsl: WgslKernels<'dropout'> = { dropout: dropoutKernel };
