/**
 * The benchmark's training step written in TensorFlow.js, to be timed against Orchard's: the same
 * GPT-2 (learned positions, pre-LayerNorm blocks, fused c_attn, causal attention with a key mask,
 * tanh GELU, LM head tied to wte), optional LoRA on c_attn, a DPO loss on summed response
 * log-probs against precomputed reference log-probs, global grad-norm clipping and AdamW (torch
 * semantics, as Orchard's `adamw` op), all from the workload's arrays.
 *
 * Written the way a TF.js user would: tf.variableGrads over the trainable variables, one tf.tidy
 * per step, no host round trip except the loss at the end of the step. The token log-prob is a
 * tf.customGrad (gather forward, onehot - softmax backward) because differentiating a gather needs
 * UnsortedSegmentSum, which the wasm backend lacks; the embedding lookup has the same problem, so
 * on such backends it becomes a one-hot matmul.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DPO_BETA, HYPER } from '../cases.ts';
import type { Workload } from '../workload.ts';

export interface TfjsStep {
  /**
   * Queues one optimizer step and returns at once (on asynchronous backends); the promise resolves
   * with the step's loss once it is read back.
   */
  step(): Promise<number>;
  /** Summed response log-probs of every row at the current weights. */
  rowLogps(): Promise<number[]>;
  /** Runs one step under tf.profile: kernels launched and the peak bytes of live tensors. */
  profileStep(): Promise<{ kernels: number; peakBytes: number }>;
  dispose(): void;
}

const GPT2_LN_EPS = 1e-5;
/** Masked attention logits; exp underflows to exactly 0, as Orchard's masked keys. */
const MASKED = -1e9;

export interface TfjsStepOptions {
  /** How wte is looked up (default: gather where the backend can differentiate it, else onehot). */
  embedding?: 'gather' | 'onehot';
}

export function createTfjsStep(w: Workload, runId: string, opts: TfjsStepOptions = {}): TfjsStep {
  const c = w.config;
  const { B, T } = w;
  const P = w.bench.pairs;
  const D = c.hiddenSize;
  const H = c.numHeads;
  const hd = c.headDim;
  const V = c.vocabSize;
  const N = B * T;
  const trainable = new Set(w.trainable);
  const owned: tf.Tensor[] = [];
  const keep = <X extends tf.Tensor>(x: X): X => {
    owned.push(x);
    return x;
  };

  // Weights: trainable ones as variables (AdamW state beside them), frozen ones as constants.
  const weights = new Map<string, tf.Tensor>();
  const vars: tf.Variable[] = [];
  const moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();
  let varIndex = 0;
  for (const [name, data] of w.init) {
    const shape = w.model.shapes.get(name) ?? loraShape(name, w);
    const value = tf.tensor(data, shape, 'float32');
    if (trainable.has(name)) {
      const v = tf.variable(value, true, `${runId}/${varIndex++}`);
      value.dispose();
      vars.push(v);
      weights.set(name, v);
      const zeros = () => tf.tidy(() => tf.variable(tf.zerosLike(v), false));
      moments.set(v.name, { m: zeros(), v: zeros() });
    } else {
      weights.set(name, keep(value));
    }
  }
  const weight = (name: string): tf.Tensor => {
    const t = weights.get(name);
    if (!t) throw new Error(`tfjs gpt2: no weight "${name}" in the workload`);
    return t;
  };

  // Batch constants, built once.
  const f = w.feeds;
  const ids = keep(tf.tensor1d(f.ids as Int32Array, 'int32'));
  const keyMask = f.keyMask as Float32Array;
  const bias = new Float32Array(B * T * T);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < T; i++)
      for (let j = 0; j < T; j++) bias[(b * T + i) * T + j] = j <= i && keyMask[b * T + j] !== 0 ? 0 : MASKED;
  const maskBias = keep(tf.tensor4d(bias, [B, 1, T, T]));
  const targets = Int32Array.from(f.targets as Int32Array, (t) => Math.max(t, 0));
  const flatTargets = keep(
    tf.tensor1d(
      Int32Array.from(targets, (t, n) => n * V + t),
      'int32',
    ),
  );
  const targetIds = keep(tf.tensor1d(targets, 'int32'));
  const labelMask = keep(tf.tensor2d(f.labelMask as Float32Array, [B, T]));
  const refMargin = (() => {
    const rc = f['ref/chosen'] as Float32Array;
    const rr = f['ref/rejected'] as Float32Array;
    return keep(tf.tensor1d(Float32Array.from(rc, (x, i) => x - rr[i])));
  })();

  // A frozen wte (LoRA) needs no gradient, so gather works on every backend.
  const gatherOk =
    !trainable.has('transformer.wte.weight') || tf.getKernel('UnsortedSegmentSum', tf.getBackend()) !== undefined;
  const embedding = opts.embedding ?? (gatherOk ? 'gather' : 'onehot');
  const oneHotIds = embedding === 'gather' ? null : keep(floatOneHot(ids, V));

  /** logits [N, V] -> log_softmax(logits)[n, target[n]], with Orchard's fused gradient. */
  const tokenLogps = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [logits, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const logSm = tf.logSoftmax(logits);
    save([logSm]);
    return {
      value: tf.gather(tf.reshape(logSm, [N * V]), flatTargets),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const softmax = tf.exp(saved[0]);
        const onehot = floatOneHot(targetIds, V);
        return tf.mul(tf.sub(onehot, softmax), tf.reshape(dy, [N, 1]));
      },
    };
  });

  const layerNorm = (x: tf.Tensor2D, prefix: string): tf.Tensor2D => {
    const { mean, variance } = tf.moments(x, -1, true);
    const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, GPT2_LN_EPS)));
    return tf.add(tf.mul(xhat, weight(`${prefix}.weight`)), weight(`${prefix}.bias`)) as tf.Tensor2D;
  };

  const linear = (x: tf.Tensor2D, module: string): tf.Tensor2D => {
    let y = tf.add(tf.matMul(x, weight(`${module}.weight`) as tf.Tensor2D), weight(`${module}.bias`)) as tf.Tensor2D;
    const a = weights.get(`base_model.model.${module}.lora_A.weight`);
    const b = weights.get(`base_model.model.${module}.lora_B.weight`);
    if (a && b) {
      const delta = tf.matMul(tf.matMul(x, a as tf.Tensor2D, false, true), b as tf.Tensor2D, false, true);
      y = tf.add(y, tf.mul(delta, w.loraScale));
    }
    return y;
  };

  const geluTanh = (x: tf.Tensor): tf.Tensor => {
    const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  };

  const heads = (x: tf.Tensor): tf.Tensor4D => tf.transpose(tf.reshape(x, [B, T, H, hd]), [0, 2, 1, 3]);

  const attention = (qkv: tf.Tensor2D): tf.Tensor2D => {
    const [q, k, v] = tf.split(qkv, 3, 1).map(heads);
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)), maskBias);
    const out = tf.matMul(tf.softmax(scores), v);
    return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [N, D]);
  };

  /** Summed response log-prob of every row [B]. */
  const sequenceLogps = (): tf.Tensor1D => {
    const wte = weight('transformer.wte.weight') as tf.Tensor2D;
    const embedded = oneHotIds ? tf.matMul(oneHotIds as tf.Tensor2D, wte) : tf.gather(wte, ids);
    const positions = tf.slice(weight('transformer.wpe.weight'), [0, 0], [T, D]);
    let x = tf.reshape(tf.add(tf.reshape(embedded, [B, T, D]), positions), [N, D]) as tf.Tensor2D;
    for (let i = 0; i < c.numLayers; i++) {
      const p = `transformer.h.${i}`;
      x = tf.add(x, linear(attention(linear(layerNorm(x, `${p}.ln_1`), `${p}.attn.c_attn`)), `${p}.attn.c_proj`));
      const hidden = geluTanh(linear(layerNorm(x, `${p}.ln_2`), `${p}.mlp.c_fc`)) as tf.Tensor2D;
      x = tf.add(x, linear(hidden, `${p}.mlp.c_proj`));
    }
    const logits = tf.matMul(layerNorm(x, 'transformer.ln_f'), wte, false, true);
    const perToken = tf.reshape(tokenLogps(logits), [B, T]);
    return tf.sum(tf.mul(perToken, labelMask), 1);
  };

  const dpoLoss = (): tf.Scalar => {
    const rows = sequenceLogps();
    const margin = tf.sub(tf.sub(tf.slice(rows, 0, P), tf.slice(rows, P, P)), refMargin);
    // -log sigmoid(x) = softplus(-x); tf.logSigmoid's gradient reads a tensor that variableGrads has disposed.
    return tf.mean(tf.softplus(tf.mul(margin, -DPO_BETA)));
  };

  let t = 0;
  const h = HYPER;
  /** Forward, backward, clip and AdamW, enqueued; returns the loss tensor (kept). */
  const enqueueStep = (): tf.Scalar => {
    t++;
    return tf.tidy(() => {
      const { value, grads } = tf.variableGrads(dpoLoss, vars);
      // Pairwise adds, not tf.addN: TF.js's webgpu AddN binds every input at once (over 8 storage buffers).
      const sumSq = vars.map((v) => tf.sum(tf.square(grads[v.name]))).reduce((a, b) => tf.add(a, b));
      // torch clip_grad_norm_: coef = min(1, max_norm / (norm + 1e-6)), never read back.
      const coef = tf.minimum(tf.div(h.maxGradNorm, tf.add(tf.sqrt(sumSq), 1e-6)), 1);
      const bc1 = 1 - h.beta1 ** t;
      const bc2 = 1 - h.beta2 ** t;
      for (const v of vars) {
        const g = tf.mul(grads[v.name], coef);
        const s = moments.get(v.name) as { m: tf.Variable; v: tf.Variable };
        s.m.assign(tf.add(tf.mul(s.m, h.beta1), tf.mul(g, 1 - h.beta1)));
        s.v.assign(tf.add(tf.mul(s.v, h.beta2), tf.mul(tf.square(g), 1 - h.beta2)));
        const adam = tf.div(tf.div(s.m, bc1), tf.add(tf.sqrt(tf.div(s.v, bc2)), h.eps));
        v.assign(tf.sub(v, tf.mul(tf.add(adam, tf.mul(v, h.weightDecay)), h.lr)));
      }
      return value;
    });
  };

  return {
    step() {
      const loss = enqueueStep();
      return loss.data().then((data) => {
        loss.dispose();
        return data[0];
      });
    },
    async rowLogps() {
      const rows = tf.tidy(sequenceLogps);
      const data = await rows.data();
      rows.dispose();
      return [...data];
    },
    async profileStep() {
      const info = await tf.profile(async () => {
        const loss = enqueueStep();
        await loss.data();
        loss.dispose();
        return [];
      });
      return { kernels: info.kernels.length, peakBytes: info.peakBytes };
    },
    dispose() {
      for (const x of owned) x.dispose();
      for (const v of vars) v.dispose();
      for (const s of moments.values()) {
        s.m.dispose();
        s.v.dispose();
      }
    },
  };
}

/** tf.oneHot as float32; the wasm backend ignores oneHot's dtype argument and writes int32 bits. */
function floatOneHot(indices: tf.Tensor, depth: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(indices as tf.Tensor1D, depth), 'float32') as tf.Tensor2D);
}

/** LoRA adapter shapes are not in the model's shape map: A [r, in], B [out, r]. */
function loraShape(name: string, w: Workload): number[] {
  const r = w.bench.lora?.r;
  const D = w.config.hiddenSize;
  if (r && name.endsWith('c_attn.lora_A.weight')) return [r, D];
  if (r && name.endsWith('c_attn.lora_B.weight')) return [3 * D, r];
  throw new Error(`tfjs gpt2: no shape known for "${name}" (only LoRA on c_attn is supported here)`);
}
