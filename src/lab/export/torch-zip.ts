/**
 * The lab's "Export as PyTorch project": exportTorchProject on the CPU with the browser's resolvers,
 * packed as one zip under a `<name>-pytorch/` folder. Loaded on demand, so the page bundle does not
 * carry the exporter until someone exports.
 */
import { CpuBackend } from '../../engine/index.ts';
import { createResolvers, fetchModelFiles } from '../resolve.ts';
import type { ExperimentSpec } from '../spec.ts';
import { exportTorchProject } from './torch-project.ts';
import { zipFiles } from './zip.ts';

/** The zip's bytes; `folder` names the top folder (and, with .zip, the file). */
export async function exportTorchZip(spec: ExperimentSpec, trainScript: string, folder: string): Promise<Uint8Array> {
  const backend = new CpuBackend();
  try {
    const project = await exportTorchProject(spec, {
      backend,
      resolvers: createResolvers(),
      trainScript,
      modelExtras: await bundledTokenizer(spec),
    });
    return zipFiles(Object.fromEntries(Object.entries(project.files).map(([p, c]) => [`${folder}/${p}`, c])));
  } finally {
    backend.dispose();
  }
}

/** The bundled model's tokenizer files (fetched like its weights), so trained full models load on their own. */
async function bundledTokenizer(spec: ExperimentSpec): Promise<Record<string, Uint8Array>> {
  if (spec.model.source !== 'bundled') return {};
  const files = fetchModelFiles(`/models/${spec.model.id}/`, spec.model.id);
  const out: Record<string, Uint8Array> = {};
  for (const name of ['tokenizer.json', 'tokenizer_config.json']) {
    const bytes = await files.read(name);
    if (bytes) out[name] = bytes;
  }
  return out;
}
