/** A model's architecture as Orchard reads it from config.json (./config.ts parses, ./config-bounds.ts bounds it). */
export type Arch = 'gpt2' | 'llama';

export interface ModelConfig {
  arch: Arch;
  /** config.json's model_type (gpt2, llama, qwen2). */
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  maxPositions: number;
  /** LayerNorm (GPT-2) or RMSNorm (Llama) epsilon. */
  normEps: number;
  /** RoPE base (Llama family only). */
  ropeTheta: number;
  /** Bias on q/k/v projections (Llama family; GPT-2 always has biases). */
  qkvBias: boolean;
  /** Bias on the attention output projection (Llama's attention_bias; never on Qwen2). */
  oBias: boolean;
  tieEmbeddings: boolean;
  /** config.json as read, written back unchanged when a model is saved. */
  raw: Readonly<Record<string, unknown>>;
}
