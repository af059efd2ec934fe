/**
 * The safetensors file format (https://github.com/huggingface/safetensors), own implementation:
 * 8-byte little-endian header length N, N bytes of JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}`,
 * then the raw little-endian tensor bytes (offsets are relative to the end of the header).
 *
 * Reading decodes F32, F16 and BF16 to Float32Array (the engine computes in f32); writing emits F32.
 * Runs in the browser and in Node (no fs here; see models/files-node.ts for folders).
 */
import { numel } from './ops.ts';

/** The dtypes Orchard decodes. */
export type SafetensorsDType = 'F32' | 'F16' | 'BF16';
const SUPPORTED: readonly SafetensorsDType[] = ['F32', 'F16', 'BF16'];

export interface TensorInfo {
  dtype: string;
  shape: number[];
  /** Byte range within the data section. */
  begin: number;
  end: number;
}

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsHeader {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file. */
  dataStart: number;
}

const BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
};

/** Parses and validates the header. `where` names the file in error messages. */
export function readHeader(bytes: Uint8Array, where = 'safetensors'): SafetensorsHeader {
  if (bytes.byteLength < 8) throw new Error(`${where}: ${bytes.byteLength} bytes is too short for a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (8 + n > bytes.byteLength) {
    throw new Error(`${where}: header length ${n} runs past the end of the file (${bytes.byteLength} bytes)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    throw new Error(`${where}: header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${where}: header is not a JSON object`);
  }
  const dataStart = 8 + n;
  const dataLen = bytes.byteLength - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e?.dtype !== 'string' || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets)) {
      throw new Error(`${where}: tensor "${name}" lacks dtype, shape or data_offsets`);
    }
    const [begin, end] = e.data_offsets as unknown[];
    const shape = e.shape as unknown[];
    if (!shape.every(isIndex)) {
      throw new Error(`${where}: tensor "${name}" has shape ${JSON.stringify(e.shape)}; dims must be integers >= 0`);
    }
    if (!isIndex(begin) || !isIndex(end)) {
      throw new Error(
        `${where}: tensor "${name}" has data_offsets ${JSON.stringify(e.data_offsets)}; expected [begin, end] byte offsets`,
      );
    }
    const width = BYTES[e.dtype];
    if (!(end >= begin && end <= dataLen)) {
      throw new Error(
        `${where}: tensor "${name}" has data_offsets [${begin}, ${end}] outside the ${dataLen}-byte data`,
      );
    }
    if (width !== undefined && end - begin !== numel(shape) * width) {
      throw new Error(
        `${where}: tensor "${name}" (${e.dtype} [${shape.join(', ')}]) spans ${end - begin} bytes, expected ${numel(shape) * width}`,
      );
    }
    tensors.set(name, { dtype: e.dtype, shape, begin, end });
  }
  checkNoOverlap(tensors, where);
  return { tensors, metadata, dataStart };
}

/** Two tensors sharing bytes would silently alias each other's values: refuse, naming both. */
function checkNoOverlap(tensors: ReadonlyMap<string, TensorInfo>, where: string): void {
  const spans = [...tensors].filter(([, t]) => t.end > t.begin).sort(([, a], [, b]) => a.begin - b.begin);
  for (let i = 1; i < spans.length; i++) {
    const [prevName, prev] = spans[i - 1];
    const [name, t] = spans[i];
    if (t.begin < prev.end) {
      throw new Error(
        `${where}: tensors "${prevName}" (bytes ${prev.begin}-${prev.end}) and "${name}" (bytes ${t.begin}-${t.end}) overlap; the file is corrupt or was written by a broken tool, re-export it`,
      );
    }
  }
}

const isIndex = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;

/** Decodes every tensor (or those `filter` accepts) to f32. */
export function readSafetensors(
  bytes: Uint8Array,
  where = 'safetensors',
  filter: (name: string) => boolean = () => true,
): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const header = readHeader(bytes, where);
  const tensors = new Map<string, Tensor>();
  for (const [name, info] of header.tensors) {
    if (!filter(name)) continue;
    const raw = bytes.subarray(header.dataStart + info.begin, header.dataStart + info.end);
    tensors.set(name, { shape: info.shape, data: decode(raw, info.dtype, `${where}: tensor "${name}"`) });
  }
  return { tensors, metadata: header.metadata };
}

export interface NonFinite {
  nan: number;
  infinite: number;
  /** Index (row-major, into the flat data) of the first NaN or infinity. */
  first: number;
}

/** Counts NaN and infinite values; null when every value is finite. */
export function findNonFinite(data: Float32Array): NonFinite | null {
  let nan = 0;
  let infinite = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    // x - x is 0 for every finite x, NaN for NaN and infinities: one test in the common case.
    if (x - x === 0) continue;
    if (Number.isNaN(x)) nan++;
    else infinite++;
    if (first < 0) first = i;
  }
  return first < 0 ? null : { nan, infinite, first };
}

/** "1 NaN value", "2 NaN and 1 infinite values", ... */
export function describeNonFinite(n: NonFinite): string {
  const parts = [n.nan > 0 && `${n.nan} NaN`, n.infinite > 0 && `${n.infinite} infinite`].filter(Boolean);
  const total = n.nan + n.infinite;
  return `${parts.join(' and ')} value${total === 1 ? '' : 's'} (first at index ${n.first})`;
}

/** Throws naming the first tensor that holds a NaN or an infinity (weights must be finite to mean anything). */
export function checkFinite(tensors: Iterable<[string, Tensor]>, where: string): void {
  for (const [name, t] of tensors) {
    const bad = findNonFinite(t.data);
    if (bad) {
      throw new Error(
        `${where}: tensor "${name}" has ${describeNonFinite(bad)}; the weights are corrupt or come from a run that diverged, use another copy of the model`,
      );
    }
  }
}

/** Raw little-endian bytes of one dtype -> Float32Array. */
export function decode(raw: Uint8Array, dtype: string, where: string): Float32Array {
  if (!(SUPPORTED as readonly string[]).includes(dtype)) {
    throw new Error(
      `${where} has dtype ${dtype}; Orchard reads F32, F16 and BF16 (convert the weights to one of those)`,
    );
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (dtype === 'F32') {
    const out = new Float32Array(raw.byteLength / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  const out = new Float32Array(raw.byteLength / 2);
  if (dtype === 'BF16') {
    // bf16 is the top half of an f32.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < out.length; i++) bits[i] = view.getUint16(i * 2, true) << 16;
    return out;
  }
  for (let i = 0; i < out.length; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  return out;
}

/** IEEE 754 binary16 bits -> number (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Encodes tensors as an F32 safetensors file, in the given order (safetensors readers do not care,
 * but a stable order gives byte-identical files). Metadata values must be strings.
 */
export function writeSafetensors(tensors: Iterable<[string, Tensor]>, metadata?: Record<string, string>): Uint8Array {
  const entries = [...tensors];
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    if (numel(t.shape) !== t.data.length) {
      throw new Error(
        `writeSafetensors: tensor "${name}" has shape [${t.shape.join(', ')}] but ${t.data.length} values`,
      );
    }
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.length * 4] };
    offset += t.data.length * 4;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data section is 8-byte aligned (what the reference writer does).
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const [, t] of entries) {
    for (let i = 0; i < t.data.length; i++) view.setFloat32(pos + i * 4, t.data[i], true);
    pos += t.data.length * 4;
  }
  return out;
}
