import { useEffect, useState } from 'react';
import { offerInterruptedRun } from '../state/interrupted-run.ts';
import { useRunStore } from '../state/run-store.ts';
import { useSpecStore } from '../state/spec-store.ts';
import { CapabilityPanel } from './components/CapabilityPanel.tsx';
import { DataUpload } from './components/DataUpload.tsx';
import { DebugPanel } from './components/DebugPanel.tsx';
import { EvalItemsTable, RunDifference } from './components/EvalItems.tsx';
import { SamplesPanel, WinRateTable } from './components/EvaluatePanel.tsx';
import { ExperimentForm } from './components/ExperimentForm.tsx';
import { Header } from './components/Header.tsx';
import { Hero } from './components/Hero.tsx';
import { LabelingPanel } from './components/LabelingPanel.tsx';
import { LessonBanner, LessonsCard } from './components/Lessons.tsx';
import { LiveJudgePanel } from './components/LiveJudgePanel.tsx';
import { MetricsPanel } from './components/MetricsPanel.tsx';
import { Notices } from './components/Notices.tsx';
import { PairingStats } from './components/PairingStats.tsx';
import { PaperData } from './components/PaperData.tsx';
import { PipelineNav } from './components/PipelineNav.tsx';
import { RunProgress } from './components/RunProgress.tsx';
import { RunsTable } from './components/RunsTable.tsx';
import { Section } from './components/Section.tsx';
import { SeedRepeat } from './components/SeedRepeat.tsx';
import { TokenMargins } from './components/TokenMargins.tsx';
import { WhatIsCompared } from './components/WhatIsCompared.tsx';
import { useUrlState } from './use-url-state.ts';

/** The one look for an interrupted run per page load (effects may run twice in development). */
let interruptedRunCheck: Promise<void> | null = null;

export function App() {
  useUrlState();
  // A run cut short by a reload or a closed tab is offered back (Resume / Discard). <main> says
  // when the look is over, so a test (or a person) can tell "nothing to offer" from "not yet".
  const [checkedForInterruptedRun, setChecked] = useState(false);
  useEffect(() => {
    interruptedRunCheck ??= offerInterruptedRun();
    let mounted = true;
    const done = () => mounted && setChecked(true);
    interruptedRunCheck.then(done, done);
    return () => {
      mounted = false;
    };
  }, []);
  const hasRun = useRunStore((s) => s.session !== null);
  // Students in a locked lesson cannot change the data, so labelling would have nowhere to go.
  const hideLabels = useSpecStore((s) => s.view.readonly || s.view.hide.includes('edits'));
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header />
      <PipelineNav />
      <main
        id="main"
        className="page"
        tabIndex={-1}
        data-interrupted-run-check={checkedForInterruptedRun ? 'done' : 'pending'}
      >
        <Notices />
        <LessonBanner />
        <Hero />
        <WhatIsCompared />
        <ExperimentForm />
        <DataUpload />
        <PaperData />
        <LessonsCard />
        {!hideLabels && (
          <Section id="labels" title="Labels" lead="Judge pairs yourself: your answers become training data.">
            <LabelingPanel />
          </Section>
        )}
        <Section id="train" title="Train" lead="Progress and live metrics, every run overlaid.">
          <RunProgress />
          <PairingStats />
          <DebugPanel />
          <LiveJudgePanel />
          <MetricsPanel />
        </Section>
        <Section id="evaluate" title="Evaluate" lead="How often each run beats the baseline, and what it writes.">
          {hasRun ? (
            <>
              <h3 className="subhead">Win rates</h3>
              <WinRateTable />
              <RunDifference />
              <h3 className="subhead">Repeat over seeds</h3>
              <SeedRepeat />
              <h3 className="subhead">Every held-out item</h3>
              <EvalItemsTable />
              <h3 className="subhead">Samples</h3>
              <SamplesPanel />
              <h3 className="subhead">Token by token</h3>
              <TokenMargins />
            </>
          ) : (
            <p className="muted empty">Win rates and sample answers appear here once a run has trained.</p>
          )}
        </Section>
        <Section id="runs" title="Saved runs" lead="Every finished run, kept in this browser.">
          <RunsTable />
        </Section>
        <div id="backend">
          <CapabilityPanel />
        </div>
      </main>
      <footer className="page footer">
        Everything runs on this machine: models, data and training never leave the browser.
      </footer>
    </>
  );
}
