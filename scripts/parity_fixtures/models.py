"""Hugging Face's forward passes in plain torch (eager attention, float64): GPT-2 as in
modeling_gpt2.py, and Llama / Qwen2 as in modeling_llama.py / modeling_qwen2.py."""
import math

import torch

from .tensors import DT

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
