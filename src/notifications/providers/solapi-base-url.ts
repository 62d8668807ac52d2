/**
 * Re-addressing one origin's requests made with the global `fetch` (SOLAPI's SDK has no base-URL
 * option). A dispatcher wrapping the global one rewrites requests to `from` onto `to` (its origin
 * and path prefix) and passes every other request through untouched. Undone by the returned
 * function (the dispatcher before it comes back).
 */
import { Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from 'undici';

export const SOLAPI_ORIGIN = 'https://api.solapi.com';

class OriginRedirect extends Dispatcher {
  constructor(
    readonly inner: Dispatcher,
    private readonly from: string,
    private readonly to: URL,
  ) {
    super();
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (String(options.origin).replace(/\/$/, '') !== this.from) return this.inner.dispatch(options, handler);
    const prefix = this.to.pathname.replace(/\/$/, '');
    return this.inner.dispatch({ ...options, origin: this.to.origin, path: `${prefix}${options.path}` }, handler);
  }

  override close(): Promise<void> {
    return this.inner.close();
  }

  override destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

export function redirectOrigin(from: string, to: string): () => void {
  const before = getGlobalDispatcher();
  const redirect = new OriginRedirect(before, from, new URL(to));
  setGlobalDispatcher(redirect);
  return () => {
    // Only if nothing was installed over it since; else leave the chain as it is.
    if (getGlobalDispatcher() === redirect) setGlobalDispatcher(before);
  };
}
