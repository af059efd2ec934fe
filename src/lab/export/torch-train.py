#!/usr/bin/env python3
"""An Orchard experiment, exported to PyTorch (>= 1.13, standard library otherwise); see README.md.

Trains every run of spec.json on exactly the micro-batches in pairs.jsonl (Orchard's feed order) with
Orchard's log-probs, losses, metrics, AdamW, schedule, clipping and accumulation (plan.json: what Orchard
resolved). Writes OUT/<run>/ and OUT/metrics.jsonl as `orchard train --out` does. Under torchrun (DDP)
each rank takes a contiguous slice of every micro-batch; the loss is scaled so the averaged gradient
equals the one-process gradient."""
import argparse, array, base64, contextlib, datetime, json, math, os, re, shutil, struct, time
import torch
import torch.distributed as dist
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64}

# ---- safetensors (a small reader and writer, so the `safetensors` package is not needed)
def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header, data = json.loads(f.read(n)), f.read()
    out = {}
    for name, info in ((k, v) for k, v in header.items() if k != "__metadata__"):
        if info["dtype"] not in DTYPES:
            raise SystemExit(f"{path}: tensor {name} is {info['dtype']}; this reader takes {', '.join(DTYPES)}")
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[a:b]), dtype=DTYPES[info["dtype"]]) if b > a else torch.zeros(0)
        out[name] = t.float().reshape(info["shape"])
    return out

def write_safetensors(path, tensors):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        blobs.append(array.array("f", t.detach().to("cpu", torch.float32).reshape(-1).tolist()).tobytes())
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(blobs[-1])]}
        offset += len(blobs[-1])
    text = json.dumps(header, separators=(",", ":"))
    text += " " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text.encode() + b"".join(blobs))

def load_model_dir(d):
    index = os.path.join(d, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    weights = {name: t for f in files for name, t in read_safetensors(os.path.join(d, f)).items()}
    return json.load(open(os.path.join(d, "config.json"))), weights

# ---- Orchard's random generator (sfc32 seeded by splitmix32, src/engine/random.ts): the LoRA init
M32 = 0xFFFFFFFF

class Rng:
    def __init__(self, seed):
        s = seed & M32
        words = []
        for _ in range(4):
            s = (s + 0x9E3779B9) & M32
            z = ((s ^ (s >> 16)) * 0x85EBCA6B) & M32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
            words.append((z ^ (z >> 16)) & M32)
        self.a, self.b, self.c, self.d = words
        for _ in range(12):
            self.u32()

    def u32(self):
        t = (self.a + self.b + self.d) & M32
        self.d = (self.d + 1) & M32
        self.a = self.b ^ (self.b >> 9)
        self.b = (self.c + (self.c << 3)) & M32
        self.c = (((self.c << 21) | (self.c >> 11)) + t) & M32
        return t

    def next(self):  # uniform in [0, 1)
        return self.u32() / 4294967296

# ---- the models: GPT-2 and Llama/Qwen2, as functions of the weights under their file names
class CausalLM(torch.nn.Module):
    def __init__(self, config, weights, lora, device):
        super().__init__()
        self.c, self.w = config, {}
        self.arch = "gpt2" if config["model_type"] == "gpt2" else "llama"
        self.prefix = "transformer." if "transformer.wte.weight" in weights else ""
        for name, t in weights.items():
            t = t.to(device)
            if lora is None:  # full fine-tuning: every weight trains
                t = torch.nn.Parameter(t.clone())
                self.register_parameter(name.replace(".", "__"), t)
            self.w[name] = t
        self.lora, self.adapters, rng = lora, {}, Rng(lora["init_seed"]) if lora else None
        for module, weight, layout in self.linears() if lora else []:
            if targets_module(module, lora["target_modules"]):
                shape = self.w[weight].shape
                n_in, n_out = (shape[0], shape[1]) if layout == "conv1d" else (shape[1], shape[0])
                bound = 1 / math.sqrt(n_in)  # PEFT's kaiming-uniform A, drawn in Orchard's order; B = 0
                a = torch.tensor([(2 * rng.next() - 1) * bound for _ in range(lora["r"] * n_in)], dtype=torch.float32)
                A, B = a.reshape(lora["r"], n_in), torch.zeros(n_out, lora["r"])
                self.adapters[module] = tuple(torch.nn.Parameter(t.to(device)) for t in (A, B))
                for suffix, t in zip("AB", self.adapters[module]):
                    self.register_parameter(f"{module.replace('.', '__')}__{suffix}", t)
        if lora and not self.adapters:
            raise SystemExit(f"LoRA target_modules {lora['target_modules']} match no linear layer")

    def linears(self):
        """(PEFT module path, weight name, layout) of every linear layer, in Orchard's order."""
        if self.arch == "gpt2":
            return [(f"transformer.h.{i}.{m}", f"{self.prefix}h.{i}.{m}.weight", "conv1d") for i in range(self.c["n_layer"])
                    for m in ("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj")]
        return [(f"model.layers.{i}.{m}", f"model.layers.{i}.{m}.weight", "linear") for i in range(self.c["num_hidden_layers"])
                for m in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                          "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")]

    def linear(self, x, module, weight, bias, layout):
        w = self.w[weight]
        y = x @ w if layout == "conv1d" else x @ w.t()
        if bias in self.w:
            y = y + self.w[bias]
        if module in self.adapters:
            A, B = self.adapters[module]
            y = y + self.lora["scaling"] * ((x @ A.t()) @ B.t())
        return y

    def forward(self, ids, key_mask):
        h = self.gpt2(ids, key_mask) if self.arch == "gpt2" else self.llama(ids, key_mask)
        return h @ self.head().t()

    def head(self):  # GPT-2 ties the head to the embeddings unless told not to; Llama only when told to
        embed = f"{self.prefix}wte.weight" if self.arch == "gpt2" else "model.embed_tokens.weight"
        return self.w[embed] if self.c.get("tie_word_embeddings", self.arch == "gpt2") else self.w["lm_head.weight"]

    def gpt2(self, ids, key_mask):
        c, p, w = self.c, self.prefix, self.w
        D, H, T, eps = c["n_embd"], c["n_head"], ids.shape[1], c.get("layer_norm_epsilon", 1e-5)
        ln = lambda x, n: F.layer_norm(x, (D,), w[f"{p}{n}.weight"], w[f"{p}{n}.bias"], eps)
        lin = lambda x, local: self.linear(x, f"transformer.{local}", f"{p}{local}.weight", f"{p}{local}.bias", "conv1d")
        x = F.embedding(ids, w[f"{p}wte.weight"]) + w[f"{p}wpe.weight"][:T]
        for i in range(c["n_layer"]):
            q, k, v = lin(ln(x, f"h.{i}.ln_1"), f"h.{i}.attn.c_attn").split(D, dim=-1)
            x = x + lin(attention(split_heads(q, H), split_heads(k, H), split_heads(v, H), key_mask), f"h.{i}.attn.c_proj")
            x = x + lin(F.gelu(lin(ln(x, f"h.{i}.ln_2"), f"h.{i}.mlp.c_fc"), approximate="tanh"), f"h.{i}.mlp.c_proj")
        return ln(x, "ln_f")

    def llama(self, ids, key_mask):
        c, w = self.c, self.w
        H = c["num_attention_heads"]
        Hkv = c.get("num_key_value_heads") or H
        hd = c.get("head_dim") or c["hidden_size"] // H
        eps, theta = c.get("rms_norm_eps", 1e-6), c.get("rope_theta", 10000.0)
        qwen = c["model_type"] == "qwen2"
        qkv_bias, o_bias = qwen or c.get("attention_bias", False), (not qwen) and c.get("attention_bias", False)
        rms = lambda x, n: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w[n]

        def lin(x, i, local, bias):
            m = f"model.layers.{i}.{local}"
            return self.linear(x, m, f"{m}.weight", f"{m}.bias" if bias else "", "linear")

        inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float32, device=ids.device) / hd))
        angle = torch.arange(ids.shape[1], dtype=torch.float32, device=ids.device)[:, None] * inv_freq[None, :]
        cos, sin = torch.cat([angle.cos()] * 2, -1), torch.cat([angle.sin()] * 2, -1)
        rope = lambda t: t * cos + torch.cat([-t[..., hd // 2:], t[..., : hd // 2]], -1) * sin
        x = F.embedding(ids, w["model.embed_tokens.weight"])
        for i in range(c["num_hidden_layers"]):
            h = rms(x, f"model.layers.{i}.input_layernorm.weight")
            q = rope(split_heads(lin(h, i, "self_attn.q_proj", qkv_bias), H))
            k = rope(split_heads(lin(h, i, "self_attn.k_proj", qkv_bias), Hkv)).repeat_interleave(H // Hkv, 1)
            v = split_heads(lin(h, i, "self_attn.v_proj", qkv_bias), Hkv).repeat_interleave(H // Hkv, 1)
            x = x + lin(attention(q, k, v, key_mask), i, "self_attn.o_proj", o_bias)
            m = rms(x, f"model.layers.{i}.post_attention_layernorm.weight")
            x = x + lin(F.silu(lin(m, i, "mlp.gate_proj", False)) * lin(m, i, "mlp.up_proj", False), i, "mlp.down_proj", False)
        return rms(x, "model.norm.weight")

def targets_module(module, targets):
    """PEFT's target_modules: a full-match regex string, or names matching the whole path or its end."""
    if isinstance(targets, str):
        return re.fullmatch(targets, module) is not None
    return any(module == t or module.endswith("." + t) for t in targets)

def split_heads(x, heads):  # [B, T, heads * d] -> [B, heads, T, d]
    return x.reshape(x.shape[0], x.shape[1], heads, -1).transpose(1, 2)

def attention(q, k, v, key_mask):
    """Causal attention with right padding: key j is visible to query i when j <= i and key_mask[j]."""
    B, H, T, Dh = q.shape
    visible = torch.ones(T, T, dtype=torch.bool, device=q.device).tril() & (key_mask[:, None, None, :] != 0)
    probs = ((q @ k.transpose(-1, -2)) / math.sqrt(Dh)).masked_fill(~visible, float("-inf")).softmax(-1)
    return (probs @ v).transpose(1, 2).reshape(B, T, H * Dh)

# ---- log-probs: token t is predicted from positions < t and counts where its mask is 1
def sequence_logps(model, rows, pad_id, device):
    T = max(len(r["ids"]) for r in rows)
    ids = torch.full((len(rows), T), pad_id, dtype=torch.long)
    mask, key_mask = torch.zeros(len(rows), T), torch.zeros(len(rows), T)
    for b, r in enumerate(rows):
        ids[b, : len(r["ids"])] = torch.tensor(r["ids"])
        mask[b, : len(r["mask"])] = torch.tensor(r["mask"], dtype=torch.float32)
        key_mask[b, : len(r["ids"])] = 1
    ids, mask, key_mask = ids.to(device), mask.to(device), key_mask.to(device)
    logits = model(ids, key_mask)
    logp = logits[:, :-1].log_softmax(-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
    sums = (logp * mask[:, 1:]).sum(1)
    return sums, sums / mask[:, 1:].sum(1).clamp(min=1)  # summed and per-token mean log-probs

# ---- the objectives (TRL's definitions; src/engine/objectives/losses.ts)
def sigmoid_loss(x, eps, sign):
    out = -(1 - eps) * F.logsigmoid(x)
    return out - sign * eps * F.logsigmoid(-x) if eps != 0 else out

def pair_terms(run, pc, pr, rc, rr):
    """Per-pair losses and the per-pair quantities whose batch means are the metrics."""
    name, p = run["objective"], run["params"]
    beta, eps = p["beta"], p["label_smoothing"]
    extra = {}
    if name in ("simpo", "orpo"):
        rew_c, rew_r, diff = beta * pc, beta * pr, pc - pr
        if name == "simpo":
            losses = sigmoid_loss(beta * diff - p["simpo_gamma"], eps, 1)
        else:
            log1m_exp = lambda x: torch.log(1 - torch.exp(x))
            log_odds = diff - (log1m_exp(pc) - log1m_exp(pr))
            ratio = F.logsigmoid(log_odds)
            losses = -beta * ratio
            extra = {"log_odds_ratio": ratio, "log_odds_chosen": log_odds}
    else:
        rew_c, rew_r = beta * (pc - rc), beta * (pr - rr)
        h = (pc - pr) - (rc - rr)
        if name in ("dpo", "jpo", "cdpo"):
            losses = sigmoid_loss(beta * h, eps, 1)
        elif name == "robust":
            losses = sigmoid_loss(beta * h, eps, -1) / (1 - 2 * eps)
        elif name == "hinge":
            losses = torch.relu(1 - beta * h)
        elif name == "ipo":
            losses = (h - 1 / (2 * beta)) ** 2
        else:
            raise SystemExit(f"unknown objective {name}")
    means = {"rewards/chosen": rew_c, "rewards/rejected": rew_r, "rewards/margins": rew_c - rew_r,
             "logps/chosen": pc, "logps/rejected": pr, "rewards/accuracies": (rew_c > rew_r).float(), **extra}
    return losses, means

def lr_at(step, plan, total):
    """transformers' get_{constant,linear,cosine}_schedule_with_warmup (src/engine/optim/schedule.ts)."""
    kind, warm, lr = plan["schedule"]["kind"], plan["schedule"]["warmupSteps"], plan["optimizer"]["lr"]
    if step < warm:
        return lr * step / max(1, warm)
    if kind == "constant":
        return lr
    if kind == "linear":
        return lr * max(0.0, (total - step) / max(1, total - warm))
    return lr * max(0.0, 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm))))

def all_sum(values, world, device):
    t = torch.tensor(values, dtype=torch.float64, device=device)  # nccl reduces device tensors only
    if world > 1:
        dist.all_reduce(t)
    return t.tolist()

def rows_of(pairs):
    return [x["chosen"] for x in pairs] + [x["rejected"] for x in pairs]

def micro_batch_loss(net, run, batch, mine, reference, P, pad, device):
    """This rank's share of the micro-batch loss (the global loss is the sum over ranks) and of each metric."""
    sums, means = sequence_logps(net, rows_of(mine), pad, device)
    n = len(mine)
    pol = means if run["logps"] == "mean" else sums
    pc, pr = pol[:n], pol[n:]
    nll = -sums[:n].sum() / max(1, sum(sum(x["chosen"]["mask"][1:]) for x in batch))  # token mean over all chosen rows
    if run["objective"] == "sft":
        loss, parts = nll, {"logps/chosen": pc.sum().item() / P}
    else:
        ref = torch.tensor([reference[x["pair"]] for x in mine], device=device) if run["uses_reference"] else None
        losses, per_pair = pair_terms(run, pc, pr, *((ref[:, 0], ref[:, 1]) if ref is not None else (None, None)))
        loss = losses.sum() / P + (nll if run["objective"] == "orpo" else 0)
        parts = {k: v.detach().sum().item() / P for k, v in per_pair.items()}
    if run["uses_nll"]:
        parts["nll_loss"] = nll.item()
    return loss, parts

def train_run(run, plan, config, weights, micro_batches, args, dist_info, device):
    rank, world = dist_info
    model = CausalLM(config, weights, plan["lora"], device)
    ids = [device.index] if device.type == "cuda" else None
    net = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids, broadcast_buffers=False) if world > 1 else model
    params = list(model.parameters())
    o = plan["optimizer"]
    opt = torch.optim.AdamW(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"], weight_decay=o["weightDecay"])
    P, accum, pad = run["pairs_per_micro_batch"], plan["grad_accumulation"], plan["pad_id"]
    if P < world:
        raise SystemExit(f"run {run['label']}: {P} pairs per micro-batch cannot be split over {world} processes")
    local = lambda batch: batch[rank * P // world:(rank + 1) * P // world]
    # The reference (the policy before training, frozen): each pair is scored in the micro-batch
    # where it first appears, so at step 1 policy and reference numbers are computed identically.
    reference = {}
    if run["uses_reference"]:
        with torch.no_grad():
            for batch in micro_batches:
                mine = local(batch)
                if any(x["pair"] not in reference for x in mine):
                    logps = sequence_logps(model, rows_of(mine), pad, device)[run["logps"] == "mean"]
                    for j, x in enumerate(mine):
                        reference.setdefault(x["pair"], (logps[j].item(), logps[len(mine) + j].item()))
    lines = []
    for step in range(run["total_steps"]):
        t0, lr = time.time(), lr_at(step, plan, run["total_steps"])
        totals, tokens = {}, 0
        for micro in range(accum):
            batch = micro_batches[step * accum + micro]
            tokens += sum(len(r["ids"]) for r in rows_of(batch))
            with net.no_sync() if world > 1 and micro < accum - 1 else contextlib.nullcontext():
                loss, parts = micro_batch_loss(net, run, batch, local(batch), reference, P, pad, device)
                (loss * world / accum).backward()  # DDP averages over ranks: world / accum gives the global mean
            keys = sorted(parts)
            reduced = all_sum([loss.item()] + [parts[k] for k in keys], world, device)
            for k, v in zip(["loss"] + keys, reduced):
                totals[k] = totals.get(k, 0) + v / accum
        grads = [p.grad for p in params]
        norm = math.sqrt(sum(float(g.double().pow(2).sum()) for g in grads))
        coef = min(1.0, o["maxGradNorm"] / (norm + 1e-6)) if o["maxGradNorm"] else 1.0  # as clip_grad_norm_
        for g in grads:
            g.mul_(coef)
        opt.param_groups[0]["lr"] = lr
        opt.step()
        opt.zero_grad(set_to_none=False)
        metrics = {k: totals[k] for k in sorted(totals) if k != "loss"}
        lines.append({"run": run["label"], "step": step + 1, "objective": run["objective"], "loss": totals["loss"],
                      **metrics, "grad_norm": norm, "learning_rate": lr, "tokens_per_s": tokens / max(time.time() - t0, 1e-9)})
        if rank == 0:
            print(json.dumps(lines[-1]), flush=True)
    if rank == 0:
        save_run(model, run, plan, config, os.path.join(args.out, run["folder"]), args.model)
    return lines

def save_run(model, run, plan, config, folder, model_dir):
    os.makedirs(folder, exist_ok=True)
    if plan["lora"] is not None:
        tensors = {f"base_model.model.{m}.lora_{s}.weight": t for m, ab in model.adapters.items() for s, t in zip("AB", ab)}
        write_safetensors(os.path.join(folder, "adapter_model.safetensors"), tensors)
        with open(os.path.join(folder, "adapter_config.json"), "w") as f:
            f.write(plan["lora"]["adapter_config"])
        return
    write_safetensors(os.path.join(folder, "model.safetensors"), model.w)
    with open(os.path.join(folder, "config.json"), "w") as f:
        f.write(json.dumps(config, indent=2) + "\n")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if os.path.exists(os.path.join(model_dir, name)):
            shutil.copy(os.path.join(model_dir, name), os.path.join(folder, name))

CSV_KEYS = ["loss", "rewards/margins", "rewards/chosen", "rewards/rejected", "rewards/accuracies", "logps/chosen",
            "logps/rejected", "grad_norm", "learning_rate", "tokens_per_s"]

def write_lab_bundle(out, lines, plan, where, seconds):
    """OUT/orchard-run.json: the lab's run file (runs table, Import), so curves overlay the browser's runs."""
    cell = lambda v: "" if v is None or v != v else repr(float(v))
    csv = ["run,step," + ",".join(CSV_KEYS)] + [",".join(['"' + x["run"].replace('"', '""') + '"', str(x["step"])]
                                                        + [cell(x.get(k)) for k in CSV_KEYS]) for x in lines]
    adapters = []
    for run in [r for r in plan["runs"] if plan["lora"] and r["label"] in {x["run"] for x in lines}]:
        with open(os.path.join(out, run["folder"], "adapter_model.safetensors"), "rb") as f:
            weights = base64.b64encode(f.read()).decode()
        adapters.append({"run": run["label"], "files": {"adapter_config.json": plan["lora"]["adapter_config"],
                                                        "adapter_model.safetensors": weights}})
    bundle = {"format": "orchard-run", "version": 1, "createdAt": datetime.datetime.utcnow().isoformat() + "Z",
              "status": "done", "backend": "cpu", "backendNotes": [f"trained by the exported PyTorch project ({where})"],
              "elapsedMs": seconds * 1000, "spec": json.load(open(os.path.join(HERE, "spec.json"))),
              "metricsCsv": "\n".join(csv) + "\n", "evals": [], "samples": [], "adapters": adapters}
    with open(os.path.join(out, "orchard-run.json"), "w") as f:
        json.dump(bundle, f)

def main():
    ap = argparse.ArgumentParser(description="Train the exported Orchard experiment")
    ap.add_argument("--out", default=os.path.join(HERE, "out"), help="output folder (default: ./out)")
    ap.add_argument("--model", default=os.path.join(HERE, "model"), help="Hugging Face model folder")
    ap.add_argument("--runs", help="comma-separated run labels to train (default: all)")
    args = ap.parse_args()
    world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    cuda = torch.cuda.is_available()
    device = torch.device(f"cuda:{os.environ.get('LOCAL_RANK', '0')}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo")  # torchrun set RANK, WORLD_SIZE, MASTER_ADDR
    plan = json.load(open(os.path.join(HERE, "plan.json")))
    config, weights = load_model_dir(args.model)
    feed = {}  # run label -> micro-batches in order -> the pairs fed
    for x in map(json.loads, open(os.path.join(HERE, "pairs.jsonl"))):
        batches = feed.setdefault(x["run"], {})
        batches.setdefault((x["step"] - 1) * plan["grad_accumulation"] + x["micro"], []).append(x)
    if rank == 0:
        os.makedirs(args.out, exist_ok=True)
        shutil.copy(os.path.join(HERE, "spec.json"), os.path.join(args.out, "spec.json"))
    all_lines, t0 = [], time.time()
    for run in [r for r in plan["runs"] if not args.runs or r["label"] in args.runs.split(",")]:
        batches = [b for _, b in sorted(feed[run["label"]].items())]
        all_lines += train_run(run, plan, config, weights, batches, args, (rank, world), device)
    if rank == 0:
        with open(os.path.join(args.out, "metrics.jsonl"), "w") as f:
            f.write("".join(json.dumps(line) + "\n" for line in all_lines))
        write_lab_bundle(args.out, all_lines, plan, f"{device.type} x {world} process(es)", time.time() - t0)
    if world > 1:
        dist.destroy_process_group()

if __name__ == "__main__":
    main()
