/**
 * One line per training objective, for the objective dropdown's hint and the "What is being
 * compared" panel. The formulas are those of docs/jpo.md (TRL's definitions); h is the
 * chosen-minus-rejected log-ratio of the policy against the reference.
 */
import type { Objective } from '../../lab/spec.ts';

export const OBJECTIVE_LINES: Record<Objective, string> = {
  jpo: 'Joint preference optimization (the paper’s method): DPO’s loss on joint log π(x, y), so the two sides may answer different prompts.',
  dpo: 'Direct preference optimization: −log σ(β·h) on conditional log π(y|x); both sides answer one prompt, which is masked.',
  cdpo: 'Conservative DPO: DPO with label smoothing ε; it treats every label as wrong with probability ε, so its loss never drops below the entropy of ε and margins level off at β·h = log((1−ε)/ε).',
  robust:
    'Robust DPO: DPO corrected so that, averaged over labels flipped at random with probability ε, it equals DPO on clean labels; its loss has no floor, so it keeps pushing every margin up.',
  hinge: 'Hinge loss (SLiC): relu(1 − β·h); it stops pushing a pair once its margin passes 1/β.',
  ipo: 'Identity preference optimization: (h̄ − 1/(2β))² on per-token means; the margin has a target, so it cannot run away.',
  simpo: 'SimPO: no reference model; per-token mean log-probs must differ by at least the margin γ.',
  orpo: 'ORPO: no reference model; the chosen side’s SFT loss plus an odds-ratio penalty weighted by λ.',
  sft: 'Supervised fine-tuning: the next-token loss on the chosen answers only; no comparison at all.',
};
