import { CapabilityPanel } from './components/CapabilityPanel.tsx';
import { Header } from './components/Header.tsx';
import { PipelineNav } from './components/PipelineNav.tsx';

export function App() {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header />
      <PipelineNav />
      <main id="main" className="page" tabIndex={-1}>
        <CapabilityPanel />
      </main>
      <footer className="page footer">
        Everything runs on this machine: models, data and training never leave the browser.
      </footer>
    </>
  );
}
