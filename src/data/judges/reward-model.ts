/**
 * A judge backed by a reward model: a sequence-classification ONNX model run by transformers.js
 * (AutoModelForSequenceClassification + AutoTokenizer). The reward of (instruction, response) is
 * one logit: the only one for a scalar head (num_labels = 1), else the label named by `label`
 * (default: the last label, e.g. "POSITIVE"). Higher reward wins; equal rewards tie.
 *
 * Input: by default the tokenizer encodes the pair (text = instruction, text_pair = response), the
 * convention of pairwise reward models such as OpenAssistant's; pass `format` to change it.
 *
 * Runtime: in the browser transformers.js runs onnxruntime-web (WASM by default; pass device).
 * In Node it uses onnxruntime-node unless onnxruntime-web was registered first (import
 * ./ort-web-node.ts before anything imports transformers.js); `runtime` says which one ran.
 *
 * Local models: `{ dir }` loads from a folder (Node path or URL path) holding config.json,
 * tokenizer.json, tokenizer_config.json and onnx/model.onnx; this sets transformers.js's global
 * env.localModelPath to the folder's parent, as transformers.js resolves local models that way.
 */
import { AutoModelForSequenceClassification, AutoTokenizer, env, type Tensor } from '@huggingface/transformers';
import type { Candidate } from '../types.ts';
import { type Judge, judgeFromScorer, type ScoredItem } from './types.ts';

export type RewardModelSource = { dir: string } | { repo: string; revision?: string };

export interface RewardModelOptions {
  source: RewardModelSource;
  /** Label index or name whose logit is the reward (models with several labels). */
  label?: number | string;
  format?: (item: Candidate) => { text: string; textPair?: string };
  /** transformers.js device (browser default 'wasm'); ignored when onnxruntime-web is registered in Node. */
  device?: string;
  dtype?: 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4';
  /** Items per forward pass in scoreBatch (default 16). */
  batchSize?: number;
}

export interface RewardModelJudge extends Judge {
  score(item: Candidate): Promise<ScoredItem>;
  scoreBatch(items: Candidate[]): Promise<number[]>;
  /** 'onnxruntime-web' or 'onnxruntime-node'. */
  readonly runtime: string;
  /** The ONNX inference session, for diagnostics. */
  readonly session: unknown;
  dispose(): Promise<void>;
}

const ORT_SYMBOL = Symbol.for('onnxruntime');
const IS_NODE = typeof process !== 'undefined' && process.release?.name === 'node';

export async function loadRewardModelJudge(opts: RewardModelOptions): Promise<RewardModelJudge> {
  const { id, revision } = resolveSource(opts.source);
  const webInNode = IS_NODE && ORT_SYMBOL in globalThis;
  const runtime = IS_NODE && !webInNode ? 'onnxruntime-node' : 'onnxruntime-web';
  const tokenizer = await AutoTokenizer.from_pretrained(id, { revision });
  const model = await AutoModelForSequenceClassification.from_pretrained(id, {
    revision,
    dtype: opts.dtype ?? 'fp32',
    // With onnxruntime-web registered in Node, transformers.js knows no device names; 'auto' plus an
    // explicit WASM execution provider is the combination it accepts.
    ...(webInNode
      ? { device: 'auto', session_options: { executionProviders: ['wasm'] } }
      : opts.device
        ? { device: opts.device as 'wasm' }
        : {}),
  });
  const labelIndex = pickLabel(model.config as unknown as Record<string, unknown>, opts.label);
  const format = opts.format ?? ((c: Candidate) => ({ text: c.instruction, textPair: c.response }));
  const batchSize = opts.batchSize ?? 16;

  const forward = async (items: Candidate[]): Promise<number[]> => {
    const parts = items.map(format);
    const texts = parts.map((p) => p.text);
    const pairs = parts.every((p) => p.textPair !== undefined) ? parts.map((p) => p.textPair as string) : null;
    if (!pairs && parts.some((p) => p.textPair !== undefined)) {
      throw new Error('reward model format(): give textPair for every item or for none');
    }
    const inputs = tokenizer(texts, { text_pair: pairs, padding: true, truncation: true });
    const { logits } = (await model(inputs)) as { logits: Tensor };
    const [rows, labels] = logits.dims;
    if (labelIndex >= labels)
      throw new Error(`reward label ${labelIndex} is out of range: the model has ${labels} logits`);
    const data = logits.data as Float32Array;
    return Array.from({ length: rows }, (_, r) => data[r * labels + labelIndex]);
  };

  const scoreBatch = async (items: Candidate[]): Promise<number[]> => {
    const out: number[] = [];
    for (let k = 0; k < items.length; k += batchSize) out.push(...(await forward(items.slice(k, k + batchSize))));
    return out;
  };
  const base = judgeFromScorer(`reward-model:${id}`, async (item) => {
    const [score] = await forward([item]);
    return { score, reason: `reward ${score.toFixed(3)}` };
  });
  const sessions = (model as unknown as { sessions: Record<string, unknown> }).sessions;
  return {
    ...base,
    runtime,
    session: Object.values(sessions)[0],
    scoreBatch,
    dispose: async () => {
      await model.dispose();
    },
  };
}

function resolveSource(source: RewardModelSource): { id: string; revision?: string } {
  if ('repo' in source) return { id: source.repo, revision: source.revision };
  const trimmed = source.dir.replace(/[/\\]+$/, '');
  const cut = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  const parent = cut >= 0 ? trimmed.slice(0, cut + 1) : './';
  env.allowLocalModels = true;
  env.localModelPath = parent;
  return { id: trimmed.slice(cut + 1) };
}

function pickLabel(config: Record<string, unknown>, label: number | string | undefined): number {
  const id2label = (config.id2label ?? {}) as Record<string, string>;
  const count = Object.keys(id2label).length || 1;
  if (label === undefined) return count - 1;
  if (typeof label === 'number') return label;
  const found = Object.entries(id2label).find(([, name]) => name === label);
  if (!found)
    throw new Error(`reward label "${label}" not in the model's labels: ${Object.values(id2label).join(', ')}`);
  return Number(found[0]);
}
