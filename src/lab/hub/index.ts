/**
 * Hugging Face Hub loader: model and dataset files by repository id and revision, streamed with
 * progress, cancellable, cached, and refused before download when too big for the device.
 * Browser- and worker-safe; the folder cache for Node lives in ./cache-fs.ts (import it lazily).
 */
export { CacheStorageFileCache, type FileCache, MemoryFileCache } from './cache.ts';
export { DEFAULT_ENDPOINT, defaultFileCache, type HubOptions, type HubProgress } from './context.ts';
export {
  type HubDatasetFile,
  type HubDatasetListing,
  listHubDatasetFiles,
  loadHubDatasetFile,
  parseJsonRows,
} from './dataset.ts';
export { formatBytes, HubError, type HubErrorDetails, type HubErrorKind } from './errors.ts';
export type { RepoFile, RepoListing } from './files.ts';
export { type Checked, checkRepoId, checkRepoPath, checkRevision } from './ids.ts';
export { type HubModelFiles, loadHubModel } from './model.ts';
