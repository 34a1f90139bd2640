import { describe, expect, it } from 'vitest';
import { directionLetters, distanceMm, fmtLength, orientationOf, pixelSpacingOf, scaleBar } from './geometry.ts';
import { fmtAge, fmtTime, patientInfo, yearsBetween } from './patient-info.ts';

describe('orientation markers from ImageOrientationPatient', () => {
  it('axial (rows along +x, columns along +y): R and L left and right, A above, P below', () => {
    expect(orientationOf('1\\0\\0\\0\\1\\0')).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' });
  });

  it('a tilted gantry adds the second letter past a quarter (the demo GE head CT: about 18.5 degrees)', () => {
    expect(orientationOf('1.0000000\\0.0000000\\0.0000000\\0.0000000\\0.9483237\\-0.3173047')).toEqual({ left: 'R', right: 'L', top: 'AS', bottom: 'PI' });
    expect(directionLetters([0, 0.99, -0.1])).toBe('P');
  });

  it('coronal and sagittal; a flipped image swaps the letters', () => {
    expect(orientationOf('1\\0\\0\\0\\0\\-1')).toEqual({ left: 'R', right: 'L', top: 'S', bottom: 'I' });
    expect(orientationOf('0\\1\\0\\0\\0\\-1')).toEqual({ left: 'A', right: 'P', top: 'S', bottom: 'I' });
    expect(orientationOf('-1\\0\\0\\0\\1\\0')).toEqual({ left: 'L', right: 'R', top: 'A', bottom: 'P' });
  });

  it('none without six numbers', () => {
    for (const v of [undefined, '', '1\\0\\0', '1\\0\\0\\0\\x\\0', '0\\0\\0\\0\\0\\0']) expect(orientationOf(v)).toBeNull();
  });
});

describe('distances and the scale bar', () => {
  it('a segment in mm from the pixel spacing (row spacing along y, column spacing along x)', () => {
    expect(distanceMm({ x0: 0, y0: 0, x1: 3, y1: 4 }, { row: 1, column: 1 })).toBe(5);
    expect(distanceMm({ x0: 10, y0: 0, x1: 20, y1: 0 }, { row: 2, column: 0.5 })).toBe(5);
    expect(distanceMm({ x0: 0, y0: 10, x1: 0, y1: 20 }, { row: 2, column: 0.5 })).toBe(20);
    expect(distanceMm({ x0: 0, y0: 0, x1: 1, y1: 1 }, null)).toBeNull();
    expect(fmtLength(12.345, { x0: 0, y0: 0, x1: 1, y1: 0 })).toBe('12.3 mm');
    expect(fmtLength(null, { x0: 0, y0: 0, x1: 3, y1: 4 })).toBe('5.0 px');
  });

  it('PixelSpacing from the header', () => {
    expect(pixelSpacingOf('0.4882812\\0.4882812')).toEqual({ row: 0.4882812, column: 0.4882812 });
    expect(pixelSpacingOf('0.5')).toBeNull();
    expect(pixelSpacingOf(null)).toBeNull();
  });

  it('the longest round length that fits', () => {
    expect(scaleBar(2, 110)).toEqual({ mm: 50, px: 100 });
    expect(scaleBar(4.5, 110)).toEqual({ mm: 20, px: 90 });
    expect(scaleBar(0.1, 110)).toEqual({ mm: 500, px: 50 });
    expect(scaleBar(200, 110)).toBeNull();
    expect(scaleBar(0, 110)).toBeNull();
  });
});

describe('the overlay\'s patient lines', () => {
  it('name, id, age, sex, study date and time, series', () => {
    expect(patientInfo({
      '0010,0010': 'Doe^Jane^^Dr', '0010,0020': 'P1', '0010,1010': '045Y', '0010,0040': 'F', '0008,0020': '20240301', '0008,0030': '081500',
      '0020,0011': '3', '0008,103E': 'Axial 5mm',
    })).toEqual({ patient: 'Doe Jane Dr', patientId: 'P1', age: '45 y', sex: 'F', studyDateTime: '2024-03-01 08:15', series: '#3 Axial 5mm' });
  });

  it('what the header lacks: age from the birth date, the study description, dashes', () => {
    expect(patientInfo({ '0010,0020': 'ID_1', '0010,0030': '19800615', '0008,0020': '20240301', '0008,1030': 'HEAD' }))
      .toEqual({ patient: 'ID_1', patientId: 'ID_1', age: '43 y', sex: '–', studyDateTime: '2024-03-01', series: 'HEAD' });
    expect(patientInfo({})).toEqual({ patient: '–', patientId: '', age: '–', sex: '–', studyDateTime: '–', series: '–' });
  });

  it('DICOM AS, DA and TM', () => {
    expect([fmtAge('003M'), fmtAge('010D'), fmtAge('002W'), fmtAge('odd')]).toEqual(['3 mo', '10 d', '2 wk', 'odd']);
    expect([yearsBetween('19800615', '20240614'), yearsBetween('19800615', '20240615'), yearsBetween('1980', '20240615')]).toEqual([43, 44, null]);
    expect([fmtTime('134501.123'), fmtTime('0930'), fmtTime('09:30:00'), fmtTime('')]).toEqual(['13:45', '09:30', '09:30', '']);
  });
});
