/**
 * The JPO paper's data as the lab bundles it (public/data/paper/, first rows of the files of
 * github.com/Hritikbansal/jpo, MIT License; README.md there). Paths are relative to that folder:
 * the browser fetches them under the app's base URL (data/paper/...), Node reads them from
 * public/data/paper/. Training sets list their files in the order they are concatenated.
 */
export const PAPER_TRAIN_SETS = ['anthropic_helpful'] as const;
export type PaperTrainSet = (typeof PAPER_TRAIN_SETS)[number];
export const PAPER_TEST_SETS = ['anthropic_helpful', 'tldr'] as const;
export type PaperTestSet = (typeof PAPER_TEST_SETS)[number];

/** The conditional comparisons, then the SFT rows that joint pairs are built from. */
export const PAPER_TRAIN_FILES: Readonly<Record<PaperTrainSet, readonly string[]>> = {
  anthropic_helpful: ['anthropic_helpful/val_conditional_pref.jsonl', 'anthropic_helpful/val_sft.jsonl'],
};

/** {instruction, gold_response} rows (TL;DR's is JSON Lines despite its .json name). */
export const PAPER_TEST_FILES: Readonly<Record<PaperTestSet, string>> = {
  anthropic_helpful: 'anthropic_helpful/test.jsonl',
  tldr: 'tldr/test.json',
};

export const PAPER_SET_LABELS: Readonly<Record<PaperTestSet, string>> = {
  anthropic_helpful: 'Anthropic helpful (dialogue)',
  tldr: 'TL;DR (summaries)',
};

/** Where the bundled files live: under the app's base URL, and in the repository. */
export const PAPER_DATA_URL = 'data/paper/';
export const PAPER_DATA_DIR = 'public/data/paper';
