/**
 * The shared-memory arena behind a threaded CPU backend's tensors: blocks do not overlap, come
 * back zero-filled, freed neighbours merge so a larger block fits again, the memory grows on
 * demand and an allocation past its maximum is refused (null), never thrown.
 */
import { expect, it } from 'vitest';
import { SharedArena } from '../../src/engine/backends/cpu/threads/arena.ts';

const PAGE = 65536;

function arena(maxPages: number) {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: maxPages, shared: true });
  return { memory, arena: new SharedArena(memory, maxPages * PAGE) };
}

it('blocks are disjoint, aligned, zero-filled on reuse, and merge when freed', () => {
  const { memory, arena: a } = arena(8);
  const sizes = [100, 4096, 7, 20000, 64];
  const offs = sizes.map((n) => a.alloc(n) as number);
  for (const o of offs) expect(o % 64).toBe(0);
  const spans = offs.map((o, i) => [o, o + sizes[i]]).sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
  new Uint8Array(memory.buffer, offs[1], 4096).fill(7);
  new Uint8Array(memory.buffer, offs[2], 7).fill(7);
  // Free two neighbours: a block as large as both together fits where they were, zero-filled.
  a.release(offs[1]);
  a.release(offs[2]);
  const again = a.alloc(4096 + 64) as number;
  expect(again).toBe(offs[1]);
  expect(new Uint8Array(memory.buffer, again, 4096 + 64).every((b) => b === 0)).toBe(true);
  expect(() => a.release(again + 64)).toThrow(/no live block/);
});

it('grows the memory on demand and refuses (null) what exceeds its maximum', () => {
  const { memory, arena: a } = arena(4);
  const big = a.alloc(3 * PAGE) as number;
  expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(big + 3 * PAGE);
  expect(a.alloc(2 * PAGE)).toBeNull();
  a.release(big);
  expect(a.liveBytes).toBe(0);
  // Freed at the top: the whole range is usable again.
  expect(a.alloc(3 * PAGE)).toBe(big);
});
