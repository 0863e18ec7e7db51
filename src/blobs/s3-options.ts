/** Where an S3 blob store writes; apart from s3-blob-store.ts so it can be named without loading the AWS SDK. */

export interface S3BlobStoreOptions {
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  /** Prepended to every key, e.g. "memory/". */
  prefix?: string;
}

/** The store's `description`: endpoint and bucket, never the credentials. */
export function describeS3Bucket(options: Pick<S3BlobStoreOptions, 'endpoint' | 'region' | 'bucket'>): string {
  return `s3 ${options.endpoint ?? `s3.${options.region}.amazonaws.com`}/${options.bucket}`;
}
