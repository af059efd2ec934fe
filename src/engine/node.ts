/**
 * The engine's front door for Node (the CLI, scripts): everything in ./index.ts plus the helpers
 * that need Node's file system. Browser code must import ./index.ts instead.
 */

export { getNodeGPU, type NodeGpuSource, nodeGpuSource } from './backends/webgpu/node-gpu.ts';
export * from './index.ts';
export { dirFiles } from './models/files-node.ts';
