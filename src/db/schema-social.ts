/** Tables of likes, downloads and collections (migration 0007); `Database` in schema.ts extends this. */

export interface RepoLikesTable {
  repo_id: string;
  user_id: string;
  created_at: string;
}

/** Downloads of one repo on one UTC day (`YYYY-MM-DD`). */
export interface RepoDownloadsTable {
  repo_id: string;
  day: string;
  downloads: number;
}

/** Who already counted for a repo today: a user id (`u:…`) or a keyed hash of address and User-Agent (`a:…`). */
export interface RepoDownloadClientsTable {
  repo_id: string;
  day: string;
  client_key: string;
}

export interface CollectionsTable {
  /** 24 hex digits; the end of the slug */
  id: string;
  owner_user_id: string | null;
  owner_org_id: string | null;
  /** the owner's name, as shown and looked up */
  namespace: string;
  title: string;
  description: string | null;
  private: number;
  theme: string;
  /** order among the namespace's collections */
  position: number;
  created_at: string;
  updated_at: string;
}

export interface CollectionItemsTable {
  /** 24 hex digits: the item's `_id` (PY `item_object_id`) */
  id: string;
  collection_id: string;
  repo_id: string;
  position: number;
  note: string | null;
  created_at: string;
}

export interface SocialTables {
  repo_likes: RepoLikesTable;
  repo_downloads: RepoDownloadsTable;
  repo_download_clients: RepoDownloadClientsTable;
  collections: CollectionsTable;
  collection_items: CollectionItemsTable;
}
