"""Tensors in and out of files for the parity fixtures: a safetensors writer (F32, F16, BF16), the
values a reader decodes after that rounding, and seeded random weights."""
import json
import math
import struct

import torch

DT = torch.float64


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


def tolist(t):
    return [float(v) for v in t.detach().reshape(-1)]
