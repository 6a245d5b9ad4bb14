// Who is signed in: the token and the community, kept in this tab's sessionStorage only, so
// closing the tab signs out and no other tab or later visit sees the token.

const KEY = 'hookmap.session';

/** `{token, cid, name, admin}`, or null when signed out. */
export function load() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    return s && typeof s.token === 'string' && typeof s.cid === 'string' ? s : null;
  } catch {
    return null;
  }
}

export function save(session) {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clear() {
  sessionStorage.removeItem(KEY);
}
