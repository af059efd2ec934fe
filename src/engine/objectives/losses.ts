/**
 * Preference objectives as graph nodes (so they run on any backend and autodiff differentiates
 * them), with TRL's exact definitions. Inputs are per-pair policy log-probs (chosen, rejected: [P])
 * of the kind the objective uses (sums or per-token means), the reference's when it has one, and
 * the token-mean NLL of the chosen rows for ORPO/SFT.
 *
 * | name   | TRL                          | per-pair loss (h = (πc − πr) − (refc − refr))        | log-probs | rewards        |
 * |--------|------------------------------|------------------------------------------------------|-----------|----------------|
 * | dpo    | DPOTrainer loss_type=sigmoid | −(1−ε) logσ(βh) − ε logσ(−βh)   (ε = 0 by default)   | sums      | β(π − ref)     |
 * | jpo    | same, on joint masks         | same as dpo                                          | sums      | β(π − ref)     |
 * | cdpo   | sigmoid with label_smoothing | same as dpo, ε = 0.1 by default                      | sums      | β(π − ref)     |
 * | robust | loss_type=robust             | [−(1−ε) logσ(βh) + ε logσ(−βh)] / (1 − 2ε)           | sums      | β(π − ref)     |
 * | hinge  | loss_type=hinge              | relu(1 − βh)                                         | sums      | β(π − ref)     |
 * | ipo    | loss_type=ipo                | (h − 1/(2β))²                                        | means     | β(π − ref)     |
 * | simpo  | CPOTrainer loss_type=simpo   | −(1−ε) logσ(βu) − ε logσ(−βu), u = πc − πr − γ/β    | means     | β π            |
 * |        | (cpo_alpha = 0)              | (no reference)                                       |           |                |
 * | orpo   | ORPOTrainer                  | batch: NLL − β · mean logσ(o), o = (πc − πr)          | means     | β π            |
 * |        |                              |   − (log(1 − e^πc) − log(1 − e^πr))                  |           |                |
 * | sft    | SFTTrainer                   | batch: NLL (token mean over the chosen responses)     | —         | —              |
 *
 * The batch loss is the mean of the per-pair losses (plus the NLL for ORPO). Metrics use TRL's
 * names: rewards/{chosen,rejected,margins} (batch means), logps/{chosen,rejected} (means of the
 * log-probs the loss used); rewards/accuracies (fraction with reward_c > reward_r, ties count as 0)
 * is computed on the host from the per-pair rewards (metrics.ts), since it is a comparison.
 * ORPO adds nll_loss, log_odds_ratio (mean logσ(o)) and log_odds_chosen (mean o).
 * Difference from TRL's ORPO: its NLL covers the whole chosen sequence (prompt included); here it
 * covers the tokens of the chosen label mask (the response in conditional mode), as the ORPO paper writes it.
 */
import type { Graph, Node } from '../graph.ts';

export type ObjectiveName = 'jpo' | 'dpo' | 'cdpo' | 'robust' | 'hinge' | 'ipo' | 'simpo' | 'orpo' | 'sft';

export interface ObjectiveParams {
  beta: number;
  /** ε of cDPO / robust DPO / SimPO (TRL's label_smoothing). */
  labelSmoothing: number;
  /** SimPO's target margin γ (TRL's simpo_gamma). */
  simpoGamma: number;
}

export interface PairLogps {
  chosen: Node;
  rejected: Node;
}

export interface ObjectiveNodes {
  /** Scalar [1]: the batch loss. */
  loss: Node;
  /** Scalar [1] metric nodes under TRL's names. */
  metrics: Record<string, Node>;
  /** Per-pair rewards [P] (for rewards/accuracies on the host); absent for sft. */
  rewards?: PairLogps;
}

export function buildLoss(
  g: Graph,
  name: ObjectiveName,
  p: ObjectiveParams,
  policy: PairLogps,
  ref: PairLogps | null,
  nll: Node | null,
): ObjectiveNodes {
  const { beta } = p;
  const P = policy.chosen.shape[0];
  const mean = (x: Node) => g.scale(g.sumAll(x), 1 / P);
  const needRef = (): PairLogps => {
    if (!ref) throw new Error(`buildLoss: objective ${name} needs reference log-probs; pass the REF_INPUTS nodes`);
    return ref;
  };
  const needNll = (): Node => {
    if (!nll) {
      throw new Error(`buildLoss: objective ${name} needs the chosen rows' NLL; build the log-probs with 'nll'`);
    }
    return nll;
  };
  const sigmoidLoss = (x: Node, eps: number, sign: 1 | -1): Node => {
    // −(1−ε) logσ(βx) ∓ ε logσ(−βx), for x already multiplied by β.
    let out = g.scale(g.unary(x, 'log_sigmoid'), -(1 - eps));
    if (eps !== 0) out = g.add(out, g.scale(g.unary(g.scale(x, -1), 'log_sigmoid'), -sign * eps));
    return out;
  };

  if (name === 'sft') {
    const loss = needNll();
    return { loss, metrics: { nll_loss: loss, 'logps/chosen': mean(policy.chosen) } };
  }

  let losses: Node;
  let rewards: PairLogps;
  const extra: Record<string, Node> = {};
  if (name === 'simpo' || name === 'orpo') {
    rewards = { chosen: g.scale(policy.chosen, beta), rejected: g.scale(policy.rejected, beta) };
    const diff = g.sub(policy.chosen, policy.rejected);
    if (name === 'simpo') {
      const u = g.sub(g.scale(diff, beta), constantLike(g, diff, p.simpoGamma));
      losses = sigmoidLoss(u, p.labelSmoothing, 1);
    } else {
      // log(1 − e^x) through log1mexp: TRL's log1p(−exp(x)) form, stable as a mean log-prob x → 0.
      const log1mExp = (x: Node) => g.unary(x, 'log1mexp');
      const logOdds = g.sub(diff, g.sub(log1mExp(policy.chosen), log1mExp(policy.rejected)));
      const ratio = g.unary(logOdds, 'log_sigmoid');
      losses = g.scale(ratio, -beta);
      extra.nll_loss = needNll();
      extra.log_odds_ratio = mean(ratio);
      extra.log_odds_chosen = mean(logOdds);
    }
  } else {
    const r = needRef();
    rewards = {
      chosen: g.scale(g.sub(policy.chosen, r.chosen), beta),
      rejected: g.scale(g.sub(policy.rejected, r.rejected), beta),
    };
    const h = g.sub(g.sub(policy.chosen, policy.rejected), g.sub(r.chosen, r.rejected));
    const bh = g.scale(h, beta);
    if (name === 'dpo' || name === 'jpo' || name === 'cdpo') {
      losses = sigmoidLoss(bh, p.labelSmoothing, 1);
    } else if (name === 'robust') {
      if (p.labelSmoothing >= 0.5) {
        throw new Error(`objective robust needs label smoothing ε < 0.5 (got ${p.labelSmoothing})`);
      }
      losses = g.scale(sigmoidLoss(bh, p.labelSmoothing, -1), 1 / (1 - 2 * p.labelSmoothing));
    } else if (name === 'hinge') {
      losses = g.unary(g.sub(constantLike(g, bh, 1), bh), 'relu');
    } else if (name === 'ipo') {
      losses = g.unary(g.sub(h, constantLike(g, h, 1 / (2 * beta))), 'square');
    } else {
      throw new Error(`unknown objective "${name}"`);
    }
  }

  let loss = mean(losses);
  if (name === 'orpo') loss = g.add(loss, needNll());
  const metrics: Record<string, Node> = {
    'rewards/chosen': mean(rewards.chosen),
    'rewards/rejected': mean(rewards.rejected),
    'rewards/margins': mean(g.sub(rewards.chosen, rewards.rejected)),
    'logps/chosen': mean(policy.chosen),
    'logps/rejected': mean(policy.rejected),
    ...extra,
  };
  return { loss, metrics, rewards };
}

/**
 * A tensor of `value` with x's shape, built from x itself: exp(0 · x) = 1. The catalogue has no
 * constant op and objectives need a few (hinge's 1, IPO's 1/(2β), SimPO's γ);
 * autodiff sends a zero gradient through the `· 0`. x must be finite (log-probs are).
 */
export function constantLike(g: Graph, x: Node, value: number): Node {
  const ones = g.unary(g.scale(x, 0), 'exp');
  return value === 1 ? ones : g.scale(ones, value);
}
