/**
 * Reads what the page URL asks for, once on load and again when the fragment changes:
 * - `?lesson=…&hide=…&readonly=1`: teacher mode (parseViewFlags; unknown flags are ignored with a notice);
 * - `?debug=1`: shows the developer drills (DebugPanel);
 * - `#v1.…`: a shared experiment (decodeShareLink). A hostile or corrupt link never breaks the lab:
 *   it shows an error banner and the lab keeps the default experiment.
 */
import { useEffect } from 'react';
import { decodeShareLink, parseViewFlags } from '../lab/share-link.ts';
import { showNotice, useNoticeStore } from '../state/notice-store.ts';
import { useSpecStore } from '../state/spec-store.ts';
import { SECTION_IDS } from './components/PipelineNav.tsx';
import { LESSON_IDS, lessonById } from './lib/presets.ts';

export function useUrlState(): void {
  useEffect(() => {
    const { setDraft, setView, setDebug } = useSpecStore.getState();
    // `?debug=1` is the lab's own switch (developer drills), not a teacher flag: read it apart.
    const query = new URLSearchParams(location.search);
    setDebug(query.get('debug') === '1');
    query.delete('debug');
    const { flags, warnings } = parseViewFlags(query.toString(), { lessons: LESSON_IDS });
    setView(flags);
    if (warnings.length > 0) {
      showNotice({
        id: 'view-flags',
        kind: 'warn',
        title: 'Some options in the address were ignored',
        message: warnings.join('; '),
      });
    }
    const lesson = lessonById(flags.lesson);
    if (lesson) setDraft(lesson.spec, `lesson: ${lesson.title}`);

    let latest = 0;
    const applyHash = async () => {
      const hash = location.hash.slice(1);
      if (hash === '' || (SECTION_IDS as readonly string[]).includes(hash)) return;
      const ticket = ++latest;
      const result = await decodeShareLink(hash);
      if (ticket !== latest) return;
      const notices = useNoticeStore.getState();
      if (result.ok) {
        notices.dismiss('share-link');
        setDraft(result.spec, 'shared link');
        showNotice({
          id: 'share-link-ok',
          kind: 'info',
          title: `Opened a shared experiment: ${result.spec.name}`,
          message:
            'Every setting comes from the link. Press Run to train it again: same seed, same data, same numbers.',
        });
      } else {
        notices.dismiss('share-link-ok');
        showNotice({
          id: 'share-link',
          kind: 'error',
          title: 'This link could not be opened',
          message: `${result.error.message}. The lab is showing ${lesson ? 'the lesson' : 'the default experiment'} instead.`,
        });
      }
    };
    void applyHash();
    window.addEventListener('hashchange', applyHash);
    return () => window.removeEventListener('hashchange', applyHash);
  }, []);
}
