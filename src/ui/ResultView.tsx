// The newest result, large, beside the canvas — with the control maps it was made from — as
// A1111 and ComfyUI show it. In live mode, the last finished live image.
import { useStudio } from '../state/studio-store.ts';
import { useObjectUrl, usePngUrl } from './hooks.ts';

function MapThumb({ png, label }: { png: Blob; label: string }) {
  const url = useObjectUrl(png);
  return url ? <img src={url} alt={label} title={label} /> : null;
}

export function ResultView() {
  const newest = useStudio((s) => s.gallery[0] ?? null);
  const liveMode = useStudio((s) => s.settings.liveMode);
  const liveImage = useStudio((s) => s.liveImage);
  const url = useObjectUrl(newest?.png ?? null);
  const liveUrl = usePngUrl(liveMode ? liveImage : null);
  const shown = liveMode && liveUrl ? liveUrl : url;
  return (
    <section className="result-view" aria-label="Result">
      {shown ? (
        <>
          <img className="result" src={shown} alt={liveMode && liveUrl ? 'Newest live result' : `Newest result, seed ${newest?.settings.seed}`} />
          {!liveMode && newest && newest.controlMaps.length > 0 && (
            <div className="control-maps" aria-label="Control maps of the newest result">
              {newest.controlMaps.map((m) => (
                <MapThumb key={m.unitIndex} png={m.png} label={`Control map of ControlNet ${m.unitIndex + 1}`} />
              ))}
            </div>
          )}
        </>
      ) : (
        <p className="empty">The newest result appears here, large.</p>
      )}
    </section>
  );
}
