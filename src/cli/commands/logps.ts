/**
 * `npm run orchard -- logps --model DIR --data FILE [--mode joint|conditional] [--template TEXT] [--backend cpu]`
 * One JSON line per data row: {"row":0,"chosen":{"logp":…,"ids":[…],"mask":[…]},"rejected":{…}}.
 * logp is the summed log-prob of the tokens whose mask is 1; ids are the whole sequence with BOS/EOS.
 */
import { scoreAll } from '../../engine/reference.ts';
import { SequenceScorer } from '../../engine/scorer.ts';
import { checkScoringFits } from '../../lab/pipeline/fits.ts';
import { mergedAdapterWeights } from '../adapter-io.ts';
import { choiceFlag, runCommand, TEXT, textOr } from '../args.ts';
import { cliBucket, encodeRows, loadModelDir, openBackend, readPaperRows, requireFinite } from '../preference-io.ts';

const USAGE = `usage: npm run orchard -- logps --model DIR --data FILE [options]
  Sequence log-probs of each row's chosen and rejected side, as JSON Lines.
  --model DIR        Hugging Face model folder (config.json, model.safetensors, tokenizer.json)
  --data FILE        JSONL rows {i_chosen, r_chosen, i_reject, r_reject}
  --mode M           joint (JPO: every token after BOS) | conditional (DPO: response + EOS; default)
  --adapter DIR      PEFT LoRA adapter folder, merged into --model before scoring
  --template TEXT    prompt template with {instruction} (default: the paper's; "chat")
  --backend B        cpu (default) | webgpu`;

const NON_FINITE_HINT =
  "the model's outputs overflow (weights far too large, or a run that diverged); check the model with another copy";

const COMMAND = {
  name: 'logps',
  usage: USAGE,
  flags: {
    model: TEXT,
    data: TEXT,
    mode: textOr('conditional'),
    template: TEXT,
    adapter: TEXT,
    backend: textOr('cpu'),
  },
  required: ['model', 'data'],
} as const;

export function run(argv: string[]): Promise<number> {
  return runCommand(COMMAND, argv, async ({ values }) => {
    const mode = choiceFlag('--mode', values.mode, ['joint', 'conditional']);
    const [{ model, tokenizer }, rows] = await Promise.all([
      loadModelDir(values.model),
      readPaperRows(values.data, 'logps'),
    ]);
    const encoded = encodeRows(tokenizer, rows, mode, values.template);
    const weights = values.adapter ? await mergedAdapterWeights(model, values.adapter) : model.weights;
    const backend = await openBackend(values.backend);
    checkScoringFits(model, [...encoded.chosen, ...encoded.rejected], backend);
    const scorer = new SequenceScorer(model, weights, backend);
    try {
      const opts = { backend, padId: tokenizer.padId, bucket: cliBucket };
      const chosen = await scoreAll(scorer, encoded.chosen, opts);
      const rejected = await scoreAll(scorer, encoded.rejected, opts);
      rows.forEach((_, i) => {
        for (const [side, sums] of [
          ['chosen', chosen.sum],
          ['rejected', rejected.sum],
        ] as const) {
          requireFinite('logps', `the ${side} log-prob of row ${i}`, sums[i], NON_FINITE_HINT);
        }
      });
      const side = (e: { ids: readonly number[]; mask: readonly number[] }, logp: number) => ({
        logp,
        ids: e.ids,
        mask: e.mask,
      });
      const lines = rows.map((_, i) =>
        JSON.stringify({
          row: i,
          chosen: side(encoded.chosen[i], chosen.sum[i]),
          rejected: side(encoded.rejected[i], rejected.sum[i]),
        }),
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      scorer.dispose();
      backend.dispose();
    }
    return 0;
  });
}
