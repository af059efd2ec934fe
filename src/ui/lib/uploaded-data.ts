/**
 * A data file picked or dropped in the lab, read exactly as `orchard data inspect` reads it
 * (importPreferences + summarize), and turned into the experiment's inline rows (data.rows).
 */
import { importPreferences } from '../../data/import.ts';
import { type DataSummary, summarize } from '../../data/summary.ts';
import type { ImportProblem } from '../../data/types.ts';
import { SIZE_LIMITS } from '../../lab/spec/schema-kit.ts';
import { allowedJudges, type ExperimentSpec } from '../../lab/spec.ts';

export interface UploadedData {
  name: string;
  summary: DataSummary;
  problems: ImportProblem[];
  warnings: ImportProblem[];
  /** The rows the experiment gets: comparisons in the paper's format, or (instruction, response) candidates. */
  rows: Record<string, string>[];
  format: 'jpo' | 'sft';
  /** Rows read but beyond what a spec holds inline (SIZE_LIMITS.inlineRows). */
  leftOut: number;
}

export async function readDataFile(file: Blob, name: string): Promise<UploadedData> {
  const result = await importPreferences(file, { fileName: name });
  const summary = summarize(result);
  const candidates = result.pairs.length === 0 && result.candidates.length > 0;
  const all: Record<string, string>[] = candidates
    ? result.candidates.map((c) => ({ instruction: c.instruction, response: c.response }))
    : result.pairs.map((p) => ({ ...p }));
  const rows = all.slice(0, SIZE_LIMITS.inlineRows);
  return {
    name,
    summary,
    problems: result.problems,
    warnings: result.warnings,
    rows,
    format: candidates ? 'sft' : 'jpo',
    leftOut: all.length - rows.length,
  };
}

/** The draft with its data replaced by the uploaded rows; every other setting kept. */
export function withUploadedRows(spec: ExperimentSpec, data: UploadedData): ExperimentSpec {
  const out = structuredClone(spec);
  const { pairing, edits, maxLength, maxPromptLength, template, separator } = out.data;
  out.data = {
    source: 'file',
    rows: data.rows,
    format: data.format,
    pairing,
    edits,
    maxLength,
    maxPromptLength,
    template,
    ...(separator === undefined ? {} : { separator }),
  };
  // The task's exact checker cannot judge other data, and the lab has no reward model: a person
  // judges instead (the run asks, while it waits). Rows that are comparisons already need no pairing judge.
  if (!allowedJudges('file').includes(pairing.judge)) out.data.pairing.judge = 'human';
  if (!allowedJudges('file').includes(out.eval.judge)) out.eval.judge = 'human';
  return out;
}

/** What withUploadedRows changed besides the data, in words for the page. */
export function judgeChanges(before: ExperimentSpec, after: ExperimentSpec): string[] {
  const out: string[] = [];
  if (before.eval.judge !== after.eval.judge) {
    out.push(`evaluation is judged by a person (you), not the ${before.eval.judge} judge, which only knows the task`);
  }
  if (before.data.pairing.judge !== after.data.pairing.judge && 'format' in after.data && after.data.format !== 'jpo') {
    out.push('pairs built from your answers are judged by a person (you)');
  }
  return out;
}
