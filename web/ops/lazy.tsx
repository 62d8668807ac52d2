/**
 * A console view loaded on first use (a dynamic import, its own chunk): the console's first load
 * carries the live feed and its controls only. The module is fetched once and kept.
 */
import type { FunctionComponent } from 'preact';
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { errorText, t } from './words.ts';

export function lazyView<P extends object>(load: () => Promise<FunctionComponent<P>>): FunctionComponent<P> {
  let loaded: FunctionComponent<P> | null = null;
  let loading: Promise<FunctionComponent<P>> | null = null;
  return function LazyView(props: P) {
    const view = useSignal<{ c: FunctionComponent<P> } | null>(loaded ? { c: loaded } : null);
    const error = useSignal<string | null>(null);
    useEffect(() => {
      if (view.value) return;
      loading ??= load().then((c) => (loaded = c));
      loading.then(
        (c) => (view.value = { c }),
        (e: unknown) => {
          loading = null; // a failed fetch (a deploy replaced the chunk, the network) is tried again next time
          error.value = errorText(e);
        },
      );
    }, []);
    if (error.value) return <p class="error" role="alert">{error.value}</p>;
    if (!view.value) return <p role="status">{t().loading}</p>;
    const View = view.value.c;
    return <View {...props} />;
  };
}
