"""Sequence log-probs and the preference objectives as TRL computes them (DPOTrainer's
sigmoid/robust/hinge/ipo, CPOTrainer's simpo, ORPOTrainer), the padded test batch and a made-up
reference."""
import torch

from .tensors import DT

# ---------------------------------------------------------------- log-probs and objectives


def seq_logps(logits, ids, mask):
    """Per-sequence (sum, mean) of log p(ids[t] | ids[<t]) over positions t with mask[t] = 1."""
    lp = torch.log_softmax(logits[:, :-1], dim=-1)
    tok = lp.gather(2, ids[:, 1:, None]).squeeze(2)
    m = mask[:, 1:].to(DT)
    s = (tok * m).sum(-1)
    return s, s / m.sum(-1), tok, m


def objective(name, p, pol, ref, nll):
    """pol/ref: dict with 'sum' and 'mean' -> (chosen [B], rejected [B]). Returns loss and metrics.
    TRL semantics: rewards are beta * (policy - reference) (DPO family) or beta * policy (SimPO, ORPO),
    computed on the same log-probs as the loss (means for IPO, SimPO, ORPO)."""
    beta, eps = p['beta'], p.get('label_smoothing', 0.0)
    kind = 'mean' if name in ('ipo', 'simpo', 'orpo') else 'sum'
    pc, pr = pol[kind]
    ls = torch.nn.functional.logsigmoid
    extra = {}
    if name in ('dpo', 'jpo', 'cdpo', 'robust', 'hinge', 'ipo'):
        rc, rr = ref[kind]
        h = (pc - pr) - (rc - rr)
        if name in ('dpo', 'jpo', 'cdpo'):
            losses = -(1 - eps) * ls(beta * h) - eps * ls(-beta * h)
        elif name == 'robust':
            losses = (-(1 - eps) * ls(beta * h) + eps * ls(-beta * h)) / (1 - 2 * eps)
        elif name == 'hinge':
            losses = torch.relu(1 - beta * h)
        else:
            losses = (h - 1 / (2 * beta)) ** 2
        loss = losses.mean()
        r_c, r_r = beta * (pc - rc), beta * (pr - rr)
    elif name == 'simpo':
        logits = (pc - pr) - p['simpo_gamma'] / beta
        loss = (-(1 - eps) * ls(beta * logits) - eps * ls(-beta * logits)).mean()
        r_c, r_r = beta * pc, beta * pr
    elif name == 'orpo':
        log_odds = (pc - pr) - (torch.log1p(-torch.exp(pc)) - torch.log1p(-torch.exp(pr)))
        ratio = ls(log_odds)
        loss = nll - (beta * ratio).mean()
        r_c, r_r = beta * pc, beta * pr
        extra = {'nll_loss': nll.item(), 'log_odds_ratio': ratio.mean().item(), 'log_odds_chosen': log_odds.mean().item()}
    elif name == 'sft':
        return nll, {'logps/chosen': pol['sum'][0].mean().item(), 'nll_loss': nll.item()}
    else:
        raise ValueError(name)
    metrics = {
        'rewards/chosen': r_c.mean().item(),
        'rewards/rejected': r_r.mean().item(),
        'rewards/margins': (r_c - r_r).mean().item(),
        'rewards/accuracies': (r_c > r_r).to(DT).mean().item(),
        'logps/chosen': pc.mean().item(),
        'logps/rejected': pr.mean().item(),
        **extra,
    }
    return loss, metrics


OBJECTIVES = {
    'dpo': {'mode': 'conditional', 'params': {'beta': 0.1}},
    'jpo': {'mode': 'joint', 'params': {'beta': 0.1}},
    'cdpo': {'mode': 'conditional', 'params': {'beta': 0.1, 'label_smoothing': 0.1}},
    'robust': {'mode': 'conditional', 'params': {'beta': 0.1, 'label_smoothing': 0.1}},
    'hinge': {'mode': 'conditional', 'params': {'beta': 0.5}},
    'ipo': {'mode': 'conditional', 'params': {'beta': 0.5}},
    'simpo': {'mode': 'conditional', 'params': {'beta': 2.0, 'simpo_gamma': 0.5}},
    'orpo': {'mode': 'conditional', 'params': {'beta': 0.1}},
    'sft': {'mode': 'conditional', 'params': {'beta': 0.1}},
}


def batch_losses(logits_fn, batch, refs, objectives):
    """Runs the model once per call; returns ({obj: (loss tensor, metrics)}, logps summary)."""
    ids, key_mask = batch['ids'], batch['key_mask']
    P = ids.shape[0] // 2
    logits = logits_fn(ids, key_mask)
    out, summary = {}, {}
    for mode in ('joint', 'conditional'):
        s, m, tok, msk = seq_logps(logits, ids, batch['mask_' + mode])
        summary[mode] = {'sum': s, 'mean': m}
        # Token-mean NLL over the chosen rows (TRL's CrossEntropyLoss over the chosen labels).
        summary[mode]['nll'] = -(tok[:P] * msk[:P]).sum() / msk[:P].sum()
    for name in objectives:
        mode = OBJECTIVES[name]['mode']
        sm = summary[mode]
        pol = {k: (sm[k][:P], sm[k][P:]) for k in ('sum', 'mean')}
        ref = {k: (refs[mode][k][:P], refs[mode][k][P:]) for k in ('sum', 'mean')}
        out[name] = objective(name, OBJECTIVES[name]['params'], pol, ref, sm['nll'])
    return out, summary


# ---------------------------------------------------------------- the batch


def make_batch(gen, vocab):
    # 3 pairs -> 6 rows: chosen rows 0..2, rejected rows 3..5. Right padding with id 0.
    lengths = [12, 9, 7, 10, 12, 5]
    prompt = [4, 3, 5, 4, 6, 2]
    T = 12
    ids = torch.randint(1, vocab, (6, T), generator=gen)
    mask_joint = torch.zeros(6, T)
    mask_cond = torch.zeros(6, T)
    key_mask = torch.zeros(6, T)
    for b, (L, P) in enumerate(zip(lengths, prompt)):
        ids[b, L:] = 0
        key_mask[b, :L] = 1
        mask_joint[b, 1:L] = 1
        mask_cond[b, P:L] = 1
    return {'ids': ids, 'key_mask': key_mask, 'mask_joint': mask_joint, 'mask_conditional': mask_cond}


def refs_for(gen, summary):
    """A made-up reference: the policy's log-probs plus noise (the objectives only see numbers)."""
    out = {}
    for mode in ('joint', 'conditional'):
        out[mode] = {
            k: (summary[mode][k] + torch.randn(summary[mode][k].shape, generator=gen, dtype=DT) * (1.0 if k == 'sum' else 0.1)).detach()
            for k in ('sum', 'mean')
        }
    return out
