#!/usr/bin/python3
"""PyTorch parity fixtures for Orchard's engine (test/fixtures/parity/).

Run with `/usr/bin/python3 scripts/make-fixtures.py` (torch >= 1.13, numpy; no transformers needed).
CI has no torch, so the outputs are committed.

It writes three tiny random models in Hugging Face layout and the numbers the engine must reproduce:
  gpt2/   GPT-2, F32, Hub-style names without the "transformer." prefix, tied LM head, plus the old
          `h.N.attn.bias` causal-mask buffer that loaders must skip; a PEFT LoRA adapter on c_attn
          (gpt2/lora/) with non-zero A and B.
  llama/  Llama, BF16 weights, grouped-query attention (4 heads, 2 kv heads), untied LM head.
  qwen2/  Qwen2, F16 weights in two shards + model.safetensors.index.json, q/k/v biases, 4 heads
          over 1 kv head, tied LM head.
and parity.json: a padded batch of id sequences (chosen rows then rejected rows) with joint and
conditional label masks, per-sequence log-prob sums and means, objective losses and metrics, and
gradients (grads-*.safetensors, F32) of several objectives w.r.t. every parameter.

The model code below re-implements Hugging Face's modeling_gpt2.py / modeling_llama.py /
modeling_qwen2.py forward passes (eager attention) in plain torch, in float64, from the exact
weights stored in the files (BF16/F16 values are rounded first). Objectives follow TRL's
DPOTrainer (sigmoid/robust/hinge/ipo), CPOTrainer (simpo) and ORPOTrainer.
"""
import json
import math
import os
import struct

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'parity')
DT = torch.float64

# ---------------------------------------------------------------- safetensors writer


def save_safetensors(path, tensors, dtype='F32', metadata=None):
    """tensors: list of (name, torch tensor). dtype F32 | F16 | BF16."""
    header = {}
    if metadata:
        header['__metadata__'] = metadata
    blobs = []
    offset = 0
    for name, t in tensors:
        t32 = t.detach().to(torch.float32).contiguous()
        if dtype == 'F32':
            raw = t32.numpy().astype('<f4').tobytes()
        elif dtype == 'F16':
            raw = t32.numpy().astype('<f2').tobytes()
        elif dtype == 'BF16':
            raw = t32.to(torch.bfloat16).view(torch.int16).numpy().astype('<i2').tobytes()
        else:
            raise ValueError(dtype)
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(',', ':'))
    h += ' ' * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h.encode())
        for b in blobs:
            f.write(b)


def stored(t, dtype):
    """The value a reader decodes after storing t with dtype, as float64."""
    if dtype == 'F16':
        return t.to(torch.float16).to(DT)
    if dtype == 'BF16':
        return t.to(torch.bfloat16).to(DT)
    return t.to(torch.float32).to(DT)


# ---------------------------------------------------------------- random weights


def rand_weights(spec, gen):
    """spec: list of (name, shape, kind) with kind in {'w', 'emb', 'norm', 'bias'}."""
    out = {}
    for name, shape, kind in spec:
        n = torch.randn(*shape, generator=gen, dtype=torch.float32)
        if kind == 'norm':
            out[name] = 1 + 0.1 * n
        elif kind == 'bias':
            out[name] = 0.1 * n
        elif kind == 'emb':
            out[name] = 0.5 * n
        else:
            out[name] = n / math.sqrt(shape[0] if len(shape) == 2 else 1) * 0.8
    return out


# ---------------------------------------------------------------- GPT-2 (modeling_gpt2.py)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def attend(q, k, v, key_mask):
    """Eager attention as HF writes it: scores / sqrt(d), causal mask to finfo.min, additive padding
    mask (1 - mask) * finfo.min, softmax, weighted values. q, k, v: [B, H, T, D]."""
    T = q.shape[2]
    w = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(v.shape[-1])
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    minv = torch.finfo(w.dtype).min
    w = torch.where(causal, w, torch.tensor(minv, dtype=w.dtype))
    w = w + (1.0 - key_mask[:, None, None, :].to(w.dtype)) * minv
    w = torch.softmax(w, dim=-1)
    return torch.matmul(w, v)


def gpt2_spec(c, prefix=''):
    D, I = c['n_embd'], c['n_inner'] or 4 * c['n_embd']
    s = [(prefix + 'wte.weight', (c['vocab_size'], D), 'emb'), (prefix + 'wpe.weight', (c['n_positions'], D), 'emb')]
    for i in range(c['n_layer']):
        p = f'{prefix}h.{i}.'
        s += [
            (p + 'ln_1.weight', (D,), 'norm'), (p + 'ln_1.bias', (D,), 'bias'),
            (p + 'attn.c_attn.weight', (D, 3 * D), 'w'), (p + 'attn.c_attn.bias', (3 * D,), 'bias'),
            (p + 'attn.c_proj.weight', (D, D), 'w'), (p + 'attn.c_proj.bias', (D,), 'bias'),
            (p + 'ln_2.weight', (D,), 'norm'), (p + 'ln_2.bias', (D,), 'bias'),
            (p + 'mlp.c_fc.weight', (D, I), 'w'), (p + 'mlp.c_fc.bias', (I,), 'bias'),
            (p + 'mlp.c_proj.weight', (I, D), 'w'), (p + 'mlp.c_proj.bias', (D,), 'bias'),
        ]
    s += [(prefix + 'ln_f.weight', (D,), 'norm'), (prefix + 'ln_f.bias', (D,), 'bias')]
    return s


def conv1d(x, w, b):
    return torch.addmm(b, x.reshape(-1, x.shape[-1]), w).reshape(*x.shape[:-1], w.shape[1])


def gpt2_logits(c, W, ids, key_mask, lora=None, prefix=''):
    """lora: {'r', 'alpha', 'A': {layer: tensor}, 'B': {...}} on c_attn (PEFT Linear on Conv1D with
    fan_in_fan_out: y = base(x) + (x @ A^T @ B^T) * alpha / r)."""
    B, T = ids.shape
    D, H = c['n_embd'], c['n_head']
    hd = D // H
    eps = c['layer_norm_epsilon']
    x = W[prefix + 'wte.weight'][ids] + W[prefix + 'wpe.weight'][torch.arange(T)][None]
    for i in range(c['n_layer']):
        p = f'{prefix}h.{i}.'
        h = layer_norm(x, W[p + 'ln_1.weight'], W[p + 'ln_1.bias'], eps)
        qkv = conv1d(h, W[p + 'attn.c_attn.weight'], W[p + 'attn.c_attn.bias'])
        if lora is not None:
            qkv = qkv + (h @ lora['A'][i].T @ lora['B'][i].T) * (lora['alpha'] / lora['r'])
        q, k, v = qkv.split(D, dim=2)
        sh = lambda t: t.view(B, T, H, hd).permute(0, 2, 1, 3)  # noqa: E731
        a = attend(sh(q), sh(k), sh(v), key_mask).permute(0, 2, 1, 3).reshape(B, T, D)
        x = x + conv1d(a, W[p + 'attn.c_proj.weight'], W[p + 'attn.c_proj.bias'])
        h = layer_norm(x, W[p + 'ln_2.weight'], W[p + 'ln_2.bias'], eps)
        m = gelu_new(conv1d(h, W[p + 'mlp.c_fc.weight'], W[p + 'mlp.c_fc.bias']))
        x = x + conv1d(m, W[p + 'mlp.c_proj.weight'], W[p + 'mlp.c_proj.bias'])
    x = layer_norm(x, W[prefix + 'ln_f.weight'], W[prefix + 'ln_f.bias'], eps)
    return x @ W[prefix + 'wte.weight'].T


# ---------------------------------------------------------------- Llama / Qwen2 (modeling_llama.py)


def llama_spec(c):
    D, I, V = c['hidden_size'], c['intermediate_size'], c['vocab_size']
    hd = c.get('head_dim') or D // c['num_attention_heads']
    qd, kvd = c['num_attention_heads'] * hd, c['num_key_value_heads'] * hd
    qkv_bias = c['model_type'] == 'qwen2' or c.get('attention_bias', False)
    o_bias = c['model_type'] != 'qwen2' and c.get('attention_bias', False)
    s = [('model.embed_tokens.weight', (V, D), 'emb')]
    for i in range(c['num_hidden_layers']):
        p = f'model.layers.{i}.'
        s += [(p + 'input_layernorm.weight', (D,), 'norm')]
        for name, out in (('q_proj', qd), ('k_proj', kvd), ('v_proj', kvd)):
            s += [(p + f'self_attn.{name}.weight', (out, D), 'w')]
            if qkv_bias:
                s += [(p + f'self_attn.{name}.bias', (out,), 'bias')]
        s += [(p + 'self_attn.o_proj.weight', (D, qd), 'w')]
        if o_bias:
            s += [(p + 'self_attn.o_proj.bias', (D,), 'bias')]
        s += [
            (p + 'post_attention_layernorm.weight', (D,), 'norm'),
            (p + 'mlp.gate_proj.weight', (I, D), 'w'),
            (p + 'mlp.up_proj.weight', (I, D), 'w'),
            (p + 'mlp.down_proj.weight', (D, I), 'w'),
        ]
    s += [('model.norm.weight', (D,), 'norm')]
    if not c['tie_word_embeddings']:
        s += [('lm_head.weight', (V, D), 'w')]
    return s


def rms_norm(x, w, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rope(x, theta):
    T, d = x.shape[2], x.shape[3]
    inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=DT) / d))
    freqs = torch.outer(torch.arange(T, dtype=DT), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return x * emb.cos()[None, None] + rotate_half(x) * emb.sin()[None, None]


def linear(x, W, name):
    y = x @ W[name + '.weight'].T
    return y + W[name + '.bias'] if name + '.bias' in W else y


def llama_logits(c, W, ids, key_mask):
    B, T = ids.shape
    H, KV = c['num_attention_heads'], c['num_key_value_heads']
    hd = c.get('head_dim') or c['hidden_size'] // H
    eps, theta = c['rms_norm_eps'], c['rope_theta']
    x = W['model.embed_tokens.weight'][ids]
    for i in range(c['num_hidden_layers']):
        p = f'model.layers.{i}.'
        h = rms_norm(x, W[p + 'input_layernorm.weight'], eps)
        q = linear(h, W, p + 'self_attn.q_proj').view(B, T, H, hd).transpose(1, 2)
        k = linear(h, W, p + 'self_attn.k_proj').view(B, T, KV, hd).transpose(1, 2)
        v = linear(h, W, p + 'self_attn.v_proj').view(B, T, KV, hd).transpose(1, 2)
        q, k = rope(q, theta), rope(k, theta)
        k = k.repeat_interleave(H // KV, dim=1)  # HF repeat_kv: head h reads kv head h // rep
        v = v.repeat_interleave(H // KV, dim=1)
        a = attend(q, k, v, key_mask).transpose(1, 2).reshape(B, T, H * hd)
        x = x + linear(a, W, p + 'self_attn.o_proj')
        h = rms_norm(x, W[p + 'post_attention_layernorm.weight'], eps)
        gate = linear(h, W, p + 'mlp.gate_proj')
        x = x + linear(torch.nn.functional.silu(gate) * linear(h, W, p + 'mlp.up_proj'), W, p + 'mlp.down_proj')
    x = rms_norm(x, W['model.norm.weight'], eps)
    head = W['model.embed_tokens.weight'] if c['tie_word_embeddings'] else W['lm_head.weight']
    return x @ head.T


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


def tolist(t):
    return [float(v) for v in t.detach().reshape(-1)]


# ---------------------------------------------------------------- main


def write_model(name, config, spec, weights, dtype, shards=1, extra=None):
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2)
    tensors = [(n, weights[n]) for n, _, _ in spec] + (extra or [])
    for stale in os.listdir(d):
        if stale.startswith('model') and stale.endswith(('.safetensors', '.json')):
            os.remove(os.path.join(d, stale))
    if shards == 1:
        save_safetensors(os.path.join(d, 'model.safetensors'), tensors, dtype, {'format': 'pt'})
    else:
        per = math.ceil(len(tensors) / shards)
        weight_map = {}
        for s in range(shards):
            fname = f'model-{s + 1:05d}-of-{shards:05d}.safetensors'
            part = tensors[s * per:(s + 1) * per]
            save_safetensors(os.path.join(d, fname), part, dtype, {'format': 'pt'})
            weight_map.update({n: fname for n, _ in part})
        with open(os.path.join(d, 'model.safetensors.index.json'), 'w') as f:
            json.dump({'metadata': {'total_size': 0}, 'weight_map': weight_map}, f, indent=2)
    # The engine reads the stored (rounded) values; compute with exactly those.
    return {n: stored(weights[n], dtype).requires_grad_(True) for n, _, _ in spec}


def grads_of(loss, W, path):
    gs = torch.autograd.grad(loss, list(W.values()), allow_unused=True, retain_graph=True)
    tensors = [(n, g if g is not None else torch.zeros_like(W[n])) for n, g in zip(W.keys(), gs)]
    save_safetensors(os.path.join(ROOT, path), tensors, 'F32')
    return path


def main():
    os.makedirs(ROOT, exist_ok=True)
    gen = torch.Generator().manual_seed(1234)
    V = 64
    batch = make_batch(gen, V)
    fixture = {
        'note': 'Generated by scripts/make-fixtures.py (PyTorch float64). Do not edit by hand.',
        'batch': {
            'ids': batch['ids'].tolist(),
            'keyMask': batch['key_mask'].tolist(),
            'maskJoint': batch['mask_joint'].tolist(),
            'maskConditional': batch['mask_conditional'].tolist(),
            'pairs': 3,
        },
        'objectives': {k: v for k, v in OBJECTIVES.items()},
        'models': {},
    }

    # ---- GPT-2: F32, Hub-style names, tied head, old attn.bias buffer.
    gcfg = {
        'model_type': 'gpt2', 'architectures': ['GPT2LMHeadModel'], 'vocab_size': V, 'n_positions': 16,
        'n_embd': 16, 'n_layer': 2, 'n_head': 2, 'n_inner': None, 'activation_function': 'gelu_new',
        'layer_norm_epsilon': 1e-5, 'tie_word_embeddings': True, 'scale_attn_weights': True,
        'bos_token_id': 63, 'eos_token_id': 63,
    }
    gspec = gpt2_spec(gcfg)
    gw = rand_weights(gspec, gen)
    causal_buf = [(f'h.{i}.attn.bias', torch.tril(torch.ones(16, 16)).view(1, 1, 16, 16)) for i in range(2)]
    GW = write_model('gpt2', gcfg, gspec, gw, 'F32', extra=causal_buf)
    names = list(OBJECTIVES.keys())
    fn = lambda ids, km: gpt2_logits(gcfg, GW, ids, km)  # noqa: E731
    _, summary0 = batch_losses(fn, batch, {m: {'sum': torch.zeros(6, dtype=DT), 'mean': torch.zeros(6, dtype=DT)} for m in ('joint', 'conditional')}, [])
    refs = refs_for(gen, summary0)
    fixture['ref'] = {m: {k: tolist(refs[m][k]) for k in ('sum', 'mean')} for m in refs}
    res, summary = batch_losses(fn, batch, refs, names)
    entry = {
        'dir': 'gpt2',
        'logps': {m: {k: tolist(summary[m][k]) for k in ('sum', 'mean')} for m in summary},
        'losses': {n: {'loss': res[n][0].item(), 'metrics': res[n][1]} for n in names},
        'grads': {},
    }
    for n in ('dpo', 'orpo', 'ipo'):
        entry['grads'][n] = grads_of(res[n][0], GW, f'gpt2/grads-{n}.safetensors')

    # ---- GPT-2 + LoRA on c_attn (PEFT files), base frozen: grads w.r.t. A and B only.
    r, alpha = 4, 8
    lora_dir = os.path.join(ROOT, 'gpt2', 'lora')
    os.makedirs(lora_dir, exist_ok=True)
    A = [(torch.rand(r, 16, generator=gen) * 2 - 1) / 4 for _ in range(2)]
    Bm = [torch.randn(48, r, generator=gen) * 0.3 for _ in range(2)]
    lora_tensors = []
    for i in range(2):
        lora_tensors += [
            (f'base_model.model.transformer.h.{i}.attn.c_attn.lora_A.weight', A[i]),
            (f'base_model.model.transformer.h.{i}.attn.c_attn.lora_B.weight', Bm[i]),
        ]
    save_safetensors(os.path.join(lora_dir, 'adapter_model.safetensors'), lora_tensors, 'F32', {'format': 'pt'})
    with open(os.path.join(lora_dir, 'adapter_config.json'), 'w') as f:
        json.dump({
            'base_model_name_or_path': 'gpt2', 'bias': 'none', 'fan_in_fan_out': True, 'inference_mode': True,
            'lora_alpha': alpha, 'lora_dropout': 0.0, 'modules_to_save': None, 'peft_type': 'LORA', 'r': r,
            'target_modules': ['c_attn'], 'task_type': 'CAUSAL_LM', 'use_rslora': False, 'use_dora': False,
        }, f, indent=2)
    LW = {n: t.to(DT).requires_grad_(True) for n, t in lora_tensors}
    lora = {'r': r, 'alpha': alpha,
            'A': [LW[f'base_model.model.transformer.h.{i}.attn.c_attn.lora_A.weight'] for i in range(2)],
            'B': [LW[f'base_model.model.transformer.h.{i}.attn.c_attn.lora_B.weight'] for i in range(2)]}
    GWd = {n: t.detach() for n, t in GW.items()}
    lres, lsum = batch_losses(lambda ids, km: gpt2_logits(gcfg, GWd, ids, km, lora), batch, refs, ['dpo'])
    entry['lora'] = {
        'dir': 'gpt2/lora',
        'logps': {m: {k: tolist(lsum[m][k]) for k in ('sum', 'mean')} for m in lsum},
        'loss': lres['dpo'][0].item(),
        'grads': {'dpo': grads_of(lres['dpo'][0], LW, 'gpt2/lora/grads-dpo.safetensors')},
    }
    fixture['models']['gpt2'] = entry

    # ---- Llama: BF16, GQA 4/2, untied. Qwen2: F16, 2 shards, biases, GQA 4/1, tied.
    lcfg = {
        'model_type': 'llama', 'architectures': ['LlamaForCausalLM'], 'vocab_size': V, 'hidden_size': 16,
        'intermediate_size': 24, 'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 2,
        'max_position_embeddings': 64, 'rms_norm_eps': 1e-6, 'rope_theta': 10000.0, 'rope_scaling': None,
        'attention_bias': False, 'hidden_act': 'silu', 'tie_word_embeddings': False,
    }
    qcfg = {
        'model_type': 'qwen2', 'architectures': ['Qwen2ForCausalLM'], 'vocab_size': V, 'hidden_size': 16,
        'intermediate_size': 32, 'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 1,
        'max_position_embeddings': 64, 'rms_norm_eps': 1e-6, 'rope_theta': 1000000.0, 'rope_scaling': None,
        'hidden_act': 'silu', 'tie_word_embeddings': True, 'use_sliding_window': False, 'sliding_window': 32,
    }
    for name, cfg, dtype, shards, grad_objs in (
        ('llama', lcfg, 'BF16', 1, ('jpo', 'hinge')),
        ('qwen2', qcfg, 'F16', 2, ('simpo', 'sft')),
    ):
        spec = llama_spec(cfg)
        W = write_model(name, cfg, spec, rand_weights(spec, gen), dtype, shards)
        res, summary = batch_losses(lambda ids, km: llama_logits(cfg, W, ids, km), batch, refs, names)
        fixture['models'][name] = {
            'dir': name,
            'logps': {m: {k: tolist(summary[m][k]) for k in ('sum', 'mean')} for m in summary},
            'losses': {n: {'loss': res[n][0].item(), 'metrics': res[n][1]} for n in names},
            'grads': {n: grads_of(res[n][0], W, f'{name}/grads-{n}.safetensors') for n in grad_objs},
        }

    with open(os.path.join(ROOT, 'parity.json'), 'w') as f:
        json.dump(fixture, f, indent=1)
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(ROOT) for fn in fns)
    print(f'wrote {ROOT} ({total / 1024:.0f} KiB)')


if __name__ == '__main__':
    main()
