/**
 * Setup for the `gpu` Vitest project (WGSL kernels in Node through Dawn).
 *
 * getNodeGPU() wires up the Vulkan loader and SwiftShader in-process when the machine has no GPU,
 * and installs the WebGPU globals (GPUBufferUsage, GPUMapMode...). Doing it here makes every test
 * file fail fast with the one-line reason when this machine has no WebGPU for Node, instead of
 * timing out somewhere inside a kernel test. Tests then call `getNodeGPU()` themselves (cached).
 */
import { getNodeGPU } from '../../src/engine/backends/webgpu/node-gpu.ts';

await getNodeGPU();
