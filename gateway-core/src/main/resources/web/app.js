/*
 * Parlor end-user page: sign in with a one-time code, then manage linked accounts, preferences,
 * the public handle, blocks, and "forget me" through the user API (contract section 5).
 *
 * No framework and no external requests. The session token lives in sessionStorage only (gone
 * when the tab closes), is sent as "Authorization: Bearer" on /v1/me calls, and never appears in
 * a URL or a cookie. Everything is rendered with textContent, never parsed as HTML.
 */
(function () {
  'use strict';

  var SESSION_KEY = 'parlor.session';
  var ADDRESS_RE = /^[a-z][a-z0-9_-]{0,31}:\S+$/;
  var TIMER_PRESETS = ['86400', '604800', '2592000', '31536000'];
  var REACH_LABELS = { everyone: 'everyone', contacted: 'only people you wrote to first', nobody: 'nobody' };

  var state = {
    me: null,
    signinAddress: null,
    linkAddress: null,
    prefsDirty: false,
    handleDirty: false,
    convDirty: false,
    statusTimer: null,
    statusPending: null
  };

  function $(id) {
    return document.getElementById(id);
  }

  // ---------------------------------------------------------------- session storage

  function readSession() {
    try {
      var raw = window.sessionStorage.getItem(SESSION_KEY);
      if (!raw) {
        return null;
      }
      var s = JSON.parse(raw);
      if (!s || typeof s.token !== 'string' || !s.token) {
        return null;
      }
      if (s.expiresAt) {
        var t = Date.parse(s.expiresAt);
        if (!isNaN(t) && t <= Date.now()) {
          clearSession();
          return null;
        }
      }
      return s;
    } catch (e) {
      return null;
    }
  }

  function saveSession(token, expiresAt) {
    window.sessionStorage.setItem(SESSION_KEY, JSON.stringify({ token: token, expiresAt: expiresAt || null }));
  }

  function clearSession() {
    try {
      window.sessionStorage.removeItem(SESSION_KEY);
      window.sessionStorage.clear();
    } catch (e) {
      /* storage unavailable: nothing to clear */
    }
  }

  // ---------------------------------------------------------------- status region

  function setStatus(message, kind) {
    var el = $('status');
    if (state.statusTimer) {
      clearTimeout(state.statusTimer);
      state.statusTimer = null;
    }
    if (state.statusPending) {
      clearTimeout(state.statusPending);
      state.statusPending = null;
    }
    el.textContent = '';
    el.className = 'status' + (kind === 'error' ? ' error' : '');
    $('status-dismiss').hidden = true;
    if (!message) {
      return;
    }
    // Clear first, then set on the next tick, so that the same message is announced again.
    state.statusPending = window.setTimeout(function () {
      state.statusPending = null;
      el.textContent = message;
      $('status-dismiss').hidden = false;
      if (kind !== 'error') {
        state.statusTimer = window.setTimeout(function () {
          if (el.textContent === message) {
            el.textContent = '';
            $('status-dismiss').hidden = true;
          }
        }, 8000);
      }
    }, 30);
  }

  function showError(err) {
    if (err && err.handled) {
      return;
    }
    setStatus(err && err.message ? err.message : 'Something went wrong. Please try again.', 'error');
  }

  // ---------------------------------------------------------------- API

  function ApiError(status, code, message, retryAfter) {
    this.status = status;
    this.code = code;
    this.message = message;
    this.retryAfter = retryAfter;
    this.handled = false;
  }

  function retryText(retryAfter) {
    var n = parseInt(retryAfter, 10);
    if (!isNaN(n) && n > 0) {
      if (n < 90) {
        return ' Please try again in ' + n + ' second' + (n === 1 ? '' : 's') + '.';
      }
      return ' Please try again in about ' + Math.ceil(n / 60) + ' minutes.';
    }
    return ' Please wait a little and try again.';
  }

  function defaultMessage(status) {
    if (status === 404) {
      return 'This node does not offer that yet.';
    }
    if (status >= 500) {
      return 'The server could not do that just now. Please try again.';
    }
    return 'That did not work (HTTP ' + status + ').';
  }

  /**
   * Calls the user API. Resolves to the parsed JSON body (or null); rejects with an ApiError whose
   * message is ready to show. A 401 on an authenticated call ends the session.
   */
  function api(method, path, body, auth) {
    var headers = { Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    if (auth) {
      var s = readSession();
      if (!s) {
        sessionEnded();
        var gone = new ApiError(401, 'no_session', 'Please sign in.');
        gone.handled = true;
        return Promise.reject(gone);
      }
      headers.Authorization = 'Bearer ' + s.token;
    }
    return fetch(path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer'
    }).then(
      function (res) {
        return res.text().then(function (text) {
          var data = null;
          if (text) {
            try {
              data = JSON.parse(text);
            } catch (e) {
              data = null;
            }
          }
          if (res.ok) {
            return data;
          }
          var err = (data && data.error) || {};
          var e = new ApiError(res.status, err.code || 'http_' + res.status,
            err.message || defaultMessage(res.status), res.headers.get('Retry-After'));
          if (res.status === 429) {
            e.message = 'Too many attempts.' + retryText(e.retryAfter);
          }
          // 401 on a /v1/me call means the session is gone, except a wrong code for a new account.
          if (auth && res.status === 401 && e.code !== 'bad_code') {
            sessionEnded();
            e.handled = true;
          }
          throw e;
        });
      },
      function () {
        throw new ApiError(0, 'network', 'Could not reach the server. Check your connection and try again.');
      });
  }

  function meApi(method, path, body) {
    return api(method, path, body, true);
  }

  // ---------------------------------------------------------------- helpers

  function normalizeAddress(raw) {
    var v = (raw || '').trim();
    var i = v.indexOf(':');
    if (i > 0) {
      v = v.slice(0, i).toLowerCase() + ':' + v.slice(i + 1).trim();
    }
    return v;
  }

  function validAddress(v) {
    return ADDRESS_RE.test(v);
  }

  function normalizeCode(raw) {
    return (raw || '').replace(/[\s-]/g, '');
  }

  function markInvalid(input, invalid) {
    if (invalid) {
      input.setAttribute('aria-invalid', 'true');
    } else {
      input.removeAttribute('aria-invalid');
    }
  }

  /** Runs fn once at a time for a form; marks the button busy meanwhile (keeps it focusable). */
  function guarded(button, fn) {
    return function (ev) {
      if (ev) {
        ev.preventDefault();
      }
      if (button.getAttribute('aria-busy') === 'true') {
        return;
      }
      button.setAttribute('aria-busy', 'true');
      var done = function () {
        button.removeAttribute('aria-busy');
      };
      Promise.resolve()
        .then(fn)
        .then(done, function (err) {
          done();
          showError(err);
        });
    };
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) {
      e.className = cls;
    }
    if (text !== undefined && text !== null) {
      e.textContent = text;
    }
    return e;
  }

  /** A button whose visible text is followed by visually hidden context for screen readers. */
  function rowButton(label, context, cls) {
    var b = el('button', 'button small ' + (cls || ''));
    b.type = 'button';
    b.appendChild(document.createTextNode(label));
    var hidden = el('span', 'vh', ' ' + context);
    b.appendChild(hidden);
    return b;
  }

  function describeSeconds(n) {
    var units = [
      [31536000, 'year'],
      [86400, 'day'],
      [3600, 'hour'],
      [60, 'minute'],
      [1, 'second']
    ];
    for (var i = 0; i < units.length; i++) {
      var u = units[i];
      if (n >= u[0] && n % u[0] === 0) {
        var k = n / u[0];
        return k + ' ' + u[1] + (k === 1 ? '' : 's');
      }
    }
    for (var j = 0; j < units.length; j++) {
      if (n >= units[j][0]) {
        var q = Math.floor(n / units[j][0]);
        return 'about ' + q + ' ' + units[j][1] + (q === 1 ? '' : 's');
      }
    }
    return n + ' seconds';
  }

  // ---------------------------------------------------------------- views

  function showView(name) {
    ['signin', 'me', 'loading'].forEach(function (v) {
      $('view-' + v).hidden = v !== name;
    });
    $('session-bar').hidden = name !== 'me';
  }

  function focusEl(e) {
    if (e) {
      e.focus({ preventScroll: false });
    }
  }

  function showSignin(focus) {
    state.me = null;
    state.linkAddress = null;
    resetSigninForms();
    showView('signin');
    document.title = 'Sign in — Parlor';
    if (focus) {
      focusEl($('signin-address'));
    }
  }

  function resetSigninForms() {
    $('signin-start').hidden = false;
    $('signin-verify').hidden = true;
    $('signin-code').value = '';
    markInvalid($('signin-code'), false);
    markInvalid($('signin-address'), false);
  }

  function sessionEnded() {
    clearSession();
    showSignin(true);
    setStatus('Your session has ended. Please sign in again.', 'error');
  }

  function showMe(focusHeading) {
    showView('me');
    document.title = 'Your settings — Parlor';
    if (focusHeading) {
      window.scrollTo(0, 0);
      focusEl($('me-title'));
    }
  }

  // ---------------------------------------------------------------- rendering the person

  function render(me, opts) {
    opts = opts || {};
    state.me = me;
    if (opts.force) {
      state.prefsDirty = false;
      state.handleDirty = false;
      state.convDirty = false;
    }
    renderAccounts(me);
    if (!state.prefsDirty) {
      renderPrefs(me);
    }
    if (!state.handleDirty) {
      renderHandle(me);
    }
    if (!state.convDirty) {
      renderConversations(me);
    }
    renderBlocks(me);
  }

  function renderConversations(me) {
    var hasHandle = typeof me.handle === 'string' && me.handle !== '';
    $('show-relay').checked = me.showAs !== 'handle';
    $('show-handle').checked = me.showAs === 'handle';
    $('show-handle').disabled = !hasHandle && me.showAs !== 'handle';
    $('conv-name').value = typeof me.displayName === 'string' ? me.displayName : '';
    markInvalid($('conv-name'), false);
    $('conv-read').checked = me.sendReadReceipts !== false;
    $('conv-reactions').checked = me.reactionFallback !== false;
  }

  function onConversationsSave() {
    var shown = document.querySelector('input[name="showAs"]:checked');
    var name = $('conv-name').value.trim();
    if (name.length > 64) {
      markInvalid($('conv-name'), true);
      focusEl($('conv-name'));
      setStatus('The display name can be at most 64 characters.', 'error');
      return null;
    }
    var body = {
      sendReadReceipts: $('conv-read').checked,
      reactionFallback: $('conv-reactions').checked,
      showAs: shown ? shown.value : 'relay',
      displayName: name
    };
    return putPreferences(body).then(
      function (me) {
        state.convDirty = false;
        render(me);
        setStatus('Conversation settings saved. People see you as '
          + (me.showAs === 'handle' ? me.handle : 'an anonymous handle')
          + (me.displayName ? ' (' + me.displayName + ')' : '') + '.');
      },
      function (err) {
        if (err.status === 400) {
          markInvalid($('conv-name'), /displayName/.test(err.message || ''));
        }
        throw err;
      });
  }

  function accountsOf(me) {
    return Array.isArray(me && me.accounts) ? me.accounts.slice() : [];
  }

  function renderAccounts(me) {
    var list = $('accounts-list');
    var accounts = accountsOf(me);
    list.textContent = '';
    accounts.forEach(function (addr, i) {
      var li = el('li');
      li.tabIndex = -1;
      li.setAttribute('data-address', addr);
      var info = el('div', 'acct');
      var pos = el('span', 'acct-pos', String(i + 1));
      pos.setAttribute('aria-hidden', 'true');
      info.appendChild(pos);
      info.appendChild(el('span', 'acct-addr', addr));
      if (i === 0) {
        info.appendChild(el('span', 'badge', 'Preferred'));
      }
      li.appendChild(info);

      var actions = el('div', 'row-actions');
      if (i > 0) {
        var pref = rowButton('Make preferred', addr);
        pref.addEventListener('click', guarded(pref, function () {
          return reorder(addr, 0);
        }));
        actions.appendChild(pref);
      }
      if (i > 1) {
        var up = rowButton('Move up', addr);
        up.addEventListener('click', guarded(up, function () {
          return reorder(addr, i - 1);
        }));
        actions.appendChild(up);
      }
      if (i < accounts.length - 1) {
        var down = rowButton('Move down', addr);
        down.addEventListener('click', guarded(down, function () {
          return reorder(addr, i + 1);
        }));
        actions.appendChild(down);
      }
      if (accounts.length > 1) {
        var unlink = rowButton('Unlink', addr, 'quiet');
        unlink.addEventListener('click', guarded(unlink, function () {
          return unlinkAccount(addr);
        }));
        actions.appendChild(unlink);
      }
      li.appendChild(actions);
      list.appendChild(li);
    });
    $('accounts-only').hidden = accounts.length !== 1;
  }

  function renderPrefs(me) {
    $('pref-optin').checked = me.optIn === true;
    ['everyone', 'contacted', 'nobody'].forEach(function (v) {
      $('reach-' + v).checked = me.reachableBy === v;
    });
    $('pref-plaintext').checked = me.allowPlaintextFallback === true;
    var t = me.defaultTimerSeconds;
    var select = $('pref-timer');
    var custom = $('pref-timer-custom');
    if (t === null || t === undefined || t === 0) {
      select.value = 'off';
      custom.value = '';
    } else if (TIMER_PRESETS.indexOf(String(t)) >= 0) {
      select.value = String(t);
      custom.value = '';
    } else {
      select.value = 'custom';
      custom.value = String(t);
    }
    markInvalid(custom, false);
    syncTimerCustom();
    renderTimerNote(me);
  }

  function syncTimerCustom() {
    var isCustom = $('pref-timer').value === 'custom';
    $('pref-timer-custom-field').hidden = !isCustom;
    var n = Number($('pref-timer-custom').value);
    $('pref-timer-custom-hint').textContent = isCustom && Number.isInteger(n) && n > 0
      ? 'Messages disappear after ' + describeSeconds(n) + '.'
      : 'For example 3600 for an hour.';
  }

  function renderHandle(me) {
    var h = typeof me.handle === 'string' ? me.handle.replace(/^@/, '') : '';
    $('handle-input').value = h;
    markInvalid($('handle-input'), false);
    $('handle-remove').hidden = !h;
  }

  function renderBlocks(me) {
    var list = $('blocks-list');
    var blocks = Array.isArray(me.blocks) ? me.blocks : [];
    list.textContent = '';
    blocks.forEach(function (addr) {
      var li = el('li');
      li.appendChild(el('span', 'acct-addr acct', addr));
      var b = rowButton('Unblock', addr, 'quiet');
      b.addEventListener('click', guarded(b, function () {
        return unblock(addr);
      }));
      li.appendChild(b);
      list.appendChild(li);
    });
    $('blocks-empty').hidden = blocks.length > 0;
  }

  // ---------------------------------------------------------------- groups

  /** Lists the groups the person is in, is invited to, or blocked; members see their group address. */
  function loadGroups() {
    return meApi('GET', 'v1/me/groups').then(function (data) {
      var groups = (data && Array.isArray(data.groups)) ? data.groups : [];
      return Promise.all(groups.map(function (g) {
        return g.state === 'member'
          ? meApi('GET', 'v1/me/groups/' + encodeURIComponent(g.id)).then(function (d) {
            g.address = d.address;
            g.role = d.role;
            g.timerSeconds = d.timerSeconds;
            g.memberList = Array.isArray(d.members) ? d.members : [];
            g.members = g.memberList.length;
            return g;
          })
          : Promise.resolve(g);
      })).then(renderGroups);
    });
  }

  var GROUP_TIMERS = [
    ['off', 'Off'], ['3600', 'After an hour'], ['86400', 'After a day'], ['604800', 'After a week'],
    ['2592000', 'After a month (30 days)'], ['31536000', 'After a year']];

  /** Which groups' "Manage" panels are open, kept across re-renders. */
  var openGroups = {};

  function renderGroups(groups) {
    var list = $('groups-list');
    list.textContent = '';
    groups.forEach(function (g, i) {
      var li = el('li');
      li.setAttribute('data-group', g.id);
      var text = g.state === 'member'
        ? g.name + ' — ' + g.members + (g.members === 1 ? ' member' : ' members') + '; write to ' + g.address
        : g.state === 'blocked' ? g.name + ' — you blocked this group' : g.name + ' — you are invited';
      li.appendChild(el('span', 'acct', text));
      if (g.state === 'blocked') {
        var unblock = rowButton('Unblock', g.name, 'quiet');
        unblock.addEventListener('click', guarded(unblock, function () {
          return meApi('DELETE', 'v1/me/groups/' + encodeURIComponent(g.id) + '/block').then(function () {
            setStatus(g.name + ' may invite you again.');
            return loadGroups();
          });
        }));
        li.appendChild(unblock);
        list.appendChild(li);
        return;
      }
      if (g.state === 'invited') {
        var join = rowButton('Join', g.name, 'primary');
        join.addEventListener('click', guarded(join, function () {
          return groupAction(g, 'join', 'You joined ' + g.name + '.');
        }));
        li.appendChild(join);
      }
      var leave = rowButton(g.state === 'invited' ? 'Decline' : 'Leave', g.name, 'quiet');
      leave.addEventListener('click', guarded(leave, function () {
        return groupAction(g, 'leave', g.state === 'invited' ? 'Invitation declined.' : 'You left ' + g.name + '.');
      }));
      li.appendChild(leave);
      var block = rowButton(g.state === 'invited' ? 'Decline and block' : 'Leave and block', g.name, 'quiet');
      block.addEventListener('click', guarded(block, function () {
        return meApi('POST', 'v1/me/groups/' + encodeURIComponent(g.id) + '/leave', { block: true }).then(function () {
          setStatus(g.name + ' blocked: it cannot invite you again.');
          return loadGroups();
        });
      }));
      li.appendChild(block);
      if (g.state === 'member') {
        li.appendChild(groupPanel(g, i));
      }
      list.appendChild(li);
    });
    $('groups-empty').hidden = groups.length > 0;
  }

  /** A member's "Manage" panel: the members (admins remove them), invite, and for admins rename and the timer. */
  function groupPanel(g, i) {
    var admin = g.role === 'admin';
    var panel = el('details', 'group-manage');
    panel.open = !!openGroups[g.id];
    panel.addEventListener('toggle', function () {
      openGroups[g.id] = panel.open;
    });
    var summary = el('summary', null, 'Manage');
    summary.appendChild(el('span', 'vh', ' ' + g.name));
    panel.appendChild(summary);

    var members = el('ul', 'blocks');
    members.setAttribute('aria-label', 'Members of ' + g.name);
    g.memberList.forEach(function (m) {
      var row = el('li');
      row.appendChild(el('span', 'acct', (m.handle === 'you' ? 'You' : m.handle) + (m.role === 'admin' ? ' (admin)' : '')));
      if (admin && m.handle !== 'you') {
        var remove = rowButton('Remove', m.handle + ' from ' + g.name, 'quiet');
        remove.addEventListener('click', guarded(remove, function () {
          return meApi('DELETE', 'v1/me/groups/' + encodeURIComponent(g.id) + '/members/' + encodeURIComponent(m.handle))
            .then(function () {
              setStatus(m.handle + ' was removed from ' + g.name + '.');
              return loadGroups();
            });
        }));
        row.appendChild(remove);
      }
      members.appendChild(row);
    });
    panel.appendChild(members);

    var invite = field(panel, 'g-invite-' + i, 'Invite to ' + g.name, 'input');
    invite.type = 'text';
    invite.setAttribute('autocapitalize', 'none');
    invite.spellcheck = false;
    var inviteButton = rowButton('Invite', 'to ' + g.name);
    inviteButton.addEventListener('click', guarded(inviteButton, function () {
      var who = invitees(invite.value);
      if (!who.length) {
        focusEl(invite);
        setStatus('Name someone to invite: a public handle or an account.', 'error');
        return null;
      }
      return meApi('POST', 'v1/me/groups/' + encodeURIComponent(g.id) + '/invite', { invite: who }).then(function () {
        invite.value = '';
        setStatus('Invitations to ' + g.name + ' sent.');
      });
    }));
    panel.appendChild(inviteButton);

    if (admin) {
      var name = field(panel, 'g-name-' + i, 'Name of ' + g.name, 'input');
      name.type = 'text';
      name.maxLength = 64;
      name.value = g.name;
      var rename = rowButton('Rename', g.name);
      rename.addEventListener('click', guarded(rename, function () {
        var value = groupName(name);
        if (value === null) {
          return null;
        }
        return meApi('PATCH', 'v1/me/groups/' + encodeURIComponent(g.id), { name: value }).then(function () {
          setStatus(g.name + ' is now called ' + value + '.');
          return loadGroups();
        });
      }));
      panel.appendChild(rename);

      var timer = field(panel, 'g-timer-' + i, 'Disappearing messages in ' + g.name, 'select');
      var current = g.timerSeconds === null || g.timerSeconds === undefined ? 'off' : String(g.timerSeconds);
      var known = false;
      GROUP_TIMERS.forEach(function (t) {
        var o = el('option', null, t[1]);
        o.value = t[0];
        known = known || t[0] === current;
        timer.appendChild(o);
      });
      if (!known) {
        var other = el('option', null, describeSeconds(g.timerSeconds));
        other.value = current;
        timer.appendChild(other);
      }
      timer.value = current;
      var setTimer = rowButton('Set timer', 'of ' + g.name);
      setTimer.addEventListener('click', guarded(setTimer, function () {
        var v = timer.value;
        return meApi('PATCH', 'v1/me/groups/' + encodeURIComponent(g.id),
          { timerSeconds: v === 'off' ? null : Number(v) }).then(function () {
          setStatus(v === 'off' ? 'Messages in ' + g.name + ' no longer disappear.'
            : 'Messages in ' + g.name + ' disappear ' + describeSeconds(Number(v)) + ' after sending.');
          return loadGroups();
        });
      }));
      panel.appendChild(setTimer);
    }
    return panel;
  }

  /** A labelled control inside {@code parent}: a div.field with its label, answering the control. */
  function field(parent, id, label, tag) {
    var wrap = el('div', 'field');
    var l = el('label', null, label);
    l.setAttribute('for', id);
    var control = el(tag);
    control.id = id;
    wrap.appendChild(l);
    wrap.appendChild(control);
    parent.appendChild(wrap);
    return control;
  }

  function groupAction(g, action, done) {
    return meApi('POST', 'v1/me/groups/' + encodeURIComponent(g.id) + '/' + action).then(function () {
      setStatus(done);
      return loadGroups();
    });
  }

  /** The group name typed in {@code input}, or null (and the field marked) when it is not 1-64 characters. */
  function groupName(input) {
    var value = input.value.trim();
    if (!value || value.length > 64) {
      markInvalid(input, true);
      focusEl(input);
      setStatus('Give the group a name of 1 to 64 characters.', 'error');
      return null;
    }
    markInvalid(input, false);
    return value;
  }

  /** Invitees typed as a comma-separated list: handles lower-cased, accounts normalized. */
  function invitees(text) {
    return text.split(',').map(function (x) {
      x = x.trim();
      return x.charAt(0) === '@' ? x.toLowerCase() : normalizeAddress(x);
    }).filter(function (x) {
      return x;
    });
  }

  function onGroupCreate() {
    var name = $('group-name');
    var value = groupName(name);
    if (value === null) {
      return null;
    }
    var invite = invitees($('group-invite').value);
    return meApi('POST', 'v1/me/groups', { name: value, invite: invite }).then(function () {
      name.value = '';
      $('group-invite').value = '';
      setStatus('Group ' + value + ' created' + (invite.length ? '; invitations sent.' : '.'));
      return loadGroups();
    });
  }

  // ---------------------------------------------------------------- loading the person

  function loadMe(focusHeading) {
    return meApi('GET', 'v1/me').then(function (me) {
      render(me, { force: true });
      showMe(focusHeading);
      loadGroups().catch(showError);
      return me;
    });
  }

  // ---------------------------------------------------------------- sign in

  function requestSigninCode(address) {
    return api('POST', 'v1/auth/start', { address: address }).then(function () {
      state.signinAddress = address;
      $('signin-sent-to').textContent = 'We sent a code to ' + address
        + ' if this node serves it. It can take a moment to arrive.';
      $('signin-start').hidden = true;
      $('signin-verify').hidden = false;
      $('signin-code').value = '';
      markInvalid($('signin-code'), false);
      focusEl($('signin-code'));
      setStatus('Code sent to ' + address + '.');
    });
  }

  function onSigninStart() {
    var input = $('signin-address');
    var address = normalizeAddress(input.value);
    if (!validAddress(address)) {
      markInvalid(input, true);
      focusEl(input);
      setStatus('Enter your account as network:account, for example chatapp:alice.', 'error');
      return null;
    }
    markInvalid(input, false);
    input.value = address;
    return requestSigninCode(address);
  }

  function onSigninVerify() {
    var input = $('signin-code');
    var code = normalizeCode(input.value);
    if (!/^[0-9]{6}$/.test(code)) {
      markInvalid(input, true);
      focusEl(input);
      setStatus('The code is 6 digits.', 'error');
      return null;
    }
    markInvalid(input, false);
    return api('POST', 'v1/auth/verify', { address: state.signinAddress, code: code }).then(
      function (res) {
        if (!res || typeof res.token !== 'string') {
          throw new ApiError(500, 'bad_response', 'The server did not return a session. Please try again.');
        }
        saveSession(res.token, res.expiresAt);
        input.value = '';
        return loadMe(true).then(function () {
          setStatus('Signed in.');
        });
      },
      function (err) {
        if (err.code === 'bad_code') {
          err.message = 'That code is not right or has expired. Check it, or ask for a new code.';
        }
        if (err.status === 401 || err.status === 429) {
          markInvalid(input, true);
          input.select();
          focusEl(input);
        }
        throw err;
      });
  }

  // ---------------------------------------------------------------- accounts

  function putPreferences(body) {
    return meApi('PUT', 'v1/me/preferences', body);
  }

  function reorder(addr, to) {
    var accounts = accountsOf(state.me);
    var from = accounts.indexOf(addr);
    if (from < 0 || to < 0 || to >= accounts.length) {
      return null;
    }
    accounts.splice(from, 1);
    accounts.splice(to, 0, addr);
    return putPreferences({ preferred: accounts }).then(function (me) {
      render(me);
      var row = document.querySelector('#accounts-list li[data-address="' + cssEscape(addr) + '"]');
      focusEl(row || $('accounts-title'));
      var list = accountsOf(me);
      setStatus(list[0] === addr
        ? addr + ' is now your preferred account.'
        : addr + ' moved to place ' + (list.indexOf(addr) + 1) + ' of ' + list.length + '.');
    });
  }

  function cssEscape(s) {
    return window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, '\\$&');
  }

  function unlinkAccount(addr) {
    return meApi('DELETE', 'v1/me/accounts/' + encodeURIComponent(addr)).then(
      function (me) {
        render(me);
        focusEl($('accounts-title'));
        setStatus(addr + ' is no longer linked.');
      },
      function (err) {
        if (err.code === 'last_account') {
          err.message = 'You cannot unlink your only account. Use "Forget me" to delete everything instead.';
        }
        throw err;
      });
  }

  function onLinkStart() {
    var input = $('link-address');
    var address = normalizeAddress(input.value);
    if (!validAddress(address)) {
      markInvalid(input, true);
      focusEl(input);
      setStatus('Enter the account as network:account, for example sms:+447700900123.', 'error');
      return null;
    }
    markInvalid(input, false);
    input.value = address;
    return meApi('POST', 'v1/me/accounts', { address: address }).then(function () {
      state.linkAddress = address;
      $('link-sent-to').textContent = 'We sent a code to ' + address + '. Enter it here to link the account.';
      $('link-start').hidden = true;
      $('link-verify').hidden = false;
      $('link-code').value = '';
      markInvalid($('link-code'), false);
      focusEl($('link-code'));
      setStatus('Code sent to ' + address + '.');
    });
  }

  function resetLinkForms() {
    state.linkAddress = null;
    $('link-verify').hidden = true;
    $('link-start').hidden = false;
    $('link-code').value = '';
    markInvalid($('link-code'), false);
  }

  function onLinkVerify() {
    var input = $('link-code');
    var code = normalizeCode(input.value);
    if (!/^[0-9]{6}$/.test(code)) {
      markInvalid(input, true);
      focusEl(input);
      setStatus('The code is 6 digits.', 'error');
      return null;
    }
    markInvalid(input, false);
    var address = state.linkAddress;
    return meApi('POST', 'v1/me/accounts/verify', { address: address, code: code }).then(
      function (me) {
        resetLinkForms();
        $('link-address').value = '';
        render(me);
        var row = document.querySelector('#accounts-list li[data-address="' + cssEscape(address) + '"]');
        focusEl(row || $('accounts-title'));
        setStatus(address + ' is now linked.');
      },
      function (err) {
        if (err.code === 'bad_code') {
          err.message = 'That code is not right or has expired. Check it, or cancel and send a new one.';
        }
        if (err.status === 401 || err.status === 429) {
          markInvalid(input, true);
          input.select();
          focusEl(input);
        }
        throw err;
      });
  }

  // ---------------------------------------------------------------- preferences

  function onPrefsSave() {
    var body = {
      optIn: $('pref-optin').checked,
      allowPlaintextFallback: $('pref-plaintext').checked
    };
    var reach = document.querySelector('input[name="reachableBy"]:checked');
    if (reach) {
      body.reachableBy = reach.value;
    }
    var sel = $('pref-timer').value;
    if (sel === 'off') {
      body.defaultTimerSeconds = null;
    } else if (sel === 'custom') {
      var input = $('pref-timer-custom');
      var n = Number(input.value);
      if (!input.value || !Number.isInteger(n) || n < 1) {
        markInvalid(input, true);
        focusEl(input);
        setStatus('Enter the custom timer as a whole number of seconds, 1 or more.', 'error');
        return null;
      }
      markInvalid(input, false);
      body.defaultTimerSeconds = n;
    } else {
      body.defaultTimerSeconds = Number(sel);
    }
    return putPreferences(body).then(function (me) {
      state.prefsDirty = false;
      render(me);
      var msg = 'Preferences saved. ';
      if (me.optIn) {
        msg += 'You can be reached by ' + (REACH_LABELS[me.reachableBy] || me.reachableBy) + '.';
      } else {
        msg += 'Nobody can reach you through Parlor until you opt in.';
      }
      setStatus(msg);
    });
  }

  // ---------------------------------------------------------------- handle

  function saveHandle(value) {
    return putPreferences({ handle: value }).then(
      function (me) {
        state.handleDirty = false;
        render(me);
        setStatus(me.handle ? 'Your public handle is now ' + (String(me.handle).charAt(0) === '@' ? '' : '@')
          + me.handle + '.' : 'Your public handle has been removed.');
      },
      function (err) {
        if (err.status === 409 || err.code === 'conflict') {
          err.message = 'That handle is already taken. Please choose another.';
        }
        if (err.status === 400 || err.status === 409) {
          markInvalid($('handle-input'), true);
          focusEl($('handle-input'));
        }
        throw err;
      });
  }

  function onHandleSave() {
    var v = $('handle-input').value.trim().replace(/^@+/, '').toLowerCase();
    $('handle-input').value = v;
    markInvalid($('handle-input'), false);
    return saveHandle(v);
  }

  // ---------------------------------------------------------------- blocks

  function onBlockAdd() {
    var input = $('block-address');
    var raw = input.value.trim();
    var first = raw.charAt(0);
    var address = first === '@' || first === '~' ? raw.toLowerCase() : normalizeAddress(raw);
    if (!address || (!validAddress(address) && !/^[@~]\S+$/.test(address))) {
      markInvalid(input, true);
      focusEl(input);
      setStatus('Enter an account as network:account (for example chatapp:someone), a handle such as @name,'
        + ' or the relay handle a message came from, such as ~k3j9x2m4pq.', 'error');
      return null;
    }
    markInvalid(input, false);
    return meApi('POST', 'v1/me/blocks', { address: address }).then(function (me) {
      input.value = '';
      render(me);
      setStatus(address + ' is blocked.');
    });
  }

  function unblock(addr) {
    return meApi('DELETE', 'v1/me/blocks/' + encodeURIComponent(addr)).then(function (me) {
      render(me);
      focusEl($('blocks-title'));
      setStatus(addr + ' is no longer blocked.');
    });
  }

  // ---------------------------------------------------------------- forget me

  function askForget() {
    $('forget-ask').hidden = true;
    $('forget-confirm').hidden = false;
    focusEl($('forget-no'));
  }

  function cancelForget() {
    $('forget-confirm').hidden = true;
    $('forget-ask').hidden = false;
    focusEl($('forget-start'));
  }

  function onForget() {
    return meApi('DELETE', 'v1/me').then(function () {
      clearSession();
      $('forget-confirm').hidden = true;
      $('forget-ask').hidden = false;
      $('signin-address').value = '';
      showSignin(true);
      setStatus('Everything about you has been deleted from this node.');
    });
  }

  function signOut() {
    var s = readSession();
    if (s) {
      // Best effort: end the session on the server too; the page forgets it either way.
      fetch('v1/auth/logout', {
        method: 'POST',
        headers: { Authorization: 'Bearer ' + s.token },
        credentials: 'omit',
        cache: 'no-store',
        referrerPolicy: 'no-referrer'
      }).catch(function () {});
    }
    clearSession();
    $('signin-address').value = '';
    resetLinkForms();
    showSignin(true);
    setStatus('You are signed out.');
  }

  // ---------------------------------------------------------------- wiring

  function on(id, event, fn) {
    $(id).addEventListener(event, fn);
  }

  // ---------------------------------------------------------------- the node's networks

  /** The node's networks (GET /v1/networks): examples for the address fields, which take timers. */
  function loadNetworks() {
    return api('GET', 'v1/networks').then(function (data) {
      state.networks = (data && Array.isArray(data.networks)) ? data.networks : [];
      renderNetworkHints();
      if (state.me) {
        renderTimerNote(state.me);
      }
    }, function () {
      state.networks = null; // the static hints stay
    });
  }

  /** "for example chatapp:alice or sms:+44..." from the node's own networks, never one it lacks. */
  function renderNetworkHints() {
    var nets = state.networks || [];
    if (!nets.length) {
      return;
    }
    var examples = nets.slice(0, 3).map(function (n) {
      return n.example;
    });
    fillHint($('signin-address-hint'), 'Network, a colon, then your account, for example ', examples, '.');
    fillHint($('link-address-hint'), 'For example ', examples,
      '. We send a code to that account to check it is yours.');
  }

  function fillHint(p, before, examples, after) {
    p.textContent = before;
    examples.forEach(function (x, i) {
      if (i > 0) {
        p.appendChild(document.createTextNode(i === examples.length - 1 ? ' or ' : ', '));
      }
      p.appendChild(el('code', null, x));
    });
    p.appendChild(document.createTextNode(after));
  }

  /**
   * When the preferred account's network cannot make messages disappear, a message with a timer
   * goes to the first account whose network can: the page says which (or that none can).
   */
  function renderTimerNote(me) {
    var note = $('pref-timer-note');
    var nets = state.networks;
    var t = me.defaultTimerSeconds;
    var accounts = accountsOf(me);
    if (!nets || !accounts.length || t === null || t === undefined || t === 0) {
      note.hidden = true;
      return;
    }
    var timers = {};
    nets.forEach(function (n) {
      timers[n.id] = n.timers === true;
    });
    var netOf = function (a) {
      return a.slice(0, a.indexOf(':'));
    };
    if (timers[netOf(accounts[0])]) {
      note.hidden = true;
      return;
    }
    var able = accounts.filter(function (a) {
      return timers[netOf(a)];
    });
    note.textContent = able.length
      ? 'Messages with a timer will reach you at ' + able[0] + ': ' + netOf(accounts[0])
        + ' (your preferred account) cannot make messages disappear.'
      : 'None of your accounts\' networks can make messages disappear: messages with a timer may be refused.';
    note.hidden = false;
  }

  function start() {
    loadNetworks();
    on('signin-start', 'submit', guarded($('signin-send'), onSigninStart));
    on('signin-verify', 'submit', guarded($('signin-submit'), onSigninVerify));
    on('signin-resend', 'click', guarded($('signin-resend'), function () {
      return requestSigninCode(state.signinAddress);
    }));
    on('signin-change', 'click', function () {
      resetSigninForms();
      focusEl($('signin-address'));
    });

    on('link-start', 'submit', guarded($('link-send'), onLinkStart));
    on('link-verify', 'submit', guarded($('link-submit'), onLinkVerify));
    on('link-cancel', 'click', function () {
      resetLinkForms();
      focusEl($('link-address'));
    });

    on('prefs', 'submit', guarded($('prefs-save'), onPrefsSave));
    on('prefs', 'input', function () {
      state.prefsDirty = true;
    });
    on('prefs', 'change', function () {
      state.prefsDirty = true;
    });
    on('pref-timer', 'change', function () {
      syncTimerCustom();
      if ($('pref-timer').value === 'custom') {
        focusEl($('pref-timer-custom'));
      }
    });
    on('pref-timer-custom', 'input', syncTimerCustom);

    on('handle-form', 'submit', guarded($('handle-save'), onHandleSave));
    on('handle-input', 'input', function () {
      state.handleDirty = true;
    });
    on('handle-remove', 'click', guarded($('handle-remove'), function () {
      return saveHandle('');
    }));

    on('conv-form', 'submit', guarded($('conv-save'), onConversationsSave));
    on('conv-form', 'input', function () {
      state.convDirty = true;
    });
    on('conv-form', 'change', function () {
      state.convDirty = true;
    });

    on('block-form', 'submit', guarded($('block-add'), onBlockAdd));
    on('group-form', 'submit', guarded($('group-create'), onGroupCreate));

    on('forget-start', 'click', askForget);
    on('forget-no', 'click', cancelForget);
    on('forget-yes', 'click', guarded($('forget-yes'), onForget));

    on('sign-out', 'click', signOut);
    on('status-dismiss', 'click', function () {
      var hadFocus = document.activeElement === $('status-dismiss');
      setStatus('');
      if (hadFocus) {
        focusEl($('view-me').hidden ? $('signin-title') : $('me-title'));
      }
    });

    if (readSession()) {
      showView('loading');
      loadMe(false).catch(function (err) {
        if (!err.handled) {
          showSignin(false);
          showError(err);
        }
      });
    } else {
      showSignin(true);
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
