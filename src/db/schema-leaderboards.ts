/** A leaderboard definition (migration 0012, docs/leaderboards.md). */
export interface LeaderboardsTable {
  id: string;
  /** the owner (user or org) as spelled at creation */
  namespace: string;
  /** `lower(namespace)/slug`, unique */
  name_lc: string;
  slug: string;
  title: string;
  description: string | null;
  private: number;
  /** JSON of `LeaderboardDefinition` (src/services/leaderboards.ts) */
  definition: string;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/** Tables of leaderboards; `Database` in schema.ts extends this. */
export interface LeaderboardTables {
  leaderboards: LeaderboardsTable;
}
