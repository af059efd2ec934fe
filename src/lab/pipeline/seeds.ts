/**
 * Every random choice of an experiment draws from a generator seeded by `deriveSeed(spec.seed,
 * purpose)`: one independent stream per purpose, so adding a draw in one stage never shifts the
 * numbers of another (sampling stays the same when the LoRA init changes, and so on).
 */

/** A 32-bit seed for `purpose`, a fixed mix of the experiment seed and the purpose's name. */
export function deriveSeed(seed: number, purpose: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < purpose.length; i++) h = Math.imul(h ^ purpose.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The purposes used by the pipeline (one place, so no two stages share a stream by accident). */
export const SEED_PURPOSE = {
  loraInit: 'lora-init',
  instructions: 'train-instructions',
  sampling: 'candidate-sampling',
  pairing: 'pairing',
  dataOrder: 'data-order',
  sftOrder: 'sft-order',
  evalDecoding: 'eval-decoding',
  /** Which side a person sees first in evaluation: `${evalBlindOrder}-${run}-${item}`. */
  evalBlindOrder: 'eval-blind-order',
} as const;
