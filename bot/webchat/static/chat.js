// The page around Microsoft's Web Chat: choose who you are, then chat as them.
//
// Each person's chat is a Direct Line conversation on this server. Choosing someone asks
// for a token for their chat and (re)creates Web Chat on it, polling (webSocket: false).
// The list shows how many messages each person has had that you have not looked at, so
// a proactive card (the manager's incident report) is easy to find.
'use strict';

(() => {
  const byId = id => document.getElementById(id);
  const state = { people: [], current: null, directLine: null };
  // How many messages you had seen of each person's, in this server run's chats (`chats`):
  // the chats start empty after a restart, so counts seen before it mean nothing.
  const saved = JSON.parse(sessionStorage.getItem('safecontact.seen') || '{}');
  const seen = saved.seen || {};
  let chats = saved.chats || null;
  const remember = () => sessionStorage.setItem('safecontact.seen', JSON.stringify({ chats, seen }));
  const say = text => { byId('status').textContent = text; };

  const ROLE_NAMES = {
    staff: 'staff', manager: 'manager', authoriser: 'authoriser',
    chief_executive: 'chief executive', admin: 'admin'
  };

  function initials(name) {
    return name.split(/\s+/).filter(Boolean).map(part => part[0]).join('').slice(0, 2).toUpperCase();
  }

  function unread(person) {
    if (state.current && state.current.id === person.id) return 0;
    return Math.max(0, person.messages - (seen[person.id] || 0));
  }

  // Built once; later refreshes only touch the badges and the pressed state, so a
  // keyboard user's focus is never lost.
  function buildPeople() {
    const list = byId('people');
    list.replaceChildren(...state.people.map(person => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'person';
      button.dataset.person = person.id;
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = person.name;
      const roles = document.createElement('span');
      roles.className = 'roles';
      roles.textContent = person.roles.map(r => ROLE_NAMES[r] || r).join(', ') + (person.note ? ` · ${person.note}` : '');
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.hidden = true;
      button.append(name, roles, badge);
      button.addEventListener('click', () => choose(state.people.find(p => p.id === person.id) || person));
      item.append(button);
      return item;
    }));
    updatePeople();
  }

  function updatePeople() {
    for (const button of byId('people').querySelectorAll('button.person')) {
      const person = state.people.find(p => p.id === button.dataset.person);
      if (!person) continue;
      button.setAttribute('aria-pressed', String(!!state.current && state.current.id === person.id));
      const badge = button.querySelector('.badge');
      const count = unread(person);
      badge.textContent = count ? `${count} new` : '';
      badge.hidden = !count;
    }
  }

  // The server makes a new key at each start and gives it to the page as a cookie; a page
  // left open across a restart holds the old one, so it reloads itself (once in a while,
  // never in a loop) to be given the new key, and goes back to the same person's chat.
  function reloadForNewKey(response) {
    if (response.status !== 403 || response.headers.get('X-Safecontact-Refused') !== 'key') return false;
    const last = Number(sessionStorage.getItem('safecontact.reloaded') || 0);
    if (Date.now() - last < 10000) return false;
    sessionStorage.setItem('safecontact.reloaded', String(Date.now()));
    location.reload();
    return true;
  }

  async function loadPeople() {
    const response = await fetch('/webchat/api/people', { headers: { Accept: 'application/json' } });
    if (reloadForNewKey(response)) return new Promise(() => {});
    if (!response.ok) throw new Error(`the directory could not be loaded (${response.status})`);
    const data = await response.json();
    state.people = data.people;
    if (data.chats !== chats) {
      // The server restarted: its counts begin again, and so does what was seen.
      for (const id of Object.keys(seen)) delete seen[id];
      chats = data.chats;
      remember();
    }
    if (state.current) {
      const now = state.people.find(p => p.id === state.current.id);
      if (now) seen[now.id] = now.messages;
      remember();
    }
    return data;
  }

  function showNotice(data) {
    const notice = byId('notice');
    const parts = [];
    if (data.demo) {
      parts.push('Everyone here is fictional: this is the bundled demo directory (no safecontact.toml was found).');
    }
    if (data.teams) {
      notice.classList.add('warning');
      parts.push('This server also has a real Teams registration (--dev): choosing someone here sends their bot messages to this page until they next message the bot in Teams.');
    }
    parts.push('This page works as Teams does: when you press a button on a card, the card changes or a short reply appears below it.');
    notice.textContent = parts.join(' ');
    notice.hidden = false;
    byId('office').textContent = data.office;
    if (!data.people.length) {
      const p = byId('unavailable');
      p.textContent = 'The staff directory has nobody to choose. Add [[staff]] entries, each with a teams_user_id, to safecontact.toml, or remove the file to try the bundled demo directory.';
      p.hidden = false;
    } else if (data.unavailable.length) {
      const p = byId('unavailable');
      p.textContent = `Not listed (no teams_user_id in the directory, so the bot cannot tell who they are): ${data.unavailable.map(u => u.name).join(', ')}.`;
      p.hidden = false;
    }
  }

  async function choose(person) {
    if (state.directLine) {
      state.directLine.end();
      state.directLine = null;
    }
    if (!window.WebChat) return;
    state.current = person;
    seen[person.id] = person.messages;
    remember();
    updatePeople();
    byId('chat-heading').textContent = `Chatting as ${person.name}`;
    history.replaceState(null, '', `#as=${encodeURIComponent(person.id)}`);
    const response = await fetch('/v3/directline/tokens/generate', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: { id: person.id } })
    });
    if (!response.ok) {
      say(`Could not open ${person.name}'s chat (${response.status}).`);
      return;
    }
    const session = await response.json();
    const directLine = window.WebChat.createDirectLine({
      token: session.token,
      domain: `${location.origin}/v3/directline`,
      webSocket: false,
      pollingInterval: 500
    });
    state.directLine = directLine;
    const host = document.createElement('div');
    host.className = 'webchat-host';
    host.dataset.person = person.id;
    byId('webchat').replaceChildren(host);
    window.WebChat.renderWebChat(
      {
        directLine,
        userID: session.userId,
        username: person.name,
        locale: 'en-GB',
        overrideLocalizedStrings: {
          TEXT_INPUT_PLACEHOLDER: 'Type incident, case <reference or name>, checkin or help'
        },
        styleOptions: {
          hideUploadButton: true,
          botAvatarInitials: 'SC',
          userAvatarInitials: initials(person.name),
          bubbleMaxWidth: 640,
          richCardWrapTitle: true
        }
      },
      host
    );
    say(`You are now ${person.name}.`);
  }

  async function main() {
    if (!window.WebChat) {
      byId('webchat').innerHTML = '';
      const p = document.createElement('p');
      p.className = 'empty';
      p.textContent = 'Web Chat is not installed. Run "make run" in the safecontact checkout (or "npm ci --prefix bot/webchat/frontend"), then reload this page.';
      byId('webchat').append(p);
    }
    const data = await loadPeople();
    showNotice(data);
    buildPeople();
    const wanted = new URLSearchParams(location.hash.slice(1)).get('as');
    const person = state.people.find(p => p.id === wanted);
    if (person && window.WebChat) await choose(person);
    setInterval(async () => {
      try {
        await loadPeople();
        updatePeople();
      } catch (error) {
        say('The safecontact server is not answering; is it still running?');
      }
    }, 2000);
  }

  main().catch(error => say(`Something went wrong: ${error.message}`));
})();
