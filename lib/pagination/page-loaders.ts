import DataLoader from "dataloader";
import type { PageRequest } from "./page-request";

/**
 * One DataLoader per distinct page request within a request's lifetime: every lead on a
 * page asking for `notes(first: 2)` shares one batch, while `notes(first: 5)` elsewhere in
 * the same operation gets its own.
 */
export function loaderPerPageRequest<K, V>(batch: (request: PageRequest, keys: readonly K[]) => Promise<V[]>): (request: PageRequest) => DataLoader<K, V> {
  const loaders = new Map<string, DataLoader<K, V>>();
  return (request) => {
    const key = JSON.stringify(request);
    let loader = loaders.get(key);
    if (!loader) {
      loader = new DataLoader<K, V>((keys) => batch(request, keys));
      loaders.set(key, loader);
    }
    return loader;
  };
}
