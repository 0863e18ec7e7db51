/**
 * A value loaded on first use and shared by every caller after that; a failed load is forgotten,
 * so the next call tries again. The server uses it to import heavy optional SDKs (remote sandboxes,
 * S3, MCP, e-mail…) when a feature first needs them instead of at boot: an idle server's resident
 * memory is then what it uses, not what it could use.
 */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((err: unknown) => {
      loading = undefined;
      throw err;
    }));
}
