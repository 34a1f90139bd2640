// The open study's key images (issue 17 item 4): thumbnails of its slices with the highest `any` (StudyRow.keyImages,
// at most three, highest first), each drawn at the brain window by a small stack renderer of its own (the same
// image ids as the viewport's, so cornerstone's cache serves them); a click opens the study at that slice.
import { useContext, useEffect, useRef } from 'react';
import type { KeyImage } from '../../src-ml/api/engine.ts';
import { useApp } from '../state/context.tsx';
import { presetWindow } from '../state/windows.ts';
import { fmtProb } from '../ui/format.ts';
import { StackRendererContext } from '../viewer/stack-renderer.ts';

function KeyThumb({ image }: { image: KeyImage }) {
  const create = useContext(StackRendererContext);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!create || !el) return;
    const renderer = create(el);
    let live = true;
    const brain = presetWindow(1, undefined);
    renderer.setStack([{ url: image.dicomUrl, frame: image.frame }], () => {});
    renderer.show(0, { wc: brain.center, ww: brain.width, zoom: 1, pan: { x: 0, y: 0 } })
      .then(() => { if (live) el.dataset.status = 'ready'; })
      .catch(() => { if (live) el.dataset.status = 'error'; });
    return () => {
      live = false;
      renderer.destroy();
    };
  }, [create, image.dicomUrl, image.frame]);
  return <div ref={ref} className="key-thumb" data-testid="key-thumb" data-status="loading" />;
}

export function KeyImages() {
  const row = useApp((s) => s.studies.find((x) => x.studyUid === s.selectedStudyUid));
  const current = useApp((s) => s.series?.slices[s.sliceIndex]?.imageId);
  const open = useApp((s) => s.openKeyImage);
  const keys = row?.keyImages;
  if (!row || !keys?.length) return null;
  return (
    <div className="key-images" data-testid="key-images" aria-label="Key images">
      <span className="muted" title="the study's slices with the highest any (the higher of safe and risky)">Key images</span>
      <div className="key-list">
        {keys.map((k) => (
          <button key={k.imageId} type="button" data-testid="key-image" data-image-id={k.imageId} className={k.imageId === current ? 'selected' : ''}
            title={`any ${fmtProb(k.pAny)}: open this slice`} onClick={() => void open(row.studyUid, k)}>
            <KeyThumb image={k} />
            <span>{fmtProb(k.pAny)}</span>
          </button>
        ))}
      </div>
    </div>
  );
}
