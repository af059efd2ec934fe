/**
 * `npm run orchard -- loss --model DIR --data FILE --objective NAME [--ref DIR] [--beta B]
 *   [--label-smoothing E] [--simpo-gamma G] [--backend cpu] [--grads-out FILE]`
 * Prints {"loss":…,"metrics":{…},"grad_norm":…} for the mean loss over all rows (full fine-tuning
 * gradients); --grads-out writes those gradients as safetensors under the model's own names.
 * Without --ref, the reference is the policy's own (initial) weights.
 */
import { writeFile } from 'node:fs/promises';
import { dirFiles } from '../../engine/models/files-node.ts';
import { loadModel } from '../../engine/models/index.ts';
import { evaluateObjective } from '../../engine/objectives/evaluate.ts';
import { OBJECTIVES, objectiveSpec } from '../../engine/objectives/index.ts';
import { computeReferenceTable, type ReferenceStrategy } from '../../engine/reference.ts';
import { type Tensor, writeSafetensors } from '../../engine/safetensors.ts';
import { checkScoringFits } from '../../lab/pipeline/fits.ts';
import { mergedAdapterWeights } from '../adapter-io.ts';
import { numberFlag, runCommand, TEXT, textOr } from '../args.ts';
import {
  checkModelDir,
  cliBucket,
  encodeRows,
  loadModelDir,
  openBackend,
  readPaperRows,
  requireFinite,
} from '../preference-io.ts';

const USAGE = `usage: npm run orchard -- loss --model DIR --data FILE --objective NAME [options]
  Mean loss, TRL-named metrics and gradient norm over every row, as one JSON object.
  --objective NAME       ${Object.keys(OBJECTIVES).join(' | ')}
  --adapter DIR          PEFT LoRA adapter folder merged into --model: the policy (the reference stays --model)
  --ref DIR              reference model folder (default: the policy's own weights, without --adapter)
  --beta B               β (default 0.1; simpo 2)
  --label-smoothing E    ε for cdpo/robust/simpo (default 0; cdpo and robust 0.1)
  --simpo-gamma G        SimPO's margin γ (default 0.5)
  --template TEXT        prompt template with {instruction} (default: the paper's)
  --backend B            cpu (default) | webgpu
  --grads-out FILE       write d(loss)/d(param) for every parameter as safetensors`;

const COMMAND = {
  name: 'loss',
  usage: USAGE,
  flags: {
    model: TEXT,
    data: TEXT,
    objective: TEXT,
    ref: TEXT,
    adapter: TEXT,
    beta: TEXT,
    'label-smoothing': TEXT,
    'simpo-gamma': TEXT,
    template: TEXT,
    backend: textOr('cpu'),
    'grads-out': TEXT,
  },
  required: ['model', 'data', 'objective'],
} as const;

export function run(argv: string[]): Promise<number> {
  return runCommand(COMMAND, argv, async ({ values }) => {
    const spec = objectiveSpec(values.objective);
    const params = {
      beta: numberFlag('--beta', values.beta),
      labelSmoothing: numberFlag('--label-smoothing', values['label-smoothing']),
      simpoGamma: numberFlag('--simpo-gamma', values['simpo-gamma']),
    };
    if (params.beta !== undefined && !(params.beta > 0))
      throw new Error(`loss: --beta must be > 0; got ${params.beta}`);
    const eps = params.labelSmoothing;
    // The spec's bound (runs[].labelSmoothing): at 0.5 the labels carry no preference, and robust DPO divides by 1 - 2ε.
    if (eps !== undefined && !(eps >= 0 && eps < 0.5)) {
      throw new Error(`loss: --label-smoothing must be in [0, 0.5) (ε, the assumed label-noise rate); got ${eps}`);
    }
    const [{ model, tokenizer }, rows] = await Promise.all([
      loadModelDir(values.model),
      readPaperRows(values.data, 'loss'),
    ]);
    if (values.ref && !spec.usesReference) console.error(`loss: ${spec.name} is reference-free; --ref is ignored`);
    const pairs = encodeRows(tokenizer, rows, spec.mode, values.template);
    const policyWeights = values.adapter ? await mergedAdapterWeights(model, values.adapter) : model.weights;
    const backend = await openBackend(values.backend);
    try {
      checkScoringFits(model, [...pairs.chosen, ...pairs.rejected], backend);
      let strategy: ReferenceStrategy = { kind: 'initial' };
      if (!spec.usesReference) strategy = { kind: 'none' };
      // The reference shares the policy's tokenizer, so its folder needs no tokenizer.json.
      else if (values.ref) {
        await checkModelDir(values.ref, '--ref');
        strategy = { kind: 'model', model: await loadModel(dirFiles(values.ref)) };
      }
      const common = { backend, padId: tokenizer.padId, bucket: cliBucket };
      const reference = await computeReferenceTable(strategy, { model, weights: model.weights }, pairs, common);
      const result = await evaluateObjective({
        ...common,
        model,
        weights: policyWeights,
        objective: spec.name,
        params,
        pairs,
        reference,
        grads: true,
      });
      const hint =
        'the log-probs overflow (weights far too large, or a β that scales them past float range); lower --beta or check the model';
      requireFinite('loss', 'the loss', result.loss, hint);
      if (result.gradNorm !== undefined) requireFinite('loss', 'the gradient norm', result.gradNorm, hint);
      console.log(JSON.stringify({ loss: result.loss, metrics: result.metrics, grad_norm: result.gradNorm }));
      const { grads } = result;
      if (values['grads-out'] && grads) {
        const tensors = [...model.shapes].map(([name, shape]): [string, Tensor] => {
          const data = grads.get(name);
          if (!data) throw new Error(`loss: evaluateObjective returned no gradient for "${name}"`);
          return [name, { shape, data }];
        });
        await writeFile(values['grads-out'], writeSafetensors(tensors));
      }
    } finally {
      backend.dispose();
    }
    return 0;
  });
}
