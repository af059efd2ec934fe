/**
 * `npm run orchard -- gpu-info`: the capability report the lab's training worker shows, computed in
 * Node through Dawn (SwiftShader when the machine has no GPU), printed as JSON on stdout.
 * Exit code 0 when training would run on WebGPU, 1 when it would fall back to the CPU.
 */
import { createRequire } from 'node:module';
import { getNodeGPU, nodeGpuSource } from '../../engine/backends/webgpu/node-gpu.ts';
import { probeBackend } from '../../engine/gpu-probe/probe.ts';

const USAGE =
  'usage: npm run orchard -- gpu-info\n\nPrints the WebGPU capability report (adapter, limits, features, probe matmul) as JSON.';

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  if (argv.length > 0) {
    console.error(`gpu-info: unexpected argument "${argv[0]}"\n\n${USAGE}`);
    return 2;
  }

  const { report, device } = await probeBackend({
    host: 'node',
    getGpu: getNodeGPU,
    describeRuntime: () =>
      `node ${process.version}, Dawn (webgpu ${webgpuVersion()}), ${nodeGpuSource() ?? 'no Vulkan'}`,
  });
  // Dawn keeps the process alive while a device exists.
  device?.device.destroy();

  if (!report.webgpu) {
    console.error(`gpu-info: no WebGPU in Node: ${report.fallbackReason}`);
    return 1;
  }
  console.log(JSON.stringify(report, null, 2));
  return report.backend === 'webgpu' ? 0 : 1;
}

function webgpuVersion(): string {
  try {
    return (createRequire(import.meta.url)('webgpu/package.json') as { version: string }).version;
  } catch {
    return 'unknown version';
  }
}
