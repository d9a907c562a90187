/** Shared rate-limit buckets (migration 0018); `Database` in schema.ts extends this. */
export interface RateBucketsTable {
  key: string;
  tokens: number;
  at: number;
  allowed: number;
}

export interface RateLimitTables {
  rate_buckets: RateBucketsTable;
}
