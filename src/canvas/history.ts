// Undo/redo over immutable snapshots: every committed action pushes the previous present.
// Snapshots share structure (stroke arrays are copied, strokes are not), so history is cheap.

export interface History<T> {
  past: T[];
  present: T;
  future: T[];
}

/** Enough for an evening of scribbling; the oldest steps fall off. */
export const HISTORY_LIMIT = 200;

export const initHistory = <T>(present: T): History<T> => ({ past: [], present, future: [] });

export function commit<T>(h: History<T>, next: T): History<T> {
  return { past: [...h.past, h.present].slice(-HISTORY_LIMIT), present: next, future: [] };
}

export function undo<T>(h: History<T>): History<T> {
  if (!h.past.length) return h;
  return { past: h.past.slice(0, -1), present: h.past[h.past.length - 1]!, future: [h.present, ...h.future] };
}

export function redo<T>(h: History<T>): History<T> {
  if (!h.future.length) return h;
  return { past: [...h.past, h.present], present: h.future[0]!, future: h.future.slice(1) };
}
