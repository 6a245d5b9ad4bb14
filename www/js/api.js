// The management API, called with a community API key from the same origin.

export class ApiError extends Error {
  constructor(status, error) {
    super(error.message);
    this.status = status;
    this.code = error.code;
    this.at = error.details?.at;
  }
}

export class Api {
  constructor(key) {
    this.key = key;
  }

  async call(method, path, body) {
    const headers = { authorization: `Bearer ${this.key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = { error: { code: 'bad_response', message: `the server answered ${res.status} with non-JSON text` } };
    }
    if (!res.ok) throw new ApiError(res.status, data?.error ?? { code: `http_${res.status}`, message: res.statusText });
    return data;
  }

  /** Every item of a paged list. */
  async all(path) {
    const items = [];
    for (let page = 1; ; page += 1) {
      const { data, total } = await this.call('GET', `${path}?per_page=50&page=${page}`);
      items.push(...data);
      if (data.length === 0 || items.length >= total) return items;
    }
  }

  /** The community this key belongs to. */
  async community() {
    const me = await this.call('GET', '/v1/me');
    if (me.caller !== 'community') {
      throw new ApiError(400, { code: 'not_a_community_key', message: 'this is the admin token; connect with a community API key' });
    }
    this.base = `/v1/communities/${encodeURIComponent(me.community.id)}`;
    return me.community;
  }

  webhooks() { return this.all(`${this.base}/incoming-webhooks`); }
  fields() { return this.all(`${this.base}/user-fields`); }
  currencies() { return this.all(`${this.base}/currencies`); }
  channels() { return this.all(`${this.base}/channels`); }
  caught(id) { return this.call('GET', `${this.base}/incoming-webhooks/${encodeURIComponent(id)}/catch`); }
  saveMapping(id, mapping, location) {
    return this.call('PATCH', `${this.base}/incoming-webhooks/${encodeURIComponent(id)}`, { mapping, location });
  }
}
