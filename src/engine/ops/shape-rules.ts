/** The registry of shape rules, one per graph op, gathered from the op families. */
import type { GraphOp, OpAttrs } from '../ops.ts';
import { attentionShapes } from './attention/index.ts';
import { cacheShapes } from './cache/index.ts';
import { dropoutShapes } from './dropout/index.ts';
import { elementwiseShapes } from './elementwise/index.ts';
import { embeddingShapes } from './embedding/index.ts';
import { layoutShapes } from './layout/index.ts';
import { lmHeadShapes } from './lm-head/index.ts';
import { logprobsShapes } from './logprobs/index.ts';
import { matmulShapes } from './matmul/index.ts';
import { normShapes } from './norm/index.ts';
import { reduceShapes } from './reduce/index.ts';
import { ropeShapes } from './rope/index.ts';
import type { ShapeRules } from './shape.ts';
import { softmaxShapes } from './softmax/index.ts';

export const SHAPE_RULES: ShapeRules<Pick<OpAttrs, GraphOp>> = {
  ...elementwiseShapes,
  ...reduceShapes,
  ...matmulShapes,
  ...layoutShapes,
  ...embeddingShapes,
  ...normShapes,
  ...ropeShapes,
  ...cacheShapes,
  ...softmaxShapes,
  ...attentionShapes,
  ...logprobsShapes,
  ...lmHeadShapes,
  ...dropoutShapes,
};
