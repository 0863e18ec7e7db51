/** MIME types by file extension, for parts sent as application/octet-stream and for agent outputs. */
const BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', tsv: 'text/tab-separated-values', json: 'application/json',
  html: 'text/html', htm: 'text/html', xml: 'application/xml', yaml: 'application/yaml', yml: 'application/yaml',
  js: 'text/javascript', ts: 'text/plain', py: 'text/x-python', sh: 'text/x-shellscript',
  pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', svg: 'image/svg+xml',
  zip: 'application/zip', gz: 'application/gzip', tar: 'application/x-tar',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

const OCTET = 'application/octet-stream';

/** The declared type when it says something, else the type of the extension, else octet-stream. */
export function mimeTypeOf(filename: string, declared?: string): string {
  const clean = declared?.split(';')[0]?.trim().toLowerCase();
  if (clean && clean !== OCTET && /^[\w.+-]+\/[\w.+-]+$/.test(clean)) return clean;
  const ext = filename.includes('.') ? filename.slice(filename.lastIndexOf('.') + 1).toLowerCase() : '';
  return BY_EXTENSION[ext] ?? OCTET;
}

/** An extension for the type (for `unnamed` uploads), or ''. */
export function extensionOf(mimeType: string): string {
  const found = Object.entries(BY_EXTENSION).find(([, type]) => type === mimeType);
  return found ? `.${found[0]}` : '';
}
