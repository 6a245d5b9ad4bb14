// Chat, read only: the bot that posts the webhooks' messages, the channels and their messages.
import { fill, h, table, when } from '../dom.js';
import { pager, title } from './common.js';

export async function show(ctx, chid) {
  const [bot, channels] = await Promise.all([ctx.api.bot(), ctx.api.channels()]);
  const messages = h('div', { id: 'messages' });
  fill(ctx.view,
    title('Chat'),
    h('p', { id: 'bot' }, 'The bot posts as ', h('strong', {}, bot.name),
      bot.avatar_url ? [' ', h('img', { src: bot.avatar_url, alt: `${bot.name}'s avatar`, width: 24, height: 24, class: 'avatar' })] : null, '.'),
    h('nav', { class: 'tabs', 'aria-label': 'Channels' },
      channels.map((c) => h('a', { href: `#/channels/${encodeURIComponent(c.id)}`, 'aria-current': c.id === chid ? 'page' : null }, `#${c.name}`))),
    channels.length === 0 ? h('p', { class: 'hint' }, 'No channels yet.') : null,
    messages);
  if (!chid) return;
  const load = async (page = 1) => {
    const answer = await ctx.api.messages(chid, { page, per_page: 20 });
    fill(messages, answer.data.length === 0 ? h('p', { class: 'muted' }, 'No messages yet.')
      : table('Messages', ['When', 'Author', 'Topic', 'Message'], answer.data, (m) => [
        when(m.created_at), m.author?.name ?? m.author?.kind ?? '', m.topic ?? '', m.text,
      ]),
    answer.total > answer.per_page ? pager(answer, load) : null);
  };
  await load();
}
