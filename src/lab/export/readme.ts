/** The README.md of an exported PyTorch project: when to use it, the commands, what each file is. */
import type { ExperimentSpec } from '../spec.ts';

export function exportReadme(
  spec: ExperimentSpec,
  runs: readonly { label: string; folder: string; totalSteps: number }[],
): string {
  const runList = runs
    .map((r) => `- \`${r.label}\`: ${r.totalSteps} optimizer steps, written to \`OUT/${r.folder}/\``)
    .join('\n');
  return `# ${spec.name}: exported from Orchard to PyTorch

Orchard trains in a browser tab or on one machine. Export an experiment when the model or the data
outgrows that (a bigger model, the paper's full data, many seeds): this folder trains the same runs
with PyTorch, on one process or under \`torchrun\` with DDP, and gives the same losses and metrics as
Orchard's CPU backend on the same batches (checked in Orchard's CI to 1e-4).

## Commands

Needs Python 3 and PyTorch >= 1.13 (nothing else; Debian: \`apt-get install python3-torch\`).

\`\`\`sh
python3 train.py                                  # one process; writes ./out
python3 train.py --out OUT                        # elsewhere
torchrun --nproc_per_node 2 train.py --out OUT    # DDP: gloo on CPU, nccl on GPUs
python3 train.py --runs ${runs[0]?.label ?? 'LABEL'}                    # only some runs (comma-separated labels)
python3 train.py --model PATH                     # another Hugging Face folder with the same tokenizer
\`\`\`

Debian's python3-torch 1.13 on Python 3.11 stops torchrun with \`AttributeError: 'NoneType' object has no
attribute 'get'\` (its log-redirect flags do not parse under 3.11); add \`--redirects 2 --tee 2\` there:
\`python3 -m torch.distributed.run --redirects 2 --tee 2 --nproc_per_node 2 train.py\`.

Under DDP every optimizer step still uses the same global batch: each process takes a contiguous
slice of every micro-batch and the gradients are averaged, so the loss curve equals the one-process
run (needs at least as many pairs per micro-batch as processes).

Runs:
${runList}

## What it writes (OUT, default ./out)

- \`OUT/<run>/\`: a PEFT adapter (\`adapter_config.json\` + \`adapter_model.safetensors\`) under LoRA, else
  \`config.json\` + \`model.safetensors\` + the tokenizer files: the folder names and files of
  \`orchard train --out\`.
- \`OUT/metrics.jsonl\`: one line per optimizer step of every run, Orchard's format and TRL's metric names
  (\`loss\`, \`rewards/chosen\`, \`rewards/rejected\`, \`rewards/margins\`, \`rewards/accuracies\`, \`logps/chosen\`,
  \`logps/rejected\`, ..., \`grad_norm\`, \`learning_rate\`, \`tokens_per_s\`); also printed as it trains.
- \`OUT/orchard-run.json\`: the same runs as a lab run file: in the lab's runs table, "Import a run" shows
  their curves next to the browser's runs (adapters included under LoRA).
- \`OUT/spec.json\`: the spec, so the folder evaluates like an Orchard run:
  \`npm run orchard -- eval --spec OUT/spec.json --model OUT\`.

## Files

- \`train.py\`: the trainer: GPT-2 and Llama/Qwen2 written out in PyTorch, LoRA as PEFT lays it out (A drawn
  with Orchard's seeded generator, B = 0), joint log-probs for JPO and conditional ones for the others,
  the objectives with TRL's definitions, AdamW with the spec's schedule, grad-norm clipping and gradient
  accumulation, and its own small safetensors reader and writer.
- \`spec.json\`: the resolved experiment spec (every default filled in).
- \`plan.json\`: what Orchard derived from the spec: per run the objective, mask mode, pairs per
  micro-batch, steps and output folder; optimizer, schedule, LoRA targets and seed.
- \`pairs.jsonl\`: exactly the preference pairs Orchard trains each run on, one line per pair fed, in
  Orchard's feed order (after judging in both orders, dropping ties and the seeded data-order shuffle):
  \`{run, step, micro, pair, i_chosen, r_chosen, i_reject, r_reject, chosen: {ids, mask}, rejected: {ids, mask}}\`.
  The token ids and label masks are included (template, truncation and mask mode applied), so
  Python does not re-tokenize; \`pair\` numbers a run's distinct pairs.
- \`model/\`: the spec's model as a Hugging Face folder (config.json + model.safetensors + tokenizer files).

The reference model of DPO-family runs is the model before training (frozen); train.py scores each
pair once, before training, as Orchard does (in the micro-batch where the pair first appears). Specs
with an SFT stage are not exported, and the pairs are judged when exporting (a person cannot judge
there: label in the lab first).
`;
}
