/** The data shapes shared by import, pairing, judges and the lab. */

/**
 * One comparison, in the paper's format. Conditional when i_chosen === i_reject (DPO can use it),
 * joint when the instructions differ (only JPO can).
 */
export interface PreferenceRow {
  i_chosen: string;
  r_chosen: string;
  i_reject: string;
  r_reject: string;
}

/** An (instruction, response) pair: one side of a comparison, or a candidate for pairing. */
export interface Candidate {
  instruction: string;
  response: string;
}

/** A candidate with a rating from a file ({instruction, response, score}); score is null when absent. */
export interface RatedCandidate extends Candidate {
  score: number | null;
}

/** A row that could not be used, with the 1-based line (or record) where it starts. */
export interface ImportProblem {
  line: number;
  reason: string;
}

export function isConditional(row: PreferenceRow): boolean {
  return row.i_chosen === row.i_reject;
}
