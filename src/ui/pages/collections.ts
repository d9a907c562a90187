import type { Actor } from '../../auth/actor.js';
import { canCreateIn } from '../../auth/policy.js';
import { typePrefix } from '../../core/repo-id.js';
import { collectionSlug, type CollectionView, MAX_DESCRIPTION, MAX_NOTE, MAX_TITLE } from '../../services/collections.js';
import { clientScript, formStatus, needsJs } from '../forms.js';
import { html, type SafeHtml, timeAgo, trusted } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import { renderMarkdown } from '../markdown.js';

/** Namespaces where the actor may create collections: their own and their orgs' where they can write. */
export function writableNamespaces(actor: Actor): string[] {
  if (actor.kind !== 'user') return [];
  return [actor.user.name, ...[...actor.memberships.values()].map((m) => m.name)].filter((ns) => canCreateIn(actor, ns));
}

function collectionCard(view: CollectionView): SafeHtml {
  const slug = collectionSlug(view.row);
  return html`<li><a class="name" href="/collections/${slug}">${view.row.title}</a>
    ${view.row.private ? html`<span class="pill private">private</span>` : ''}
    <div class="small muted">by <a href="/collections/${view.row.namespace}">${view.row.namespace}</a> · ${String(view.totalItems)} item${view.totalItems === 1 ? '' : 's'} · updated ${timeAgo(view.row.updated_at)}</div>
    ${view.row.description ? html`<div class="small">${view.row.description}</div>` : ''}
    <ul class="bare small">${view.items.map((i) => html`<li>${i.repo.namespace}/${i.repo.name}</li>`)}</ul></li>`;
}

function newCollectionForm(namespaces: string[], preferred: string | undefined): SafeHtml {
  if (namespaces.length === 0) return html``;
  const chosen = namespaces.find((n) => n.toLowerCase() === preferred?.toLowerCase()) ?? namespaces[0];
  return html`<details class="new-collection"><summary>New collection</summary>
    <form class="stack" id="new-collection-form">
      ${needsJs('Creating a collection')}
      <fieldset data-needs-js disabled>
        <div class="row">
          <div><label for="nc-namespace">Owner</label><select id="nc-namespace" name="namespace">${namespaces.map((n) => html`<option value="${n}" ${n === chosen ? html`selected` : ''}>${n}</option>`)}</select></div>
          <div class="grow"><label for="nc-title">Title</label><input id="nc-title" name="title" type="text" required maxlength="${String(MAX_TITLE)}"></div>
        </div>
        <div><label for="nc-description">Description <span class="muted">(optional)</span></label><textarea id="nc-description" name="description" rows="2" maxlength="${String(MAX_DESCRIPTION)}"></textarea></div>
        <label><input type="checkbox" name="private" value="1"> Private: only members of the owner see it</label>
        ${formStatus()}
        <button type="submit" class="primary">Create collection</button>
      </fieldset>
    </form></details>`;
}

/** `/collections` (every collection the viewer may see) and `/collections/{ns}` (one owner's, in their order). */
export function collectionsListPage(page: PageContext, views: CollectionView[], owner: { name: string; type: 'user' | 'org' } | undefined, more: string | undefined): string {
  const namespaces = writableNamespaces(page.actor);
  const canAddHere = owner ? namespaces.some((n) => n.toLowerCase() === owner.name.toLowerCase()) : namespaces.length > 0;
  const title = owner ? `Collections of ${owner.name}` : 'Collections';
  const body = html`<h1>${title}</h1>
    <p class="muted">Curated, ordered lists of models, datasets and spaces, with notes.${owner ? html` <a href="/${owner.name}">${owner.name}'s repos</a> · <a href="/collections">all collections</a>` : ''}</p>
    ${canAddHere ? newCollectionForm(owner ? [owner.name] : namespaces, owner?.name) : ''}
    ${views.length ? html`<ul class="cards collection-cards">${views.map(collectionCard)}</ul>` : html`<p class="empty">No collections yet.</p>`}
    ${more ? html`<p><a href="${more}">More collections</a></p>` : ''}
    ${canAddHere ? clientScript('collection') : ''}`;
  return layout(page, title, body);
}

function itemRow(item: CollectionView['items'][number], index: number, count: number, editor: boolean): SafeHtml {
  const r = item.repo;
  const href = `/${typePrefix(r.type)}${r.namespace}/${r.name}`;
  return html`<li class="collection-item" data-item="${item.id}" data-position="${String(index)}">
    <div class="row">
      <div class="grow"><span class="pill">${r.type}</span> <a class="name" href="${href}">${r.namespace}/${r.name}</a>
        ${r.private ? html`<span class="pill private">private</span>` : ''}
        <span class="small muted">↓ ${String(r.downloads)} · ♥ ${String(r.likes)} · updated ${timeAgo(r.last_modified)}</span></div>
      ${editor
        ? html`<div class="item-actions">
        <button type="button" data-move="-1" ${index === 0 ? html`disabled` : ''} aria-label="Move ${r.name} up">↑</button>
        <button type="button" data-move="1" ${index === count - 1 ? html`disabled` : ''} aria-label="Move ${r.name} down">↓</button>
        <button type="button" data-remove class="danger" aria-label="Remove ${r.name}">Remove</button></div>`
        : ''}
    </div>
    ${item.note ? html`<div class="note markdown">${trusted(renderMarkdown(item.note))}</div>` : ''}
    ${editor
      ? html`<details class="edit-note"><summary class="small">${item.note ? 'Edit note' : 'Add a note'}</summary>
      <form class="stack" data-note-form><fieldset data-needs-js disabled><textarea name="note" rows="2" maxlength="${String(MAX_NOTE)}" aria-label="Note for ${r.name}">${item.note ?? ''}</textarea>
        ${formStatus()}<button type="submit">Save note</button></fieldset></form></details>`
      : ''}
  </li>`;
}

/** `/collections/{ns}/{slug}`: the items in order with their notes; editors reorder, annotate, add and remove. */
export function collectionPage(page: PageContext, view: CollectionView, editor: boolean): string {
  const { row } = view;
  const slug = collectionSlug(row);
  const apiUrl = `/api/collections/${slug.split('/').map(encodeURIComponent).join('/')}`;
  const hidden = view.totalItems - view.items.length;
  const body = html`<section id="collection" data-api="${apiUrl}" data-slug="${slug}">
    <div class="small muted"><a href="/collections">Collections</a> / <a href="/collections/${row.namespace}">${row.namespace}</a></div>
    <h1>${row.title} ${row.private ? html`<span class="pill private">private</span>` : ''}</h1>
    ${row.description ? html`<p>${row.description}</p>` : ''}
    <p class="small muted">${String(view.items.length)} item${view.items.length === 1 ? '' : 's'} · updated ${timeAgo(row.updated_at)}${hidden > 0 ? html` · ${String(hidden)} private item${hidden === 1 ? '' : 's'} you cannot see` : ''}</p>
    ${editor ? html`${needsJs('Editing a collection')}${formStatus('collection-status')}` : ''}
    ${view.items.length
      ? html`<ol class="collection-items">${view.items.map((item, i) => itemRow(item, i, view.items.length, editor))}</ol>`
      : html`<p class="empty">This collection is empty.${editor ? ' Add a repo below, or use “Add to collection” on a repo page.' : ''}</p>`}
    ${editor
      ? html`<form class="stack settings-section" id="add-item-form"><h2>Add a repo</h2>
        <fieldset data-needs-js disabled>
          <div class="row">
            <div><label for="ai-type">Type</label><select id="ai-type" name="type"><option value="model">model</option><option value="dataset">dataset</option><option value="space">space</option></select></div>
            <div class="grow"><label for="ai-id">Repo id</label><input id="ai-id" name="id" type="text" required placeholder="namespace/name" autocapitalize="none" spellcheck="false"></div>
          </div>
          <div><label for="ai-note">Note <span class="muted">(optional, Markdown)</span></label><textarea id="ai-note" name="note" rows="2" maxlength="${String(MAX_NOTE)}"></textarea></div>
          ${formStatus()}<button type="submit" class="primary">Add to collection</button>
        </fieldset></form>
      <form class="stack settings-section" id="edit-collection-form"><h2>Settings</h2>
        <fieldset data-needs-js disabled>
          <div><label for="ec-title">Title</label><input id="ec-title" name="title" type="text" required maxlength="${String(MAX_TITLE)}" value="${row.title}"></div>
          <div><label for="ec-description">Description</label><textarea id="ec-description" name="description" rows="2" maxlength="${String(MAX_DESCRIPTION)}">${row.description ?? ''}</textarea></div>
          <label><input type="checkbox" name="private" value="1" ${row.private ? html`checked` : ''}> Private</label>
          ${formStatus()}<button type="submit" class="primary">Save</button>
        </fieldset></form>
      <section class="settings-section danger-zone"><h2>Delete this collection</h2><p class="small muted">The repos stay; only the list and its notes go.</p>
        <button type="button" class="danger" id="delete-collection" hidden>Delete collection</button></section>
      ${clientScript('collection')}`
      : ''}
  </section>`;
  return layout(page, row.title, body, { description: row.description ?? `A collection by ${row.namespace}` });
}
