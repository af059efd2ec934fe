import type { ReactNode } from 'react';

/** A titled card for one step of the lab; focusable so in-page navigation can move focus to it. */
export function Section({
  id,
  title,
  lead,
  children,
}: {
  id: string;
  title: string;
  lead: string;
  children: ReactNode;
}) {
  return (
    <section className="card lab-section" id={id} aria-labelledby={`${id}-title`} tabIndex={-1}>
      <div className="section-head">
        <h2 id={`${id}-title`}>{title}</h2>
        <p className="muted">{lead}</p>
      </div>
      {children}
    </section>
  );
}
