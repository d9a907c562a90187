/**
 * The repo header's Like button (`POST`/`DELETE …/like`, state from `GET
 * …/like`) and the 30-day downloads chart (`GET …/downloads`).
 */
import { api, messageOf } from './api.js';

interface LikeState {
  liked: boolean;
  likes: number;
}

const button = document.querySelector<HTMLButtonElement>('button[data-like]');
if (button) {
  const url = button.dataset.like!;
  const count = button.querySelector<HTMLElement>('[data-like-count]')!;
  const label = button.querySelector<HTMLElement>('[data-like-label]')!;
  const show = (s: LikeState): void => {
    button.setAttribute('aria-pressed', String(s.liked));
    label.textContent = s.liked ? 'Liked' : 'Like';
    count.textContent = String(s.likes);
    button.title = s.liked ? 'Unlike this repo' : 'Like this repo';
  };
  api<LikeState>(url)
    .then((s) => {
      show(s);
      button.disabled = false;
    })
    .catch((err: unknown) => (button.title = messageOf(err)));
  button.addEventListener('click', async () => {
    const liked = button.getAttribute('aria-pressed') === 'true';
    button.disabled = true;
    try {
      show(await api<LikeState>(url, { method: liked ? 'DELETE' : 'POST' }));
    } catch (err) {
      button.title = messageOf(err);
    } finally {
      button.disabled = false;
    }
  });
}

interface DownloadStats {
  allTime: number;
  last30Days: number;
  daily: { day: string; count: number }[];
}

const SVG = 'http://www.w3.org/2000/svg';
const spark = document.querySelector<HTMLElement>('[data-downloads-spark]');
if (spark) {
  api<DownloadStats>(spark.dataset.downloadsSpark!)
    .then((s) => {
      // One bar per day, oldest on the left; the numbers are in the label and each bar's tooltip.
      const max = Math.max(1, ...s.daily.map((d) => d.count));
      const svg = document.createElementNS(SVG, 'svg');
      svg.setAttribute('viewBox', `0 0 ${s.daily.length * 3} 16`);
      svg.setAttribute('width', String(s.daily.length * 3));
      svg.setAttribute('height', '16');
      svg.setAttribute('role', 'img');
      svg.setAttribute('aria-label', `Downloads over the last 30 days: ${s.last30Days} (all time: ${s.allTime})`);
      s.daily.forEach((d, i) => {
        // A day without downloads is a faint 1-pixel bar, so that the 30 days stay visible.
        const h = d.count ? Math.max(2, Math.round((d.count / max) * 16)) : 1;
        const bar = document.createElementNS(SVG, 'rect');
        bar.setAttribute('x', String(i * 3));
        bar.setAttribute('y', String(16 - h));
        bar.setAttribute('width', '2');
        bar.setAttribute('height', String(h));
        if (!d.count) bar.setAttribute('opacity', '0.35');
        const title = document.createElementNS(SVG, 'title');
        title.textContent = `${d.day}: ${d.count}`;
        bar.append(title);
        svg.append(bar);
      });
      const text = document.createElement('span');
      text.textContent = ` ${s.last30Days} in 30 days · ${s.allTime} all time`;
      spark.replaceChildren(svg, text);
    })
    .catch(() => spark.remove());
}
