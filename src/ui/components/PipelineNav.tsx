/** The lab's steps. Placeholders for now: each becomes a view as the lab is built. */
const STEPS = [
  { name: 'Model', hint: 'pick a small language model' },
  { name: 'Data', hint: 'prompts and responses' },
  { name: 'Labels', hint: 'preference pairs' },
  { name: 'Train', hint: 'DPO and JPO side by side' },
  { name: 'Evaluate', hint: 'win rates and samples' },
] as const;

export function PipelineNav() {
  return (
    <nav className="pipeline" aria-label="Lab pipeline">
      <ol className="page pipeline-steps">
        {STEPS.map((step, i) => (
          <li key={step.name} className="pipeline-step" aria-disabled="true">
            <span className="step-index" aria-hidden="true">
              {i + 1}
            </span>
            <span className="step-text">
              <span className="step-name">{step.name}</span>
              <span className="step-hint">{step.hint}</span>
            </span>
          </li>
        ))}
      </ol>
      <p className="page pipeline-note">
        The lab steps are coming soon; below is what this browser gives them to run on.
      </p>
    </nav>
  );
}
