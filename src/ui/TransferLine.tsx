// A download or conversion in progress: a bar, bytes of bytes, speed, time left, and the file it is on.
import { mb, type Transfer } from '../state/model-sets.ts';

export function TransferLine({ transfer, label }: { transfer: Transfer; label: string }) {
  return (
    <div>
      <progress aria-label={label} max={transfer.total || 1} value={transfer.done} />
      <p data-testid={label === 'Download progress' ? 'download-progress' : 'import-progress'}>
        {transfer.stage !== 'downloading' && transfer.stage !== 'verifying' ? `${transfer.stage}: ` : ''}
        {mb(transfer.done)} of {mb(transfer.total)} · {mb(transfer.bytesPerSecond)}/s · ETA {transfer.etaSeconds === null ? '…' : `${Math.ceil(transfer.etaSeconds)} s`} · {transfer.file}
      </p>
    </div>
  );
}
