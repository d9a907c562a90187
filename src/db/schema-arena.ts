/** Tables of the arena; `Database` in schema.ts extends this. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ArenaTables {}
