// Pieces several views share: the history's status icons, paging, finding a member, effects.
import { copyButton, h, when } from '../dom.js';

/** The history's statuses by name, from the engine's capabilities (`useStatuses`). */
let STATUSES = {};

/** Called once the engine has loaded: the statuses' icons come from it. */
export function useStatuses(caps) {
  STATUSES = Object.fromEntries(caps.history_statuses.map((s) => [s.name, s]));
}

/** Whether a delivery of this status applied its effects (else they were only planned). */
export function applied(status) {
  return Boolean(STATUSES[status]?.applied);
}

/** A delivery's status as the seeds' icon and its word, so it is not told by colour alone. */
export function statusBadge(status) {
  return h('span', { class: `badge ${status}` }, h('span', { 'aria-hidden': 'true' }, STATUSES[status]?.icon ?? '•'), ` ${status}`);
}

/**
 * A failing webhook's flag (the server keeps the state: `failing`), told in words as well as by
 * colour; null when it is not failing. `long` adds since when, why and the latest error.
 */
export function failingFlag(failing, long = false) {
  if (!failing) return null;
  const flag = h('span', { class: 'badge failed failing-flag' }, h('span', { 'aria-hidden': 'true' }, '⚠'), ' failing');
  if (!long) return flag;
  const why = failing.reason.replaceAll('_', ' ');
  return h('p', { class: 'failing-note', id: 'webhook-failing' }, flag,
    ` since ${when(failing.since)} (${why}): ${failing.failures_in_a_row} failed in a row now, the latest with ${failing.last_error ?? 'an unknown error'}. `,
    'Subscriptions that list the failing and recovered events were told; it recovers at its next success.');
}

/** "3 success · 1 failed ..." of an answer's `totals`. */
export function totalsLine(totals) {
  return Object.entries(totals ?? {}).map(([k, n]) => `${n} ${k}`).join(' · ');
}

/** Older/newer buttons under a paged list; `go(page)` draws that page. */
export function pager(answer, go) {
  const pages = Math.max(1, Math.ceil(answer.total / answer.per_page));
  const prev = h('button', { type: 'button', class: 'small', disabled: answer.page <= 1 }, 'Newer');
  const next = h('button', { type: 'button', class: 'small', disabled: answer.page >= pages }, 'Older');
  prev.addEventListener('click', () => go(answer.page - 1));
  next.addEventListener('click', () => go(answer.page + 1));
  return h('div', { class: 'inline pager' }, prev, h('span', { class: 'muted' }, `page ${answer.page} of ${pages} (${answer.total})`), next);
}

/**
 * The member `who` names: a member id, an email (it has an @) or a username. Answers the id, or
 * null when there is no such member; an empty `who` is undefined (no filter).
 */
export async function findMember(api, who) {
  const text = who.trim();
  if (!text) return undefined;
  if (/^usr_[0-9a-f]+$/.test(text)) return text;
  const { data } = await api.users({ ...memberQuery(text), per_page: 1 });
  return data[0]?.id ?? null;
}

/** The users query for `text`: an email when it has an @, else a username. */
export function memberQuery(text) {
  return text.includes('@') ? { email: text } : { username: text };
}

/** An `<a>` to a member's page, or "—" when there is none. */
export function memberLink(uid) {
  return uid ? h('a', { href: `#/members/${encodeURIComponent(uid)}` }, uid) : '—';
}

/** An error `{code, message, at}` as one line. */
export function errorLine(error) {
  if (!error) return '';
  return `${error.code}${error.message ? `: ${error.message}` : ''}${error.at ? ` (at ${error.at})` : ''}`;
}

/** A view's heading and an optional line under it. */
export function title(text, ...after) {
  return [h('h2', { class: 'view-title' }, text), ...after];
}

/** A secret the server shows this once, with a copy button. */
export function shownOnce(label, value, use) {
  const input = h('input', { readonly: true, value, class: 'secret-value', 'aria-label': label });
  return h('div', { class: 'once' },
    h('p', {}, h('strong', {}, `${label}, shown once: `), use, ' Copy it now: it cannot be shown again.'),
    h('div', { class: 'inline' }, input, copyButton('Copy', () => value)));
}

/** Replaces `button` by a question and a Yes button that runs `then`. */
export function confirmThen(button, question, then) {
  const yes = h('button', { type: 'button', class: 'small danger' }, 'Yes');
  const no = h('button', { type: 'button', class: 'small' }, 'No');
  const ask = h('span', { class: 'confirm' }, question, ' ', yes, ' ', no);
  button.replaceWith(ask);
  yes.addEventListener('click', () => { ask.replaceWith(button); then(); });
  no.addEventListener('click', () => { ask.replaceWith(button); button.focus(); });
  yes.focus();
}
