/**
 * Folder names for run labels, shared by `orchard train --out` and the PyTorch export so that a
 * run's outputs land in the same folder either way: lower-case, safe characters, unique (a repeated
 * label gets -2, -3, ...), and `run` for a label with no safe character at all.
 */
export function runFolderNames(labels: readonly string[]): string[] {
  const used = new Set<string>();
  return labels.map((label) => {
    const base =
      label
        .toLowerCase()
        .replace(/[^a-z0-9._-]+/g, '-')
        .replace(/^-+|-+$/g, '') || 'run';
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
    used.add(name);
    return name;
  });
}
