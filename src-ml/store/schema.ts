// The workspace index schema, as ordered migrations. A migration runs in a transaction and bumps
// PRAGMA user_version, so an index is always at one known version.

/** Seed metadata columns (docs/seed-pipeline.md section 6), in the seed's CamelCase names; multi-valued fields split into _0, _1 ... */
export const METADATA_COLUMNS = [
  ['SOPInstanceUID', 'TEXT'],
  ['Modality', 'TEXT'],
  ['PatientID', 'TEXT'],
  ['StudyInstanceUID', 'TEXT'],
  ['SeriesInstanceUID', 'TEXT'],
  ['StudyID', 'TEXT'],
  ['ImagePositionPatient_0', 'REAL'],
  ['ImagePositionPatient_1', 'REAL'],
  ['ImagePositionPatient_2', 'REAL'],
  ['ImageOrientationPatient_0', 'REAL'],
  ['ImageOrientationPatient_1', 'REAL'],
  ['ImageOrientationPatient_2', 'REAL'],
  ['ImageOrientationPatient_3', 'REAL'],
  ['ImageOrientationPatient_4', 'REAL'],
  ['ImageOrientationPatient_5', 'REAL'],
  ['SamplesPerPixel', 'INTEGER'],
  ['PhotometricInterpretation', 'TEXT'],
  ['Rows', 'INTEGER'],
  ['Columns', 'INTEGER'],
  ['PixelSpacing_0', 'REAL'],
  ['PixelSpacing_1', 'REAL'],
  ['BitsAllocated', 'INTEGER'],
  ['BitsStored', 'INTEGER'],
  ['HighBit', 'INTEGER'],
  ['PixelRepresentation', 'INTEGER'],
  ['WindowCenter', 'TEXT'],
  ['WindowCenter_0', 'REAL'],
  ['WindowCenter_1', 'REAL'],
  ['WindowWidth', 'TEXT'],
  ['WindowWidth_0', 'REAL'],
  ['WindowWidth_1', 'REAL'],
  ['RescaleIntercept', 'REAL'],
  ['RescaleSlope', 'REAL'],
  ['PxlMin', 'REAL'],
  ['PxlMax', 'REAL'],
  ['PxlMean', 'REAL'],
  ['PxlStd', 'REAL'],
] as const;

export type MetadataColumn = (typeof METADATA_COLUMNS)[number][0];

const metadataDdl = METADATA_COLUMNS.map(([name, type]) => `  "${name}" ${type}`).join(',\n');

export const MIGRATIONS: readonly string[] = [
  // 1: files, problems, studies, series, instances (one row per slice), labels.
  `
  CREATE TABLE files (
    file_id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ms INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'problem')),
    transfer_syntax TEXT,
    scanned_at TEXT NOT NULL
  );
  CREATE TABLE problems (
    file_id INTEGER PRIMARY KEY REFERENCES files(file_id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('not_dicom', 'unreadable', 'no_pixels', 'not_ct', 'unsupported')),
    message TEXT NOT NULL
  );
  CREATE TABLE studies (
    study_uid TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL,
    patient_name TEXT NOT NULL,
    study_date TEXT NOT NULL,
    study_description TEXT NOT NULL
  );
  CREATE TABLE series (
    series_uid TEXT PRIMARY KEY,
    study_uid TEXT NOT NULL,
    modality TEXT NOT NULL,
    series_number REAL,
    series_description TEXT NOT NULL,
    manufacturer TEXT NOT NULL
  );
  CREATE TABLE instances (
    image_id TEXT PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(file_id) ON DELETE CASCADE,
    frame INTEGER,
    series_uid TEXT NOT NULL,
    study_uid TEXT NOT NULL,
    InstanceNumber REAL,
    SliceThickness REAL,
    SOPClassUID TEXT,
${metadataDdl},
    warnings TEXT NOT NULL DEFAULT '[]',
    header_json TEXT NOT NULL DEFAULT '{}'
  );
  CREATE INDEX instances_series ON instances(series_uid);
  CREATE INDEX instances_file ON instances(file_id);
  CREATE INDEX series_study ON series(study_uid);
  CREATE TABLE labels (
    image_id TEXT PRIMARY KEY,
    epidural INTEGER NOT NULL,
    intraparenchymal INTEGER NOT NULL,
    intraventricular INTEGER NOT NULL,
    subarachnoid INTEGER NOT NULL,
    subdural INTEGER NOT NULL,
    "any" INTEGER NOT NULL,
    excluded INTEGER NOT NULL DEFAULT 0,
    exclude_reason TEXT,
    source TEXT NOT NULL
  );
  `,
  // 2: folds by patient, training runs, trained models, feature sets.
  `
  CREATE TABLE folds (
    n_folds INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    patient_id TEXT NOT NULL,
    fold INTEGER NOT NULL,
    batch INTEGER NOT NULL,
    PRIMARY KEY (n_folds, seed, patient_id)
  );
  CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    stage TEXT NOT NULL,
    preset TEXT NOT NULL,
    model_name TEXT NOT NULL,
    fold INTEGER,
    n_folds INTEGER,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
    config_json TEXT NOT NULL,
    metrics_json TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    pid INTEGER,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE models (
    model_id TEXT PRIMARY KEY,
    stage TEXT NOT NULL,
    model_name TEXT NOT NULL,
    fold INTEGER,
    n_folds INTEGER,
    run_id TEXT,
    feature_size INTEGER,
    metrics_json TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
  );
  CREATE TABLE feature_sets (
    model_id TEXT PRIMARY KEY,
    dir TEXT NOT NULL,
    train_images INTEGER NOT NULL,
    test_images INTEGER NOT NULL,
    train_copies INTEGER NOT NULL,
    test_copies INTEGER NOT NULL,
    feature_size INTEGER NOT NULL,
    created_at TEXT NOT NULL
  );
  `,
  // 3: per-image sample weights, per-slice predictions (ensembles and their members), fitted ensembles.
  `
  CREATE TABLE sample_weights (
    image_id TEXT PRIMARY KEY,
    weight REAL NOT NULL
  );
  CREATE TABLE predictions (
    image_id TEXT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('ensemble', 'member')),
    oof INTEGER NOT NULL,
    p_epidural REAL NOT NULL,
    p_intraparenchymal REAL NOT NULL,
    p_intraventricular REAL NOT NULL,
    p_subarachnoid REAL NOT NULL,
    p_subdural REAL NOT NULL,
    p_any REAL NOT NULL,
    bounded INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (image_id, source)
  );
  CREATE INDEX predictions_source ON predictions(source);
  CREATE TABLE ensembles (
    name TEXT PRIMARY KEY,
    fit_json TEXT NOT NULL,
    metrics_json TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  `,
  // 4: model versions. A finished pipeline run is a version: its models (a snapshot under
  // versions/<v>/models), its fitted ensembles, report and data fingerprint, and its per-slice
  // predictions. The \`predictions\` and \`ensembles\` tables hold the ACTIVE version's (every reader
  // keeps reading them); version_predictions holds every version's, so promoting one swaps them in.
  `
  CREATE TABLE versions (
    version TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('building', 'active', 'candidate', 'archived')),
    created_at TEXT NOT NULL,
    preset TEXT NOT NULL DEFAULT '',
    report_json TEXT NOT NULL DEFAULT 'null',
    fingerprint_json TEXT NOT NULL DEFAULT '{}',
    models_json TEXT NOT NULL DEFAULT '[]',
    fit_json TEXT,
    metrics_json TEXT,
    models_dir TEXT NOT NULL,
    promoted_at TEXT
  );
  CREATE UNIQUE INDEX versions_one_active ON versions(status) WHERE status = 'active';
  CREATE TABLE version_predictions (
    version TEXT NOT NULL REFERENCES versions(version) ON DELETE CASCADE,
    image_id TEXT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('ensemble', 'member')),
    oof INTEGER NOT NULL,
    p_epidural REAL NOT NULL,
    p_intraparenchymal REAL NOT NULL,
    p_intraventricular REAL NOT NULL,
    p_subarachnoid REAL NOT NULL,
    p_subdural REAL NOT NULL,
    p_any REAL NOT NULL,
    bounded INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (version, image_id, source)
  );
  `,
  // 5: the identity of each indexed file's bytes (device, inode, size, mtime ns, read through a symlink or
  // not; JSON, see file-identity.ts), so the DICOM routes serve only the very file that was indexed. Old rows
  // keep NULL (the routes then fall back to: no symlink, a regular file, the recorded size and mtime). A row
  // whose path, size or mtime is rewritten without a new identity (the demo install's path rewrite) drops it.
  `
  ALTER TABLE files ADD COLUMN identity TEXT;
  CREATE TRIGGER files_identity_stale AFTER UPDATE OF path, size, mtime_ms ON files
    WHEN NEW.identity IS OLD.identity AND NEW.identity IS NOT NULL
  BEGIN
    UPDATE files SET identity = NULL WHERE file_id = NEW.file_id;
  END;
  `,
  // 6: how folds were drawn, as part of their key: 'kfold' (the seed's shuffled KFold; every fold made before
  // this version) or 'stratified' (balanced in each label's positives, data/folds.ts). The same k and seed drawn
  // both ways are two fold sets.
  `
  CREATE TABLE folds_v6 (
    n_folds INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    scheme TEXT NOT NULL DEFAULT 'kfold' CHECK (scheme IN ('kfold', 'stratified')),
    patient_id TEXT NOT NULL,
    fold INTEGER NOT NULL,
    batch INTEGER NOT NULL,
    PRIMARY KEY (n_folds, seed, scheme, patient_id)
  );
  INSERT INTO folds_v6 (n_folds, seed, scheme, patient_id, fold, batch) SELECT n_folds, seed, 'kfold', patient_id, fold, batch FROM folds;
  DROP TABLE folds;
  ALTER TABLE folds_v6 RENAME TO folds;
  `,
];
