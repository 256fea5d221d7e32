// The proctor's live roster: polls the sitting's live view every 5 s and updates each row in
// place (answered, time left, status, last seen), counts the time down between polls, and
// sends extend and terminate through the JSON API with the session cookie and the page's
// cross-site token, each after a confirmation.
(function () {
  'use strict';
  var table = document.getElementById('roster');
  if (!table) return;
  var sitting = table.getAttribute('data-sitting-id');
  var questions = table.getAttribute('data-questions');
  var csrf = document.querySelector('meta[name=csrf-token]').getAttribute('content');
  var state = document.getElementById('roster-state');
  var labels = { in_progress: '作答中', graded: '已交卷', terminated: '已终止' };

  function clock(s) {
    s = Math.max(0, Math.floor(s));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var mm = (m < 10 ? '0' : '') + m, ss = (sec < 10 ? '0' : '') + sec;
    return h > 0 ? h + ':' + mm + ':' + ss : mm + ':' + ss;
  }

  // Beijing time, as the server writes it, whatever the device's time zone.
  function seen(iso) {
    if (!iso) return '—';
    return new Date(iso).toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
  }

  function row(item) {
    var tr = table.querySelector('tr[data-attempt-id="' + item.attempt_id + '"]');
    if (tr) return tr;
    // A candidate who started since the page loaded: a new row, without controls until the
    // page is next opened (a reload is never needed to follow the figures).
    tr = document.createElement('tr');
    tr.setAttribute('data-attempt-id', item.attempt_id);
    var cells = [['考生', null], ['状态', 'status'], ['已答', null], ['剩余时间', null], ['最近在线', 'last-seen'], ['离开页面 / 断线重连', null], ['操作', 'actions']];
    cells.forEach(function (c, i) {
      var td = document.createElement('td');
      td.setAttribute('data-label', c[0]);
      if (c[1]) td.setAttribute('data-cell', c[1]);
      if (i === 0) td.textContent = item.name;
      if (i === 2) td.setAttribute('data-answered', '0');
      if (i === 3) td.setAttribute('data-remaining-seconds', '0');
      if (i === 5) td.setAttribute('data-left-page', '0');
      tr.appendChild(td);
    });
    table.tBodies[0].appendChild(tr);
    var empty = document.getElementById('roster-empty');
    if (empty) empty.remove();
    return tr;
  }

  function show(item) {
    var tr = row(item);
    var answered = tr.querySelector('[data-answered]');
    answered.setAttribute('data-answered', String(item.answered));
    answered.textContent = item.answered + ' / ' + questions;
    var left = tr.querySelector('[data-remaining-seconds]');
    left.setAttribute('data-remaining-seconds', String(item.remaining_seconds));
    left.textContent = clock(item.remaining_seconds);
    tr.querySelector('[data-cell=status]').textContent = labels[item.status] || item.status;
    tr.querySelector('[data-cell=last-seen]').textContent = seen(item.last_seen_at);
    var away = tr.querySelector('[data-left-page]');
    away.setAttribute('data-left-page', String(item.left_page));
    away.setAttribute('data-reconnects', String(item.reconnects));
    away.textContent = item.left_page + ' 次 / ' + item.reconnects + ' 次';
    away.classList.toggle('warn', item.left_page + item.reconnects > 0);
    if (item.status !== 'in_progress') {
      var actions = tr.querySelector('[data-cell=actions]');
      if (actions) actions.textContent = '';
    }
  }

  function poll() {
    fetch('/api/v1/sittings/' + sitting + '/live', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (body) {
        body.items.forEach(show);
        state.textContent = '名单每 5 秒自动刷新 · 最近刷新 ' + seen(new Date().toISOString());
        state.setAttribute('data-roster-state', 'live');
      })
      .catch(function () {
        state.textContent = '暂时无法刷新名单，稍后自动重试。';
        state.setAttribute('data-roster-state', 'offline');
      });
  }

  // Between polls the clocks count down by themselves.
  setInterval(function () {
    table.querySelectorAll('[data-remaining-seconds]').forEach(function (td) {
      var s = parseInt(td.getAttribute('data-remaining-seconds'), 10);
      if (s > 0) {
        td.setAttribute('data-remaining-seconds', String(s - 1));
        td.textContent = clock(s - 1);
      }
    });
  }, 1000);
  setInterval(poll, 5000);

  function send(attempt, action, body, done) {
    fetch('/api/v1/attempts/' + attempt + '/' + action, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      if (!r.ok) return r.json().then(function (e) { throw new Error(e.message || String(r.status)); });
      done();
      poll();
    }).catch(function (e) {
      window.alert('操作未成功：' + e.message);
    });
  }

  table.addEventListener('submit', function (ev) {
    var form = ev.target;
    ev.preventDefault();
    var tr = form.closest('tr');
    var attempt = tr.getAttribute('data-attempt-id');
    var name = tr.cells[0].textContent;
    if (form.getAttribute('data-action') === 'extend') {
      var minutes = parseInt(form.minutes.value, 10);
      if (window.confirm('为 ' + name + ' 延时 ' + minutes + ' 分钟？')) {
        send(attempt, 'extend', { minutes: minutes }, function () {});
      }
    } else {
      var reason = form.reason.value.trim();
      if (!reason) { form.reason.focus(); return; }
      if (window.confirm('终止 ' + name + ' 的考试？原因：' + reason + '。终止后不能恢复。')) {
        send(attempt, 'terminate', { reason: reason }, function () { form.reset(); });
      }
    }
  });
})();
