// The per-slice DICOM metadata rows the metadata features read (one per CT instance, by series then z):
// the index query lives in the store (store/slice-metadata.ts), which owns every SQL statement.
export { metadataRowsFromWorkspace, type MetaInputRow } from '../store/slice-metadata.ts';
