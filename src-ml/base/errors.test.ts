import { describe, expect, it } from 'vitest';
import { errorMessage } from './errors.ts';

describe('errorMessage', () => {
  it('gives the first line of whatever was thrown', () => {
    expect(errorMessage(new Error('bad file\nstack detail'))).toBe('bad file');
    expect(errorMessage('dicom-parser: truncated\nmore')).toBe('dicom-parser: truncated');
    expect(errorMessage({ exception: 'inner reason\nx' })).toBe('inner reason');
    expect(errorMessage({ exception: new Error('wrapped') })).toBe('wrapped');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(undefined)).toBe('undefined');
  });
});
