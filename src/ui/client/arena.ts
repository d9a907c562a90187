/**
 * The arena voting page (`/arena/{ns}/{slug}`): deals a battle
 * (`POST …/battles`), shows the two anonymous answers (HTML rendered and
 * sanitised by the hub), sends the vote (`POST …/battles/{id}/vote`), shows
 * which models they were, and deals the next battle on request. The buttons
 * are ordinary buttons; keys 1–4 vote and N deals the next battle.
 */
import { api, enable, messageOf, showStatus } from './api.js';

interface Dealt {
  battleId: string;
  prompt: string | { role: string; content: string }[];
  a: { html: string };
  b: { html: string };
}

interface Revealed {
  winner: 'a' | 'b' | 'tie' | 'both_bad';
  a: string;
  b: string;
}

const root = document.querySelector<HTMLElement>('#arena');
if (root) {
  const base = root.dataset.api!;
  const promptEl = root.querySelector<HTMLElement>('#arena-prompt')!;
  const aEl = root.querySelector<HTMLElement>('#arena-a')!;
  const bEl = root.querySelector<HTMLElement>('#arena-b')!;
  const revealA = root.querySelector<HTMLElement>('#arena-reveal-a')!;
  const revealB = root.querySelector<HTMLElement>('#arena-reveal-b')!;
  const votes = root.querySelector<HTMLFieldSetElement>('#arena-votes')!;
  const after = root.querySelector<HTMLElement>('#arena-after')!;
  const result = root.querySelector<HTMLElement>('#arena-result')!;
  const next = root.querySelector<HTMLButtonElement>('#arena-next')!;
  const status = root.querySelector<HTMLElement>('#arena-status');
  let battle: Dealt | null = null;
  let busy = false;

  const showPrompt = (p: Dealt['prompt']): void => {
    promptEl.replaceChildren();
    const h = document.createElement('h2');
    h.textContent = 'Prompt';
    promptEl.append(h);
    // Prompts are shown as text: only the answers are Markdown.
    const messages = typeof p === 'string' ? [{ role: '', content: p }] : p;
    for (const m of messages) {
      const div = document.createElement('div');
      div.className = 'arena-message';
      if (m.role) {
        const role = document.createElement('strong');
        role.textContent = `${m.role}: `;
        div.append(role);
      }
      div.append(document.createTextNode(m.content));
      promptEl.append(div);
    }
  };

  const deal = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    votes.disabled = true;
    next.disabled = true;
    showStatus(status, 'Dealing a battle…');
    try {
      battle = await api<Dealt>(`${base}/battles`, { method: 'POST', json: {} });
      showPrompt(battle.prompt);
      // The hub rendered and sanitised these answers (src/ui/markdown.ts).
      aEl.innerHTML = battle.a.html;
      bEl.innerHTML = battle.b.html;
      revealA.textContent = '';
      revealB.textContent = '';
      after.hidden = true;
      votes.disabled = false;
      root.dataset.state = 'voting';
      showStatus(status, '');
      votes.querySelector<HTMLButtonElement>('button')!.focus();
    } catch (err) {
      showStatus(status, messageOf(err), 'error');
      next.disabled = false;
      after.hidden = false;
    } finally {
      busy = false;
    }
  };

  const LABEL: Record<Revealed['winner'], string> = { a: 'You preferred Model A', b: 'You preferred Model B', tie: 'You called it a tie', both_bad: 'You found both answers bad' };

  const castVote = async (winner: string): Promise<void> => {
    if (busy || !battle || votes.disabled) return;
    busy = true;
    votes.disabled = true;
    showStatus(status, 'Sending your vote…');
    try {
      // Consent is the voter's choice per vote; unticked (the default) means the vote is never exported.
      const publish = root.querySelector<HTMLInputElement>('#arena-consent')?.checked === true;
      const r = await api<Revealed>(`${base}/battles/${encodeURIComponent(battle.battleId)}/vote`, { method: 'POST', json: { winner, consent: { publish } } });
      revealA.textContent = `· ${r.a}`;
      revealB.textContent = `· ${r.b}`;
      result.textContent = `${LABEL[r.winner]}. Model A was ${r.a}; Model B was ${r.b}.`;
      battle = null;
      after.hidden = false;
      next.disabled = false;
      root.dataset.state = 'revealed';
      showStatus(status, 'Vote recorded.', 'ok');
      next.focus();
    } catch (err) {
      showStatus(status, messageOf(err), 'error');
      // A rate-limited vote can be sent again later; anything else needs a fresh battle.
      if (battle) votes.disabled = false;
    } finally {
      busy = false;
    }
  };

  votes.addEventListener('click', (e) => {
    const button = (e.target as Element).closest<HTMLButtonElement>('button[data-winner]');
    if (button) void castVote(button.dataset.winner!);
  });
  next.addEventListener('click', () => void deal());
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target as HTMLElement | null;
    if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
    const winner = ({ '1': 'a', '2': 'b', '3': 'tie', '4': 'both_bad' } as Record<string, string>)[e.key];
    if (winner && !votes.disabled) {
      e.preventDefault();
      void castVote(winner);
    } else if ((e.key === 'n' || e.key === 'N') && !after.hidden && !next.disabled) {
      e.preventDefault();
      void deal();
    }
  });
  enable(root);
  votes.disabled = true;
  void deal();
}
