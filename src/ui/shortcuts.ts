// Keyboard shortcuts for the canvas: B/E/L/V pick tools, Ctrl+Z undoes, Ctrl+Shift+Z or
// Ctrl+Y redoes, and holding Space turns a drag into a pan. Ignored while typing in a field.
import { useEffect, useRef } from 'react';
import { TOOL_SHORTCUTS } from '../canvas/tools.ts';
import { useStudio } from '../state/studio-store.ts';
import { uploadImage } from '../state/upload.ts';

const typing = (target: EventTarget | null) => target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));

/** Installs the shortcuts (and paste-to-upload); returns whether Space is held. */
export function useCanvasShortcuts() {
  const spaceHeld = useRef(false);
  useEffect(() => {
    const down = (e: KeyboardEvent) => {
      if (typing(e.target)) return;
      const s = useStudio.getState();
      const unitId = s.selectedUnitId;
      // The physical key: with Shift held, e.key may be upper-case or layout-dependent.
      const key = e.code.startsWith('Key') ? e.code.slice(3).toLowerCase() : e.key.toLowerCase();
      if (e.ctrlKey || e.metaKey) {
        if (!unitId) return;
        if (key === 'z' && !e.shiftKey) s.undo(unitId);
        else if ((key === 'z' && e.shiftKey) || key === 'y') s.redo(unitId);
        else return;
        e.preventDefault();
        return;
      }
      if (e.key === ' ') {
        spaceHeld.current = true;
        e.preventDefault();
      } else if (TOOL_SHORTCUTS[key]) s.setTools({ tool: TOOL_SHORTCUTS[key] });
    };
    const up = (e: KeyboardEvent) => {
      if (e.key === ' ') spaceHeld.current = false;
    };
    const paste = (e: ClipboardEvent) => {
      if (typing(e.target)) return;
      const file = [...(e.clipboardData?.files ?? [])][0];
      if (file) {
        e.preventDefault();
        void uploadImage(file);
      }
    };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    window.addEventListener('paste', paste);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
      window.removeEventListener('paste', paste);
    };
  }, []);
  return spaceHeld;
}
