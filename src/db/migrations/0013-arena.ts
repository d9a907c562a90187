import type { Kysely } from 'kysely';

/**
 * The arena (docs/arena.md): an arena is owned by a user or an org
 * (`{namespace}/{slug}`) and pinned to one commit of a dataset. Its prompts
 * and the answers of each model are copied into the database when it is
 * created, so dealing a battle is a query, never a file scan. A battle is
 * one prompt dealt to one user with two models behind "A" and "B"; the vote
 * lands on the same row (an arena has no votes without battles).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('arenas')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('namespace', 'text', (c) => c.notNull())
    // lower-cased namespace + '/' + slug: the unique name, looked up case-insensitively
    .addColumn('name_lc', 'text', (c) => c.notNull().unique())
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('private', 'integer', (c) => c.notNull())
    // A deleted dataset takes its arenas with it: their prompts came from it.
    .addColumn('dataset_repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('dataset', 'text', (c) => c.notNull())
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('commit_sha', 'text', (c) => c.notNull())
    .addColumn('prompts', 'integer', (c) => c.notNull())
    .addColumn('models', 'integer', (c) => c.notNull())
    .addColumn('votes_per_minute', 'integer', (c) => c.notNull())
    .addColumn('voter_cap', 'double precision', (c) => c.notNull())
    // 1: answers come live from the models' registered endpoints (arena_endpoints), not from the file
    .addColumn('live', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('arenas_namespace').on('arenas').columns(['namespace']).execute();

  await db.schema
    .createTable('arena_prompts')
    .addColumn('arena_id', 'text', (c) => c.notNull().references('arenas.id').onDelete('cascade'))
    // 0-based position among the prompts that at least two models answered: a random battle is one random idx
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('prompt_id', 'text', (c) => c.notNull())
    // JSON: a string, or a list of {role, content} chat messages
    .addColumn('prompt', 'text', (c) => c.notNull())
    .addColumn('n_models', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('arena_prompts_pk', ['arena_id', 'idx'])
    .execute();

  await db.schema
    .createTable('arena_answers')
    .addColumn('arena_id', 'text', (c) => c.notNull().references('arenas.id').onDelete('cascade'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('answer', 'text', (c) => c.notNull())
    // style features for style-controlled ratings, counted once at indexing
    .addColumn('length', 'integer', (c) => c.notNull())
    .addColumn('headers', 'integer', (c) => c.notNull())
    .addColumn('lists', 'integer', (c) => c.notNull())
    .addColumn('bold', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('arena_answers_pk', ['arena_id', 'idx', 'model'])
    .execute();

  await db.schema
    .createTable('arena_battles')
    // 128 random bits, base64url: unguessable, so knowing an id is no way into someone's battle
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('arena_id', 'text', (c) => c.notNull().references('arenas.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('model_a', 'text', (c) => c.notNull())
    .addColumn('model_b', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    // null until voted: 'a' | 'b' | 'tie' | 'both_bad'
    .addColumn('winner', 'text')
    .addColumn('voted_at', 'text')
    // the answers of a live battle (null when they are in arena_answers)
    .addColumn('answer_a', 'text')
    .addColumn('answer_b', 'text')
    // JSON style features of both answers, fixed when dealt: the fit reads battles alone
    .addColumn('style_a', 'text', (c) => c.notNull())
    .addColumn('style_b', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('arena_battles_user').on('arena_battles').columns(['arena_id', 'user_id', 'voted_at']).execute();
  await db.schema.createIndex('arena_battles_votes').on('arena_battles').columns(['arena_id', 'voted_at']).execute();

  // OpenAI-compatible endpoints of a live arena, one per model, registered by the arena's admins.
  await db.schema
    .createTable('arena_endpoints')
    .addColumn('arena_id', 'text', (c) => c.notNull().references('arenas.id').onDelete('cascade'))
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('base_url', 'text', (c) => c.notNull())
    // the model name the endpoint expects (default: the arena's model name)
    .addColumn('remote_model', 'text', (c) => c.notNull())
    // sent as a bearer token, never returned by the API
    .addColumn('api_key', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('arena_endpoints_pk', ['arena_id', 'model'])
    .execute();
}
