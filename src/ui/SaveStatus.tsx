// Whether the studio's state is safely in IndexedDB; a full quota says so here.
import { useSaveState } from '../state/studio-store.ts';

export function SaveStatus() {
  const save = useSaveState((s) => s.save);
  if (save.kind === 'failed') return <p role="alert">{save.message}</p>;
  return (
    <p role="status" className="save-status">
      {save.kind === 'saved' ? 'All changes saved' : 'Saving…'}
    </p>
  );
}
