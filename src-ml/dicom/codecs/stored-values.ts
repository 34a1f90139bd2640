// Turns raw samples (allocated words or codec output) into stored values: shift the High Bit down,
// keep Bits Stored bits, and sign-extend them when Pixel Representation is 1.

/**
 * `bits` is the number of stored bits (1..16), `shift` how far the stored bits sit above bit 0
 * (HighBit + 1 - BitsStored for native data, 0 for codec output). Anything above the stored bits
 * (overlay bits, garbage, a codec's own sign extension) is dropped.
 */
export function toStoredValues(
  samples: Uint8Array | Uint16Array | Int16Array,
  bits: number,
  shift: number,
  signed: boolean,
): Int32Array {
  if (!Number.isInteger(bits) || bits < 1 || bits > 16) throw new RangeError(`stored bits must be 1..16, got ${bits}`);
  const mask = (1 << bits) - 1;
  if (shift === 0 && samples.BYTES_PER_ELEMENT === 2) {
    // Fast paths: the typed-array constructor converts natively (and sign-extends Int16).
    if (bits === 16) {
      const words = signed && !(samples instanceof Int16Array) ? new Int16Array(samples.buffer, samples.byteOffset, samples.length) : samples;
      const direct = !signed && samples instanceof Int16Array ? new Uint16Array(samples.buffer, samples.byteOffset, samples.length) : words;
      return new Int32Array(direct);
    }
    if (!signed) {
      const out = new Int32Array(samples);
      // Only pay for masking when bits above Bits Stored are actually set (overlays, garbage).
      let dirty = false;
      for (let i = 0; i < out.length; i++) {
        if (out[i]! > mask) {
          dirty = true;
          break;
        }
      }
      if (dirty) for (let i = 0; i < out.length; i++) out[i] = out[i]! & mask;
      return out;
    }
  }
  const out = new Int32Array(samples.length);
  if (signed) {
    // Two's complement of `bits` bits: move the sign bit to bit 31 and shift back arithmetically.
    const up = 32 - bits;
    for (let i = 0; i < samples.length; i++) out[i] = (((samples[i]! >>> shift) & mask) << up) >> up;
  } else {
    for (let i = 0; i < samples.length; i++) out[i] = (samples[i]! >>> shift) & mask;
  }
  return out;
}
