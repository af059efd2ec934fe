/**
 * `npm run orchard -- loss --model DIR --data FILE --objective NAME [--ref DIR] [--beta B]
 *   [--label-smoothing E] [--simpo-gamma G] [--backend cpu] [--grads-out FILE]`
 * Prints {"loss":…,"metrics":{…},"grad_norm":…} for the mean loss over all rows (full fine-tuning
 * gradients); --grads-out writes those gradients as safetensors under the model's own names.
 * Without --ref, the reference is the policy's own (initial) weights.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { dirFiles } from '../../engine/models/files-node.ts';
import { loadModel } from '../../engine/models/index.ts';
import { evaluateObjective } from '../../engine/objectives/evaluate.ts';
import { OBJECTIVES, objectiveSpec } from '../../engine/objectives/index.ts';
import { computeReferenceTable, type ReferenceStrategy } from '../../engine/reference.ts';
import { writeSafetensors } from '../../engine/safetensors.ts';
import { cliBucket, encodeRows, loadModelDir, openBackend, parseNumber, readPaperRows } from '../preference-io.ts';

const USAGE = `usage: npm run orchard -- loss --model DIR --data FILE --objective NAME [options]
  Mean loss, TRL-named metrics and gradient norm over every row, as one JSON object.
  --objective NAME       ${Object.keys(OBJECTIVES).join(' | ')}
  --ref DIR              reference model folder (default: the policy's own weights)
  --beta B               β (default 0.1; simpo 2)
  --label-smoothing E    ε for cdpo/robust/simpo (default 0; cdpo and robust 0.1)
  --simpo-gamma G        SimPO's margin γ (default 0.5)
  --template TEXT        prompt template with {instruction} (default: the paper's)
  --backend B            cpu (default) | webgpu
  --grads-out FILE       write d(loss)/d(param) for every parameter as safetensors`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      objective: { type: 'string' },
      ref: { type: 'string' },
      beta: { type: 'string' },
      'label-smoothing': { type: 'string' },
      'simpo-gamma': { type: 'string' },
      template: { type: 'string' },
      backend: { type: 'string', default: 'cpu' },
      'grads-out': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.model || !values.data || !values.objective) {
    console.error(`loss: --model, --data and --objective are required\n\n${USAGE}`);
    return 2;
  }
  const spec = objectiveSpec(values.objective);
  const params = {
    beta: parseNumber('--beta', values.beta),
    labelSmoothing: parseNumber('--label-smoothing', values['label-smoothing']),
    simpoGamma: parseNumber('--simpo-gamma', values['simpo-gamma']),
  };
  const [{ model, tokenizer }, rows] = await Promise.all([loadModelDir(values.model), readPaperRows(values.data)]);
  if (values.ref && !spec.usesReference) console.error(`loss: ${spec.name} is reference-free; --ref is ignored`);
  const pairs = encodeRows(tokenizer, rows, spec.mode, values.template);
  const backend = await openBackend(values.backend);
  try {
    let strategy: ReferenceStrategy = { kind: 'initial' };
    if (!spec.usesReference) strategy = { kind: 'none' };
    // The reference shares the policy's tokenizer, so its folder needs no tokenizer.json.
    else if (values.ref) strategy = { kind: 'model', model: await loadModel(dirFiles(values.ref)) };
    const common = { backend, padId: tokenizer.padId, bucket: cliBucket };
    const reference = await computeReferenceTable(strategy, { model, weights: model.weights }, pairs, common);
    const result = await evaluateObjective({
      ...common,
      model,
      weights: model.weights,
      objective: spec.name,
      params,
      pairs,
      reference,
      grads: true,
    });
    console.log(JSON.stringify({ loss: result.loss, metrics: result.metrics, grad_norm: result.gradNorm }));
    if (values['grads-out'] && result.grads) {
      const tensors = [...model.weights.keys()].map(
        (name) =>
          [name, { shape: model.shapes.get(name) as number[], data: result.grads?.get(name) as Float32Array }] as const,
      );
      await writeFile(values['grads-out'], writeSafetensors(tensors.map(([n, t]) => [n, t])));
    }
  } finally {
    backend.dispose();
  }
  return 0;
}
