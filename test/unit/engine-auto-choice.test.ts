/** backend "auto": WebGPU on hardware adapters, the CPU on software ones; explicit choices are honoured. */
import { describe, expect, it } from 'vitest';
import { type AdapterIdentity, chooseBackend, softwareAdapterName } from '../../src/engine/backends/auto-choice.ts';

const hardware: AdapterIdentity = {
  vendor: 'nvidia',
  architecture: 'hopper',
  device: '',
  description: 'NVIDIA H100 80GB HBM3',
  isFallbackAdapter: false,
};
/** What Dawn's SwiftShader adapter reports here (npm run orchard -- gpu-info). */
const swiftshader: AdapterIdentity = {
  vendor: 'google',
  architecture: 'swiftshader',
  device: '',
  description: 'SwiftShader Device (Subzero)',
  isFallbackAdapter: true,
};
const llvmpipe: AdapterIdentity = {
  vendor: 'mesa',
  architecture: '',
  device: '',
  description: 'llvmpipe (LLVM 15.0.6, 256 bits)',
  isFallbackAdapter: false,
};

describe('chooseBackend', () => {
  it('auto picks WebGPU on a hardware adapter, silently', () => {
    expect(chooseBackend('auto', hardware)).toEqual({ backend: 'webgpu', reason: null });
  });

  it('auto picks the CPU on software adapters, flagged or only named, and says why', () => {
    for (const adapter of [swiftshader, llvmpipe, { ...hardware, isFallbackAdapter: true }]) {
      const d = chooseBackend('auto', adapter);
      expect(d.backend).toBe('cpu');
      expect(d.reason).toMatch(/software implementation.*CPU backend/);
    }
    expect(softwareAdapterName(swiftshader)).toBe('SwiftShader');
    expect(softwareAdapterName(llvmpipe)).toBe('llvmpipe');
    expect(softwareAdapterName(hardware)).toBeNull();
  });

  it('an explicit choice is honoured; a missing adapter falls back with its reason', () => {
    expect(chooseBackend('webgpu', swiftshader).backend).toBe('webgpu');
    expect(chooseBackend('webgpu', swiftshader).reason).toMatch(/SwiftShader/);
    expect(chooseBackend('cpu', hardware)).toEqual({ backend: 'cpu', reason: null });
    expect(chooseBackend('webgpu', 'navigator.gpu is undefined')).toEqual({
      backend: 'cpu',
      reason: 'the experiment asks for WebGPU, but navigator.gpu is undefined; training on the CPU',
    });
    expect(chooseBackend('auto', 'no adapter').reason).toBe('no adapter; training on the CPU');
  });
});
