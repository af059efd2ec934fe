/**
 * Banners at the top of the lab: a broken share link, a lost GPU, an import that failed. Each has
 * an id so the same problem is shown once, and can be dismissed.
 */
import { create } from 'zustand';

export interface Notice {
  id: string;
  kind: 'error' | 'warn' | 'info';
  title: string;
  message: string;
  /** Buttons that answer the notice (e.g. Resume / Discard); a notice with actions has no Dismiss. */
  actions?: NoticeAction[];
}

export interface NoticeAction {
  label: string;
  run: () => void;
}

interface NoticeState {
  notices: Notice[];
  show: (notice: Notice) => void;
  dismiss: (id: string) => void;
}

export const useNoticeStore = create<NoticeState>()((set) => ({
  notices: [],
  show: (notice) => set((s) => ({ notices: [...s.notices.filter((n) => n.id !== notice.id), notice] })),
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
}));

export function showNotice(notice: Notice): void {
  useNoticeStore.getState().show(notice);
}
