/** Compute pipelines and bind-group layouts, created once per distinct WGSL source and reused by every program. */

export interface CachedPipeline {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

export class PipelineCache {
  private readonly pipelines = new Map<string, CachedPipeline>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.pipelines.size;
  }

  get(label: string, wgsl: string, access: readonly ('read' | 'read_write')[]): CachedPipeline {
    const cached = this.pipelines.get(wgsl);
    if (cached) return cached;
    const layout = this.layout(access);
    const module = this.device.createShaderModule({ label, code: wgsl });
    const pipeline = this.device.createComputePipeline({
      label,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    });
    const entry = { pipeline, layout };
    this.pipelines.set(wgsl, entry);
    return entry;
  }

  /** Binding 0 is the uniform block; bindings 1..n are storage buffers with the given access. */
  private layout(access: readonly ('read' | 'read_write')[]): GPUBindGroupLayout {
    const key = access.join(',');
    let layout = this.layouts.get(key);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
        ...access.map((a, i) => ({
          binding: i + 1,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: a === 'read' ? ('read-only-storage' as const) : ('storage' as const) },
        })),
      ];
      layout = this.device.createBindGroupLayout({ entries });
      this.layouts.set(key, layout);
    }
    return layout;
  }
}
