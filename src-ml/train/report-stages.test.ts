// The renderer's copy of the report stages (it may import only types from the engine) is the pipeline's.
import { describe, expect, it } from 'vitest';
import { REPORT_STAGES } from './pipeline.ts';
import { REPORT_STAGES as RENDERER_REPORT_STAGES } from '../../src-renderer/training/versions.ts';

describe('report stages', () => {
  it('the training panel compares the stages the pipeline reports, in its order', () => {
    expect([...RENDERER_REPORT_STAGES]).toEqual([...REPORT_STAGES]);
  });
});
