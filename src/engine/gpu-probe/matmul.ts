/**
 * A self-contained f32 matmul used only to prove that compute shaders run correctly on the device
 * Orchard got (the capability probe and test/gpu). Production kernels live in backends/webgpu/.
 *
 * It is deliberately a tiled kernel: besides storage and uniform buffers it exercises workgroup
 * memory and barriers, which the training kernels rely on and which software adapters get wrong
 * more often than plain loads.
 */

export const MATMUL_TILE = 8;

/** C[M×N] = A[M×K] · B[K×N], all row-major. One invocation per element of C, 8×8 tiles of A and B. */
export const MATMUL_WGSL = /* wgsl */ `
struct Dims { m: u32, k: u32, n: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;

const TILE: u32 = ${MATMUL_TILE}u;
var<workgroup> tileA: array<array<f32, TILE>, TILE>;
var<workgroup> tileB: array<array<f32, TILE>, TILE>;

@compute @workgroup_size(TILE, TILE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = gid.y;
  let col = gid.x;
  var acc = 0.0;
  let tiles = (dims.k + TILE - 1u) / TILE;
  // Every invocation runs every iteration (no early return) so the barriers stay in uniform control flow.
  for (var t = 0u; t < tiles; t++) {
    let ak = t * TILE + lid.x;
    let bk = t * TILE + lid.y;
    var av = 0.0;
    if (row < dims.m && ak < dims.k) { av = a[row * dims.k + ak]; }
    var bv = 0.0;
    if (bk < dims.k && col < dims.n) { bv = b[bk * dims.n + col]; }
    tileA[lid.y][lid.x] = av;
    tileB[lid.y][lid.x] = bv;
    workgroupBarrier();
    for (var i = 0u; i < TILE; i++) {
      acc += tileA[lid.y][i] * tileB[i][lid.x];
    }
    workgroupBarrier();
  }
  if (row < dims.m && col < dims.n) {
    c[row * dims.n + col] = acc;
  }
}
`;

export interface MatmulShape {
  m: number;
  k: number;
  n: number;
}

/**
 * Runs MATMUL_WGSL once on `device` and reads C back. Throws with the compiler's or validator's
 * message if the shader or a dispatch is rejected.
 */
export async function gpuMatmul(
  device: GPUDevice,
  a: Float32Array,
  b: Float32Array,
  shape: MatmulShape,
): Promise<Float32Array> {
  const { m, k, n } = shape;
  if (a.length !== m * k || b.length !== k * n) {
    throw new Error(
      `gpuMatmul: A has ${a.length} values and B ${b.length}; shape ${m}×${k}×${n} needs ${m * k} and ${k * n}`,
    );
  }
  const { GPUBufferUsage: Usage, GPUMapMode: MapMode } = globalThis;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: 'probe-matmul', code: MATMUL_WGSL });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((msg) => msg.type === 'error');
  if (errors.length > 0) {
    await device.popErrorScope();
    throw new Error(
      `probe matmul WGSL did not compile: ${errors.map((e) => `${e.lineNum}:${e.linePos} ${e.message}`).join('; ')}`,
    );
  }
  const pipeline = device.createComputePipeline({
    label: 'probe-matmul',
    layout: 'auto',
    compute: { module, entryPoint: 'main' },
  });

  const upload = (data: Float32Array | Uint32Array, usage: number): GPUBuffer => {
    const buffer = device.createBuffer({ size: Math.max(16, data.byteLength), usage: usage | Usage.COPY_DST });
    device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  };
  const bufA = upload(a, Usage.STORAGE);
  const bufB = upload(b, Usage.STORAGE);
  const bufDims = upload(new Uint32Array([m, k, n, 0]), Usage.UNIFORM);
  const bytesC = m * n * 4;
  const bufC = device.createBuffer({ size: Math.max(16, bytesC), usage: Usage.STORAGE | Usage.COPY_SRC });
  const readback = device.createBuffer({ size: Math.max(16, bytesC), usage: Usage.MAP_READ | Usage.COPY_DST });

  try {
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [bufA, bufB, bufC, bufDims].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const encoder = device.createCommandEncoder({ label: 'probe-matmul' });
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil(n / MATMUL_TILE), Math.ceil(m / MATMUL_TILE));
    pass.end();
    encoder.copyBufferToBuffer(bufC, 0, readback, 0, Math.max(16, bytesC));
    device.queue.submit([encoder.finish()]);
    const validation = await device.popErrorScope();
    if (validation) throw new Error(`probe matmul was rejected by WebGPU validation: ${validation.message}`);

    await readback.mapAsync(MapMode.READ);
    const c = new Float32Array(readback.getMappedRange(0, bytesC).slice(0));
    readback.unmap();
    return c;
  } finally {
    for (const buffer of [bufA, bufB, bufC, bufDims, readback]) buffer.destroy();
  }
}
