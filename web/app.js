/*
 * app.js - the page for people (GET /): sign up, log in, enroll the
 * authenticator app from the QR, the 6-digit code, the recovery codes once,
 * then the products (pages, create, edit with If-Match, delete) and log out.
 *
 * Plain JavaScript against the API of the same origin; no framework and
 * nothing from another host (the CSP allows only 'self'). The access token
 * lives in one variable of this closure: never in a cookie, localStorage or
 * sessionStorage, so closing or reloading the tab forgets it.
 */
'use strict';
(function () {
  // ---- state ---------------------------------------------------------------
  var token = null;          // the JWT, in memory only
  var username = null;       // who is logging in / logged in
  var expiryTimer = null;    // logs out when the token expires
  var pageStarts = [0];      // after_id of each page seen so far
  var pageIndex = 0;
  var nextAfter = null;      // after_id of the next page (from Link), or null
  var editing = null;        // {id, etag, product} while the dialog is open
  var countdowns = new Map();// element -> interval id of a "try again in" text

  var $ = function (id) { return document.getElementById(id); };

  // ---- talking to the API --------------------------------------------------
  /*
   * api(method, path, body, extraHeaders) -> {status, headers, data}: status
   * 0 when the server cannot be reached; data is the parsed JSON answer or
   * null. body undefined: none is sent.
   */
  async function api(method, path, body, extraHeaders) {
    var headers = Object.assign({ Accept: 'application/json' }, extraHeaders || {});
    var init = { method: method, headers: headers, cache: 'no-store', credentials: 'omit' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (token) headers.Authorization = 'Bearer ' + token;
    var res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      return { status: 0, headers: new Headers(), data: null };
    }
    var data = null;
    if ((res.headers.get('Content-Type') || '').indexOf('application/json') === 0) {
      try { data = await res.json(); } catch (e) { data = null; }
    }
    return { status: res.status, headers: res.headers, data: data };
  }

  function retryAfterSeconds(res) {
    var n = parseInt(res.headers.get('Retry-After') || '', 10);
    return Number.isFinite(n) && n >= 0 ? n : null;
  }

  function duration(s) {
    if (s < 60) return s + (s === 1 ? ' second' : ' seconds');
    var m = Math.floor(s / 60), r = s % 60;
    if (m < 60) return m + ' min' + (r ? ' ' + r + ' s' : '');
    var h = Math.floor(m / 60);
    return h + ' h' + (m % 60 ? ' ' + (m % 60) + ' min' : '');
  }

  // A token refused by a product route (expired, revoked, or a new server key).
  function isTokenError(res) {
    return (res.status === 401 || res.status === 422) && res.data && typeof res.data.msg === 'string';
  }

  /*
   * What an answer that is not a success means to a person: {text, wait}
   * where wait is a number of seconds for a countdown, or null.
   */
  function explain(res) {
    var d = res.data || {};
    var wait = retryAfterSeconds(res);
    switch (res.status) {
      case 0:
        return { text: 'The server cannot be reached. Check your connection and try again.' };
      case 429:
        return {
          text: 'Too many failed attempts: this account is locked for now. You can try again in {wait}.',
          wait: wait === null ? 60 : wait,
        };
      case 503:
        if (d.error === 'server_busy')
          return { text: 'The server is busy right now. Please try again in a moment.' };
        if (d.error === 'shutting_down')
          return { text: 'The server is restarting. Try again in {wait}.', wait: wait === null ? 5 : wait };
        return { text: 'The server cannot reach its database right now. Try again in {wait}.',
                 wait: wait === null ? 5 : wait };
      case 413:
        return { text: 'That is too much text to send at once.' };
    }
    if (res.status >= 500) return { text: 'Something went wrong on the server (error ' + res.status + '). Please try again.' };
    return { text: d.message || d.msg || 'The server refused this (error ' + res.status + ').' };
  }

  // ---- showing things ------------------------------------------------------
  function show(viewId) {
    document.querySelectorAll('.view').forEach(function (v) { v.hidden = v.id !== viewId; });
    var h = $(viewId).querySelector('h1');
    if (h) h.focus();
  }

  function notice(text) {
    var n = $('notice');
    n.textContent = text || '';
    n.hidden = !text;
  }

  function stopCountdown(el) {
    if (countdowns.has(el)) {
      clearInterval(countdowns.get(el));
      countdowns.delete(el);
    }
  }

  // Writes text into el; a "{wait}" in it counts down from `wait` seconds.
  function say(el, text, wait) {
    stopCountdown(el);
    if (wait === undefined || wait === null || text.indexOf('{wait}') < 0) {
      el.textContent = text || '';
      return;
    }
    var end = Date.now() + wait * 1000;
    var tick = function () {
      var left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      el.textContent = text.replace('in {wait}', left > 0 ? 'in ' + duration(left) : 'now');
      if (left <= 0) stopCountdown(el);
    };
    tick();
    countdowns.set(el, setInterval(tick, 1000));
  }

  // Clears a form's messages and marks.
  function clearErrors(form) {
    form.querySelectorAll('.field-error').forEach(function (p) { p.textContent = ''; });
    form.querySelectorAll('[aria-invalid]').forEach(function (i) { i.removeAttribute('aria-invalid'); });
    say(form.querySelector('.form-error'), '');
  }

  /*
   * Shows an answer's errors on `form`: validation fields next to their
   * inputs (ids "<prefix>-<field>"), the rest in the form's alert. Returns
   * nothing; focuses the first field in error.
   */
  function showErrors(form, prefix, res, overrides) {
    clearErrors(form);
    var d = res.data || {};
    var first = null;
    var leftover = [];
    if (d.fields && typeof d.fields === 'object') {
      Object.keys(d.fields).forEach(function (f) {
        var input = $(prefix + '-' + f), msg = $(prefix + '-' + f + '-error');
        if (input && msg) {
          msg.textContent = fieldText(String(d.fields[f]));
          input.setAttribute('aria-invalid', 'true');
          if (!first) first = input;
        } else {
          leftover.push(f + ': ' + d.fields[f]);
        }
      });
    }
    var e = (overrides && overrides[d.error || res.status]) || explain(res);
    if (d.error === 'validation_failed')
      e = { text: leftover.length ? 'Please check: ' + leftover.join('; ') : 'Please correct the marked fields.' };
    say(form.querySelector('.form-error'), e.text, e.wait);
    if (first) first.focus();
  }

  // The server's reason for a field, as a sentence.
  function fieldText(reason) {
    return reason.charAt(0).toUpperCase() + reason.slice(1);
  }

  function busy(form, on) {
    form.querySelectorAll('button').forEach(function (b) { b.disabled = on; });
    form.setAttribute('aria-busy', on ? 'true' : 'false');
  }

  // A number typed by a person: sent as a JSON number when it reads as one,
  // else as typed (the server then says what is wrong with it).
  function numberOrText(v) {
    var t = v.trim();
    return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
  }

  // ---- sign up and log in --------------------------------------------------
  $('signup-form').addEventListener('submit', async function (ev) {
    ev.preventDefault();
    var form = ev.currentTarget;
    var u = $('signup-username').value.trim(), p = $('signup-password').value;
    clearErrors(form);
    busy(form, true);
    var res = await api('POST', '/signup', { username: u, password: p });
    busy(form, false);
    if (res.status === 201) {
      form.reset();
      $('login-username').value = u;
      $('login-password').value = '';
      notice('Account ' + u + ' created. Log in with its password to set up your authenticator app.');
      $('login-password').focus();
      return;
    }
    if (res.status === 409) {
      res = { status: 400, headers: res.headers,
              data: { error: 'validation_failed', fields: { username: 'This username is taken; choose another one' } } };
    }
    showErrors(form, 'signup', res);
  });

  $('login-form').addEventListener('submit', async function (ev) {
    ev.preventDefault();
    var form = ev.currentTarget;
    var u = $('login-username').value.trim(), p = $('login-password').value;
    clearErrors(form);
    notice('');
    busy(form, true);
    var res = await api('POST', '/login', { username: u, password: p });
    busy(form, false);
    if (res.status !== 200 || !res.data) {
      showErrors(form, 'login', res, {
        invalid_credentials: { text: 'Wrong username or password.' },
      });
      return;
    }
    $('login-password').value = '';
    username = u;
    startCode(res.data);
  });

  // The code view, with the QR when the account has not enrolled yet.
  function startCode(d) {
    var enroll = d['2fa_enrolled'] === false && d.otpauth_uri;
    $('enroll').hidden = !enroll;
    if (enroll) {
      $('enroll-qr').src = 'data:image/png;base64,' + d.qr_png_base64;
      $('enroll-uri').value = d.otpauth_uri;
    } else {
      $('enroll-qr').removeAttribute('src');
      $('enroll-uri').value = '';
    }
    $('code-title').textContent = enroll ? 'Set up two-factor login' : 'Enter your code';
    $('code-user').textContent = username;
    var form = $('code-form');
    form.reset();
    clearErrors(form);
    show('view-code');
  }

  $('enroll-copy').addEventListener('click', async function () {
    var uri = $('enroll-uri');
    try {
      await navigator.clipboard.writeText(uri.value);
      $('enroll-copy').textContent = 'Copied';
    } catch (e) {
      uri.focus();
      uri.select(); // the person copies it with the keyboard
    }
  });

  function forgetEnrollment() {
    $('enroll-qr').removeAttribute('src');
    $('enroll-uri').value = '';
    $('enroll-copy').textContent = 'Copy';
  }

  $('code-back').addEventListener('click', function () {
    forgetEnrollment();
    show('view-welcome');
  });

  $('code-form').addEventListener('submit', async function (ev) {
    ev.preventDefault();
    var form = ev.currentTarget;
    var code = $('code-code').value.replace(/\s+/g, '');
    clearErrors(form);
    if (!/^\d{6}$/.test(code)) {
      $('code-code-error').textContent = 'The code is the 6 digits your app shows.';
      $('code-code').setAttribute('aria-invalid', 'true');
      $('code-code').focus();
      return;
    }
    busy(form, true);
    var res = await api('POST', '/verify-2fa', { username: username, code: code });
    busy(form, false);
    if (res.status === 200 && res.data && res.data.access_token) {
      forgetEnrollment();
      signedIn(res.data);
      return;
    }
    if (res.status === 401 && res.data && res.data.error === 'login_required') {
      forgetEnrollment();
      $('login-username').value = username || '';
      show('view-welcome');
      notice('Your login has expired, or was closed after too many wrong codes. Log in again with your password.');
      $('login-password').focus();
      return;
    }
    showErrors(form, 'code', res, {
      invalid_code: { text: 'That code is not right. Type the code your app shows now (it changes every 30 seconds); check that your phone\u2019s clock is right.' },
    });
    $('code-code').select();
  });

  // ---- signed in -----------------------------------------------------------
  function signedIn(d) {
    token = d.access_token;
    $('who-name').textContent = username;
    $('who').hidden = false;
    clearTimeout(expiryTimer);
    if (d.expires_in > 0) {
      expiryTimer = setTimeout(function () {
        logout('Your session has ended (sessions last ' + duration(d.expires_in) + '). Log in again to go on.');
      }, d.expires_in * 1000);
    }
    pageStarts = [0];
    pageIndex = 0;
    if (Array.isArray(d.recovery_codes) && d.recovery_codes.length) {
      var list = $('recovery-list');
      list.textContent = '';
      d.recovery_codes.forEach(function (c) {
        var li = document.createElement('li');
        var code = document.createElement('code');
        code.textContent = c;
        li.appendChild(code);
        list.appendChild(li);
      });
      show('view-recovery');
      return;
    }
    openProducts();
  }

  $('recovery-done').addEventListener('click', function () {
    $('recovery-list').textContent = ''; // shown once: gone from the page too
    openProducts();
  });

  function openProducts() {
    notice('');
    show('view-products');
    loadPage();
  }

  // A refused token on a product route: back to log in.
  function sessionEnded() {
    logout('Your session has ended. Log in again to go on.');
  }

  async function logout(message) {
    var t = token;
    token = null; // forgotten first, whatever the server says
    clearTimeout(expiryTimer);
    if (t && message === undefined) {
      // POST /logout revokes the token where the server has it; a server
      // without the route (404/405) or an error changes nothing here.
      token = t;
      await api('POST', '/logout');
      token = null;
    }
    username = null;
    if ($('edit-dialog').open) $('edit-dialog').close();
    editing = null;
    $('products-body').textContent = '';
    $('recovery-list').textContent = '';
    $('list-status').textContent = '';
    $('who').hidden = true;
    $('who-name').textContent = '';
    ['create-form', 'code-form', 'login-form'].forEach(function (id) { $(id).reset(); clearErrors($(id)); });
    show('view-welcome');
    notice(message || 'You are logged out.');
  }

  $('logout').addEventListener('click', function () { logout(); });

  // ---- the product list, in pages ------------------------------------------
  function limit() { return parseInt($('page-size').value, 10); }

  async function loadPage() {
    var after = pageStarts[pageIndex];
    var status = $('list-status');
    say(status, 'Loading\u2026');
    var res = await api('GET', '/products?limit=' + limit() + '&after_id=' + after);
    if (isTokenError(res)) return sessionEnded();
    if (res.status !== 200 || !Array.isArray(res.data)) {
      var e = explain(res);
      say(status, 'The products could not be loaded. ' + e.text, e.wait);
      return;
    }
    if (res.data.length === 0 && pageIndex > 0) { // the last page emptied: go back
      pageStarts.length = pageIndex;
      pageIndex--;
      return loadPage();
    }
    nextAfter = null;
    var m = /<([^>]+)>\s*;\s*rel="next"/.exec(res.headers.get('Link') || '');
    if (m) {
      var a = new URL(m[1], location.href).searchParams.get('after_id');
      if (a !== null) nextAfter = a;
    }
    pageStarts.length = pageIndex + 1;
    render(res.data);
    say(status, res.data.length === 0 ? 'No products yet: add the first one above.'
                                      : 'Showing ' + res.data.length + (res.data.length === 1 ? ' product.' : ' products.'));
    $('page-prev').disabled = pageIndex === 0;
    $('page-next').disabled = nextAfter === null;
    $('page-label').textContent = 'Page ' + (pageIndex + 1);
  }

  function cell(row, label, text, cls) {
    var td = document.createElement('td');
    td.dataset.label = label;
    if (cls) td.className = cls;
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function price(p) { return Number(p).toFixed(2); }

  function render(products) {
    var body = $('products-body');
    body.textContent = '';
    products.forEach(function (p) {
      var tr = document.createElement('tr');
      tr.dataset.id = p.id;
      cell(tr, '#', String(p.id), 'num');
      cell(tr, 'Name', p.name, 'name');
      cell(tr, 'Description', p.description || '', 'desc');
      cell(tr, 'Price', price(p.price), 'num');
      cell(tr, 'Quantity', String(p.quantity), 'num');
      var actions = cell(tr, 'Actions', '', 'actions');
      actionButtons(actions, p);
      body.appendChild(tr);
    });
  }

  function button(text, cls, onClick, label) {
    var b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    if (cls) b.className = cls;
    if (label) b.setAttribute('aria-label', label);
    b.addEventListener('click', onClick);
    return b;
  }

  function actionButtons(td, p) {
    td.textContent = '';
    td.appendChild(button('Edit', 'secondary', function () { openEdit(p.id); }, 'Edit ' + p.name));
    td.appendChild(button('Delete', 'danger', function () { confirmDelete(td, p); }, 'Delete ' + p.name));
  }

  function confirmDelete(td, p) {
    td.textContent = '';
    var q = document.createElement('span');
    q.className = 'confirm';
    q.textContent = 'Delete \u201c' + p.name + '\u201d?';
    td.appendChild(q);
    var yes = button('Yes, delete', 'danger', function () { remove(p); });
    td.appendChild(yes);
    td.appendChild(button('Keep', 'secondary', function () {
      actionButtons(td, p);
      td.querySelector('button').focus();
    }));
    yes.focus();
  }

  async function remove(p) {
    var res = await api('DELETE', '/products/' + p.id);
    if (isTokenError(res)) return sessionEnded();
    if (res.status === 200 || res.status === 404) {
      notice(res.status === 200 ? 'Deleted \u201c' + p.name + '\u201d.'
                                : '\u201c' + p.name + '\u201d had already been deleted.');
    } else {
      notice('Could not delete \u201c' + p.name + '\u201d. ' + explain(res).text);
    }
    await loadPage();
  }

  $('page-next').addEventListener('click', function () {
    if (nextAfter === null) return;
    pageStarts[pageIndex + 1] = nextAfter;
    pageIndex++;
    loadPage();
  });
  $('page-prev').addEventListener('click', function () {
    if (pageIndex === 0) return;
    pageIndex--;
    loadPage();
  });
  $('page-size').addEventListener('change', function () {
    pageStarts = [0];
    pageIndex = 0;
    loadPage();
  });

  // ---- creating ------------------------------------------------------------
  $('create-form').addEventListener('submit', async function (ev) {
    ev.preventDefault();
    var form = ev.currentTarget;
    clearErrors(form);
    var body = { name: $('create-name').value, description: $('create-description').value };
    if ($('create-price').value.trim() !== '') body.price = numberOrText($('create-price').value);
    if ($('create-quantity').value.trim() !== '') body.quantity = numberOrText($('create-quantity').value);
    busy(form, true);
    var res = await api('POST', '/products', body);
    busy(form, false);
    if (isTokenError(res)) return sessionEnded();
    if (res.status === 201 && res.data) {
      form.reset();
      notice('Added \u201c' + res.data.name + '\u201d (#' + res.data.id + ').');
      $('create-name').focus();
      await loadPage();
      return;
    }
    showErrors(form, 'create', res);
  });

  // ---- editing, with If-Match ----------------------------------------------
  function fillEdit(p) {
    $('edit-title').textContent = 'Edit product #' + p.id;
    $('edit-name').value = p.name;
    $('edit-description').value = p.description || '';
    $('edit-price').value = price(p.price);
    $('edit-quantity').value = String(p.quantity);
  }

  // GET /products/<id>: the product and its ETag, or null (the answer shown).
  async function fetchOne(id, where) {
    var res = await api('GET', '/products/' + id);
    if (isTokenError(res)) { sessionEnded(); return null; }
    if (res.status === 200 && res.data) return { product: res.data, etag: res.headers.get('ETag') };
    if (res.status === 404) {
      where('This product no longer exists: someone deleted it.');
      loadPage();
    } else {
      where('The product could not be loaded. ' + explain(res).text);
    }
    return null;
  }

  async function openEdit(id) {
    notice('');
    var got = await fetchOne(id, notice);
    if (!got) return;
    editing = { id: id, etag: got.etag, product: got.product };
    var form = $('edit-form');
    clearErrors(form);
    $('edit-conflict').hidden = true;
    $('edit-save').disabled = false;
    fillEdit(got.product);
    $('edit-dialog').showModal();
    $('edit-name').focus();
  }

  $('edit-reload').addEventListener('click', async function () {
    var form = $('edit-form');
    var got = await fetchOne(editing.id, function (t) { say(form.querySelector('.form-error'), t); });
    if (!got) return;
    editing.etag = got.etag;
    editing.product = got.product;
    fillEdit(got.product);
    $('edit-conflict').hidden = true;
    $('edit-save').disabled = false;
    clearErrors(form);
    say(form.querySelector('.form-error'), 'This is the current version. Make your changes again, then save.');
    $('edit-name').focus();
  });

  $('edit-cancel').addEventListener('click', function () { $('edit-dialog').close(); });
  $('edit-dialog').addEventListener('close', function () { editing = null; });

  $('edit-form').addEventListener('submit', async function (ev) {
    ev.preventDefault();
    if (!editing) return;
    var form = ev.currentTarget;
    clearErrors(form);
    var was = editing.product, body = {};
    var name = $('edit-name').value, desc = $('edit-description').value;
    var pr = numberOrText($('edit-price').value), qty = numberOrText($('edit-quantity').value);
    if (name !== was.name) body.name = name;
    if (desc !== (was.description || '')) body.description = desc;
    if (pr !== Number(was.price)) body.price = pr;
    if (qty !== was.quantity) body.quantity = qty;
    if (Object.keys(body).length === 0) {
      say(form.querySelector('.form-error'), 'Nothing has changed.');
      return;
    }
    busy(form, true);
    var res = await api('PUT', '/products/' + editing.id, body,
                        editing.etag ? { 'If-Match': editing.etag } : undefined);
    busy(form, false);
    if (isTokenError(res)) return sessionEnded();
    if (res.status === 200 && res.data) {
      $('edit-dialog').close();
      notice('Saved \u201c' + res.data.name + '\u201d.');
      await loadPage();
      return;
    }
    if (res.status === 412) {
      $('edit-conflict').hidden = false;
      $('edit-save').disabled = true;
      $('edit-reload').focus();
      return;
    }
    if (res.status === 404) {
      say(form.querySelector('.form-error'), 'This product no longer exists: someone deleted it while you were editing.');
      $('edit-save').disabled = true;
      loadPage();
      return;
    }
    showErrors(form, 'edit', res);
  });

})();
