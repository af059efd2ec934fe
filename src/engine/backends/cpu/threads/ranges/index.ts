/**
 * Every range kernel, by id: the id is what a threaded job names (helpers index the same list,
 * built into their source by worker-source.ts), so the order here is the protocol.
 */
import {
  attnAnyKey,
  attnCached,
  attnOnline,
  attnPack,
  attnPackCols,
  attnProbs,
  flashAttentionGradKVRange,
  flashAttentionGradQRange,
  flashAttentionRange,
} from './attention.ts';
import { binaryRange, scaleRange, unaryGradRange, unaryRange } from './elementwise.ts';
import { adamwRange, padLastRange, permuteRange, sliceLastRange, sumLeadingRange } from './layout.ts';
import {
  layernormGradXRange,
  layernormRange,
  normGradWRange,
  normStatsRange,
  rmsnormGradXRange,
  rmsnormRange,
  rowInvRms,
  rowMean,
  rowRstd,
} from './norm.ts';
import {
  rowLogSumExp,
  softmaxCausalGradRange,
  softmaxCausalRange,
  tokenLogprobsGradRange,
  tokenLogprobsRange,
} from './rows.ts';
import type { RangeKernel } from './types.ts';

export const RANGE_KERNELS: readonly RangeKernel[] = [
  unaryRange,
  unaryGradRange,
  binaryRange,
  scaleRange,
  softmaxCausalRange,
  softmaxCausalGradRange,
  tokenLogprobsRange,
  tokenLogprobsGradRange,
  layernormRange,
  layernormGradXRange,
  rmsnormRange,
  rmsnormGradXRange,
  normStatsRange,
  normGradWRange,
  permuteRange,
  sliceLastRange,
  padLastRange,
  sumLeadingRange,
  adamwRange,
  flashAttentionRange,
  flashAttentionGradQRange,
  flashAttentionGradKVRange,
];

/**
 * The row and block helpers range kernels call (ranges/norm.ts, rows.ts, attention.ts): helper
 * threads define them, by their runtime names, before the kernels (worker-source.ts). Each is
 * self-contained.
 */
export const RANGE_HELPERS: readonly ((...args: never[]) => number)[] = [
  rowMean,
  rowRstd,
  rowInvRms,
  rowLogSumExp,
  attnAnyKey,
  attnPack,
  attnPackCols,
  attnProbs,
  attnCached,
  attnOnline,
];

/** A kernel's id: its index in RANGE_KERNELS. */
export function rangeId(kernel: RangeKernel): number {
  const id = RANGE_KERNELS.indexOf(kernel);
  if (id < 0) throw new Error('rangeId: a range kernel missing from RANGE_KERNELS (threads/ranges/index.ts)');
  return id;
}
