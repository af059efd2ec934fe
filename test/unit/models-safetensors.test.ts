/**
 * safetensors: own reader/writer checked against hand-built files with known bit patterns (F16 and
 * BF16 values whose exact f32 values are known), a write -> read round trip, and the errors.
 */
import { describe, expect, it } from 'vitest';
import {
  decode,
  describeNonFinite,
  findNonFinite,
  halfToFloat,
  readHeader,
  readSafetensors,
  writeSafetensors,
} from '../../src/engine/safetensors.ts';
import { must } from './engine-helpers.ts';

/** A safetensors file built by hand (independent of writeSafetensors). */
function handMade(entries: { name: string; dtype: string; shape: number[]; bytes: number[] }[]): Uint8Array {
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + e.bytes.length] };
    off += e.bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + off);
  out[0] = json.length & 0xff;
  out[1] = json.length >> 8;
  out.set(json, 8);
  out.set(
    entries.flatMap((e) => e.bytes),
    8 + json.length,
  );
  return out;
}

const le16 = (x: number) => [x & 0xff, x >> 8];

describe('safetensors', () => {
  it('decodes F16 bit patterns (normal, subnormal, signed zero, infinity, NaN)', () => {
    const bits = [0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x0400, 0x8000, 0x7c00, 0xfc00, 0x7e00];
    const file = handMade([{ name: 'h', dtype: 'F16', shape: [2, 5], bytes: bits.flatMap(le16) }]);
    const t = must(readSafetensors(file).tensors.get('h'), 'tensor h');
    expect(t.shape).toEqual([2, 5]);
    const want = [1, -2, 0.333251953125, 65504, 2 ** -24, 2 ** -14, -0, Infinity, -Infinity, Number.NaN];
    expect([...t.data]).toEqual(want);
    expect(Object.is(t.data[6], -0)).toBe(true);
    expect(halfToFloat(0x3c01)).toBe(1 + 2 ** -10);
  });

  it('decodes BF16 as the top half of an f32', () => {
    // 0x3f80 = 1, 0xc049 = -3.140625, 0x4128 = 10.5, 0x0001 = smallest bf16 subnormal 2^-133.
    const bits = [0x3f80, 0xc049, 0x4128, 0x0001];
    const file = handMade([{ name: 'b', dtype: 'BF16', shape: [4], bytes: bits.flatMap(le16) }]);
    expect([...must(readSafetensors(file).tensors.get('b'), 'tensor b').data]).toEqual([1, -3.140625, 10.5, 2 ** -133]);
  });

  it('reads F32 little-endian and several tensors by offset', () => {
    const f = new Float32Array([1.5, -2.25, 3e-7]);
    const bytes = [...new Uint8Array(f.buffer)];
    const file = handMade([
      { name: 'a', dtype: 'F32', shape: [3], bytes },
      { name: 'b', dtype: 'BF16', shape: [1], bytes: le16(0x4000) },
    ]);
    const { tensors } = readSafetensors(file);
    expect(must(tensors.get('a'), 'tensor a').data).toEqual(f);
    expect([...must(tensors.get('b'), 'tensor b').data]).toEqual([2]);
  });

  it('round-trips through writeSafetensors (F32, metadata, 8-byte aligned data)', () => {
    const a = { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) };
    const b = { shape: [1], data: Float32Array.from([Math.PI]) };
    const bytes = writeSafetensors(
      [
        ['x.weight', a],
        ['y', b],
      ],
      { format: 'pt' },
    );
    const h = readHeader(bytes);
    expect(h.dataStart % 8).toBe(0);
    expect(h.metadata).toEqual({ format: 'pt' });
    const back = readSafetensors(bytes).tensors;
    expect(back.get('x.weight')).toEqual(a);
    expect(must(back.get('y'), 'tensor y').data[0]).toBe(Math.fround(Math.PI));
  });

  it('names the tensor and dtype it cannot read', () => {
    const file = handMade([{ name: 'model.ids', dtype: 'I64', shape: [1], bytes: [0, 0, 0, 0, 0, 0, 0, 0] }]);
    expect(() => readSafetensors(file, 'm.safetensors')).toThrow(/tensor "model.ids" has dtype I64/);
    expect(() => decode(new Uint8Array(2), 'F8_E4M3', 'x')).toThrow(/F8_E4M3/);
  });

  it('rejects truncated files and inconsistent offsets', () => {
    expect(() => readHeader(new Uint8Array(4))).toThrow(/too short/);
    const bad = handMade([{ name: 'a', dtype: 'F32', shape: [2], bytes: [0, 0, 0, 0] }]);
    expect(() => readHeader(bad)).toThrow(/spans 4 bytes, expected 8/);
    const headerOnly = (header: unknown, dataBytes = 8) => {
      const json = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + json.length + dataBytes);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      return out;
    };
    expect(() => readHeader(headerOnly({ a: { dtype: 'F32', shape: [2, 'x'], data_offsets: [0, 8] } }), 'f')).toThrow(
      'f: tensor "a" has shape [2,"x"]; dims must be integers >= 0',
    );
    expect(() => readHeader(headerOnly({ a: { dtype: 'F32', shape: [2], data_offsets: ['0', 8] } }), 'f')).toThrow(
      'f: tensor "a" has data_offsets ["0",8]; expected [begin, end] byte offsets',
    );
    expect(() => readHeader(headerOnly({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }), 'f')).toThrow(
      'f: tensor "a" has data_offsets [0, 16] outside the 8-byte data',
    );
  });

  it('refuses tensors whose byte ranges overlap, naming both (they would alias each other)', () => {
    const json = new TextEncoder().encode(
      JSON.stringify({
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
        empty: { dtype: 'F32', shape: [0], data_offsets: [4, 4] },
      }),
    );
    const file = new Uint8Array(8 + json.length + 12);
    new DataView(file.buffer).setBigUint64(0, BigInt(json.length), true);
    file.set(json, 8);
    expect(() => readSafetensors(file, 'm.safetensors')).toThrow(
      /m.safetensors: tensors "a" \(bytes 0-8\) and "b" \(bytes 4-12\) overlap/,
    );
    // Adjacent ranges and an empty tensor inside another's range are fine.
    const ok = handMade([
      { name: 'a', dtype: 'F32', shape: [1], bytes: [0, 0, 128, 63] },
      { name: 'b', dtype: 'F32', shape: [1], bytes: [0, 0, 0, 64] },
    ]);
    expect([...must(readSafetensors(ok).tensors.get('b'), 'b').data]).toEqual([2]);
  });

  it('finds and locates NaN and infinite values', () => {
    expect(findNonFinite(Float32Array.from([1, -0, 3e38, 1e-45]))).toBeNull();
    const data = new Float32Array(100);
    data[42] = Number.NaN;
    data[77] = Number.NEGATIVE_INFINITY;
    data[90] = Number.NaN;
    const found = must(findNonFinite(data), 'non-finite');
    expect(found).toEqual({ nan: 2, infinite: 1, first: 42 });
    expect(describeNonFinite(found)).toBe('2 NaN and 1 infinite values (first at index 42)');
    expect(describeNonFinite({ nan: 1, infinite: 0, first: 5 })).toBe('1 NaN value (first at index 5)');
  });
});
