/** The registry of backward rules, gathered from the op families (ops without one have no gradient). */
import type { GraphOp } from '../ops.ts';
import { attentionBackward } from './attention/backward.ts';
import type { BackwardRules } from './backward-kit.ts';
import { dropoutBackward } from './dropout/backward.ts';
import { elementwiseBackward } from './elementwise/backward.ts';
import { embeddingBackward } from './embedding/backward.ts';
import { layoutBackward } from './layout/backward.ts';
import { lmHeadBackward } from './lm-head/backward.ts';
import { logprobsBackward } from './logprobs/backward.ts';
import { matmulBackward } from './matmul/backward.ts';
import { normBackward } from './norm/backward.ts';
import { reduceBackward } from './reduce/backward.ts';
import { ropeBackward } from './rope/backward.ts';
import { softmaxBackward } from './softmax/backward.ts';

export const BACKWARD_RULES: BackwardRules<GraphOp> = {
  ...elementwiseBackward,
  ...reduceBackward,
  ...matmulBackward,
  ...layoutBackward,
  ...embeddingBackward,
  ...normBackward,
  ...ropeBackward,
  ...softmaxBackward,
  ...attentionBackward,
  ...logprobsBackward,
  ...lmHeadBackward,
  ...dropoutBackward,
};
