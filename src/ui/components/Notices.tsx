import { useEffect } from 'react';
import { useNoticeStore } from '../../state/notice-store.ts';

/** Banners for problems and news the user should see now (a broken link, a lost GPU, an interrupted run). */
export function Notices() {
  const notices = useNoticeStore((s) => s.notices);
  const dismiss = useNoticeStore((s) => s.dismiss);
  const asking = notices.find((n) => n.actions)?.id;
  useEffect(() => {
    if (!asking) return;
    // A notice that asks a question (Resume or Discard an interrupted run) must be seen even when
    // the page is scrolled elsewhere (a reload restores the old position): bring it to the top
    // of the view and put the keyboard on its first answer.
    const first = document.querySelector<HTMLElement>(`[data-notice="${CSS.escape(asking)}"] .notice-actions button`);
    first?.closest('[data-notice]')?.scrollIntoView({ block: 'start' });
    first?.focus({ preventScroll: true });
  }, [asking]);
  if (notices.length === 0) return null;
  return (
    <div className="notices" data-testid="notices">
      {notices.map((n) => (
        <div
          key={n.id}
          className={`notice notice-${n.kind} banner`}
          role={n.kind === 'error' ? 'alert' : 'status'}
          data-notice={n.id}
        >
          <div>
            <strong>{n.title}</strong>
            <p>{n.message}</p>
          </div>
          {n.actions ? (
            <div className="notice-actions">
              {n.actions.map((a) => (
                <button key={a.label} type="button" className="button button-small" onClick={a.run}>
                  {a.label}
                </button>
              ))}
            </div>
          ) : (
            <button
              type="button"
              className="button button-small button-quiet"
              onClick={() => dismiss(n.id)}
              aria-label={`Dismiss: ${n.title}`}
            >
              Dismiss
            </button>
          )}
        </div>
      ))}
    </div>
  );
}
