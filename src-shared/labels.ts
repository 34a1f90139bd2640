// The six labels of the project, in its order (`any` last): the one list every process uses (the engine's
// store, metrics and contract, the CLI, the viewer), with the short names and colours the viewer draws them in.
// Data only: no Node or DOM imports.

export const LABELS = ['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural', 'any'] as const;
export type Label = (typeof LABELS)[number];

/** Short names for narrow strip rows and overlays. */
export const LABEL_SHORT: Readonly<Record<Label, string>> = {
  epidural: 'EDH',
  intraparenchymal: 'IPH',
  intraventricular: 'IVH',
  subarachnoid: 'SAH',
  subdural: 'SDH',
  any: 'ANY',
};

/** One colour per label for the overlay and the strip's row headers. */
export const LABEL_COLOR: Readonly<Record<Label, string>> = {
  epidural: '#ff7f0e',
  intraparenchymal: '#d62728',
  intraventricular: '#9467bd',
  subarachnoid: '#2ca02c',
  subdural: '#17becf',
  any: '#ffd700',
};
