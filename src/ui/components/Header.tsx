export function Header() {
  return (
    <header className="masthead">
      <div className="page masthead-inner">
        <img className="logo" src="/favicon.svg" alt="" width={40} height={40} />
        <div>
          <h1>Orchard</h1>
          <p className="tagline">
            A browser lab for preference fine-tuning of small language models: label pairs, train with DPO or JPO side
            by side on WebGPU, and compare the results, all without a server.
          </p>
        </div>
      </div>
    </header>
  );
}
