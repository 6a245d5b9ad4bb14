// Chat: the bot that posts the webhooks' messages (its name and avatar), the channels (create
// one) and their messages (read only).
import { field, fill, h, table, when } from '../dom.js';
import { pager, title } from './common.js';
import { attemptTo, outcome } from './editing.js';

export async function show(ctx, chid) {
  const [bot, channels] = await Promise.all([ctx.api.bot(), ctx.api.channels()]);
  const messages = h('div', { id: 'messages' });
  const line = outcome('chat-result');
  const botLine = h('p', { id: 'bot' });
  const drawBot = (b) => fill(botLine, 'The bot posts as ', h('strong', {}, b.name),
    b.avatar_url ? [' ', h('img', { src: b.avatar_url, alt: `${b.name}'s avatar`, width: 24, height: 24, class: 'avatar' })] : null, '.');
  drawBot(bot);
  const botName = h('input', { id: 'bot-name', required: true, maxlength: 80, value: bot.name, autocomplete: 'off' });
  const avatar = h('input', { id: 'bot-avatar', type: 'url', maxlength: 500, value: bot.avatar_url ?? '', placeholder: 'https://…/avatar.png', autocomplete: 'off' });
  const botForm = h('form', { id: 'bot-form', class: 'card' }, h('h3', {}, 'The bot'),
    h('div', { class: 'inline' }, field('Name', botName), field('Avatar URL', avatar, 'empty: none')),
    h('button', { type: 'submit' }, 'Save the bot'));
  botForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const saved = await attemptTo(line, () => ctx.api.updateBot({ name: botName.value.trim(), avatar_url: avatar.value.trim() || null }),
      (b) => `The bot is now ${b.name}.`);
    if (saved) drawBot(saved);
  });
  const channelName = h('input', { id: 'channel-name', required: true, maxlength: 100, autocomplete: 'off', spellcheck: 'false' });
  const channelType = h('select', { id: 'channel-type' }, ctx.caps.channel_types.map((t) => h('option', { value: t }, t)));
  const channelForm = h('form', { id: 'channel-form', class: 'card' }, h('h3', {}, 'New channel'),
    h('div', { class: 'inline' }, field('Name', channelName), field('Type', channelType)),
    h('button', { type: 'submit' }, 'Create channel'));
  channelForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const made = await attemptTo(line, () => ctx.api.createChannel({ name: channelName.value.trim(), type: channelType.value }),
      (c) => `Created #${c.name} (${c.id}): mappings post to it by this id.`);
    if (made) ctx.go(`#/channels/${encodeURIComponent(made.id)}`);
  });
  fill(ctx.view,
    title('Chat'),
    botLine,
    h('nav', { class: 'tabs', 'aria-label': 'Channels' },
      channels.map((c) => h('a', { href: `#/channels/${encodeURIComponent(c.id)}`, 'aria-current': c.id === chid ? 'page' : null }, `#${c.name}`))),
    channels.length === 0 ? h('p', { class: 'hint' }, 'No channels yet.') : null,
    messages,
    line,
    h('div', { class: 'grid' }, channelForm, botForm));
  if (!chid) return;
  const channel = channels.find((c) => c.id === chid);
  const load = async (page = 1) => {
    const answer = await ctx.api.messages(chid, { page, per_page: 20 });
    fill(messages, channel ? h('p', { class: 'muted', id: 'channel-id' }, `#${channel.name} · ${channel.type} · id ${channel.id}`) : null,
      answer.data.length === 0 ? h('p', { class: 'muted' }, 'No messages yet.')
        : table('Messages', ['When', 'Author', 'Topic', 'Message'], answer.data, (m) => [
          when(m.created_at), m.author?.name ?? m.author?.kind ?? '', m.topic ?? '', m.text,
        ]),
      answer.total > answer.per_page ? pager(answer, load) : null);
  };
  await load();
}
