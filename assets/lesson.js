// The lesson page: opens a study session and, while the page is shown and the learner is
// studying, sends a heartbeat every few seconds. The server credits the time between two
// heartbeats by its own clock; each heartbeat says whether the page was shown and the learner
// active all the time since the one before, so time away is never claimed.
(function () {
  'use strict';
  var article = document.querySelector('[data-lesson]');
  if (!article) return;
  var lessonId = article.getAttribute('data-lesson');
  var csrf = document.querySelector('meta[name=csrf-token]').getAttribute('content');
  var stateEl = document.querySelector('[data-study-state]');
  var creditedEl = document.querySelector('[data-credited-seconds]');
  var video = document.querySelector('[data-lesson-video]');
  var api = '/api/v1/lessons/' + lessonId;
  // Without a touch, a scroll or a key for this long (and no video playing), the learner is
  // taken to have stepped away.
  var IDLE_AFTER_MS = 3 * 60 * 1000;

  var session = null;
  var seq = 0;
  var timer = null;
  var lastActivity = Date.now();
  // The page was hidden or the learner idle since the last heartbeat.
  var away = false;
  var ended = false;
  var required = 0;

  var words = {
    starting: '正在开始计时…',
    studying: '正在计时',
    paused: '页面不在前台，已暂停计时',
    idle: '长时间没有操作，已暂停计时；继续阅读即可恢复',
    done: '本课已学完',
    ended: '你已在其他页面或设备上打开课程，此页面已停止计时；刷新页面可在此继续',
    offline: '网络中断，恢复后继续计时',
    error: '计时出错，请刷新页面'
  };

  function show(state) {
    stateEl.setAttribute('data-study-state', state);
    stateEl.textContent = words[state];
  }

  function showCredited(seconds) {
    creditedEl.setAttribute('data-credited-seconds', String(seconds));
    creditedEl.textContent = String(Math.floor(seconds / 60));
    if (required > 0 && seconds >= required) show('done');
  }

  function playing() {
    return !!(video && !video.paused && !video.ended);
  }

  function active() {
    return playing() || Date.now() - lastActivity < IDLE_AFTER_MS;
  }

  function beat(visibleAllAlong) {
    if (!session || ended) return;
    seq += 1;
    var body = {
      session: session,
      seq: seq,
      visible: visibleAllAlong,
      active: active()
    };
    if (video) {
      body.video_position_seconds = video.currentTime || 0;
      body.video_playing = playing();
    }
    fetch(api + '/heartbeats', {
      method: 'POST',
      credentials: 'same-origin',
      keepalive: true,
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(body)
    }).then(function (resp) {
      if (resp.status === 409) {
        ended = true;
        clearInterval(timer);
        show('ended');
        return null;
      }
      if (!resp.ok) {
        show('error');
        return null;
      }
      return resp.json();
    }).then(function (progress) {
      if (!progress) return;
      if (document.visibilityState === 'visible' && !ended) {
        show(body.active ? 'studying' : 'idle');
      }
      showCredited(progress.credited_seconds);
    }).catch(function () {
      show('offline');
      away = true;
    });
  }

  function tick() {
    if (document.visibilityState !== 'visible') return;
    var claim = !away && active();
    away = !active();
    beat(claim);
  }

  document.addEventListener('visibilitychange', function () {
    if (ended || !session) return;
    if (document.visibilityState === 'hidden') {
      // Claim the time up to now, which was on the page, then stop.
      beat(!away);
      away = true;
      show('paused');
    } else {
      // Back: this heartbeat only starts the clock again.
      lastActivity = Date.now();
      beat(false);
      away = false;
      show('studying');
    }
  });

  ['pointerdown', 'keydown', 'scroll', 'touchstart', 'wheel'].forEach(function (name) {
    window.addEventListener(name, function () { lastActivity = Date.now(); }, { passive: true });
  });
  if (video) {
    video.addEventListener('play', function () { lastActivity = Date.now(); });
  }

  fetch(api + '/study-sessions', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
    body: '{}'
  }).then(function (resp) {
    if (!resp.ok) throw new Error('open ' + resp.status);
    return resp.json();
  }).then(function (opened) {
    session = opened.session;
    required = opened.required_seconds;
    show('studying');
    showCredited(opened.credited_seconds);
    // The first heartbeat starts the server's clock.
    beat(false);
    timer = setInterval(tick, opened.heartbeat_seconds * 1000);
  }).catch(function () {
    show('error');
  });
})();
