// Error formatting shared by every layer: anything thrown (an Error, a string, dicom-parser's
// { exception } objects) as the one line a log, a problem record or a reply carries.

/** Anything thrown, as a one-line message (the first line of an Error's message or of a string). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? String(err);
  if (typeof err === 'string') return err.split('\n')[0] ?? err;
  if (err && typeof err === 'object' && 'exception' in err) return errorMessage((err as { exception: unknown }).exception);
  return String(err);
}
