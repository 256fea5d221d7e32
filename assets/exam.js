// The exam page: saves every choice at once through the JSON API, keeps what the server has
// not acknowledged in the browser's storage (so a reload or a dead network loses nothing),
// runs the countdown from the server's clock and hands in. No library, no build step.
(function () {
  'use strict';
  var root = document.getElementById('exam');
  if (!root) return;

  var attemptId = root.getAttribute('data-attempt-id');
  var paperEtag = root.getAttribute('data-paper-etag');
  var csrf = document.querySelector('meta[name=csrf-token]').getAttribute('content');
  // The same page answers a real exam and a mock one (模拟考试): the server says where.
  var api = root.getAttribute('data-api') || '/api/v1/attempts/' + attemptId;
  var resultUrl = root.getAttribute('data-result-url') || '/attempts/' + attemptId + '/result';
  var storageId = root.getAttribute('data-storage-id') || attemptId;
  var reportsEvents = root.getAttribute('data-report-events') !== 'false';
  var pendingKey = 'safecert-pending-' + storageId;
  var marksKey = 'safecert-marks-' + storageId;
  var stateEl = document.querySelector('[data-save-state]');
  var clock = document.getElementById('clock');
  var warning = document.getElementById('exam-warning');
  var questions = Array.prototype.slice.call(document.querySelectorAll('.question[data-position]'));
  var byPosition = {};
  questions.forEach(function (q) { byPosition[q.getAttribute('data-position')] = q; });

  // --- Storage that may be missing (private mode, WeChat's browser): fall back to memory.
  var memory = {};
  function load(key) {
    try { return JSON.parse(window.localStorage.getItem(key) || 'null'); } catch (e) { return memory[key] || null; }
  }
  function store(key, value) {
    memory[key] = value;
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* memory only */ }
  }
  function forget(key) {
    delete memory[key];
    try { window.localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
  }

  // --- What was saved, and what waits. Seqs only grow, per attempt, across reloads.
  var savedSeqs = JSON.parse(root.getAttribute('data-saved-seqs') || '{}');
  var pending = load(pendingKey) || {};
  var marks = load(marksKey) || {};
  var seq = 0;
  Object.keys(savedSeqs).forEach(function (p) { seq = Math.max(seq, savedSeqs[p]); });
  Object.keys(pending).forEach(function (p) {
    var entry = pending[p];
    if ((savedSeqs[p] || 0) >= entry.seq) { delete pending[p]; return; }
    seq = Math.max(seq, entry.seq);
    applyChoice(p, entry.choice);
  });
  store(pendingKey, pending);

  var inFlight = {};
  var offline = false;
  var refused = false;
  var closed = false;
  var retryDelay = 1000;
  var retryTimer = null;

  function choiceOf(position) {
    var q = byPosition[position];
    return Array.prototype.slice.call(q.querySelectorAll('input[value]:checked')).map(function (i) { return i.value; });
  }
  function applyChoice(position, choice) {
    var q = byPosition[position];
    if (!q) return;
    q.querySelectorAll('input[value]').forEach(function (input) {
      input.checked = choice.indexOf(input.value) >= 0;
    });
  }

  function showState() {
    var state = refused ? 'error' : offline ? 'offline'
      : (Object.keys(pending).length || Object.keys(inFlight).length) ? 'saving' : 'saved';
    var text = {
      saved: '已保存',
      saving: '保存中…',
      offline: '网络中断，答案已暂存',
      error: '有答案未被接受，请重新选择'
    }[state];
    stateEl.setAttribute('data-save-state', state);
    stateEl.textContent = text;
  }

  function paintNavigator(position) {
    var button = document.querySelector('[data-goto="' + position + '"]');
    if (!button) return;
    var answered = choiceOf(position).length > 0;
    button.classList.toggle('answered', answered);
    button.classList.toggle('marked', !!marks[position]);
    button.setAttribute('aria-label', '第 ' + position + ' 题' + (answered ? '（已答）' : '（未答）') + (marks[position] ? '（待查）' : ''));
  }

  // --- Saving.
  function record(position) {
    if (closed) return;
    seq += 1;
    pending[position] = { choice: choiceOf(position), seq: seq };
    store(pendingKey, pending);
    paintNavigator(position);
    send(position);
  }

  function send(position) {
    var entry = pending[position];
    if (!entry || closed || inFlight[position] === entry.seq) return;
    inFlight[position] = entry.seq;
    showState();
    fetch(api + '/answers/' + position, {
      method: 'PUT',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ choice: entry.choice, seq: entry.seq })
    }).then(function (resp) {
      delete inFlight[position];
      if (resp.ok) {
        return resp.json().then(function (saved) {
          savedSeqs[position] = saved.seq;
          if (pending[position] && pending[position].seq <= saved.seq) {
            delete pending[position];
            store(pendingKey, pending);
          }
          offline = false;
          retryDelay = 1000;
          showState();
          flush();
        });
      }
      return resp.json().catch(function () { return {}; }).then(function (body) {
        if (resp.status === 409 && body.code === 'attempt_closed') {
          checkStatus();
        } else if (resp.status === 503 || resp.status === 502 || resp.status === 504) {
          wentOffline();
        } else if (resp.status === 401) {
          refused = true;
          say('登录已失效，答案已暂存在本机。请在新窗口重新登录后回到本页。');
          showState();
        } else {
          refused = true;
          delete pending[position];
          store(pendingKey, pending);
          showState();
        }
      });
    }).catch(function () {
      delete inFlight[position];
      wentOffline();
    });
  }

  function wentOffline() {
    offline = true;
    showState();
    if (retryTimer) return;
    retryTimer = setTimeout(function () {
      retryTimer = null;
      flush();
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }

  function flush() {
    Object.keys(pending).forEach(send);
  }

  window.addEventListener('online', function () {
    report('reconnected');
    retryDelay = 1000;
    flush();
    checkStatus();
  });

  document.getElementById('paper').addEventListener('change', function (event) {
    var target = event.target;
    if (target.hasAttribute('data-mark')) {
      var p = target.getAttribute('data-mark');
      if (target.checked) marks[p] = true; else delete marks[p];
      store(marksKey, marks);
      paintNavigator(p);
      return;
    }
    var q = target.closest('[data-position]');
    if (q && target.hasAttribute('value')) record(q.getAttribute('data-position'));
  });
  document.getElementById('paper').addEventListener('submit', function (event) { event.preventDefault(); });

  // --- One question at a time, or the whole list.
  var listMode = false;
  var current = questions.length ? questions[0].getAttribute('data-position') : null;
  function show(position) {
    if (!byPosition[position]) return;
    current = position;
    questions.forEach(function (q) {
      q.hidden = !listMode && q.getAttribute('data-position') !== String(position);
    });
    document.querySelectorAll('[data-goto]').forEach(function (b) {
      b.classList.toggle('current', b.getAttribute('data-goto') === String(position));
    });
    if (listMode) byPosition[position].scrollIntoView({ block: 'start' });
  }
  document.querySelector('.navigator').addEventListener('click', function (event) {
    var button = event.target.closest('[data-goto]');
    if (!button) return;
    show(button.getAttribute('data-goto'));
    var first = byPosition[current].querySelector('input');
    if (first) first.focus();
  });
  root.addEventListener('click', function (event) {
    var step = event.target.closest('[data-step]');
    if (!step) return;
    var index = questions.indexOf(step.closest('.question')) + Number(step.getAttribute('data-step'));
    if (index >= 0 && index < questions.length) {
      show(questions[index].getAttribute('data-position'));
      var first = questions[index].querySelector('input');
      if (first) first.focus();
    }
  });
  var toggle = document.querySelector('[data-action=toggle-view]');
  toggle.addEventListener('click', function () {
    listMode = !listMode;
    toggle.setAttribute('aria-pressed', String(listMode));
    toggle.textContent = listMode ? '逐题作答' : '显示全部题目';
    show(current);
  });
  Object.keys(marks).forEach(function (p) {
    var box = document.querySelector('[data-mark="' + p + '"]');
    if (box) box.checked = true;
  });
  questions.forEach(function (q) { paintNavigator(q.getAttribute('data-position')); });
  show(current);

  // --- The clock runs on the server's remaining seconds, measured with this page's monotonic
  // timer, and is re-synced: a wrong phone clock cannot move the deadline.
  var deadlineAt = performance.now() + Number(clock.getAttribute('data-remaining-seconds')) * 1000;
  var warned = {};
  function say(text) {
    warning.textContent = text;
    warning.hidden = false;
  }
  function two(n) { return (n < 10 ? '0' : '') + n; }
  function tick() {
    var left = Math.max(0, Math.round((deadlineAt - performance.now()) / 1000));
    clock.setAttribute('data-remaining-seconds', String(left));
    var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
    clock.textContent = (h ? h + ':' + two(m) : two(m)) + ':' + two(s);
    clock.parentNode.classList.toggle('low', left <= 300);
    if (left <= 300 && left > 60 && !warned[300]) { warned[300] = true; say('距离考试结束还有 5 分钟，请检查未答的题目。'); }
    if (left <= 60 && left > 0 && !warned[60]) { warned[60] = true; say('距离考试结束还有 1 分钟，时间到将自动交卷。'); }
    if (left === 0 && !closed) finish('考试时间到，试卷已自动提交。');
  }
  tick();
  setInterval(tick, 1000);

  // The server's view of the attempt, without the paper: the deadline moves with a proctor's
  // extension, and a termination or grading ends the page.
  function checkStatus() {
    if (closed) return;
    fetch(api, {
      credentials: 'same-origin',
      headers: { 'If-None-Match': paperEtag }
    }).then(function (resp) {
      if (!resp.ok) return;
      return resp.json().then(function (attempt) {
        if (attempt.status !== 'in_progress') {
          finish(attempt.status === 'terminated' ? '本次考试已被监考老师终止。' : '试卷已提交。');
          return;
        }
        var before = deadlineAt;
        deadlineAt = performance.now() + attempt.remaining_seconds * 1000;
        if (deadlineAt - before > 30000) {
          warned = {};
          say('监考老师已延长考试时间，剩余时间已更新。');
        }
        tick();
      });
    }).catch(function () { /* offline: the save state says so */ });
  }
  setInterval(checkStatus, 15000);
  // The proctor sees when the page was left and when it came back after losing the network
  // (the attempt's events); a report that cannot be sent is not retried: it is a hint for
  // the proctor, not an answer.
  function report(kind) {
    if (!reportsEvents) return;
    fetch(api + '/events', {
      method: 'POST',
      credentials: 'same-origin',
      keepalive: true,
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ kind: kind })
    }).catch(function () {});
  }
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') {
      report('page_visible');
      checkStatus();
    } else {
      report('page_hidden');
    }
  });

  // --- Handing in.
  var dialog = document.getElementById('confirm');
  document.querySelector('[data-action=submit]').addEventListener('click', function () {
    var unanswered = questions.filter(function (q) {
      return choiceOf(q.getAttribute('data-position')).length === 0;
    }).length;
    document.getElementById('confirm-text').textContent = unanswered
      ? '还有 ' + unanswered + ' 道题未作答。交卷后不能再修改，确定交卷吗？'
      : '全部 ' + questions.length + ' 道题均已作答。交卷后不能再修改，确定交卷吗？';
    dialog.hidden = false;
    dialog.querySelector('[data-action=cancel-submit]').focus();
  });
  dialog.querySelector('[data-action=cancel-submit]').addEventListener('click', function () {
    dialog.hidden = true;
  });
  dialog.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') dialog.hidden = true;
  });
  dialog.querySelector('[data-action=confirm-submit]').addEventListener('click', function () {
    dialog.hidden = true;
    finish('试卷已提交，正在评分…');
  });

  // Every answer that waits goes with the hand-in, so nothing given is lost to a dead network.
  function finish(text) {
    if (closed) return;
    closed = true;
    root.querySelectorAll('#paper input').forEach(function (i) { i.disabled = true; });
    document.getElementById('paper').hidden = true;
    document.querySelector('.navigator').hidden = true;
    document.getElementById('closed').hidden = false;
    document.getElementById('closed-text').textContent = text;
    submit();
  }
  function submit() {
    var answers = Object.keys(pending).map(function (p) {
      return { position: Number(p), choice: pending[p].choice, seq: pending[p].seq };
    });
    fetch(api + '/submit', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ answers: answers })
    }).then(function (resp) {
      if (resp.ok || resp.status === 409) {
        forget(pendingKey);
        forget(marksKey);
        pending = {};
        offline = false;
        showState();
        window.location.assign(resultUrl);
      } else if (resp.status === 401) {
        document.getElementById('closed-text').textContent = '登录已失效，请重新登录后查看成绩。';
      } else {
        retrySubmit();
      }
    }).catch(retrySubmit);
  }
  function retrySubmit() {
    offline = true;
    showState();
    document.getElementById('closed-text').textContent = '网络中断，答案已暂存在本机，恢复后将自动交卷。';
    setTimeout(submit, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }

  showState();
  flush();
})();
