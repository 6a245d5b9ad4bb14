// The management API, called from the same origin with a community API key or the admin token.

export class ApiError extends Error {
  constructor(status, error) {
    super(error.message);
    this.status = status;
    this.code = error.code;
    this.at = error.details?.at;
  }
}

const enc = encodeURIComponent;

/** `?a=1&b=2` of the set values of `query`. */
function search(query = {}) {
  const set = Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return set.length ? `?${new URLSearchParams(set)}` : '';
}

export class Api {
  constructor(token) {
    this.token = token;
    this.base = null;
  }

  /** The answer's text as it came (for the engine, which reads numbers exactly), or its ApiError. */
  async text(method, path, body, extra = {}) {
    const headers = { ...extra, authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.ok) return text;
    let error;
    try {
      error = JSON.parse(text).error;
    } catch {
      error = null;
    }
    throw new ApiError(res.status, error ?? { code: `http_${res.status}`, message: `the server answered ${res.status} ${res.statusText}` });
  }

  async call(method, path, body, headers) {
    const text = await this.text(method, path, body, headers);
    try {
      return text ? JSON.parse(text) : null;
    } catch {
      throw new ApiError(200, { code: 'bad_response', message: 'the server answered with non-JSON text' });
    }
  }

  get(path, query) { return this.call('GET', `${path}${search(query)}`); }

  /** Every item of a paged list. */
  async all(path, query = {}) {
    const items = [];
    for (let page = 1; ; page += 1) {
      const { data, total } = await this.get(path, { ...query, per_page: 50, page });
      items.push(...data);
      if (data.length === 0 || items.length >= total) return items;
    }
  }

  /** Who this token is: `{caller: "admin"}` or `{caller: "community", community}`. */
  me() { return this.call('GET', '/v1/me'); }
  communities() { return this.all('/v1/communities'); }
  /** The admin token's alone: answers the new community `{id, name, created_at}`. */
  createCommunity(body) { return this.call('POST', '/v1/communities', body); }
  /** Calls from now on are about community `cid`. */
  use(cid) { this.base = `/v1/communities/${enc(cid)}`; }
  at(path) { return `${this.base}${path}`; }

  webhooks() { return this.all(this.at('/incoming-webhooks')); }
  webhook(wid) { return this.get(this.at(`/incoming-webhooks/${enc(wid)}`)); }
  createWebhook(body) { return this.call('POST', this.at('/incoming-webhooks'), body); }
  updateWebhook(wid, body) { return this.call('PATCH', this.at(`/incoming-webhooks/${enc(wid)}`), body); }
  deleteWebhook(wid) { return this.call('DELETE', this.at(`/incoming-webhooks/${enc(wid)}`)); }
  caught(wid) { return this.get(this.at(`/incoming-webhooks/${enc(wid)}/catch`)); }
  deliveries(wid, query) { return this.get(this.at(`/incoming-webhooks/${enc(wid)}/deliveries`), query); }
  /** The latest deliveries with their payloads, as text: what the shadow replay reads. */
  deliveriesText(wid, query) {
    return this.text('GET', `${this.at(`/incoming-webhooks/${enc(wid)}/deliveries`)}${search({ ...query, include: 'payload' })}`);
  }
  delivery(wid, did) { return this.get(this.at(`/incoming-webhooks/${enc(wid)}/deliveries/${enc(did)}`)); }
  replay(wid, did) { return this.call('POST', this.at(`/incoming-webhooks/${enc(wid)}/deliveries/${enc(did)}/replay`)); }
  replayAll(wid, filters) { return this.call('POST', this.at(`/incoming-webhooks/${enc(wid)}/deliveries/replay`), filters); }
  replayRun(wid, rid) { return this.get(this.at(`/incoming-webhooks/${enc(wid)}/replays/${enc(rid)}`)); }

  /** Every incoming webhook's deliveries in one history (`webhook_id` narrows it to one). */
  communityDeliveries(query) { return this.get(this.at('/deliveries'), query); }

  fields() { return this.all(this.at('/user-fields')); }
  createField(body) { return this.call('POST', this.at('/user-fields'), body); }
  updateField(key, body) { return this.call('PATCH', this.at(`/user-fields/${enc(key)}`), body); }
  deleteField(key) { return this.call('DELETE', this.at(`/user-fields/${enc(key)}`)); }
  currencies() { return this.all(this.at('/currencies')); }
  createCurrency(body) { return this.call('POST', this.at('/currencies'), body); }
  updateCurrency(key, body) { return this.call('PATCH', this.at(`/currencies/${enc(key)}`), body); }
  deleteCurrency(key) { return this.call('DELETE', this.at(`/currencies/${enc(key)}`)); }
  channels() { return this.all(this.at('/channels')); }
  createChannel(body) { return this.call('POST', this.at('/channels'), body); }
  messages(chid, query) { return this.get(this.at(`/channels/${enc(chid)}/messages`), query); }
  bot() { return this.get(this.at('/bot')); }
  updateBot(body) { return this.call('PATCH', this.at('/bot'), body); }
  users(query) { return this.get(this.at('/users'), query); }
  createUser(body) { return this.call('POST', this.at('/users'), body); }
  keys() { return this.all(this.at('/api-keys')); }
  createKey(body) { return this.call('POST', this.at('/api-keys'), body); }
  deleteKey(kid) { return this.call('DELETE', this.at(`/api-keys/${enc(kid)}`)); }
  rotateKey(kid, body) { return this.call('POST', this.at(`/api-keys/${enc(kid)}/rotate`), body); }
  quotas() { return this.get(this.at('/quotas')); }
  /** The admin token's alone: overrides by quota name, null for the deployment's default. */
  updateQuotas(body) { return this.call('PATCH', this.at('/quotas'), body); }
  user(uid) { return this.get(this.at(`/users/${enc(uid)}`)); }
  /** Adjusts a member by hand; `key` makes a repeat of the same request adjust once. */
  adjust(uid, body, key) { return this.call('POST', this.at(`/users/${enc(uid)}/adjustments`), body, { 'idempotency-key': key }); }
  adjustments(uid, query) { return this.get(this.at(`/users/${enc(uid)}/adjustments`), query); }
  gamificationLogs(query) { return this.get(this.at('/gamification-logs'), query); }
  fieldHistories(query) { return this.get(this.at('/user-field-histories'), query); }

  eventTypes() { return this.all(this.at('/event-types')); }
  createEventType(body) { return this.call('POST', this.at('/event-types'), body); }
  deleteEventType(name) { return this.call('DELETE', this.at(`/event-types/${enc(name)}`)); }
  subscriptions() { return this.all(this.at('/webhooks')); }
  subscription(sid) { return this.get(this.at(`/webhooks/${enc(sid)}`)); }
  createSubscription(body) { return this.call('POST', this.at('/webhooks'), body); }
  updateSubscription(sid, body) { return this.call('PATCH', this.at(`/webhooks/${enc(sid)}`), body); }
  deleteSubscription(sid) { return this.call('DELETE', this.at(`/webhooks/${enc(sid)}`)); }
  testSubscription(sid) { return this.call('POST', this.at(`/webhooks/${enc(sid)}/test`)); }
  subscriptionLogs(sid, query) { return this.get(this.at(`/webhooks/${enc(sid)}/logs`), query); }
  subscriptionLog(sid, lid) { return this.get(this.at(`/webhooks/${enc(sid)}/logs/${enc(lid)}`)); }
  /** `force`: a new delivery even when this one was resent before (else the earlier resend answers). */
  resend(sid, lid, force = false) { return this.call('POST', this.at(`/webhooks/${enc(sid)}/logs/${enc(lid)}/resend`), force ? { force: true } : undefined); }
  /** Every failed delivery since `since` (YYYY-MM-DD) not resent yet, sent again: `{recovered, remaining}`. */
  recover(sid, since) { return this.call('POST', this.at(`/webhooks/${enc(sid)}/recover`), { since }); }
}
